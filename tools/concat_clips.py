"""Join video clips (or time ranges of them) into one H.264 file, streaming: long test footage from short clips.

    python -m tools.concat_clips OUT.mp4 CLIP[:FROM_S[:TO_S]] ... [--seconds S]

``--seconds`` loops the list until the output is that long. The clips must share a frame size; the
output frame rate is the first clip's. Used by tests/test_chunked.py and benchmarks/bench_batch.py.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path


def concat_clips(out: str | Path, parts: Sequence[tuple[str | Path, float, float]], seconds: float | None = None,
                 crf: int = 20) -> Path:
    """Write ``parts`` (path, from_s, to_s) one after another into ``out``; loop them to ``seconds``."""
    import av

    with av.open(str(parts[0][0])) as c:
        s = c.streams.video[0]
        fps = Fraction(s.average_rate).limit_denominator(1000)
        w, h = s.codec_context.width, s.codec_context.height
    n_out, limit = 0, math.inf if seconds is None else round(seconds * fps)
    with av.open(str(out), "w") as oc:
        os_ = oc.add_stream("libx264", rate=fps)
        os_.width, os_.height, os_.pix_fmt = w, h, "yuv420p"
        os_.options = {"crf": str(crf)}
        while n_out < limit:
            for path, lo, hi in parts:
                with av.open(str(path)) as ic:
                    for vf in ic.decode(video=0):
                        t = vf.time or 0.0
                        if t < lo or t >= hi:
                            continue
                        if (vf.width, vf.height) != (w, h):
                            raise ValueError(f"{path}: {vf.width}x{vf.height}, expected {w}x{h}")
                        nf = vf.reformat(format="yuv420p")
                        nf.pts, nf.time_base = n_out, 1 / fps
                        for p in os_.encode(nf):
                            oc.mux(p)
                        n_out += 1
                        if n_out >= limit:
                            break
                if n_out >= limit:
                    break
            if seconds is None:
                break
        for p in os_.encode():
            oc.mux(p)
    return Path(out)


def _part(spec: str) -> tuple[str, float, float]:
    path, *rng = spec.split(":")
    lo = float(rng[0]) if rng else 0.0
    hi = float(rng[1]) if len(rng) > 1 else math.inf
    return path, lo, hi


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("clips", nargs="+", type=_part)
    ap.add_argument("--seconds", type=float)
    a = ap.parse_args()
    print(concat_clips(a.out, a.clips, a.seconds))

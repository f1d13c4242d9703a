"""Peak memory (RSS) of ``formcoach analyze`` on very large frames, printed; never asserted.

Generates short clips of a person (sample_videos/plank_clean.mp4 scaled up) at 1080p, 4K, 8K and
15000x15000 (H.264; the last in an MKV with FFV1 if libx264 refuses the size) and a 15000x15000
PNG renamed .mp4, runs ``python -m formcoach analyze`` on each in a child process, and prints the
child's peak RSS (``ru_maxrss``), its ratio to the 1080p run, the exit code and the one-line message.

    .venv/bin/python benchmarks/bench_big_input_memory.py [--frames 4]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"1080p": (1920, 1080), "4K": (3840, 2160), "8K": (7680, 4320), "15000x15000": (15000, 15000)}


def person_frames(n: int) -> list[np.ndarray]:
    import av

    with av.open(str(ROOT / "sample_videos" / "plank_clean.mp4")) as c:
        out = []
        for f in c.decode(c.streams.video[0]):
            out.append(f.to_ndarray(format="bgr24"))
            if len(out) >= n:
                return out
    return out


def encode(path: Path, frames: list[np.ndarray], size: tuple[int, int], codec: str = "libx264") -> Path:
    import av
    import cv2

    w, h = size
    with av.open(str(path), "w") as c:
        s = c.add_stream(codec, rate=Fraction(15))
        s.width, s.height = w, h
        s.pix_fmt = "yuv420p"
        for img in frames:
            big = cv2.resize(img, (w, h), interpolation=cv2.INTER_NEAREST)
            for p in s.encode(av.VideoFrame.from_ndarray(big, format="bgr24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def make_clips(d: Path, n: int) -> None:
    import cv2

    frames = person_frames(n)
    for name, size in SIZES.items():
        try:
            encode(d / f"{name}.mp4", frames, size)
        except Exception:  # noqa: BLE001 - libx264 refuses some sizes; FFV1 takes any
            (d / f"{name}.mp4").unlink(missing_ok=True)
            encode(d / f"{name}.mkv", frames, size, codec="ffv1")
    cv2.imwrite(str(d / "photo.png"), cv2.resize(frames[0], SIZES["15000x15000"]))
    (d / "photo.png").rename(d / "photo.mp4")


def run(video: Path) -> tuple[float, int, str]:
    """Peak RSS (MB) of one ``formcoach analyze`` child, its exit code and its last stderr line."""
    with tempfile.TemporaryDirectory() as out:
        p = subprocess.Popen([sys.executable, "-m", "formcoach", "analyze", str(video), "--exercise", "plank",
                              "-q", "--json", os.path.join(out, "r.json")], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        err = p.stderr.read()
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    line = (err.strip().splitlines() or [""])[-1]
    return usage.ru_maxrss / 1024, p.returncode, line[:150]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--frames", type=int, default=4)
    ap.add_argument("--make", metavar="DIR", help=argparse.SUPPRESS)  # child: write the clips into DIR
    args = ap.parse_args(argv)
    if args.make:
        make_clips(Path(args.make), args.frames)
        return 0
    with tempfile.TemporaryDirectory(prefix="fc-bigmem-") as td:
        d = Path(td)
        # made in a child: a child's ru_maxrss starts from its parent's RSS at fork, so this
        # process must stay small while it measures
        subprocess.run([sys.executable, __file__, "--make", td, "--frames", str(args.frames)], check=True)
        clips = {name: next(d.glob(f"{name}.*")) for name in SIZES}
        clips["15000x15000 PNG as .mp4"] = d / "photo.mp4"
        base = None
        print(f"{'input':<26} {'bytes':>10} {'peak RSS MB':>12} {'x 1080p':>8} exit  message")
        for name, path in clips.items():
            mb, rc, line = run(path)
            base = base or mb
            print(f"{name:<26} {path.stat().st_size:>10} {mb:>12.0f} {mb / base:>8.2f} {rc:>4}  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

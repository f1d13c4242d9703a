"""Render the calibration corpus (``tools/synth/corpus.py``) into ``corpus/``.

Usage (synth environment, see tools/synth/README.md and corpus/README.md)::

    python -m tools.synth.corpus_build --jobs 2                  # everything not rendered yet
    python -m tools.synth.corpus_build --jobs 2 --force          # re-render everything
    python -m tools.synth.corpus_build --only NAME ...           # some clips
    python -m tools.synth.corpus_build --estimate                # clip counts and estimated time only

Videos go to ``corpus/videos/`` (git-ignored), labels to ``corpus/labels/`` (committed). Clips
are rendered in :func:`~tools.synth.corpus.render_order` (every exercise and both splits fill in
together) by ``--jobs`` worker processes that claim the next clip in turn, so a run can be stopped
and resumed: a clip counts as done once its label exists (the label is written last).
Per-clip timings are appended to ``corpus/render_log.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger("formcoach.synth.corpus")


def _done(spec, videos: Path, labels: Path) -> bool:
    return (labels / f"{spec.name}.json").is_file() and (videos / spec.file).is_file()


def _claim(spec, claims: Path) -> bool:
    try:
        fd = os.open(claims / f"{spec.name}.claim", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    return True


def worker(names: Sequence[str], out: Path, videos: Path, crf: int) -> int:
    from tools.synth.body import load_model  # torch/anny before pyrender (segfault otherwise)
    from tools.synth.corpus import by_name
    from tools.synth.render import render_clip

    load_model()
    labels, claims = out / "labels", videos / ".claims"
    for name in names:
        spec = by_name(name)
        if not _claim(spec, claims):
            continue
        stats = render_clip(spec, videos, crf=crf, label_dir=labels)
        stats.update(split=spec.split, exercise=spec.exercise, body=spec.body_id, camera=spec.camera_id,
                     distinct_poses=stats["unique_poses"], pid=os.getpid(), finished=time.strftime("%H:%M:%S"))
        with open(out / "render_log.jsonl", "a") as fh:
            fh.write(json.dumps(stats) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from tools.synth.corpus import CORPUS, by_name, estimate_render_s, render_order

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="corpus", help="corpus folder (labels/, render_log.jsonl)")
    ap.add_argument("--videos", help="video folder (default OUT/videos)")
    ap.add_argument("--only", nargs="*", help="clip names (default: the whole corpus)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes")
    ap.add_argument("--crf", type=int, default=20, help="x264 quality")
    ap.add_argument("--force", action="store_true", help="re-render clips that are done")
    ap.add_argument("--estimate", action="store_true", help="print the plan and estimated time, render nothing")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    out = Path(args.out)
    videos = Path(args.videos) if args.videos else out / "videos"
    if args.worker:
        return worker(args.only or [], out, videos, args.crf)
    specs = [by_name(n) for n in args.only] if args.only else list(CORPUS)
    todo = [s for s in render_order(specs) if args.force or not _done(s, videos, out / "labels")]
    est = sum(estimate_render_s(s) for s in todo)
    jobs = max(1, args.jobs)
    print(f"{len(todo)} of {len(specs)} clips to render, {sum(s.frames for s in todo)} frames; estimated "
          f"{est / 60:.0f} min in one process, ~{est / 60 / jobs:.0f} min with {jobs} jobs", flush=True)
    if args.estimate or not todo:
        return 0
    claims = videos / ".claims"
    claims.mkdir(parents=True, exist_ok=True)
    (out / "labels").mkdir(parents=True, exist_ok=True)
    for c in claims.glob("*.claim"):  # claims of an earlier, stopped run
        c.unlink()
    if args.force:
        for s in todo:
            (out / "labels" / f"{s.name}.json").unlink(missing_ok=True)
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "tools.synth.corpus_build", "--worker", "--out", str(out), "--videos",
           str(videos), "--crf", str(args.crf), "--only", *[s.name for s in todo]]
    procs = [subprocess.Popen(cmd) for _ in range(jobs)]
    rc = max(p.wait() for p in procs)
    done = sum(_done(s, videos, out / "labels") for s in todo)
    print(f"rendered {done} of {len(todo)} clips in {(time.perf_counter() - t0) / 60:.1f} min with {jobs} jobs")
    return rc


if __name__ == "__main__":
    raise SystemExit(main())

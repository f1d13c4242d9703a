"""Checker cost per frame (target <= 0.2 ms/frame), printed; never asserted.

Replays the golden landmark sequences (tests/data/golden_*.npz) through each checker, plus a
synthetic stream, several times, and prints median ms/frame per checker.

    .venv/bin/python benchmarks/bench_checkers.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from exercises.registry import EXERCISES, get_exercise
from formcoach.recording import load_frames
from tests.golden import exercise_for

TARGET_MS = 0.2


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    streams: dict[str, list] = {name: [] for name in EXERCISES}
    for p in sorted((ROOT / "tests" / "data").glob("golden_*.npz")):
        streams[exercise_for(p.stem)].append(load_frames(p))
    print(f"{'checker':10s} {'frames':>7s} {'median ms/frame':>16s} {'max ms/frame':>13s}  target <= {TARGET_MS}")
    for name, seqs in streams.items():
        frames = [f for s in seqs for f in s]
        if not frames:
            continue
        times = []
        for _ in range(args.repeat):
            for seq in seqs:
                checker = get_exercise(name).make_checker()
                t0 = time.perf_counter()
                for f in seq:
                    checker.update(f)
                checker.summary()
                times.append((time.perf_counter() - t0) * 1000 / len(seq))
        print(f"{name:10s} {len(frames):7d} {statistics.median(times):16.3f} {max(times):13.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Golden checker data: recorded landmark sequences (``tests/data/golden_*.npz``) and what the
checkers made of them (``tests/data/golden_expected.json``).

The npz files are MediaPipe landmarks (lite model, One-Euro smoothed, as ``formcoach eval``
caches them) of rendered clips from ``sample_videos/`` and of two real clips (derived data, no
video), recorded with the mediapipe release named in ``tests/data/recorded_with.json``
(``tests/test_reproducible.py`` fails when another one is installed). Regenerate the expectations
deliberately after a checker change has been reviewed::

    .venv/bin/python -m tests.golden            # rewrites golden_expected.json
"""

from __future__ import annotations

import json
from pathlib import Path

from exercises.base import Severity
from exercises.registry import get_exercise
from formcoach.engine import AnalysisOptions, poses_for_checker
from formcoach.recording import load_frames

DATA = Path(__file__).resolve().parent / "data"
EXPECTED = DATA / "golden_expected.json"
RECORDED_WITH = json.loads((DATA / "recorded_with.json").read_text())
EXERCISE_OF = {"plank": "plank", "dead_bug": "dead_bug", "bird_dog": "bird_dog"}


def exercise_for(name: str) -> str:
    stem = name.removeprefix("golden_").removeprefix("real_")
    for prefix, ex in EXERCISE_OF.items():
        if stem.startswith(prefix) or prefix in stem:
            return ex
    raise ValueError(f"cannot tell the exercise of {name!r}")


def observe(path: Path) -> dict:
    exercise = exercise_for(path.stem)
    checker = get_exercise(exercise).make_checker()
    for frame in poses_for_checker(load_frames(path), exercise, AnalysisOptions().smoothing):  # as analyze judges
        checker.update(frame)
    s = checker.summary()
    return {
        "exercise": exercise,
        "reps_by_side": dict(s.reps_by_side),
        "rep_sides": [r.side for r in s.reps],
        "rep_verdicts": [r.verdict.value for r in s.reps],
        "hold_s": round(s.hold_s, 2),
        "fault_types": sorted({f.type for f in s.faults}),
        "warning_cues": [c.code for c in s.cues if c.severity is Severity.WARNING],
        "not_checked": sorted({c for r in s.reps for c in r.unchecked}),
    }


def regenerate() -> dict:
    out = {p.stem: observe(p) for p in sorted(DATA.glob("golden_*.npz"))}
    EXPECTED.write_text(json.dumps(out, indent=1) + "\n")
    return out


if __name__ == "__main__":
    for k, v in regenerate().items():
        print(k, v)

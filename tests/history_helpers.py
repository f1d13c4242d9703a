"""Builders for history tests (also run as a child process by the crash test)."""

from __future__ import annotations

import sys

from exercises.base import Cue, ExerciseSummary, Fault, RepRecord, RepVerdict, Severity


def make_summary(n_reps: int = 4, exercise: str = "dead_bug", n_faults: int = 1) -> ExerciseSummary:
    faults = tuple(Fault("low_back_arch", 8.0 + i, 1.0 + i, 1.5 + i) for i in range(n_faults))
    reps = tuple(
        RepRecord(side="left" if i % 2 == 0 else "right", start_s=2.0 * i, end_s=2.0 * i + 1.8, hold_s=0.9,
                  faults=faults[:1] if (i == 1 and faults) else (),
                  verdict=RepVerdict.FAULT if (i == 1 and faults) else RepVerdict.GOOD,
                  coaching="Keep your low back gently on the floor." if i == 1 else "Good rep.")
        for i in range(n_reps))
    left = sum(r.side == "left" for r in reps)
    return ExerciseSummary(
        exercise=exercise, reps=reps, reps_by_side={"left": left, "right": n_reps - left},
        hold_s=0.9 * n_reps, good_form_s=0.9 * (n_reps - 1), seconds_lost_by_fault={"low_back_arch": 0.5},
        faults=faults, cues=(Cue("low_back_arch", Severity.WARNING, "Back down", 1.2),), cant_judge_s=0.4)


def _writer(db: str) -> None:
    """Write sessions forever, printing each id once its transaction has committed."""
    from formcoach.history import History, NewSession

    i = 0
    with History(db) as h:
        while True:
            sm = make_summary(n_reps=150 + i % 50, n_faults=20)
            sid = h.save_session(NewSession.from_summary(sm, source="live", duration_s=60.0,
                                                         details={"i": i, "pad": "x" * 20000}))
            print(sid, flush=True)
            i += 1


if __name__ == "__main__":
    _writer(sys.argv[1])

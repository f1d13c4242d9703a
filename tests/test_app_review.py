"""The review page and the physio report say what a session's checker never judged (Streamlit AppTest, real
SQLite): a dead bug with no fault listed must not read as "the back was checked and fine"."""

from __future__ import annotations

from pathlib import Path

from exercises.dead_bug import DeadBugChecker
from formcoach.history import History, NewSession, not_checked_notes, summary_details
from tests.synthetic import dead_bug_frame, rep_schedule, sequence

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _dead_bug_summary():
    sched = rep_schedule(("left", "right"))
    checker = DeadBugChecker()
    for f in sequence(lambda t: dead_bug_frame(t, *sched(t)), 14.0):
        checker.update(f)
    return checker.summary()


def test_not_checked_notes_read_from_saved_details_and_tolerate_damage():
    s = _dead_bug_summary()
    notes = not_checked_notes(summary_details(s))
    assert [n.split(":")[0] for n in notes] == ["Lower-back arch", "Holding the breath"]
    for bad in ({}, {"extra": None}, {"extra": {"not_checked": ["x"]}}, {"extra": "x"}, []):
        assert not_checked_notes(bad) == []


def test_review_page_lists_what_was_not_checked(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    db = tmp_path / "h.sqlite3"
    s = _dead_bug_summary()
    assert dict(s.reps_by_side) == {"left": 1, "right": 1} and not s.faults
    with History(db) as h:
        h.save_session(NewSession.from_summary(s, source="live", duration_s=14.0, details=summary_details(s)))
    monkeypatch.setenv("FORMCOACH_DB", str(db))
    monkeypatch.chdir(tmp_path)
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["mode"] = "Review history"
    at.run()
    assert not at.exception, at.exception
    captions = [c.value for c in at.main.caption]
    assert any(c.startswith("Lower-back arch: not checked") for c in captions), captions
    assert any(c.startswith("Holding the breath: not checked") for c in captions), captions

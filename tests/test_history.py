from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from formcoach import history as hmod
from formcoach.history import SCHEMA_VERSION, History, HistoryError, NewSession, pain_advice
from tests.history_helpers import make_summary

ROOT = Path(__file__).resolve().parents[1]


def _save(h: History, **kw) -> int:
    sm = kw.pop("summary", None) or make_summary()
    return h.save_session(NewSession.from_summary(sm, source=kw.pop("source", "upload"),
                                                  duration_s=kw.pop("duration_s", 12.0), **kw))


def test_round_trip_and_wal(tmp_path):
    with History(tmp_path / "h.sqlite3") as h:
        sid = _save(h, pain_before=3, details={"file": "x.mp4"})
        assert h.schema_version == SCHEMA_VERSION
        mode = h._con.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
        row = h.get(sid)
        assert row.exercise == "dead_bug" and row.source == "upload"
        assert (row.reps_left, row.reps_right, row.rep_count) == (2, 2, 4)
        assert row.pain_before == 3 and row.pain_after is None
        assert row.fault_rate == pytest.approx(0.25)
        reps = h.reps(sid)
        assert [r.side for r in reps] == ["left", "right", "left", "right"]
        assert reps[1].verdict == "fault" and reps[1].faults == ("low_back_arch",)
        assert reps[0].duration_s == pytest.approx(1.8)
        assert h.faults(sid)[0]["type"] == "low_back_arch"
        assert h.details(sid) == {"file": "x.mp4"}
        assert h.check() == []


def test_env_var_chooses_path(tmp_path, monkeypatch):
    monkeypatch.setenv("FORMCOACH_DB", str(tmp_path / "sub" / "mine.sqlite3"))
    assert hmod.default_db_path() == tmp_path / "sub" / "mine.sqlite3"
    with History() as h:
        _save(h)
    assert (tmp_path / "sub" / "mine.sqlite3").exists()


def test_default_path_is_user_data_dir(monkeypatch):
    monkeypatch.delenv("FORMCOACH_DB", raising=False)
    p = hmod.default_db_path()
    assert p.name == "history.sqlite3" and "formcoach" in p.parts


def test_sessions_order_filter_delete(tmp_path):
    with History(tmp_path / "h.sqlite3") as h:
        t0 = datetime(2026, 11, 1, 9, tzinfo=timezone.utc)
        a = _save(h, created_at=t0)
        b = _save(h, created_at=t0 + timedelta(days=1), summary=make_summary(0, "plank", 0))
        assert [s.id for s in h.sessions()] == [b, a]
        assert [s.id for s in h.sessions("plank")] == [b]
        assert h.delete_session(a) is True
        assert h.delete_session(a) is False
        assert h.reps(a) == [] and h.faults(a) == []
        assert h._con.execute("SELECT COUNT(*) FROM reps").fetchone()[0] == 0
        assert [s.id for s in h.sessions()] == [b]


def test_daily_progress(tmp_path):
    with History(tmp_path / "h.sqlite3") as h:
        d1 = datetime(2026, 11, 1, 9, tzinfo=timezone.utc)
        _save(h, created_at=d1)
        _save(h, created_at=d1 + timedelta(hours=2), summary=make_summary(6, n_faults=0))
        _save(h, created_at=d1 + timedelta(days=2))
        prog = h.daily_progress()
    assert [(p["day"], p["sessions"], p["reps"]) for p in prog] == [("2026-11-01", 2, 10), ("2026-11-03", 1, 4)]
    assert prog[0]["fault_rate"] == pytest.approx((0.25 + 0.0) / 2)


def test_plank_fault_rate_is_time_lost():
    sm = make_summary(0, "plank", 0)
    assert hmod.fault_rate(sm) is None  # no hold time in this summary
    from dataclasses import replace
    assert hmod.fault_rate(replace(sm, hold_s=40.0, good_form_s=30.0)) == pytest.approx(0.25)


def test_pain_validation_and_update(tmp_path):
    with History(tmp_path / "h.sqlite3") as h:
        sid = _save(h, pain_before=2)
        h.set_pain(sid, after=5, sharp=True)
        row = h.get(sid)
        assert (row.pain_before, row.pain_after, row.pain_sharp, row.pain_radiating) == (2, 5, True, False)
        with pytest.raises(ValueError):
            h.set_pain(sid, after=11)
        with pytest.raises(ValueError):
            _save(h, pain_before=-1)
        with pytest.raises(KeyError):
            h.set_pain(9999, after=1)


@pytest.mark.parametrize("before,after,sharp,radiating,stop", [
    (3, 3, False, False, False),
    (3, 2, False, False, False),
    (None, 4, False, False, False),
    (2, 3, False, False, True),   # rising
    (0, 0, True, False, True),    # sharp
    (5, 1, False, True, True),    # radiating, even though better
])
def test_stop_rule(before, after, sharp, radiating, stop):
    advice = pain_advice(before, after, sharp=sharp, radiating=radiating)
    assert (advice is not None) == stop
    if stop:
        assert "clinician" in advice


def test_migrates_v1_file_keeping_data(tmp_path):
    path = tmp_path / "old.sqlite3"
    con = sqlite3.connect(path, isolation_level=None)
    hmod.MIGRATIONS[0](con)
    con.execute("PRAGMA user_version = 1")
    con.execute("""INSERT INTO sessions (created_at, exercise, source, duration_s, reps_left, reps_right, hold_s,
                   good_form_s, cant_judge_s, rep_count, details_json)
                   VALUES ('2026-10-01T10:00:00+00:00', 'bird_dog', 'live', 30, 1, 1, 2, 1.5, 0, 2, '{}')""")
    con.executemany("INSERT INTO reps VALUES (1, ?, ?, 0, 1, 0.5, ?, '[]', '')",
                    [(0, "left", "good"), (1, "right", "fault")])
    con.close()
    with History(path) as h:
        assert h.schema_version == SCHEMA_VERSION == 3
        row = h.get(1)
        assert row.exercise == "bird_dog" and row.reps == 2
        assert row.fault_rate == pytest.approx(0.5) and row.pain_after is None
        assert h.check() == []
        _save(h)  # the new columns and the faults table work
    with History(path) as h:  # re-opening does not migrate again
        assert h.schema_version == SCHEMA_VERSION and len(h.sessions()) == 2


def test_refuses_newer_schema_and_garbage(tmp_path):
    newer = tmp_path / "new.sqlite3"
    con = sqlite3.connect(newer)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(HistoryError, match="newer formcoach"):
        History(newer)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(HistoryError):
        History(junk)
    with pytest.raises(HistoryError):
        History(tmp_path)  # a directory


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    with History(tmp_path / "h.sqlite3") as h:
        sm = make_summary()
        bad = NewSession.from_summary(sm, source="upload", duration_s=1.0, details={"x": float("nan")})
        with pytest.raises(ValueError):
            h.save_session(bad)  # NaN is not JSON: refused before anything is written
        # fail *inside* the transaction, after the session row is inserted
        real = h._con

        class Boom:
            def __getattr__(self, k):
                return getattr(real, k)

            def executemany(self, sql, rows):
                if "faults" in sql:
                    raise sqlite3.OperationalError("disk full (simulated)")
                return real.executemany(sql, rows)

            def execute(self, *a):
                return real.execute(*a)

        h._con = Boom()
        with pytest.raises(sqlite3.OperationalError):
            _save(h)
        h._con = real
        assert h.sessions() == [] and h.check() == []
        assert real.execute("SELECT COUNT(*) FROM reps").fetchone()[0] == 0


def test_sigkill_while_writing_leaves_only_whole_sessions(tmp_path):
    """Kill a writer with SIGKILL mid-stream, three times; every committed session stays whole."""
    db = tmp_path / "crash.sqlite3"
    committed: list[int] = []
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for round_ in range(3):
        p = subprocess.Popen([sys.executable, "-m", "tests.history_helpers", str(db)], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            for _ in range(8 + 5 * round_):
                line = p.stdout.readline()
                assert line, p.stderr.read()
                committed.append(int(line))
        finally:
            time.sleep(random.uniform(0, 0.02))  # land anywhere in the next session's write
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
        assert p.returncode == -signal.SIGKILL
    with History(db) as h:
        assert h.check() == []
        ids = {s.id for s in h.sessions()}
        assert set(committed) <= ids
        for sid in committed:
            row = h.get(sid)
            assert len(h.reps(sid)) == row.rep_count >= 150
            assert len(h.faults(sid)) == row.fault_count == 20
            assert "i" in h.details(sid)
        # the file is still writable after the crashes
        _save(h)
        assert h.check() == []

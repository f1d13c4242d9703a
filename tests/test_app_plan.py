"""The "Plan and progress" page under Streamlit's AppTest: today's plan with reasons, the 24-hour check-in,
plan import (a bad file changes nothing), and the report download."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

from history_helpers import make_summary
from streamlit.testing.v1 import AppTest

from formcoach.history import History, NewSession
from formcoach.plan import default_plan

APP = str(Path(__file__).resolve().parents[1] / "app.py")
MONDAY = date(2026, 11, 2)


def _db(tmp_path) -> Path:
    db = tmp_path / "data" / "history.sqlite3"
    with History(db) as h:
        h.save_plan(default_plan(MONDAY).to_json(), origin="default")
        sm = replace(make_summary(0, "plank", 0), hold_s=13.0, good_form_s=12.0)
        for k in (0, 1):
            h.save_session(NewSession.from_summary(sm, source="live", duration_s=20.0, created_at=datetime.combine(
                MONDAY + timedelta(days=k), time(10)).astimezone()))
    return db


def _app(tmp_path, monkeypatch, db: Path, day: date) -> AppTest:
    monkeypatch.setenv("FORMCOACH_DB", str(db))
    monkeypatch.chdir(tmp_path)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["mode"] = "Plan and progress"
    at.run()
    at.date_input(key="plan_day").set_value(day).run()
    assert not at.exception, at.exception
    return at


def _plan_rows(at) -> dict:
    df = next(d.value for d in at.dataframe if "dose" in d.value.columns)
    return {r["exercise"]: r for r in df.to_dict("records")}


def test_plan_page_shows_today_with_reasons_and_steps_back_on_checkin(tmp_path, monkeypatch):
    db = _db(tmp_path)
    at = _app(tmp_path, monkeypatch, db, MONDAY + timedelta(days=7))
    rows = _plan_rows(at)
    assert rows["Plank (knees)"]["dose"] == "3 x 11 s hold"
    assert "targets met with good form 2 sessions in a row" in rows["Plank (knees)"]["why"]
    assert rows["Pelvic tilts"]["step"] == "not checked by formcoach"
    assert "Dead bug" not in rows  # subacute only
    links = " ".join(str(m.value) for m in at.markdown)
    assert "(/?exercise=plank&sets=3&hold=11&rest=30&level=knees_15)" in links  # the guided set's targets
    prog = next(d.value for d in at.dataframe if "sessions / planned" in d.value.columns)
    assert prog.iloc[0]["sessions / planned"] == "2 / 12"
    at.radio(key="checkin_answer").set_value("Yes, worse")
    submit = [b for b in at.button if b.label == "Save check-in"]
    assert submit, "no check-in button"
    submit[0].click().run()
    assert not at.exception, at.exception
    assert any("Check-in saved" in str(x.value) for x in at.success)
    rows = _plan_rows(at)
    assert rows["Plank (knees)"]["dose"] == "3 x 10 s hold" and "24-hour check-in" in rows["Plank (knees)"]["why"]
    with History(db) as h:
        assert h.checkins()[-1]["answer"] == "worse"


def test_plan_page_refuses_a_bad_plan_file_and_makes_a_report(tmp_path, monkeypatch):
    db = _db(tmp_path)
    at = _app(tmp_path, monkeypatch, db, MONDAY + timedelta(days=2))
    bad = default_plan(MONDAY).to_dict()
    bad["ladders"]["plank"][2]["hold_s"] = 40
    at.file_uploader(key="plan_upload").upload("bad.json", json.dumps(bad).encode(), "application/json").run()
    at.button(key="import_plan").click().run()
    errors = [str(e.value) for e in at.error]
    assert any(e.startswith("Plan not imported: ladders.plank[2]") for e in errors), errors
    with History(db) as h:
        assert h.plan_count() == 1
    at.button(key="prepare_report").click().run()
    assert not at.exception, at.exception
    labels = [str(b.proto.label) for b in at.get("download_button")]
    assert {"Download PDF", "Download HTML", "Download plan file"} <= set(labels)

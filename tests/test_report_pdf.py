"""The physiotherapist's report (PDF and HTML), ``formcoach plan`` / ``report`` / ``analyze --save``,
and the synthetic fortnight of tools/plan_week.py."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import SAMPLE_VIDEOS
from history_helpers import make_summary

from exercises.dead_bug import NOT_CHECKED
from formcoach import cli
from formcoach.history import History, KeyFrame, NewSession
from formcoach.plan import default_plan
from formcoach.reportpdf import DISCLAIMER, collect_range, collect_session, render_html, render_pdf

ROOT = Path(__file__).resolve().parents[1]
MONDAY = date(2026, 11, 2)
POPPLER = all(shutil.which(t) for t in ("pdfimages", "pdftoppm", "pdftotext"))
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdfimages, pdftoppm) not installed")

# two key frames with distinct solid colours (BGR) and sizes, so each can be found in the PDF
FRAMES = {"fault": ((40, 40, 220), (480, 360)), "best": ((60, 190, 60), (320, 240))}
DEAD_BUG_NOT_CHECKED = {str(k): why for k, why in NOT_CHECKED.items()}  # as a saved session's details keep it


def _jpeg(bgr, size) -> bytes:
    w, h = size
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = bgr
    cv2.rectangle(img, (w // 4, h // 4), (3 * w // 4, 3 * h // 4), (255, 255, 255), -1)
    return cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()


def _history(tmp_path) -> tuple[Path, int]:
    db = tmp_path / "h.sqlite3"
    with History(db) as h:
        h.save_plan(default_plan(MONDAY).to_json(), origin="default")
        t = [i * 0.1 for i in range(200)]
        details = {"chart_series": {"t_s": t, "arch_deg": [5 + 10 * (1.0 < x < 1.5) for x in t],
                                    "leg_elevation_deg": [None if x < 0.5 else 30.0 for x in t]},
                   "extra": {"not_checked": dict(DEAD_BUG_NOT_CHECKED)}}
        kfs = [KeyFrame(kind, f"{kind} frame", 1.2, _jpeg(*FRAMES[kind])) for kind in ("fault", "best")]
        when = datetime.combine(MONDAY + timedelta(days=15), time(10)).astimezone()
        sid = h.save_session(NewSession.from_summary(make_summary(), source="upload", duration_s=20.0,
                                                     details=details, pain_before=3, created_at=when, keyframes=kfs))
        h.set_pain(sid, after=6)
        h.save_session(NewSession.from_summary(
            replace(make_summary(0, "plank", 0), hold_s=14.0, good_form_s=12.0), source="live", duration_s=18.0,
            created_at=when - timedelta(days=1)))
        h.save_checkin((MONDAY + timedelta(days=15)).isoformat(), "same")
    return db, sid


def test_session_report_content(tmp_path):
    db, sid = _history(tmp_path)
    with History(db) as h:
        data = collect_session(h, sid)
    s = data.sessions[0]
    assert s.planned is not None and s.planned.exercise == "dead_bug" and s.planned.reps_per_side == 10
    assert [k.kind for k in s.keyframes] == ["fault", "best"] and len(s.reps) == 4
    page = render_html(data)
    assert page.count("data:image/jpeg;base64,") == 2 and "<polyline" in page
    assert DISCLAIMER in page and "before 3/10, after 6/10" in page and "see a clinician" in page
    assert "Dead bug: 1 x 10 per side" in page  # plan vs done
    # what the checker never judged is said for the session, with why (a physio must not read silence as "fine")
    assert s.not_checked == list(DEAD_BUG_NOT_CHECKED.values())
    assert "Lower-back arch: not checked" in page and "Holding the breath: not checked" in page


@needs_poppler
def test_pdf_embeds_the_key_frames_and_renders(tmp_path):
    db, sid = _history(tmp_path)
    with History(db) as h:
        pdf = render_pdf(collect_session(h, sid))
    assert pdf.startswith(b"%PDF")
    out = tmp_path / "s.pdf"
    out.write_bytes(pdf)
    listing = subprocess.run(["pdfimages", "-list", str(out)], capture_output=True, text=True, check=True).stdout
    images = [line.split() for line in listing.splitlines()[2:]]
    assert sorted((int(r[3]), int(r[4]), r[8]) for r in images) == [(320, 240, "jpeg"), (480, 360, "jpeg")]
    subprocess.run(["pdfimages", "-j", str(out), str(tmp_path / "img")], check=True)
    got = sorted(tmp_path.glob("img-*.jpg"), key=lambda p: p.stat().st_size, reverse=True)
    for path, kind in zip(got, ("fault", "best")):  # the bigger image is the 480 x 360 fault frame
        img = cv2.imread(str(path))
        want = cv2.imdecode(np.frombuffer(_jpeg(*FRAMES[kind]), np.uint8), cv2.IMREAD_COLOR)
        assert img.shape == want.shape and np.abs(img.astype(int) - want).mean() < 3
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    for needle in ("Feedback on movement, not a diagnosis", "Plan vs done", "before 3/10, after 6/10",
                   "Each rep", "Key frames", "low back arch", "Lower-back arch: not checked",
                   "Holding the breath: not checked"):
        assert needle in text, needle
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(out), str(tmp_path / "page")],
                   check=True)
    page = cv2.imread(str(next(tmp_path.glob("page*.png"))))
    for bgr, _ in FRAMES.values():  # both stills are visible on the rendered page
        near = np.all(np.abs(page.astype(int) - bgr) < 40, axis=2)
        assert near.sum() > 200, bgr


@needs_poppler
def test_range_report_has_overview_and_every_session(tmp_path):
    db, _ = _history(tmp_path)
    with History(db) as h:
        data = collect_range(h, MONDAY + timedelta(days=14), MONDAY + timedelta(days=15))
    assert [s.row.exercise for s in data.sessions] == ["plank", "dead_bug"]
    assert {r["exercise"] for r in data.progress} >= {"plank", "dead_bug"} and data.checkins
    out = tmp_path / "r.pdf"
    out.write_bytes(render_pdf(data))
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True).stdout
    assert int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages"))) >= 3
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "Progress and adherence by week" in text and "24-hour check-ins" in text


@pytest.fixture(autouse=True)
def _keep_stderr(monkeypatch):
    monkeypatch.setenv("FORMCOACH_DEBUG", "1")  # in-process: keep sys.stderr (capsys) instead of fd 2 tricks


def _cli(capsys, *argv) -> tuple[int, str, str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as e:  # argparse
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_plan_new_user_import_export_checkin(tmp_path, capsys):
    db = str(tmp_path / "h.sqlite3")
    code, out, _ = _cli(capsys, "plan", "--db", db, "--date", "2026-11-02")
    assert code == 0 and "New plan" in out and "Plank (knees): 3 x 10 s hold" in out and "acute" in out
    code, out, _ = _cli(capsys, "plan", "--db", db, "--date", "2026-11-08", "--json")
    d = json.loads(out)
    assert d["rest_day"] is True and d["week"] == 1 and {i["exercise"] for i in d["items"]} >= {"plank"}
    exported = tmp_path / "p.json"
    assert _cli(capsys, "plan", "--db", db, "--export", str(exported))[0] == 0
    plan = json.loads(exported.read_text())
    plan["ladders"]["plank"][0]["sets"] = 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(plan))
    with History(db) as h:
        n_plans = h.plan_count()
    code, _, err = _cli(capsys, "plan", "--db", db, "--import", str(bad))
    assert code == 2 and err.count("\n") == 1 and "ladders.plank[0].sets" in err
    with History(db) as h:
        assert h.plan_count() == n_plans
    code, out, _ = _cli(capsys, "plan", "--db", db, "--date", "2026-11-03", "--check-in", "worse")
    assert code == 0 and "check-in for 2026-11-03: worse" in out and "24-hour check-in" in out
    assert _cli(capsys, "plan", "--db", db, "--check-in", "awful")[0] == 2  # argparse refuses it


def test_cli_report_errors_are_one_line(tmp_path, capsys):
    db, sid = _history(tmp_path)
    code, _, err = _cli(capsys, "report", "999", "--db", str(db), "--pdf", str(tmp_path / "x.pdf"))
    assert code == 2 and "no session 999" in err and err.count("\n") == 1
    code, _, err = _cli(capsys, "report", str(sid), "--db", str(db))
    assert code == 2 and "--pdf" in err
    code, _, _ = _cli(capsys, "report", str(sid), "--db", str(db), "--html", str(tmp_path / "s.html"))
    assert code == 0 and (tmp_path / "s.html").read_text().count("data:image/jpeg") == 2
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.slow
@needs_poppler
def test_analyze_save_then_report_has_real_key_frames(tmp_path, capsys):
    clip = SAMPLE_VIDEOS / "bird_dog_leg_high.mp4"  # a fault the checkers judge (the dead-bug arch is not checked)
    if not clip.is_file():
        pytest.skip("sample clip missing")
    db = str(tmp_path / "h.sqlite3")
    code, _, err = _cli(capsys, "analyze", str(clip), "--exercise", "bird_dog", "-q", "--save", "--pain-before", "2",
                        "--db", db)
    assert code == 0 and "saved as session 1" in err
    with History(db) as h:
        row, kfs, faults = h.get(1), h.keyframes(1), h.faults(1)
        assert row.pain_before == 2 and h.details(1)["chart_series"]["leg_elevation_deg"]
    assert {k.kind for k in kfs} == {"fault", "best"}
    for k in kfs:
        if k.kind == "fault":  # the worst frame lies inside one of that fault's intervals
            assert any(f["start_s"] - 0.2 <= k.t_s <= f["end_s"] + 0.2 for f in faults), (k.t_s, faults)
        img = cv2.imdecode(np.frombuffer(k.jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert img is not None and img.shape[1] <= 480
    out = tmp_path / "s.pdf"
    assert _cli(capsys, "report", "1", "--db", db, "--pdf", str(out))[0] == 0
    listing = subprocess.run(["pdfimages", "-list", str(out)], capture_output=True, text=True, check=True).stdout
    assert len(listing.splitlines()) - 2 == len(kfs)


def test_plan_week_moves_exactly_as_the_rules_say(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "plan_week.py"), "--db", str(tmp_path / "w.sqlite3"),
                        "--markdown"], capture_output=True, text=True, check=True)
    rows = [line.split(" | ") for line in r.stdout.splitlines()[2:]]
    got = [(row[0].strip("| "), row[4], row[6]) for row in rows]
    assert got == [
        ("Mon 2026-11-02", "3 x 10 s hold", "start"),
        ("Tue 2026-11-03", "3 x 10 s hold", "hold"),
        ("Wed 2026-11-04", "3 x 10 s hold", "hold"),
        ("Thu 2026-11-05", "3 x 10 s hold", "hold"),  # the day-2 session missed its target
        ("Fri 2026-11-06", "3 x 10 s hold", "hold"),
        ("Sat 2026-11-07", "3 x 10 s hold", "hold"),
        ("Sun 2026-11-08", "rest day", "hold"),
        ("Mon 2026-11-09", "3 x 11 s hold", "advance"),  # a week after the start: +10 %
        ("Tue 2026-11-10", "3 x 10 s hold", "step_back"),  # pain 1 -> 3
        ("Wed 2026-11-11", "3 x 10 s hold", "step_back"),  # check-in: worse
        ("Thu 2026-11-12", "3 x 10 s hold", "hold"),
        ("Fri 2026-11-13", "3 x 10 s hold", "hold"),
        ("Sat 2026-11-14", "STOP", "stop"),  # sharp pain on Friday
        ("Sun 2026-11-15", "rest day", "resume"),  # check-in better, clinician seen
        ("Mon 2026-11-16", "3 x 10 s hold", "hold"),  # subacute: dead bug and bird-dog added
    ]
    assert "added: Dead bug" in rows[-1][7]

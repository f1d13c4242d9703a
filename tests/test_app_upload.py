"""The page's upload and review flows under Streamlit's AppTest (no browser).

The upload test runs with every network connection refused in-process: uploading, analysing,
charting and saving to history must all work offline.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from app_helpers import FAULT_CLIPS, REP_CLIPS, block_network, pick
from streamlit.testing.v1 import AppTest

from formcoach.history import History

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 240


def _app(tmp_path, monkeypatch, mode: str) -> AppTest:
    monkeypatch.setenv("FORMCOACH_DB", str(tmp_path / "data" / "history.sqlite3"))
    monkeypatch.chdir(tmp_path)  # nothing may be written relative to the working directory either
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["mode"] = mode
    return at.run()


def _upload(at: AppTest, path: Path, exercise: str, name: str | None = None) -> AppTest:
    at.sidebar.selectbox(key="exercise").set_value(exercise).run()
    at.file_uploader(key="upload").upload(name or path.name, path.read_bytes(), "video/mp4").run()
    return at.button(key="analyse").click().run()


def _texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


@pytest.mark.slow
def test_upload_shows_reps_chart_video_and_saves_history_offline(tmp_path, monkeypatch):
    attempts = block_network(monkeypatch)
    path, exercise = pick(REP_CLIPS)
    at = _app(tmp_path, monkeypatch, "Upload a video")
    assert not at.exception
    at = _upload(at, path, exercise, name="../../../evil/" + path.name)
    assert not at.exception, at.exception
    assert not at.error or all("Stop if you feel" in t for t in _texts(at.error)), _texts(at.error)
    # per-rep table, angle chart and the annotated video are on the page
    tables = [d for d in at.dataframe if "verdict" in d.value.columns and "side" in d.value.columns]
    assert tables, "no per-rep table"
    reps = tables[0].value
    assert len(reps) >= 1 and set(reps["side"]) <= {"left", "right"}
    assert {"duration_s", "hold_s", "faults"} <= set(reps.columns)
    assert at.get("vega_lite_chart"), "no angle chart"
    assert at.get("video"), "no annotated video"
    assert len(at.get("download_button")) == 3
    saved = [t for t in _texts(at.success) if t.startswith("Saved to history")]
    assert saved
    # the history row matches what the page showed
    with History(tmp_path / "data" / "history.sqlite3") as h:
        rows = h.sessions()
        assert len(rows) == 1 and rows[0].source == "upload" and rows[0].exercise == exercise
        assert rows[0].rep_count == len(reps) and rows[0].video_path is None
        assert h.details(rows[0].id)["uploaded_as"] == path.name
    # privacy: the upload's name chose nothing; nothing was written outside the data dir
    assert not (tmp_path / "evil").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["data"]
    assert sorted(p.name for p in (tmp_path / "data").iterdir() if not p.name.startswith("history")) == []
    assert attempts == []


@pytest.mark.slow
def test_upload_plank_then_review_pain_and_delete(tmp_path, monkeypatch):
    path, exercise = pick(FAULT_CLIPS)
    at = _app(tmp_path, monkeypatch, "Upload a video")
    at.sidebar.select_slider(key="pain_before").set_value(2).run()
    at.checkbox(key="keep").check().run()
    at = _upload(at, path, exercise)
    assert not at.exception, at.exception
    assert at.get("vega_lite_chart")
    db = tmp_path / "data" / "history.sqlite3"
    with History(db) as h:
        (row,) = h.sessions()
        assert row.pain_before == 2 and row.exercise == "plank"
        kept = Path(row.video_path)
        assert kept.parent == tmp_path / "data" / "videos" and kept.is_file()  # kept only because asked
    # review: the session is listed; rising pain triggers the stop advice
    at.sidebar.radio(key="mode").set_value("Review history").run()
    assert not at.exception, at.exception
    table = next(d for d in at.dataframe if "pain before" in d.value.columns).value
    assert list(table["id"]) == [row.id]
    assert at.get("vega_lite_chart"), "no progress chart"
    at.button[0].click().run()  # "Save pain rating" untouched: nothing is recorded as a 0
    assert any("nothing was saved" in t for t in _texts(at.warning)), _texts(at.warning)
    with History(db) as h:
        assert h.get(row.id).pain_after is None
    at.select_slider[0].set_value(5)  # the pain-after form is the only select slider in the main area ...
    at.button[0].click().run()  # ... sent with "Save pain rating" (form submit)
    stop = [t for t in _texts(at.error) if "clinician" in t and "rose from 2 to 5" in t]
    assert stop, _texts(at.error)
    with History(db) as h:
        assert h.get(row.id).pain_after == 5
    at.checkbox(key=f"confirm_del_{row.id}").check().run()
    at.button(key="delete").click().run()
    assert not at.exception, at.exception
    with History(db) as h:
        assert h.sessions() == []
    assert not kept.exists()
    assert any("No sessions yet" in t for t in _texts(at.info))


def test_bad_upload_gives_one_clear_error_and_saves_nothing(tmp_path, monkeypatch):
    at = _app(tmp_path, monkeypatch, "Upload a video")
    at.file_uploader(key="upload").upload("holiday.mp4", b"\x00not a video at all" * 100, "video/mp4").run()
    at.button(key="analyse").click().run()
    assert not at.exception, at.exception
    errors = [t.replace("\\", "") for t in _texts(at.error)]  # Markdown source: the name is escaped
    errors = [t for t in errors if "holiday.mp4" in t]
    assert len(errors) == 1 and "upload.mp4" not in errors[0] and str(tmp_path) not in errors[0]
    assert not at.get("video") and not at.get("vega_lite_chart")
    assert History(tmp_path / "data" / "history.sqlite3").sessions() == []


def test_guide_and_safety_for_every_exercise(tmp_path, monkeypatch):
    from exercises.registry import EXERCISES

    at = _app(tmp_path, monkeypatch, "Exercise guide")
    for name, spec in EXERCISES.items():
        at.sidebar.selectbox(key="exercise").set_value(name).run()
        assert not at.exception
        assert [h.value for h in at.header] == [f"Exercise guide: {spec.display_name}"]
        assert [s.value for s in at.subheader] == ["Camera set-up", "What each camera placement checks",
                                                  "What formcoach checks", "Targets", "What it cannot see"]
        page = " ".join(_texts(at.markdown) + _texts(at.info) + _texts(at.warning))
        assert "not a diagnosis" in page and "sharp, shooting or radiating pain" in page
        for k in ("setup", "views", "checks", "targets", "limits"):
            assert spec.guide.get(k, "") in page
    # the safety line and the not-a-diagnosis note are in the sidebar on every page
    side = " ".join(_texts(at.sidebar.error) + _texts(at.sidebar.caption))
    assert "sharp, shooting or radiating pain" in side and "not a diagnosis" in side


def test_review_empty_history(tmp_path, monkeypatch):
    at = _app(tmp_path, monkeypatch, "Review history")
    assert not at.exception
    assert any("No sessions yet" in t for t in _texts(at.info))


def test_history_path_cannot_be_chosen_from_the_browser(tmp_path, monkeypatch):
    at = _app(tmp_path, monkeypatch, "Review history")
    assert not at.exception
    assert not [t for t in at.sidebar.text_input if t.label == "History file"]  # no path box for visitors
    db = str(tmp_path / "data" / "history.sqlite3")
    assert any(db in t for t in _texts(at.sidebar.caption))  # shown, from FORMCOACH_DB
    assert any(db in t for t in _texts(at.caption))


def test_malformed_ice_servers_show_an_error_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.setenv("FORMCOACH_ICE_SERVERS", "stun:stun.example.org")  # not JSON
    at = _app(tmp_path, monkeypatch, "Practise live")
    assert not at.exception, at.exception
    assert any("FORMCOACH_ICE_SERVERS is not valid JSON" in t for t in _texts(at.error))

"""History files formcoach must not use as they are (issue 12): one clear message, nothing changed.

* a file whose header is intact but whose pages are zeroed: every call says "damaged", the page
  shows one error and keeps working, the file's bytes stay as they were;
* a read-only folder: reported as read-only (not as "not a formcoach history file");
* another program's SQLite file: refused untouched (no formcoach tables, no switch to WAL).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from history_helpers import make_summary

from formcoach.history import History, HistoryError, NewSession

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def _filled(path: Path, n: int = 40) -> Path:
    with History(path) as h:
        for i in range(n):
            h.save_session(NewSession.from_summary(make_summary(n_reps=6), source="upload", duration_s=10.0 + i,
                                                   details={"pad": "x" * 2000}))
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    return path


def _zero_pages_after_the_first(path: Path) -> bytes:
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    assert len(data) >= 8 * page
    data[page:] = bytes(len(data) - page)  # page 1 (header and schema) intact, the rest zeroed
    path.write_bytes(bytes(data))
    return bytes(data)


def test_zeroed_pages_give_one_clear_error_and_change_nothing(tmp_path):
    db = _filled(tmp_path / "history.sqlite3")
    damaged = _zero_pages_after_the_first(db)
    calls = {
        "sessions": lambda h: h.sessions(),
        "get": lambda h: h.get(1),
        "reps": lambda h: h.reps(1),
        "faults": lambda h: h.faults(1),
        "daily_progress": lambda h: h.daily_progress(),
        "set_pain": lambda h: h.set_pain(1, after=3),
        "delete_session": lambda h: h.delete_session(1),
        "save_session": lambda h: h.save_session(NewSession.from_summary(make_summary(), source="live",
                                                                         duration_s=5.0)),
    }
    for name, call in calls.items():
        with pytest.raises(HistoryError) as e:
            with History(db) as h:
                call(h)
        msg = str(e.value)
        assert "damaged" in msg and "\n" not in msg, (name, msg)
        assert db.read_bytes() == damaged, f"{name} changed the damaged file"


def _app(tmp_path, monkeypatch, db: Path, mode: str):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("FORMCOACH_DB", str(db))
    monkeypatch.chdir(tmp_path)
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["mode"] = mode
    return at.run()


def test_review_page_with_a_damaged_file_shows_one_error_and_keeps_working(tmp_path, monkeypatch):
    db = _filled(tmp_path / "data" / "history.sqlite3")
    damaged = _zero_pages_after_the_first(db)
    at = _app(tmp_path, monkeypatch, db, "Review history")
    assert not at.exception, at.exception
    errors = [str(e.value) for e in at.main.error]  # the sidebar keeps its safety note
    assert len(errors) == 1 and "damaged" in errors[0], errors
    at.sidebar.radio(key="mode").set_value("Exercise guide").run()  # the rest of the app still works
    assert not at.exception and at.header[0].value.startswith("Exercise guide")
    assert db.read_bytes() == damaged


def test_another_programs_sqlite_file_is_refused_untouched(tmp_path):
    other = tmp_path / "contacts.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
    con.execute("INSERT INTO contacts VALUES ('Ann', '123')")
    con.commit()
    con.close()
    before = other.read_bytes()
    with pytest.raises(HistoryError) as e:
        History(other)
    assert "another program" in str(e.value) and "contacts" in str(e.value)
    assert other.read_bytes() == before  # no formcoach tables, still a rollback-journal file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["contacts.db"]
    con = sqlite3.connect(other)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert [r[0] for r in con.execute("SELECT name FROM sqlite_master")] == ["contacts"]
    con.close()
    # an empty file, or one formcoach made, is still fine
    (tmp_path / "empty.sqlite3").write_bytes(b"")
    with History(tmp_path / "empty.sqlite3") as h:
        assert h.sessions() == []


def _as_unprivileged(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` where file permissions apply: as is for a normal user; for root, in a user namespace
    (``unshare -U``: the same files, no capability to override their modes)."""
    cmd = [sys.executable, "-c", code]
    if os.geteuid() == 0:
        unshare = shutil.which("unshare")
        probe = unshare and subprocess.run([unshare, "-U", "true"], capture_output=True)
        if not probe or probe.returncode != 0:
            pytest.skip("running as root without user namespaces: file modes cannot be enforced")
        cmd = [unshare, "-U", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.parametrize("existing", [False, True])
def test_a_read_only_folder_is_reported_as_read_only(tmp_path, existing):
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "history.sqlite3"
    if existing:
        _filled(db, n=2)
    folder.chmod(0o555)
    try:
        r = _as_unprivileged(
            "import sys\nfrom formcoach.history import History, HistoryError\n"
            f"try:\n    History({str(db)!r}).sessions()\nexcept HistoryError as e:\n    print(e)\n"
            "else:\n    print('opened')\n")
    finally:
        folder.chmod(0o755)
    assert r.returncode == 0, r.stderr
    assert "read-only" in r.stdout and "not a formcoach history file" not in r.stdout, r.stdout
    assert sorted(p.name for p in folder.iterdir()) == (["history.sqlite3"] if existing else [])

"""Upload handling without Streamlit: names never choose paths, temp files never stay."""

from __future__ import annotations

import pytest
from history_helpers import make_summary

from formcoach.upload import (
    MAX_UPLOAD_MB,
    UploadError,
    analyse_upload,
    check_upload,
    display_name,
    rep_rows,
    rows_to_csv,
)


@pytest.mark.parametrize("name,shown", [
    ("plank.mp4", "plank.mp4"),
    ("../../etc/passwd.mp4", "passwd.mp4"),
    ("/abs/path/x.MOV", "x.MOV"),
    ("C:\\Users\\me\\clip.mp4", "clip.mp4"),
    ("..", "video"),
    ("", "video"),
    (None, "video"),
    ("a\x00b\n.mp4", "ab.mp4"),
    ("x" * 200 + ".mp4", "x" * 75 + "\u2026.mp4"),
    ("y" * 200, "y" * 79 + "\u2026"),
])
def test_display_name(name, shown):
    assert display_name(name) == shown


def test_check_upload():
    assert check_upload("a.MP4", 10) == ".mp4"
    assert check_upload("../x/a.webm", 10) == ".webm"
    with pytest.raises(UploadError, match="empty"):
        check_upload("a.mp4", 0)
    with pytest.raises(UploadError, match=f"over the {MAX_UPLOAD_MB} MB limit"):
        check_upload("a.mp4", MAX_UPLOAD_MB * 1024 * 1024 + 1)
    with pytest.raises(UploadError, match="not a video file"):
        check_upload("notes.txt", 10)
    with pytest.raises(UploadError, match="not a video file"):
        check_upload("evil.mp4/..", 10)


def test_bad_bytes_error_names_the_upload_not_the_temp_file(private_tmp):
    with pytest.raises(UploadError) as e:
        analyse_upload(b"garbage" * 50, "../my clip.mp4", "plank")
    msg = str(e.value)
    assert "my clip.mp4" in msg and "upload.mp4" not in msg and str(private_tmp) not in msg and "\n" not in msg
    assert list(private_tmp.iterdir()) == []  # the temp dir is gone


def test_no_person_is_an_upload_error(private_tmp, blank_video):
    with pytest.raises(UploadError, match="no person"):
        analyse_upload(blank_video.read_bytes(), "room.mp4", "plank")
    assert list(private_tmp.iterdir()) == []


def test_rep_rows_and_csv():
    rows = rep_rows(make_summary(3))
    assert [r["side"] for r in rows] == ["left", "right", "left"]
    assert rows[1]["faults"] == "lower back arching" and rows[1]["verdict"] == "fault"
    assert rows[0]["duration_s"] == 1.8
    csv = rows_to_csv(rows)
    assert csv.splitlines()[0] == ("rep,side,start_s,duration_s,hold_s,faults,not_checked,lowest_leg_deg,"
                                   "verdict,coaching")
    assert rows[0]["not_checked"] == "-"
    assert len(csv.splitlines()) == 4
    assert rep_rows(None) == [] and rows_to_csv([]) == ""


@pytest.mark.slow
def test_kept_only_when_asked_with_a_name_formcoach_chooses(private_tmp, tmp_path):
    from app_helpers import FAULT_CLIPS, pick

    path, exercise = pick(FAULT_CLIPS)
    data = path.read_bytes()
    r = analyse_upload(data, "../../escape/me.mp4", exercise)
    assert r.kept_video is None and r.annotated_mp4[4:8] == b"ftyp"
    assert list(private_tmp.iterdir()) == [] and not (tmp_path / "escape").exists()
    keep = tmp_path / "data" / "videos"
    r = analyse_upload(data, "../../escape/me.mp4", exercise, keep_dir=keep)
    assert r.kept_video.parent == keep and "me" not in r.kept_video.name and r.kept_video.suffix == ".mp4"
    assert r.kept_video.read_bytes() == r.annotated_mp4
    assert [p.name for p in keep.iterdir()] == [r.kept_video.name]
    assert list(private_tmp.iterdir()) == []
    assert r.report.video.file == f"upload{path.suffix.lower()}"


def test_long_names_keep_their_suffix():
    """A name over the 80-character display limit is still a video (the suffix is not cut off)."""
    name = "Physio session " + "very long name " * 8 + ".MP4"
    assert len(name) > 80
    assert check_upload(name, 10) == ".mp4"
    shown = display_name(name)
    assert len(shown) <= 80 and shown.startswith("Physio session") and shown.endswith(".MP4")
    with pytest.raises(UploadError, match="not a video file"):
        check_upload("x" * 200 + ".txt", 10)


_KILLED_UPLOAD = """
import sys, time
from formcoach.upload import analyse_upload

def stuck(fraction, stage):
    print("analysing", flush=True)
    time.sleep(600)

analyse_upload(open(sys.argv[1], "rb").read(), "my plank.mp4", "plank", progress=stuck)
"""


def test_upload_folders_of_a_killed_process_are_cleaned_at_start(tmp_path):
    """SIGKILL mid-upload leaves the raw video in $TMPDIR/formcoach-upload-*; the next start removes it,
    and only that: live uploads, other programs' folders and anything that is not a folder stay."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from conftest import ROOT, SAMPLE_VIDEOS

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen([sys.executable, "-c", _KILLED_UPLOAD, str(SAMPLE_VIDEOS / "plank_clean.mp4")],
                         cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "analysing", p.stderr.read()
    finally:
        os.kill(p.pid, signal.SIGKILL)
        p.wait(30)
    (left,) = tmp.glob("formcoach-upload-*")
    assert (left / "upload.mp4").read_bytes() == (SAMPLE_VIDEOS / "plank_clean.mp4").read_bytes()

    # beside it: things the cleaner must leave alone
    other = tmp / "someone-else-upload-1"
    other.mkdir()
    fresh = tmp / "formcoach-upload-fresh"  # no owner file yet, just made: may be starting right now
    fresh.mkdir()
    old = tmp / "formcoach-upload-old"  # no owner file, a day old: an older formcoach's leftover
    old.mkdir()
    os.utime(old, (time.time() - 86400, time.time() - 86400))
    not_a_dir = tmp / "formcoach-upload-file"
    not_a_dir.write_text("keep")
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "precious.txt").write_text("keep")
    (tmp / "formcoach-upload-link").symlink_to(target, target_is_directory=True)

    r = subprocess.run([sys.executable, "-c", "import formcoach.upload"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=120)  # what the app does when it starts
    assert r.returncode == 0, r.stderr
    assert not left.exists() and not old.exists()
    assert other.is_dir() and fresh.is_dir() and not_a_dir.read_text() == "keep"
    assert (tmp / "formcoach-upload-link").is_symlink() and (target / "precious.txt").read_text() == "keep"


def test_an_upload_in_progress_is_never_cleaned(tmp_path, private_tmp):
    from formcoach.upload import clean_stale_uploads

    seen = []

    def during(fraction, stage):
        if not seen:
            seen.extend(private_tmp.glob("formcoach-upload-*"))
            assert clean_stale_uploads() == []  # this process is alive: its folder stays
            assert all(d.exists() for d in seen)

    from conftest import SAMPLE_VIDEOS

    analyse_upload((SAMPLE_VIDEOS / "plank_clean.mp4").read_bytes(), "p.mp4", "plank", progress=during)
    assert len(seen) == 1 and not seen[0].exists() and list(private_tmp.iterdir()) == []


def test_deleting_a_session_removes_only_formcoachs_own_kept_video(tmp_path):
    """The kept video goes with its session; a video path outside the kept-videos folder (an edited or
    damaged history) is never deleted."""
    from formcoach.history import History, NewSession
    from formcoach.upload import delete_session, kept_videos_dir

    db = tmp_path / "data" / "history.sqlite3"
    db.parent.mkdir()
    own = kept_videos_dir(db) / "own-annotated.mp4"
    own.parent.mkdir()
    own.write_bytes(b"video")
    foreign = tmp_path / "precious.mp4"
    foreign.write_bytes(b"not ours")
    with History(db) as h:
        ids = []
        for video in (own, foreign):
            ids.append(h.save_session(NewSession.from_summary(make_summary(), source="upload", duration_s=10.0,
                                                              video_path=str(video))))
        assert delete_session(h, ids[0], db) is True
        assert delete_session(h, ids[1], db) is True
        assert delete_session(h, ids[1], db) is False
        assert h.sessions() == []
    assert not own.exists()
    assert foreign.read_bytes() == b"not ours"

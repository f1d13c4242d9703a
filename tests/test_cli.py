"""The CLI end to end: bad inputs give one clear line and a non-zero exit, and leave no output file."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, make_audio_only, make_video, shared_video


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "formcoach", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=300)


def _truncated_moov_at_end(d):
    frames = [np.full((120, 160, 3), 100, np.uint8) for _ in range(30)]
    full = make_video(d / "full.mp4", frames)  # PyAV default: moov after mdat
    data = full.read_bytes()
    p = d / "truncated.mp4"
    p.write_bytes(data[: len(data) // 2])
    return p


def _truncated_moov_at_front(d):
    src = shared_video("gymnai_plank.mp4")  # faststart: index first, media cut short
    p = d / "cut.mp4"
    p.write_bytes(src.read_bytes()[:100_000])
    return p


def _text(d):
    p = d / "notes.mp4"
    p.write_text("shopping list\n" * 100)
    return p


def _empty(d):
    p = d / "empty.mp4"
    p.write_bytes(b"")
    return p


CASES = {
    "missing path": (lambda d: d / "nope.mp4", "no such file"),
    "directory": (lambda d: d, "is a directory"),
    "zero-byte file": (_empty, "empty"),
    "text renamed .mp4": (_text, "not a readable video"),
    "truncated (index at end)": (_truncated_moov_at_end, "not a readable video"),
    "truncated (index first)": (_truncated_moov_at_front, "truncated"),
    "audio-only": (lambda d: make_audio_only(d / "a.mp4"), "no video stream"),
    "no person": (lambda d: make_video(d / "room.mp4", [np.full((240, 320, 3), 128, np.uint8)] * 20, fps=10),
                  "no person found"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_one_line_nonzero_no_output(tmp_path, case):
    make, reason = CASES[case]
    video = make(tmp_path)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    r = run_cli("analyze", video, "--json", out / "r.json", "--annotated", out / "a.mp4",
                "--landmarks", out / "l.npz")
    assert r.returncode != 0
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("formcoach: error:") and reason in lines[0]
    assert "Traceback" not in r.stderr
    assert list(out.iterdir()) == []  # nothing written, not even a partial file
    assert r.stdout == ""


def test_unknown_exercise_lists_valid_names(tmp_path):
    r = run_cli("analyze", tmp_path / "x.mp4", "--exercise", "burpee")
    assert r.returncode == 2
    assert "burpee" in r.stderr and "plank" in r.stderr


@pytest.mark.slow
def test_analyze_real_plank_writes_report_and_playable_video(tmp_path):
    import av

    video = shared_video("gymnai_plank.mp4")
    r = run_cli("analyze", video, "--json", tmp_path / "r.json", "--annotated", tmp_path / "a.mp4")
    assert r.returncode == 0, r.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["schema"] == "formcoach.report/1"
    assert report["detection_rate"] >= 0.95
    assert len(report["series"]["t_s"]) == report["frames"] == 240
    with av.open(str(tmp_path / "a.mp4")) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264" and s.codec_context.pix_fmt == "yuv420p"
        assert sum(1 for _ in c.decode(s)) == 240
    brief = json.loads(r.stdout)
    assert brief["detection_rate"] == report["detection_rate"]


def test_brief_lists_each_rep_with_its_verdict_and_what_was_not_checked(tmp_path):
    video = ROOT / "sample_videos" / "bird_dog_leg_high.mp4"  # R L R, the last right rep lifts the leg 20 deg
    r = run_cli("analyze", video, "--exercise", "bird_dog", "-q")
    assert r.returncode == 0, r.stderr
    brief = json.loads(r.stdout)
    reps = brief["reps"]
    assert [line.split()[1] for line in reps] == ["right", "left", "right"]
    assert "fault: Lift the leg only to hip height" in reps[2]
    assert "good:" in reps[0] and "Not checked" not in reps[0]
    # What the exercise never checks is said once for the set, with why (the per-rep lines stay short).
    assert [line.split(":")[0] for line in brief["not_checked"]] == ["Hips level (no rotation)", "Back sagging"]
    assert "does not diagnose" in brief["safety"]


@pytest.mark.parametrize("flags", [
    ("--json", "{v}"), ("--annotated", "{v}"), ("--landmarks", "{v}"), ("--json", "./{name}"),
    ("--annotated", "{link}"), ("--json", "{d}/r.out", "--annotated", "{d}/sub/../r.out"),
])
def test_an_output_that_is_the_input_or_another_output_is_refused(tmp_path, flags):
    import shutil

    video = shutil.copy(ROOT / "sample_videos" / "plank_clean.mp4", tmp_path / "in.mp4")
    (tmp_path / "link.mp4").symlink_to(video)
    (tmp_path / "sub").mkdir()
    before = (tmp_path / "in.mp4").read_bytes()
    args = [f.format(v=video, name="in.mp4", link=tmp_path / "link.mp4", d=tmp_path) for f in flags]
    r = run_cli("analyze", video, "--exercise", "plank", "-q", *args, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("formcoach: error:"), r.stderr
    assert "the input video" in lines[0] or "twice" in lines[0]
    assert (tmp_path / "in.mp4").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4", "link.mp4", "sub"]


def test_a_reader_that_goes_away_is_not_an_error():
    # `formcoach ... | head -1`: the pipe closes while formcoach is still writing (here the eval's JSON,
    # megabytes, to stdout; `report --list` on a long history is the everyday case).
    p = subprocess.Popen([sys.executable, "-m", "formcoach", "eval", "corpus", "--split", "all", "--json",
                          "/dev/stdout"],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.readline()
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err and "error" not in err.lower(), err

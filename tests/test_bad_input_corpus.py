"""The hardening corpus, generated here (no committed binaries), through the engine API and the CLI.

Every input ends in a report or one clear line; never a traceback, a hang or a half-written file.
"""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, make_video, person_frames, sample_frames, two_people_frames

from formcoach.engine import AnalysisOptions, analyze_video

pytestmark = pytest.mark.slow
TIMEOUT_S = 300  # "no hang": every run is bounded


def cli(*args):
    return subprocess.run([sys.executable, "-m", "formcoach", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=TIMEOUT_S)


def cli_ok(video, tmp_path, *extra):
    out = tmp_path / "r.json"
    r = cli("analyze", video, "--json", out, "--annotated", tmp_path / "a.mp4", *extra)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    return json.loads(out.read_text())


def test_single_frame_video(tmp_path):
    frames, fps = person_frames(1)
    v = make_video(tmp_path / "one.mp4", frames[:1], fps=fps)
    report = cli_ok(v, tmp_path)
    assert report["frames"] == 1 and report["detected_frames"] == 1


def test_very_large_resolution_is_scaled_down(tmp_path):
    import cv2

    frames, fps = person_frames(8)
    big = [cv2.resize(f, (4000, 3000), interpolation=cv2.INTER_LINEAR) for f in frames]
    v = make_video(tmp_path / "big.mp4", big, fps=fps)
    report = cli_ok(v, tmp_path)
    assert max(report["video"]["width"], report["video"]["height"]) <= 1280
    assert report["detection_rate"] >= 0.75


def test_phone_rotation_metadata_is_analysed_upright(tmp_path):
    frames, fps = person_frames(30)
    upright = analyze_video(make_video(tmp_path / "up.mp4", frames, fps=fps))
    # stored sideways (rotated 90 deg counter-clockwise), with metadata saying "turn clockwise to view"
    stored = [np.ascontiguousarray(np.rot90(f, k=1)) for f in frames]
    rotated = analyze_video(make_video(tmp_path / "phone.mp4", stored, fps=fps, rotation_ccw_deg=-90))
    assert rotated.video.rotation_deg == 90
    assert (rotated.video.width, rotated.video.height) == (upright.video.width, upright.video.height)
    assert rotated.detection_rate >= 0.9
    both = [(a, b) for a, b in zip(upright.poses, rotated.poses) if a.detected and b.detected]
    err = np.nanmedian([np.nanmedian(np.linalg.norm(a.xy[11:29] - b.xy[11:29], axis=1)) for a, b in both])
    assert err < 0.03 * upright.video.width  # same landmarks as the upright clip, within a few pixels


def test_variable_frame_rate_keeps_media_time(tmp_path):
    frames, fps = person_frames(40)
    times = list(np.cumsum([0] + [1 / fps if i % 3 else 3 / fps for i in range(1, len(frames))]))
    report = analyze_video(make_video(tmp_path / "vfr.mp4", frames, fps=fps, times_s=times))
    np.testing.assert_allclose(report.series["t_s"], times, atol=2e-3)


def _damage_packets(video, indices, seed=1):
    """Overwrite the middle half of the stored bytes of the given video packets (decode order) with noise."""
    import av

    with av.open(str(video)) as c:
        packets = [(p.pos, p.size) for p in c.demux(video=0) if p.size]
    data = bytearray(video.read_bytes())
    rng = np.random.default_rng(seed)
    for i in indices:
        pos, size = packets[i]
        data[pos + size // 4: pos + size // 4 + size // 2] = rng.integers(0, 256, size // 2, dtype=np.uint8).tobytes()
    video.write_bytes(bytes(data))


def test_corrupt_frames_in_the_middle(tmp_path):
    frames, fps = sample_frames("bird_dog_clean.mp4", 90)  # the arm and leg move: every packet carries detail
    v = make_video(tmp_path / "c.mp4", frames, fps=fps)
    _damage_packets(v, [40, 41, 42, 60, 61])
    r = cli("analyze", v, "--json", tmp_path / "r.json")
    assert "Traceback" not in r.stderr
    if r.returncode == 0:
        report = json.loads((tmp_path / "r.json").read_text())
        assert report["detected_frames"] > 0.5 * len(frames)
    else:  # refused with a single clear line and nothing written
        assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "r.json").exists()


def test_two_people_are_reported(tmp_path):
    two, one, fps = two_people_frames(60)
    report = cli_ok(make_video(tmp_path / "two.mp4", two, fps=fps), tmp_path)
    assert any("more than one person" in w for w in report["warnings"])
    alone = cli_ok(make_video(tmp_path / "one.mp4", one, fps=fps), tmp_path)
    assert not any("more than one person" in w for w in alone["warnings"])


def test_person_leaving_and_returning(tmp_path):
    frames, fps = person_frames(90)
    background = np.full_like(frames[0], 200)
    gone = range(30, 60)
    clip = [background if i in gone else f for i, f in enumerate(frames)]
    v = make_video(tmp_path / "away.mp4", clip, fps=fps)
    report = analyze_video(v)
    detected = np.array(report.series["detected"], dtype=bool)
    assert not detected[32:58].any()  # nobody is made up while the frame is empty
    assert detected[:28].mean() > 0.9 and detected[62:].mean() > 0.9
    from exercises.registry import EXERCISES

    assert "plank" in EXERCISES
    judged = analyze_video(v, AnalysisOptions(exercise="plank"))
    assert judged.summary.cant_judge_s >= 0.8 * len(gone) / fps


# --- the same inputs through the upload page's entry point --------------------------------------

@pytest.mark.parametrize("case", ["zero-byte file", "text renamed .mp4", "truncated (index at end)",
                                  "truncated (index first)", "audio-only", "no person"])
def test_bad_uploads_give_one_line_and_leave_nothing(tmp_path, private_tmp, case):
    from test_cli import CASES

    from formcoach.upload import UploadError, analyse_upload

    make, _reason = CASES[case]
    src = make(tmp_path)
    data = src.read_bytes() if src.is_file() else b""
    with pytest.raises(UploadError) as e:
        analyse_upload(data, f"../../{src.name}", "plank", keep_dir=tmp_path / "kept")
    assert "\n" not in str(e.value) and str(private_tmp) not in str(e.value)
    assert list(private_tmp.iterdir()) == []
    assert not (tmp_path / "kept").exists()


def test_odd_but_valid_uploads_are_analysed(tmp_path, private_tmp):
    from formcoach.upload import analyse_upload

    frames, fps = person_frames(40)
    stored = [np.ascontiguousarray(np.rot90(f, k=1)) for f in frames]
    phone = make_video(tmp_path / "phone.mp4", stored, fps=fps, rotation_ccw_deg=-90)
    pair, _one, pair_fps = two_people_frames(40)
    two = make_video(tmp_path / "two.mp4", pair, fps=pair_fps)
    r = analyse_upload(phone.read_bytes(), "IMG_0001.MOV", "plank")
    assert r.report.video.rotation_deg == 90 and r.report.video.width > r.report.video.height
    assert r.annotated_mp4[4:8] == b"ftyp"
    r = analyse_upload(two.read_bytes(), "two.mp4", "plank")
    assert any("more than one person" in w for w in r.report.warnings)
    assert list(private_tmp.iterdir()) == []

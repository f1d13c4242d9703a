"""Defects a bad-input corpus found (issue 12), each input generated here: valid but unusual files are
analysed correctly, the rest are refused with one clear line, before any large allocation."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from conftest import ROOT, SAMPLE_VIDEOS, make_video, person_frames

from formcoach.engine import AnalysisOptions, analyze_video
from vision.source import VideoError, VideoFileSource

pytestmark = pytest.mark.slow


def encode(path, frames, times_s=None, codec="libx264", fps=30.0, fmt=None):
    """Frames as ``codec`` in the container ``path``'s suffix chooses (or ``fmt``), with own pts if given."""
    import av

    h, w = frames[0].shape[:2]
    with av.open(str(path), "w", format=fmt) as c:
        s = c.add_stream(codec, rate=Fraction(fps).limit_denominator(1000))
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        if times_s is not None:
            s.time_base = s.codec_context.time_base = Fraction(1, 1000)
        for i, img in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="bgr24")
            if times_s is not None:
                vf.pts, vf.time_base = int(round(times_s[i] * 1000)), Fraction(1, 1000)
            for p in s.encode(vf):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def cli(*args):
    return subprocess.run([sys.executable, "-m", "formcoach", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def one_error_line(r) -> str:
    assert r.returncode == 2, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("formcoach: error:"), r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    return lines[0]


# --- valid files that were refused as "truncated" ----------------------------------------------

def _vfr_times(n, fps):
    return [float(t) for t in np.cumsum([0] + [1 / fps if i % 3 else 4 / fps for i in range(1, n)])]


@pytest.mark.parametrize("name,codec,shift_s", [
    ("vfr.mkv", "libx264", 0.0), ("vfr.webm", "libvpx", 0.0), ("offset.mkv", "libx264", 5.0),
    ("offset_vfr.webm", "libvpx-vp9", 3.0),
])
def test_variable_rate_and_start_offset_mkv_webm_are_analysed(tmp_path, name, codec, shift_s):
    frames, fps = person_frames(30)
    times = [shift_s + t for t in (_vfr_times(len(frames), fps) if "vfr" in name else
                                   [i / fps for i in range(len(frames))])]
    report = analyze_video(encode(tmp_path / name, frames, times, codec=codec, fps=fps),
                           AnalysisOptions(exercise="plank", people_check_interval_s=None))
    assert report.frames == len(frames)
    np.testing.assert_allclose(report.series["t_s"], np.array(times) - shift_s, atol=2e-3)


def test_a_cut_mkv_is_still_truncated(tmp_path):
    frames, fps = person_frames(60)
    full = encode(tmp_path / "full.mkv", frames, [5 + i / fps for i in range(len(frames))], fps=fps)
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size * 8 // 10])  # the last fifth is gone
    assert "truncated" in one_error_line(cli("analyze", cut, "--exercise", "plank"))


# --- files without timestamps, still images -----------------------------------------------------

def test_raw_h264_without_timestamps_warns_of_the_assumed_rate(tmp_path):
    frames, _ = person_frames(20)
    raw = encode(tmp_path / "clip.h264", frames, fps=15, fmt="h264")
    report = analyze_video(raw, AnalysisOptions(exercise="plank", people_check_interval_s=None))
    notes = [w for w in report.warnings if "no timestamps" in w]
    assert len(notes) == 1 and "15 fps" in notes[0], report.warnings
    np.testing.assert_allclose(np.diff(report.series["t_s"]), 1 / 15, atol=1e-3)
    timed = analyze_video(make_video(tmp_path / "clip.mp4", frames, fps=15),
                          AnalysisOptions(exercise="plank", people_check_interval_s=None))
    assert not [w for w in timed.warnings if "timestamps" in w]


@pytest.mark.parametrize("ext", [".png", ".jpg", ".webp", ".bmp"])
def test_a_still_image_renamed_mp4_is_refused(tmp_path, ext):
    import cv2

    frames, _ = person_frames(1)
    img = tmp_path / f"photo{ext}"
    assert cv2.imwrite(str(img), frames[0])
    fake = img.rename(tmp_path / "photo.mp4")
    line = one_error_line(cli("analyze", fake, "--exercise", "plank", "--json", tmp_path / "r.json"))
    assert "still image" in line and "not a video" in line
    assert not (tmp_path / "r.json").exists()


# --- inputs too large to decode ---------------------------------------------------------------

@pytest.mark.parametrize("size", [(4112, 64), (64, 4112)])
def test_frames_over_the_size_cap_are_refused_before_decoding(tmp_path, size):
    w, h = size
    v = encode(tmp_path / "huge.mkv", [np.full((h, w, 3), 90, np.uint8)] * 2, codec="ffv1")
    line = one_error_line(cli("analyze", v, "--exercise", "plank"))
    assert f"{w}x{h}" in line and "larger than" in line and "4096" in line


def test_a_video_over_the_duration_cap_is_refused(tmp_path):
    frames = [np.full((64, 64, 3), 90, np.uint8)] * 3
    v = encode(tmp_path / "long.mp4", frames, [0.0, 600.0, 1500.0])  # 25 min by its header
    line = one_error_line(cli("analyze", v, "--exercise", "plank"))
    assert "25 min" in line and "20 min" in line and "trim" in line


def test_the_duration_cap_holds_without_a_header_duration(tmp_path):
    frames, _ = person_frames(30)
    raw = encode(tmp_path / "clip.h264", frames, fps=15, fmt="h264")  # 2 s, no duration in the file
    src = VideoFileSource(raw, max_duration_s=1.0)
    with pytest.raises(VideoError, match="longer than") as e:
        for _ in src:
            pass
    assert "\n" not in str(e.value)


# --- low frame rates ----------------------------------------------------------------------------

def test_holds_at_low_frame_rates_count_the_real_time_and_warn(tmp_path):
    clip = SAMPLE_VIDEOS / "plank_clean.mp4"  # 10 s at 15 fps, the project's own rendering
    opts = AnalysisOptions(exercise="plank", people_check_interval_s=None)
    full = analyze_video(clip, opts)
    with VideoFileSource(clip) as src:
        images = [f.image for f in src]
    low = analyze_video(make_video(tmp_path / "low.mp4", images[::6], fps=2.5), opts)  # 2.5 fps
    assert full.summary.hold_s > 5
    assert abs(low.summary.hold_s - full.summary.hold_s) < 1.0, (low.summary.hold_s, full.summary.hold_s)
    notes = [w for w in low.warnings if "frame rate" in w]
    assert len(notes) == 1 and "2.5 fps" in notes[0], low.warnings
    assert not [w for w in full.warnings if "frame rate" in w]
    too_low = make_video(tmp_path / "slideshow.mp4", images[::30], fps=0.5)
    line = one_error_line(cli("analyze", too_low, "--exercise", "plank"))
    assert "0.5 fps" in line and "at least 1" in line


def test_a_file_with_a_gap_in_its_timestamps_says_what_was_not_seen(tmp_path):
    """A recording that paused 4 s mid-plank (the same frames, later timestamps): the gap is not held time,
    and the report says, in one line, that nothing in it was seen."""
    clip = SAMPLE_VIDEOS / "plank_clean.mp4"  # 10 s at 15 fps, the project's own rendering
    with VideoFileSource(clip) as src:
        images = [f.image for f in src]
    times = [i / 15 + (4.0 if i >= 75 else 0.0) for i in range(len(images))]
    opts = AnalysisOptions(exercise="plank", people_check_interval_s=None)
    full = analyze_video(clip, opts)
    gap = analyze_video(encode(tmp_path / "paused.mp4", images, times_s=times, fps=15.0), opts)
    notes = [w for w in gap.warnings if "with no video" in w]
    assert len(notes) == 1 and notes[0].startswith("4 s with no video"), gap.warnings
    assert gap.summary.unseen_s == pytest.approx(4.0 + 1 / 15 - 0.25, abs=0.02)
    assert abs(gap.summary.hold_s - full.summary.hold_s) < 0.5, (gap.summary.hold_s, full.summary.hold_s)
    assert not [w for w in full.warnings if "with no video" in w] and full.summary.unseen_s == 0.0

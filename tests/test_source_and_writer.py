"""Decoding (PyAV) and H.264 writing on generated clips."""

import av
import numpy as np
import pytest
from conftest import make_audio_only, make_video

from vision.source import ArraySource, VideoError, VideoFileSource, open_source
from vision.writer import H264Writer


def _marker_frames(n=8, w=320, h=240):
    frames = []
    for _ in range(n):
        img = np.zeros((h, w, 3), np.uint8)
        img[:40, :40] = 255  # white marker top-left of the stored image
        frames.append(img)
    return frames


def test_timestamps_start_at_zero_and_strictly_increase(tmp_path):
    p = make_video(tmp_path / "c.mp4", _marker_frames(20), fps=25)
    src = VideoFileSource(p)
    assert src.info.fps == pytest.approx(25)
    assert (src.info.width, src.info.height) == (320, 240)
    ts = [f.timestamp_s for f in src]
    assert len(ts) == 20 and ts[0] == 0.0
    assert np.all(np.diff(ts) > 0)
    assert ts[-1] == pytest.approx(19 / 25, abs=1e-3)


def test_variable_frame_rate_keeps_real_time(tmp_path):
    times = [0.0, 0.05, 0.10, 0.30, 0.31, 0.60, 1.00]
    p = make_video(tmp_path / "vfr.mp4", _marker_frames(len(times)), fps=30, times_s=times)
    ts = [f.timestamp_s for f in VideoFileSource(p)]
    np.testing.assert_allclose(ts, times, atol=2e-3)


@pytest.mark.parametrize("rotation_ccw,marker_corner", [
    (-90, "top_right"),   # typical portrait phone clip: display rotated 90 deg clockwise
    (90, "bottom_left"),
    (180, "bottom_right"),
])
def test_rotation_metadata_is_applied(tmp_path, rotation_ccw, marker_corner):
    p = make_video(tmp_path / "rot.mp4", _marker_frames(4), rotation_ccw_deg=rotation_ccw)
    src = VideoFileSource(p)
    img = next(iter(src)).image
    h, w = img.shape[:2]
    if rotation_ccw in (90, -90):
        assert (w, h) == (240, 320) == (src.info.width, src.info.height)
    corners = {"top_left": img[5, 5], "top_right": img[5, w - 6], "bottom_left": img[h - 6, 5],
               "bottom_right": img[h - 6, w - 6]}
    bright = [k for k, v in corners.items() if v.mean() > 128]
    assert bright == [marker_corner]


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("setup,reason", [
    (lambda d: d / "missing.mp4", "no such file"),
    (lambda d: d, "is a directory"),
    (lambda d: _write(d / "empty.mp4", b""), "empty"),
    (lambda d: _write(d / "text.mp4", b"not a video\n" * 50), "not a readable video"),
    (lambda d: make_audio_only(d / "audio.mp4"), "no video stream"),
])
def test_bad_files_raise_one_line_video_error(tmp_path, setup, reason):
    with pytest.raises(VideoError, match=reason) as e:
        VideoFileSource(setup(tmp_path))
    assert "\n" not in str(e.value)


def test_open_source_needs_exactly_one_input(tmp_path):
    with pytest.raises(ValueError, match="exactly one"):
        open_source()
    with pytest.raises(ValueError, match="exactly one"):
        open_source(video=tmp_path / "x.mp4", webcam=0)


def test_array_source_timestamps():
    frames = list(ArraySource([np.zeros((4, 4, 3), np.uint8)] * 3, fps=10))
    assert [f.timestamp_s for f in frames] == [0.0, 0.1, 0.2]
    assert frames[0].image.flags.c_contiguous


def test_h264_writer_output_is_browser_playable(tmp_path):
    out = tmp_path / "o.mp4"
    with H264Writer(out, fps=30) as w:
        for i in range(10):
            w.write(np.full((241, 321, 3), i * 20, np.uint8), i / 30)  # odd size gets cropped to even
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264"
        assert s.codec_context.pix_fmt == "yuv420p"
        assert (s.width, s.height) == (320, 240)
        assert sum(1 for _ in c.decode(s)) == 10
    data = out.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")  # faststart: index before the media data
    assert list(tmp_path.glob("*.part")) == []


def test_h264_writer_leaves_nothing_on_error(tmp_path):
    out = tmp_path / "o.mp4"
    with pytest.raises(RuntimeError), H264Writer(out) as w:
        w.write(np.zeros((64, 64, 3), np.uint8), 0.0)
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_prefetch_stops_cleanly_on_early_exit(tmp_path):
    import threading

    p = make_video(tmp_path / "c.mp4", _marker_frames(40))
    src = VideoFileSource(p, prefetch=2)
    for i, _ in enumerate(src):
        if i == 3:
            break
    src.close()
    assert src._container is None
    assert not [t for t in threading.enumerate() if t.name == "frame-prefetch"]


def test_prefetch_reraises_errors_in_consumer():
    from vision.source import prefetched

    def boom():
        yield 1
        raise RuntimeError("decoder broke")

    got = []
    with pytest.raises(RuntimeError, match="decoder broke"):
        for x in prefetched(boom(), 2):
            got.append(x)
    assert got == [1]

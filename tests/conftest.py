"""Shared fixtures: where footage lives, and small generated videos for decoder tests."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_VIDEOS = Path(os.environ.get("FORMCOACH_SHARED_VIDEOS", ROOT.parent / "shared" / "videos"))
SAMPLE_VIDEOS = ROOT / "sample_videos"

os.environ.setdefault("GLOG_minloglevel", "2")


def shared_video(name: str) -> Path:
    """A real clip from ../shared/videos (rights unclear: read in place, never copied); skip if absent."""
    p = SHARED_VIDEOS / name
    if not p.is_file():
        pytest.skip(f"{p} not available (../shared/videos is absent)")
    return p


def sample_video(name: str) -> Path:
    """A clip the project rendered itself (sample_videos/); skip if it has not been made yet."""
    p = SAMPLE_VIDEOS / name
    if not p.is_file():
        pytest.skip(f"{p} not rendered yet")
    return p


def make_video(path: Path, frames: list[np.ndarray] | np.ndarray, fps: float = 30.0,
               rotation_ccw_deg: int = 0, times_s: list[float] | None = None) -> Path:
    """Encode BGR frames as H.264 mp4 with PyAV (optionally with display rotation or own pts)."""
    from fractions import Fraction

    import av

    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=Fraction(fps).limit_denominator(1000))
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        if times_s is not None:
            s.time_base = Fraction(1, 1000)
            s.codec_context.time_base = Fraction(1, 1000)
        if rotation_ccw_deg:
            s.set_display_rotation(rotation_ccw_deg)
        for i, img in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="bgr24")
            if times_s is not None:
                vf.pts, vf.time_base = int(round(times_s[i] * 1000)), Fraction(1, 1000)
            for p in s.encode(vf):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def make_audio_only(path: Path, seconds: float = 1.0) -> Path:
    import av

    with av.open(str(path), "w", format="mp4") as c:
        s = c.add_stream("aac", rate=44100)
        n = 1024
        t = 0
        while t < seconds * 44100:
            samples = (np.sin(np.arange(t, t + n) / 20.0) * 0.1).astype(np.float32)[None, :]
            fr = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            fr.sample_rate = 44100
            fr.pts = t
            for p in s.encode(fr):
                c.mux(p)
            t += n
        for p in s.encode():
            c.mux(p)
    return path


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """Point Python's temporary folder at an empty directory, so a test can prove nothing is left behind."""
    import tempfile

    t = tmp_path / "private-tmp"
    t.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(t))
    return t


@pytest.fixture
def blank_video(tmp_path: Path) -> Path:
    """Two seconds of an empty grey room: no person."""
    frames = [np.full((240, 320, 3), 128, np.uint8) for _ in range(30)]
    for i, f in enumerate(frames):
        f[100:140, 10 + 5 * i: 50 + 5 * i] = 60  # something moves, nobody is there
    return make_video(tmp_path / "empty_room.mp4", frames, fps=15)


def person_frames(n: int = 60) -> tuple[list[np.ndarray], float]:
    """BGR frames of a real person exercising side-on, and their fps (skips when no footage is reachable)."""
    from vision.source import VideoFileSource

    candidates = [SHARED_VIDEOS / "gymnai_plank.mp4", SAMPLE_VIDEOS / "plank_clean.mp4"]
    for p in candidates:
        if p.is_file() and p.stat().st_size > 10_000:
            src = VideoFileSource(p)
            frames = []
            for f in src:
                frames.append(f.image)
                if len(frames) >= n:
                    break
            src.close()
            return frames, src.info.fps
    pytest.skip("no footage with a person available")


def sample_frames(name: str, n: int) -> tuple[list[np.ndarray], float]:
    """The first ``n`` BGR frames of a rendered clip in sample_videos/, and its fps."""
    from vision.source import VideoFileSource

    src = VideoFileSource(sample_video(name))
    frames = []
    for f in src:
        frames.append(f.image)
        if len(frames) >= n:
            break
    src.close()
    return frames, src.info.fps


# The mat strip of a rendered 640x480 plank (rows, columns): the whole body with some floor and wall.
_PLANK_STRIP = (slice(130, 350), slice(80, 560))


def two_people_frames(n: int = 60) -> tuple[list[np.ndarray], list[np.ndarray], float]:
    """Rendered footage of two people, and the same footage with one of them (BGR frames, fps).

    Two rendered planks (body A in ``plank_clean``, body B on its knees in ``plank_knees``, mirrored) are
    cropped to their mat strip and stacked, so each body keeps the size the pose detector finds (side by
    side at full size it finds nobody). The one-person frames are the same top strip over an empty one.
    MediaPipe's lite detector counts 2 people in every stacked frame and 1 in the single ones.
    """
    a, fps = sample_frames("plank_clean.mp4", n)
    b, _ = sample_frames("plank_knees.mp4", n)
    n = min(len(a), len(b))
    empty = np.empty_like(a[0][_PLANK_STRIP])
    empty[:] = a[0][_PLANK_STRIP][:, :1]  # the wall-and-floor colours of the strip's left edge, no body
    two = [np.ascontiguousarray(np.concatenate([fa[_PLANK_STRIP], fb[_PLANK_STRIP][:, ::-1]])) for fa, fb in
           zip(a[:n], b[:n])]
    one = [np.ascontiguousarray(np.concatenate([fa[_PLANK_STRIP], empty])) for fa in a[:n]]
    return two, one, fps


def pytest_configure(config):
    """The app's AppTest tests run the page in this process: bind it, as ``streamlit run app.py`` would
    with .streamlit/config.toml, to this machine only (tests of the LAN gate set another address)."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import toml as tomllib  # streamlit's own dependency
    try:
        from streamlit import config as st_config
    except ImportError:
        return
    address = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]["address"]
    st_config.set_option("server.address", address)

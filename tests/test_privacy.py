"""Analysis never reaches the network: run it with every socket connection refused in-process."""

import socket

import pytest
from conftest import SAMPLE_VIDEOS, shared_video


class NetworkUsed(AssertionError):
    pass


@pytest.fixture
def no_network(monkeypatch):
    attempts = []

    def refuse(self, address, *a, **kw):
        attempts.append(address)
        raise NetworkUsed(f"network connection attempted to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda addr, *a, **k: refuse(None, addr))
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: refuse(None, host))
    yield attempts
    assert attempts == []


def _clip():
    clips = sorted(SAMPLE_VIDEOS.glob("*.mp4"))
    return clips[0] if clips else shared_video("treadtv_plank.mp4")


@pytest.mark.slow
def test_analysis_and_export_work_offline(no_network, tmp_path):
    from formcoach.engine import AnalysisOptions, analyze_video, write_annotated_video
    from vision.pose import PoseOptions

    for model in ("lite", "full"):
        report = analyze_video(_clip(), AnalysisOptions(pose=PoseOptions(model=model)))
        assert report.detected_frames > 0
    write_annotated_video(_clip(), report, tmp_path / "a.mp4")
    report.save_json(tmp_path / "r.json")
    assert (tmp_path / "a.mp4").stat().st_size > 0


def test_the_guard_itself_catches_a_connection(no_network):
    with pytest.raises(NetworkUsed):
        socket.create_connection(("127.0.0.1", 9))
    no_network.clear()

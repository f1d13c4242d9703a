"""Shared bits for the app tests: which clip to upload, and an in-process network guard."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from conftest import SAMPLE_VIDEOS, SHARED_VIDEOS

# (file, exercise) in order of preference: the project's own rendered clips first (always present in
# CI), then the real dev clips in ../shared/videos (read in place, never copied).
REP_CLIPS = (
    (SAMPLE_VIDEOS / "dead_bug_clean.mp4", "dead_bug"),
    (SAMPLE_VIDEOS / "bird_dog_clean.mp4", "bird_dog"),
    (SHARED_VIDEOS / "foriris_bird_dog.mp4", "bird_dog"),
)
FAULT_CLIPS = (
    (SAMPLE_VIDEOS / "plank_sag.mp4", "plank"),
    (SAMPLE_VIDEOS / "plank_oblique_sag.mp4", "plank"),
    (SHARED_VIDEOS / "foriris_plank.mp4", "plank"),
)


def pick(clips) -> tuple[Path, str]:
    for path, exercise in clips:
        if path.is_file():
            return path, exercise
    pytest.skip(f"none of {[str(p) for p, _ in clips]} is available")


class NetworkUsed(AssertionError):
    pass


def block_network(monkeypatch) -> list:
    """Make every outgoing socket connection and DNS lookup raise; return the list of attempts."""
    attempts: list = []

    def refuse(self, address, *a, **kw):
        if getattr(self, "family", None) == socket.AF_UNIX:
            return _real_connect(self, address)
        attempts.append(address)
        raise NetworkUsed(f"network connection attempted to {address!r}")

    _real_connect = socket.socket.connect
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda addr, *a, **k: refuse(None, addr))
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: refuse(None, host))
    return attempts

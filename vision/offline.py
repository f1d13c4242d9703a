"""Keep MediaPipe's native usage logger on this machine.

mediapipe wheels newer than 0.10.21 (1.2.2 included) carry a native Clearcut usage logger (mediapipe
issue #6291): when a task such as a PoseLandmarker is closed, a native thread looks up
``play.googleapis.com`` and posts to ``https://play.googleapis.com/log``. It has no switch, and Python
socket patches cannot see it, but its HTTP client (libcurl) honours the standard proxy variables.

:func:`keep_offline` sets ``ALL_PROXY`` to a loopback port that this process holds bound and never listens
on, removes the protocol-specific proxy variables (they would take precedence), and sets ``NO_PROXY`` to the
loopback names only, so no host bypasses that proxy: each upload attempt is refused on 127.0.0.1 before any
name lookup. ``requests`` follows ``ALL_PROXY`` too; gRPC (Ray) reads only the protocol-specific variables, so a
cluster the user sets up is not affected, and neither is loopback traffic (the Streamlit server, its browser,
WebRTC on localhost). A user's own proxy settings are dropped in this process: nothing it runs needs them.
``tests/test_privacy.py`` traces the system calls to prove it.
"""

from __future__ import annotations

import os
import socket

PROXY_VARIABLES = ("all_proxy", "ALL_PROXY")
OVERRIDING_VARIABLES = ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY")
LOOPBACK_NAMES = "localhost,127.0.0.1,::1"

_held: socket.socket | None = None


def keep_offline() -> str:
    """Send this process's proxy-aware HTTP(S) to a refused loopback port; returns that proxy URL (idempotent)."""
    global _held
    if _held is None:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))  # bound and never listening: every connection to it is refused
        _held = s
    url = f"http://127.0.0.1:{_held.getsockname()[1]}"
    for name in PROXY_VARIABLES:
        os.environ[name] = url
    for name in OVERRIDING_VARIABLES:
        os.environ.pop(name, None)
    for name in ("no_proxy", "NO_PROXY"):
        os.environ[name] = LOOPBACK_NAMES
    return url

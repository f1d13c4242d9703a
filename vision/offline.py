"""Keep MediaPipe's native usage logger on this machine.

mediapipe wheels newer than 0.10.21 (1.2.2 included) carry a native Clearcut usage logger (mediapipe
issue #6291): when a task such as a PoseLandmarker is closed, a native thread looks up
``play.googleapis.com`` and posts to ``https://play.googleapis.com/log``. It has no switch, and Python
socket patches cannot see it, but its HTTP client (libcurl) honours the standard proxy variables.

:func:`keep_offline` points every proxy variable at a loopback port that this process holds bound and
never listens on, so each upload attempt is refused on 127.0.0.1 before any name lookup, and it sets
``NO_PROXY`` to the loopback names only, so no host bypasses that proxy. Python HTTP clients in the process
(``requests``, ``urllib``) follow the same variables; loopback traffic (the Streamlit server, its browser,
WebRTC on localhost) is not affected. Variables the user had set are overridden in this process: nothing
it runs needs the network. ``tests/test_privacy.py`` traces the system calls to prove it.
"""

from __future__ import annotations

import os
import socket

PROXY_VARIABLES = ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY")
LOOPBACK_NAMES = "localhost,127.0.0.1,::1"

_held: socket.socket | None = None


def keep_offline() -> str:
    """Route this process's HTTP(S) through a refused loopback port; returns that proxy URL (idempotent)."""
    global _held
    if _held is None:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))  # bound and never listening: every connection to it is refused
        _held = s
    url = f"http://127.0.0.1:{_held.getsockname()[1]}"
    for name in PROXY_VARIABLES:
        os.environ[name] = url
    for name in ("no_proxy", "NO_PROXY"):
        os.environ[name] = LOOPBACK_NAMES
    return url

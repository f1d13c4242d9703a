"""Nothing leaves the machine, seen at the system-call level (strace, all threads and children).

mediapipe 1.2.2's native usage logger (Clearcut, play.googleapis.com) is invisible to Python socket
patches; these tests trace the real processes (the CLI's ``analyze`` and ``eval``, ``streamlit run`` serving
the page, and the page analysing an upload) and fail on any connection to an address that is not this
machine's and on any name lookup (see ``tests/nettrace.py``). ``vision/offline.py`` is what keeps it so.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import urllib.request

import pytest
from conftest import ROOT, SAMPLE_VIDEOS
from nettrace import loopback_connects, offences, strace_argv

TIMEOUT_S = 600


def _env(**extra) -> dict[str, str]:
    # A user's proxy settings (here: a proxy on another host that every name bypasses) must not matter.
    return {**os.environ, "GLOG_minloglevel": "2", "HTTPS_PROXY": "http://192.0.2.1:3128",
            "https_proxy": "http://192.0.2.1:3128", "NO_PROXY": "*", "no_proxy": "*", **extra}


def _traced(cmd: list[str], log, **env) -> subprocess.CompletedProcess:
    return subprocess.run(strace_argv(log) + cmd, capture_output=True, text=True, cwd=ROOT, env=_env(**env),
                          timeout=TIMEOUT_S)


def test_the_trace_flags_what_would_leave_and_passes_loopback(tmp_path):
    """UDP connect() sends no packet, so this probes the detector without any traffic leaving."""
    log = tmp_path / "probe.trace"
    probe = textwrap.dedent("""
        import socket
        for addr in (("192.0.2.1", 53), ("203.0.113.9", 443), ("127.0.0.1", 9)):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.connect(addr)
            s.close()
    """)
    r = _traced([sys.executable, "-c", probe], log)
    assert r.returncode == 0, r.stderr
    found = offences(log)
    assert any("DNS to 192.0.2.1" in o for o in found), found
    assert any("connection to 203.0.113.9:443" in o for o in found), found
    assert len(found) == 2 and len(loopback_connects(log)) == 1  # 127.0.0.1 is fine


@pytest.mark.slow
def test_cli_analyze_sends_nothing_and_mediapipes_logger_stays_on_loopback(tmp_path):
    log = tmp_path / "analyze.trace"
    r = _traced([sys.executable, "-m", "formcoach", "analyze", str(SAMPLE_VIDEOS / "plank_clean.mp4"),
                 "--json", str(tmp_path / "r.json"), "--annotated", str(tmp_path / "a.mp4")], log)
    assert r.returncode == 0, r.stderr
    assert offences(log) == []
    # The trace does see native traffic: MediaPipe's usage logger tries to post when each of the two
    # landmarkers (pose, people check) closes, and the proxy variables send it to a refused loopback port.
    assert loopback_connects(log), "MediaPipe's native logger was not seen (a release without it? see README)"


@pytest.mark.slow
def test_cli_eval_sends_nothing(tmp_path):
    log = tmp_path / "eval.trace"
    r = _traced([sys.executable, "-m", "formcoach", "eval", str(SAMPLE_VIDEOS / "plank_knees.json")], log,
                FORMCOACH_EVAL_NO_CACHE="1")
    assert r.returncode == 0, r.stderr
    assert offences(log) == []
    assert loopback_connects(log)


@pytest.mark.slow
def test_app_server_and_upload_send_nothing(tmp_path):
    from tests.e2e.harness import StreamlitServer

    server_log = tmp_path / "server.trace"
    env = _env(FORMCOACH_DB=str(tmp_path / "h.sqlite3"))  # the user's proxy settings: see _env
    with StreamlitServer(env=env, log_path=tmp_path / "server.log", trace_path=server_log) as server:
        for path in ("/", "/_stcore/health", "/_stcore/host-config"):
            with urllib.request.urlopen(server.url + path, timeout=30) as resp:
                assert resp.status == 200
    assert offences(server_log) == [], server.log()[-2000:]

    # The page analysing an upload (Streamlit's AppTest in its own traced process).
    upload_log = tmp_path / "upload.trace"
    script = textwrap.dedent(f"""
        from pathlib import Path
        from streamlit.testing.v1 import AppTest
        at = AppTest.from_file({str(ROOT / "app.py")!r}, default_timeout=300)
        at.session_state["mode"] = "Upload a video"
        at.run()
        at.sidebar.selectbox(key="exercise").set_value("plank").run()
        clip = Path({str(SAMPLE_VIDEOS / "plank_clean.mp4")!r})
        at.file_uploader(key="upload").upload(clip.name, clip.read_bytes(), "video/mp4").run()
        at = at.button(key="analyse").click().run()
        assert not at.exception, at.exception
        assert at.get("video"), "no annotated video"
        print("analysed")
    """)
    r = _traced([sys.executable, "-c", script], upload_log, FORMCOACH_DB=str(tmp_path / "h.sqlite3"))
    assert r.returncode == 0 and "analysed" in r.stdout, r.stderr[-3000:]
    assert offences(upload_log) == []
    assert loopback_connects(upload_log)


def test_keep_offline_routes_http_to_a_refused_loopback_port(monkeypatch):
    import socket

    from vision.offline import LOOPBACK_NAMES, OVERRIDING_VARIABLES, PROXY_VARIABLES, keep_offline

    for name in (*PROXY_VARIABLES, *OVERRIDING_VARIABLES, "no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "*" if "no_proxy" in name.lower() else "http://192.0.2.1:3128")
    url = keep_offline()
    assert keep_offline() == url and url.startswith("http://127.0.0.1:")
    assert all(os.environ[name] == url for name in PROXY_VARIABLES)
    assert not any(name in os.environ for name in OVERRIDING_VARIABLES)
    assert os.environ["NO_PROXY"] == os.environ["no_proxy"] == LOOPBACK_NAMES
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=5)

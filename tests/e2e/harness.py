"""Drive the live page in headless Debian Chromium with a fake webcam (shared by the e2e test and
``benchmarks/bench_live.py``).

* :func:`make_y4m` turns a clip into the raw ``.y4m`` Chromium's fake camera plays (and loops).
* :class:`StreamlitServer` runs ``streamlit run app.py`` on a free localhost port and always stops it.
* :class:`LiveBrowser` opens the page, presses START, and reads the scoreboard.

Nothing here reaches the network: the server listens on 127.0.0.1, ICE servers are empty, and
Chromium runs with background networking, sync and component updates off.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("FORMCOACH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
REPS_RE = re.compile(r"Reps left (\d+) · right (\d+) · hold ([\d.]+) s")
STATS_RE = re.compile(r"(\d+) fps processed · latency (\d+|nan) ms \(p90 (\d+|nan)\) · (\d+) frames")


def make_y4m(src: Path, dst: Path, max_s: float = 20.0, size: tuple[int, int] = (640, 480),
             fps: float | None = None) -> Path:
    """Decode ``src`` and write ``max_s`` seconds as yuv4mpegpipe/rawvideo yuv420p, letterboxed to ``size``.

    ``fps`` resamples (repeating or dropping frames) to a camera rate, e.g. 30 for a 15 fps clip.
    """
    import av
    import cv2
    import numpy as np

    w, h = size
    with av.open(str(src)) as inp, av.open(str(dst), "w", format="yuv4mpegpipe") as out:
        vs = inp.streams.video[0]
        src_rate = float(vs.average_rate or 30)
        rate = Fraction(fps or src_rate).limit_denominator(1000)
        st = out.add_stream("rawvideo", rate=rate)
        st.width, st.height, st.pix_fmt = w, h, "yuv420p"
        written = 0
        for i, frame in enumerate(inp.decode(vs)):
            t_end = (i + 1) / src_rate  # this source frame covers [i, i+1) / src_rate
            if i / src_rate >= max_s:
                break
            n = int(t_end * float(rate) + 1e-9) - written  # output frames whose time falls in it
            if n <= 0:
                continue
            img = frame.to_ndarray(format="bgr24")
            ih, iw = img.shape[:2]
            k = min(w / iw, h / ih)
            nw, nh = int(iw * k) // 2 * 2, int(ih * k) // 2 * 2
            canvas = np.zeros((h, w, 3), np.uint8)
            y0, x0 = (h - nh) // 2, (w - nw) // 2
            canvas[y0:y0 + nh, x0:x0 + nw] = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA)
            vf = av.VideoFrame.from_ndarray(canvas, format="bgr24").reformat(format="yuv420p")
            for _ in range(n):
                vf.pts = None
                for p in st.encode(vf):
                    out.mux(p)
                written += 1
        for p in st.encode():
            out.mux(p)
    return dst


def wait_text(page, needle: str, timeout_s: float = 60) -> str:
    """Poll a Playwright page until ``needle`` is in its body text (Streamlit streams pages in); return the text."""
    end = time.monotonic() + timeout_s
    text = ""
    while time.monotonic() < end:
        text = page.inner_text("body")
        if needle in text:
            return text
        time.sleep(0.3)
    raise TimeoutError(f"{needle!r} not on the page; last text: {text[-1500:]}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """``streamlit run app.py`` on <address>:<free port> (127.0.0.1 by default); a context manager that
    always stops it. The browser always connects through 127.0.0.1.

    ``address="0.0.0.0"`` serves it as a LAN user would: the page then asks for the password whose hash
    is in ``secrets_toml`` (the text of a secrets.toml, written beside the log for this server only).
    """

    def __init__(self, env: dict[str, str] | None = None, log_path: Path | None = None,
                 trace_path: Path | None = None, address: str = "127.0.0.1",
                 secrets_toml: str | None = None) -> None:
        """``trace_path``: run the server under strace, recording its network calls there (tests/nettrace.py)."""
        self.trace_path = trace_path
        self.address = address
        self.secrets_toml = secrets_toml
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "GLOG_minloglevel": "2", **(env or {})}
        self.log_path = log_path or Path(tempfile.mkdtemp(prefix="fc-server-")) / "server.log"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> StreamlitServer:
        streamlit = Path(sys.executable).with_name("streamlit")
        cmd = [str(streamlit) if streamlit.exists() else sys.executable, *([] if streamlit.exists() else
               ["-m", "streamlit"]), "run", str(ROOT / "app.py"), "--server.port", str(self.port),
               "--server.address", self.address, "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
        secrets = self.log_path.with_name("secrets.toml")  # never the checkout's .streamlit/secrets.toml
        secrets.write_text(self.secrets_toml or "")
        cmd += ["--secrets.files", str(secrets)]
        if self.trace_path is not None:
            from nettrace import strace_argv

            cmd = strace_argv(self.trace_path) + cmd
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        try:
            self._wait_healthy(90)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_healthy(self, timeout_s: float) -> None:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited early ({self.proc.returncode}): {self.log()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise TimeoutError(f"streamlit not healthy after {timeout_s} s: {self.log()[-2000:]}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        p = self.proc
        if p is not None and p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)  # our own new session: the server and its children only
                p.wait(10)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(10)
        if hasattr(self, "_log"):
            self._log.close()

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class Scoreboard:
    reps_left: int = 0
    reps_right: int = 0
    hold_s: float = 0.0
    fps: float = 0.0
    latency_ms: float = float("nan")
    latency_p90_ms: float = float("nan")
    frames: int = 0
    cue: str | None = None  # the big cue line under the video
    phase: str | None = None  # the guided set's phase (formcoach.guided.Phase value)

    @property
    def reps(self) -> int:
        return self.reps_left + self.reps_right


class LiveBrowser:
    """Headless Chromium (Debian's, through Playwright) with ``y4m`` as its webcam."""

    def __init__(self, url: str, y4m: Path, profile_dir: Path | None = None, init_script: str | None = None) -> None:
        self.url, self.y4m, self.init_script = url, y4m, init_script
        self.profile_dir = profile_dir or Path(tempfile.mkdtemp(prefix="fc-chromium-"))
        self.console: list[str] = []

    def __enter__(self) -> LiveBrowser:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        try:
            self.ctx = self._pw.chromium.launch_persistent_context(
                str(self.profile_dir), executable_path=str(CHROMIUM), headless=True,
                args=[*CHROMIUM_FLAGS, f"--use-file-for-fake-video-capture={self.y4m}"],
                ignore_default_args=["--headless"], viewport={"width": 1280, "height": 1000})
        except BaseException:
            self._pw.stop()
            raise
        if self.init_script:
            self.ctx.add_init_script(self.init_script)  # runs in every frame, before the page's scripts
        self.page = self.ctx.pages[0] if self.ctx.pages else self.ctx.new_page()
        t0 = time.monotonic()  # each console line carries the seconds since the browser started

        def log(m) -> None:
            self.console.append(f"{time.monotonic() - t0:7.1f}s {m.type}: {m.text[:300]}")

        self.page.on("console", log)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.ctx.close()
        finally:
            self._pw.stop()

    def open(self, query: str = "", timeout_s: float = 90) -> None:
        self.page.goto(self.url + "/" + query, wait_until="domcontentloaded")
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            f = self._webrtc_frame()
            if f is not None:
                self.frame = f
                return
            time.sleep(0.5)
        raise TimeoutError("the live component (START button) did not appear")

    def _webrtc_frame(self):
        for f in self.page.frames:
            try:
                if f.get_by_role("button", name="START").count():
                    return f
            except Exception:  # noqa: BLE001 - frames come and go while the page loads
                continue
        return None

    def start(self, timeout_s: float = 60) -> None:
        self.frame.get_by_role("button", name="START").click()
        self.frame.wait_for_function(
            "() => { const v = document.querySelector('video');"
            " return v && v.readyState >= 2 && v.videoWidth > 0 && !v.paused; }", timeout=timeout_s * 1000)

    def stop(self) -> None:
        self.frame.get_by_role("button", name="STOP").click()

    def scoreboard(self) -> Scoreboard:
        text = self.page.inner_text("body")
        sb = Scoreboard()
        m = REPS_RE.search(text)
        if m:
            sb.reps_left, sb.reps_right, sb.hold_s = int(m[1]), int(m[2]), float(m[3])
        m = STATS_RE.search(text)
        if m:
            sb.fps = float(m[1])
            sb.latency_ms = float(m[2])
            sb.latency_p90_ms = float(m[3])
            sb.frames = int(m[4])
        cue = self.page.locator("[data-fc-cue]")
        if cue.count():
            text = cue.first.inner_text().strip()
            sb.cue = text if text and not text.startswith("Starting the coach") else None
        phase = self.page.locator("[data-fc-phase]")
        sb.phase = phase.first.get_attribute("data-fc-phase") if phase.count() else None
        return sb

    def wait_for(self, predicate, timeout_s: float, poll_s: float = 0.5) -> Scoreboard:
        end = time.monotonic() + timeout_s
        sb = self.scoreboard()
        while time.monotonic() < end:
            sb = self.scoreboard()
            if predicate(sb):
                return sb
            time.sleep(poll_s)
        raise TimeoutError(f"condition not met in {timeout_s} s; last scoreboard {sb}")

    def video_stats(self) -> dict:
        return self.frame.evaluate(
            "() => { const v = document.querySelector('video'); const q = v.getVideoPlaybackQuality();"
            " return {w: v.videoWidth, h: v.videoHeight, t: v.currentTime, total: q.totalVideoFrames,"
            " dropped: q.droppedVideoFrames}; }")

    def screenshot(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=True)
        return path

"""End to end: formcoach served to the network (``--server.address 0.0.0.0``) in headless Chromium.

With a password hash in the server's secrets, the browser gets a password box and nothing else: not on
the page, and not in any message the server sends over its websocket, until the right password is
typed (a wrong one is refused). Without a password the server refuses to serve the page at all.
"""

from __future__ import annotations

import tempfile
import time

import pytest

from tests.e2e.harness import CHROMIUM, CHROMIUM_FLAGS, StreamlitServer, wait_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

from formcoach.access import hash_password

PASSWORD = "correct horse battery"
# text only the app itself shows (sidebar, safety note, pages): none of it may reach the browser early
APP_TEXT = ("What would you like to do?", "Practise live", "Pain right now", "History file", "Stop if you feel")


class Browser:
    """One Chromium page that records everything the server sends over the websocket."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.received: list[bytes] = []

    def __enter__(self):
        self._pw = sync_api.sync_playwright().start()
        self.ctx = self._pw.chromium.launch_persistent_context(
            tempfile.mkdtemp(prefix="fc-chromium-"), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_FLAGS, ignore_default_args=["--headless"], viewport={"width": 1280, "height": 1000})
        self.page = self.ctx.pages[0] if self.ctx.pages else self.ctx.new_page()
        self.page.on("websocket", lambda ws: ws.on(
            "framereceived", lambda f: self.received.append(f if isinstance(f, bytes) else f.encode())))
        self.page.goto(self.url, wait_until="domcontentloaded")
        return self

    def __exit__(self, *exc):
        try:
            self.ctx.close()
        finally:
            self._pw.stop()

    def leaked(self) -> list[str]:
        """App text seen so far on the page or in any websocket message."""
        sent = b"".join(self.received)
        body = self.page.inner_text("body") + self.page.content()
        return [t for t in APP_TEXT if t in body or t.encode() in sent]


def test_lan_needs_the_password_before_anything_renders(tmp_path):
    secrets = f'[formcoach]\npassword_hash = "{hash_password(PASSWORD)}"\n'
    with StreamlitServer(env={"FORMCOACH_DB": str(tmp_path / "h.sqlite3")}, log_path=tmp_path / "server.log",
                         address="0.0.0.0", secrets_toml=secrets) as server, Browser(server.url) as b:
        page = b.page
        box = page.locator("input[type=password]")
        box.wait_for(timeout=90_000)
        time.sleep(1.0)  # let anything else the server would send arrive
        assert b.leaked() == []
        assert len(b.received) > 0  # the websocket was watched (the password form came through it)
        box.fill("wrong password 123")
        page.get_by_role("button", name="Open formcoach").click()
        wait_text(page, "Wrong password.")
        time.sleep(1.0)
        assert b.leaked() == []
        box = page.locator("input[type=password]")
        box.fill(PASSWORD)
        page.get_by_role("button", name="Open formcoach").click()
        wait_text(page, "What would you like to do?", 60)
        page.locator("input[type=password]").wait_for(state="detached", timeout=60_000)  # the form is gone
        assert "Stop if you feel" in page.inner_text("body")


def test_lan_without_a_password_is_refused(tmp_path):
    with StreamlitServer(env={"FORMCOACH_DB": str(tmp_path / "h.sqlite3")}, log_path=tmp_path / "server.log",
                         address="0.0.0.0") as server, Browser(server.url) as b:
        text = wait_text(b.page, "no password is set", 90)
        assert "python -m formcoach.access" in text and "secrets.toml" in text
        time.sleep(1.0)
        assert b.leaked() == []
        assert not (tmp_path / "h.sqlite3").exists()  # the app did not even open its history


def test_localhost_opens_without_a_password(tmp_path):
    with StreamlitServer(env={"FORMCOACH_DB": str(tmp_path / "h.sqlite3")}, log_path=tmp_path / "server.log",
                         secrets_toml=f'[formcoach]\npassword_hash = "{hash_password(PASSWORD)}"\n') as server, \
            Browser(server.url) as b:
        text = wait_text(b.page, "What would you like to do?", 90)
        assert "Password" not in text

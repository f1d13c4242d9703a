"""End to end: an uploaded file's name is shown as plain text, never rendered as Markdown (headless Chromium).

The name carries bold, a link, Streamlit's colour directive, LaTeX and HTML; the page must show those
characters as typed, with no bold text, link, colour or formula made from them.
"""

from __future__ import annotations

import tempfile
import time

import pytest

from tests.e2e.harness import CHROMIUM, CHROMIUM_FLAGS, StreamlitServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

NAME = "**b** [link](https:x.org) :red[r] $x^2$ <b>b <img src=x> # _i_ :smile:.mp4"  # no "/": paths are cut


def test_markdown_in_an_upload_name_is_shown_as_text(tmp_path):
    with StreamlitServer(env={"FORMCOACH_DB": str(tmp_path / "h.sqlite3")}, log_path=tmp_path / "server.log") \
            as server, sync_api.sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            tempfile.mkdtemp(prefix="fc-chromium-"), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_FLAGS, ignore_default_args=["--headless"], viewport={"width": 1280, "height": 1000})
        try:
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            page.goto(server.url, wait_until="domcontentloaded")
            page.get_by_text("Upload a video", exact=True).click(timeout=90_000)
            page.locator("input[type=file]").set_input_files(
                {"name": NAME, "mimeType": "video/mp4", "buffer": b"\x00not a video" * 200})
            page.get_by_role("button", name="Analyse").click(timeout=60_000)
            alert = page.locator("[data-testid=stAlertContentError]").filter(has_text="not a readable video")
            alert.wait_for(timeout=90_000)
            time.sleep(0.5)
            shown = alert.inner_text()
            html = alert.inner_html()
            assert NAME in shown, shown  # every character as typed
            for made in ("<strong", "<a ", "href=", "<em", "katex", "<b>", "<img", "color:", "<h1", "😄"):
                assert made not in html, (made, html)
        finally:
            ctx.close()

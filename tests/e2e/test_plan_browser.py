"""End to end: a new user opens "Plan and progress" in headless Chromium, gets a first plan, answers the
24-hour check-in, and the answer lands in the history file. A screenshot goes to ``out/e2e/``."""

from __future__ import annotations

import tempfile
from datetime import date

import pytest

from tests.e2e.harness import CHROMIUM, CHROMIUM_FLAGS, ROOT, StreamlitServer, wait_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

from formcoach.history import History


def test_new_user_plan_and_checkin_in_chromium(tmp_path):
    db = tmp_path / "history.sqlite3"
    with StreamlitServer(env={"FORMCOACH_DB": str(db)}, log_path=tmp_path / "server.log") as server, \
            sync_api.sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            tempfile.mkdtemp(prefix="fc-chromium-"), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_FLAGS, ignore_default_args=["--headless"], viewport={"width": 1280, "height": 1400})
        try:
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            page.goto(server.url, wait_until="domcontentloaded")
            wait_text(page, "What would you like to do?", 90)
            page.get_by_text("Plan and progress", exact=True).click()
            text = wait_text(page, "Today's plan")
            # The page streams in: wait for each line rather than reading it once.
            text = wait_text(page, "A first plan for you")
            assert f"starting {date.today()}" in text
            wait_text(page, "week 1, acute phase")
            wait_text(page, "feedback on movement, not a diagnosis")
            page.get_by_text("Yes, worse", exact=True).click()
            page.get_by_role("button", name="Save check-in").click()
            wait_text(page, "Check-in saved for")
            (ROOT / "out" / "e2e").mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ROOT / "out" / "e2e" / "plan_page.png"), full_page=True)
        finally:
            ctx.close()
    with History(db) as h:
        assert h.plan_count() == 1
        assert h.checkins() == [{"day": date.today().isoformat(), "answer": "worse", "seen_clinician": False}]

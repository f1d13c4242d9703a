"""End to end: ``streamlit run app.py`` + headless Debian Chromium with a fake webcam.

The fake camera plays a rep clip; the page's rep counter must rise and a cue must appear; at STOP
the session summary is shown and saved to history. A screenshot is saved to ``out/e2e/``.
The server runs on a free localhost port and is always stopped. It runs under strace where strace can
trace (tests/nettrace.py): live WebRTC on localhost works and nothing the server does leaves the machine.
"""

from __future__ import annotations

import pytest

from tests.e2e.harness import CHROMIUM, ROOT, LiveBrowser, StreamlitServer, make_y4m

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

from app_helpers import REP_CLIPS, pick
from nettrace import offences, strace_problem

from formcoach.history import History

SHOTS = ROOT / "out" / "e2e"


def test_live_page_counts_reps_shows_cue_and_saves(tmp_path):
    clip, exercise = pick(REP_CLIPS)
    y4m = make_y4m(clip, tmp_path / "cam.y4m", max_s=20)
    db = tmp_path / "history.sqlite3"
    trace = None if strace_problem() else tmp_path / "server.trace"
    with StreamlitServer(env={"FORMCOACH_DB": str(db)}, log_path=tmp_path / "server.log",
                         trace_path=trace) as server, \
            LiveBrowser(server.url, y4m, tmp_path / "chromium") as b:
        try:
            b.open(f"?exercise={exercise}")
            b.start()
            first = b.wait_for(lambda s: s.frames > 0, timeout_s=60)
            counted = b.wait_for(lambda s: s.reps > first.reps, timeout_s=120)
            cued = b.wait_for(lambda s: s.cue is not None, timeout_s=60)
            assert counted.reps > first.reps
            assert cued.cue
            shot = b.screenshot(SHOTS / "live_running.png")
            assert shot.stat().st_size > 10_000
            stats = b.video_stats()
            assert stats["w"] > 0 and stats["total"] > 0  # annotated frames reach the browser
            b.stop()
            b.page.get_by_text("Saved to history").wait_for(timeout=60_000)
            b.screenshot(SHOTS / "live_summary.png")
        except BaseException:
            b.screenshot(SHOTS / "live_failure.png")
            print(server.log()[-4000:])
            print("\n".join(b.console[-30:]))
            raise
    assert server.proc.poll() is not None  # the server is stopped
    if trace is not None:
        assert offences(trace) == []
    with History(db) as h:
        (row,) = h.sessions()
        assert row.source == "live" and row.exercise == exercise and row.reps >= 1

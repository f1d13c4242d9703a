"""The annotated video formcoach writes actually plays in Chromium (H.264, yuv420p, faststart)."""

import os
import tempfile
from pathlib import Path

import pytest
from conftest import SAMPLE_VIDEOS, shared_video

CHROMIUM = Path(os.environ.get("FORMCOACH_CHROMIUM", "/usr/bin/chromium"))
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed")]


def test_annotated_mp4_plays_in_chromium(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    from formcoach.engine import analyze_video, write_annotated_video

    clips = sorted(p for p in SAMPLE_VIDEOS.glob("*.mp4") if p.stat().st_size > 10_000)
    clip = clips[0] if clips else shared_video("gymnai_plank.mp4")
    report = analyze_video(clip)
    out = write_annotated_video(clip, report, tmp_path / "annotated.mp4")
    page_html = tmp_path / "play.html"
    page_html.write_text(f'<video id="v" src="{out.name}" muted playsinline></video>')
    with sync_api.sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            tempfile.mkdtemp(prefix="chr-"), executable_path=str(CHROMIUM), headless=True,
            ignore_default_args=["--headless"],
            args=["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--autoplay-policy=no-user-gesture-required", "--allow-file-access-from-files"])
        try:
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            page.goto(page_html.as_uri())
            page.evaluate("document.getElementById('v').play()")
            page.wait_for_function("() => { const v = document.getElementById('v');"
                                   " return v.readyState >= 2 && v.currentTime > 0.3; }", timeout=30_000)
            info = page.evaluate("() => { const v = document.getElementById('v');"
                                 " return {w: v.videoWidth, h: v.videoHeight, d: v.duration, err: v.error}; }")
        finally:
            ctx.close()
    assert info["err"] is None
    assert (info["w"], info["h"]) == (report.video.width - report.video.width % 2,
                                      report.video.height - report.video.height % 2)
    assert info["d"] == pytest.approx(report.poses[-1].timestamp_s, abs=0.2)

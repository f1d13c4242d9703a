"""End to end: ``streamlit run app.py`` + headless Debian Chromium with a fake webcam.

The fake camera loops the clean dead-bug clip. A guided set (targets from the page link: 2 sets of
2 good reps per side, 5 s rest) must run position -> countdown -> reps -> set complete -> rest ->
position for set 2; then STOP ends the session, which is saved with its set structure. The cue
line is at least 32 px; ``speechSynthesis.speak`` (instrumented in every frame) is called for the
countdown, the rep counts and set complete, never while another utterance is still going.
Screenshots of each phase go to ``out/e2e/`` (git-ignored). The server is always stopped. It runs
under strace where strace can trace (tests/nettrace.py): live WebRTC on localhost works and nothing
the server does leaves the machine.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.e2e.harness import CHROMIUM, ROOT, LiveBrowser, StreamlitServer, make_y4m

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

from conftest import SAMPLE_VIDEOS
from nettrace import offences, strace_problem

from formcoach.history import History

SHOTS = ROOT / "out" / "e2e"
CLIP = SAMPLE_VIDEOS / "dead_bug_clean.mp4"

# Logs every speak() into the top window; an utterance is "active" from speak() until its end or
# error event, or a cancel(). Runs in every frame (the app's and the components' iframes).
SPEECH_PROBE = """
(() => {
  if (!window.SpeechSynthesis || SpeechSynthesis.prototype.__fcProbe) return;
  const P = SpeechSynthesis.prototype;
  P.__fcProbe = true;
  const log = () => {
    let w = window;
    try { w = window.top; void w.document; } catch (e) { w = window; }
    return (w.__fcSpeech = w.__fcSpeech || {calls: [], active: [], overlaps: 0});
  };
  const speak = P.speak, cancel = P.cancel;
  P.speak = function (u) {
    const L = log();
    const overlapped = L.active.length > 0;
    if (overlapped) L.overlaps += 1;
    L.calls.push({text: u.text, t: Date.now(), overlapped});
    L.active.push(u);
    const end = () => { L.active = L.active.filter((x) => x !== u); };
    u.addEventListener("end", end);
    u.addEventListener("error", end);
    return speak.call(this, u);
  };
  P.cancel = function () { log().active = []; return cancel.call(this); };
})();
(() => {  // every phase the coach view shows, in order (the test's own polling may miss a short one)
  if (window !== window.top) return;
  window.__fcPhases = [];
  const note = () => {
    const el = document.querySelector("[data-fc-phase]");
    const ph = el && el.getAttribute("data-fc-phase");
    if (ph && window.__fcPhases[window.__fcPhases.length - 1] !== ph) window.__fcPhases.push(ph);
  };
  new MutationObserver(note).observe(document, {subtree: true, childList: true, attributes: true,
                                                attributeFilter: ["data-fc-phase"]});
})();
"""


def _shot(b, name: str) -> None:
    """A screenshot of the viewport as an artifact; a slow machine's timeout skips it, it fails nothing."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        b.page.screenshot(path=str(SHOTS / name), timeout=45_000)
    except PlaywrightTimeout:
        print(f"screenshot {name} timed out")


def _has(frame, selector: str) -> bool:
    try:
        return frame.locator(selector).count() > 0
    except Exception:  # noqa: BLE001 - component frames come and go while the page redraws
        return False


def _phase(b):
    loc = b.page.locator("[data-fc-phase]")
    return loc.first.get_attribute("data-fc-phase") if loc.count() else None


class TransportDropped(Exception):
    """The browser's WebRTC connection went ``disconnected`` / ``failed`` before the test pressed STOP.

    streamlit-webrtc's page (0.79) stops the stream on the first ``disconnected`` state, and the app then ends
    and saves the session as it should; the set simply did not finish. Seen once in CI (4 Dec 2026: the
    console went ``connected`` -> ``disconnected`` with no STOP pressed, and nothing in the server log). Not
    reproduced here (6 Dec 2026): 29 local runs passed, 23 of them beside 1-3 busy processes (8 with a disk
    writer too); one more failed beside a busy process and a pip install, its log not kept. Freezing the server
    (SIGSTOP) for 6 s did not drop the connection; for 40 s it did, as the server resumed. So the cause is not
    known; only this one event is retried, once.
    """


def _dropped(console: list[str]) -> bool:
    return any(re.search(r"connectionstatechange (disconnected|failed)", line) for line in console)


def test_guided_set_runs_speaks_and_is_saved(tmp_path):
    """One retry, only for a dropped WebRTC transport (see TransportDropped); any other failure fails at once."""
    if not CLIP.is_file():
        pytest.skip(f"{CLIP} is absent")
    try:
        _guided_set(tmp_path / "try1")
    except TransportDropped as e:
        print(f"first try: {e}; running the scenario again on a fresh server and browser")
        _guided_set(tmp_path / "try2")


def _guided_set(tmp_path):
    tmp_path.mkdir(parents=True)
    labels = json.loads(CLIP.with_suffix(".json").read_text())
    y4m = make_y4m(CLIP, tmp_path / "cam.y4m", max_s=30)
    db = tmp_path / "history.sqlite3"
    trace = None if strace_problem() else tmp_path / "server.trace"
    with StreamlitServer(env={"FORMCOACH_DB": str(db)}, log_path=tmp_path / "server.log",
                         trace_path=trace) as server, \
            LiveBrowser(server.url, y4m, tmp_path / "chromium", init_script=SPEECH_PROBE) as b:
        stopped = False
        try:
            b.open("?exercise=dead_bug&sets=2&reps=2&rest=5")
            b.start()
            shot: list[str] = []
            end = time.monotonic() + 240
            while time.monotonic() < end:
                seen = b.page.evaluate("() => window.__fcPhases")
                ph = seen[-1] if seen else None
                if ph and (not shot or shot[-1] != ph):
                    shot.append(ph)
                    _shot(b, f"guided_{len(shot):02d}_{ph}.png")
                after_rest = seen[seen.index("rest") + 1:] if "rest" in seen else []
                if after_rest or ph in ("done", "stopped"):
                    break
                time.sleep(0.25)
            # the state machine's own record, as the page carries it (a slow machine may redraw past a phase)
            history = b.page.locator("[data-fc-history]").first.get_attribute("data-fc-history").split()
            assert history[:6] == ["position", "countdown", "active", "set_complete", "rest", "position"], history
            assert {"active", "set_complete", "rest"} <= set(seen), seen  # and the screen showed them
            sb = b.scoreboard()
            assert sb.frames > 0 and sb.reps >= 4  # the checker's own count, in the diagnostics line
            stats = b.video_stats()
            assert stats["w"] > 0 and stats["total"] > 0  # annotated frames reach the browser
            cue = b.page.locator("[data-fc-cue]").first
            size = cue.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
            assert size >= 32, size
            # the full-screen switch (in its own component frame) puts the page in full screen and back
            switch = next(f for f in b.page.frames if f != b.page.main_frame and _has(f, "#fs"))
            switch.locator("#fs").click()
            b.page.wait_for_function("() => !!document.fullscreenElement", timeout=20_000)
            _shot(b, "guided_fullscreen.png")
            switch.locator("#fs").click()
            b.page.wait_for_function("() => !document.fullscreenElement", timeout=20_000)
            speech = b.page.evaluate("() => window.__fcSpeech")
            stopped = True
            b.stop()
            b.page.get_by_text("Saved to history").wait_for(timeout=60_000)
            _shot(b, "guided_summary.png")
            summary_text = b.page.locator("[data-fc-summary]").first.inner_text()
        except BaseException as e:
            _shot(b, "guided_failure.png")
            print(server.log()[-4000:])
            print("\n".join(b.console[-30:]))
            try:
                print(f"scoreboard at the failure: {b.scoreboard()}")  # frames, fps and latency the server reached
            except Exception as err:  # noqa: BLE001 - the page may be gone; the failure itself is what matters
                print(f"no scoreboard: {err}")
            if not stopped and _dropped(b.console) and isinstance(e, Exception):
                raise TransportDropped(f"the WebRTC connection dropped before STOP ({type(e).__name__})") from e
            raise
    assert server.proc.poll() is not None  # the server is stopped
    if trace is not None:
        assert offences(trace) == []
    said = [c["text"] for c in speech["calls"]]
    assert speech["overlaps"] == 0 and not any(c["overlapped"] for c in speech["calls"]), said
    for line in ("3", "2", "1", "Go!"):
        assert line in said, (line, said)
    for count in ("1 left.", "1 right.", "2 left.", "2 right."):  # "2 left. Good." when praised
        assert any(t.startswith(count) for t in said), (count, said)
    assert any(t.startswith("Set 1 complete. 2 left, 2 right.") for t in said), said
    # the clip: clean dead-bug reps alternating sides, no faults
    assert not labels["faults"] and {r["side"] for r in labels["reps"]} == {"left", "right"}
    assert summary_text.startswith("Set 1: 2 left, 2 right counted")
    # the lower back and the breath are never judged (the arch proxy is not trusted; no landmark shows breathing):
    # the summary must not claim good form for them (a rep timed from too few frames, on a loaded machine, adds
    # "moving too fast" to what was not checked)
    assert re.search(r"No faults seen in what was checked\. Not checked: lower back arching, holding the breath"
                     r"(, moving too fast)?\.", summary_text), summary_text
    with History(db) as h:
        (row,) = h.sessions()
        assert row.source == "live" and row.exercise == "dead_bug"
        guided = h.details(row.id)["guided"]
        assert guided["target"] == {"sets": 2, "reps_per_side": 2, "hold_s": 2.0, "rest_s": 5.0, "level": ""}
        s1 = guided["sets"][0]
        assert s1["complete"] and s1["reps_by_side"] == {"left": 2, "right": 2} and s1["faults"] == {}
        assert s1["rest_s"] == pytest.approx(5, abs=0.5)
        assert row.reps_left >= 2 and row.reps_right >= 2  # the set's reps, each one stored

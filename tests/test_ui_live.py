"""The live coach view's HTML and set tables (pure functions of the snapshots)."""

from exercises.base import Cue, FrameVerdict, Severity
from exercises.registry import EXERCISES
from formcoach.guided import GuidedSet, Phase, SetSummary, SetTarget
from formcoach.live import LiveStatus
from ui.live import coach_html, set_rows, set_text


def _status(cue=None):
    v = FrameVerdict(1.0, True, {}, (), cue, {"left": 3, "right": 2}, 1.5, 4.0, "holding")
    return LiveStatus(running=True, frames_in=10, frames_processed=10, fps=24.6, latency_ms=41, latency_p90_ms=60,
                      verdict=v, cue=cue)


def test_cue_is_escaped_and_styled_by_severity():
    g = GuidedSet(SetTarget("dead_bug", sets=1, reps_per_side=2))
    for t in (0.0, 0.5):
        g.feed(t, FrameVerdict(t, True, {}, (), Cue("low_back_arch", Severity.WARNING, "Back <down> & flat", t),
                               {}, 0.0, 0.0, "rest"))
    html = coach_html(_status(), g.status(), EXERCISES["dead_bug"])
    assert "Back &lt;down&gt; &amp; flat" in html and "fc-warn" in html
    assert 'data-fc-phase="position"' in html
    assert "Reps left 3 · right 2 · hold 1.5 s · 25 fps processed · latency 41 ms (p90 60) · 10 frames" in html


def test_countdown_shows_one_big_number():
    g = GuidedSet(SetTarget("dead_bug", sets=1, reps_per_side=2))
    t = 0.0
    while g.status().phase != Phase.COUNTDOWN:
        g.feed(t, FrameVerdict(t, True, {}, (), None, {}, 0.0, 0.0, "rest"))
        t += 0.1
    html = coach_html(_status(), g.status(), EXERCISES["dead_bug"])
    assert 'class="fc-cue fc-big" data-fc-cue>3<' in html


def test_set_words_and_rounded_table():
    s = SetSummary(1, 0.0, 60.0, True, {"left": 10, "right": 9}, {"left": 11, "right": 10}, 2.46, 2.04, 0.0,
                   {"low_back_arch": 2}, "Reach only as far as your lower back stays on the floor.", rest_s=59.96)
    assert set_text(s, timed=False) == (
        "Set 1: 10 left, 9 right counted (21 tried). Best hold 2.5 s, average 2.0 s. Faults: lower back arching ×2. "
        "Next time: Reach only as far as your lower back stays on the floor.")
    (row,) = set_rows([s.to_dict()])
    assert row == {"set": 1, "complete": "yes", "left": 10, "right": 9, "tried": 21, "best hold (s)": 2.5,
                   "average hold (s)": 2.0, "faults": "lower back arching x2", "rest after (s)": 60}
    # A clean set whose reps could not judge the lower back does not claim "no form faults".
    clean = SetSummary(1, 0.0, 60.0, True, {"left": 2, "right": 2}, {"left": 2, "right": 2}, 2.2, 2.1, 0.0, {},
                       "Keep it up.", not_checked=("low_back_arch",))
    text = set_text(clean, timed=False)
    assert "No form faults seen" not in text
    assert "No faults seen in what was checked. Not checked: lower back arching." in text


def test_coach_loop_renders_the_voice_feeder_once_per_new_utterance_not_per_poll(monkeypatch):
    # The loop redraws the board every poll; the speech feeder (an iframe carrying the speaker script)
    # must be rendered only when the guided set has something new to say.
    import ui.live as live

    g = GuidedSet(SetTarget("dead_bug", sets=1, reps_per_side=2))
    fed: list[list[int]] = []
    monkeypatch.setattr(live, "speak_queue", lambda key, us, muted: fed.append([u.id for u in us]))
    boards: list[str] = []
    monkeypatch.setattr(live, "coach_html", lambda status, gs, spec: boards.append(gs.phase.value) or "")
    t = [0.0]

    def poll(_s):  # one poll = 0.3 s of media time, in position: the countdown starts and speaks
        for _ in range(9):
            g.feed(t[0], FrameVerdict(t[0], True, {}, (), None, {}, 0.0, 0.0, "rest"))
            t[0] += 1 / 30

    monkeypatch.setattr(live.time, "sleep", poll)

    class Ctx:
        polls = 0

        @property
        def state(self):
            self.polls += 1
            return type("S", (), {"playing": self.polls <= 40})()

    class Coach:
        exercise, started, finished, guided = "dead_bug", True, False, g

        def status(self):
            return _status()

    live.coach_loop(None, Ctx(), Coach(), None, False, live.st.empty())
    assert len(boards) == 40  # redrawn every poll
    said = [u.id for u in g.status().utterances]
    assert said[-1] >= 4  # "get into position", 3, 2, 1, Go! ...
    assert 2 <= len(fed) < 10 and fed[-1][-1] == said[-1]
    assert all(a[-1] < b[-1] for a, b in zip(fed, fed[1:]))  # each render brings something new

"""The live video callback, driven with real ``av.VideoFrame`` objects and a fake pipeline."""

from __future__ import annotations

import itertools
import threading

import av
import numpy as np
import pytest

from exercises.base import Cue, ExerciseSummary, FrameVerdict, Severity
from exercises.pose import Landmark, PoseFrame
from formcoach.live import ConfigError, LiveCoach, LiveStatus, ice_servers_from_env, rtc_configuration

W, H = 320, 240


class FakeChecker:
    def __init__(self):
        self.n = 0

    def summary(self):
        return ExerciseSummary("dead_bug", (), {"left": self.n // 10, "right": 0}, 0.0, 0.0, {}, (), (), 0.0)


class FakePipeline:
    """Records what it was given; finds a 'person' whose left wrist is at the image's brightest column."""

    instances = 0

    def __init__(self):
        FakePipeline.instances += 1
        self.images, self.times, self.closed = [], [], False
        self.checker = FakeChecker()

    def process(self, image_bgr, t):
        self.images.append(image_bgr.copy())
        self.times.append(t)
        self.checker.n += 1
        col = int(np.argmax(image_bgr[..., 2].sum(axis=0)))  # red stripe = the person's left wrist
        xy = np.full((33, 2), np.nan)
        xy[Landmark.LEFT_WRIST] = (col, H / 2)
        vis = np.zeros(33)
        vis[Landmark.LEFT_WRIST] = 1.0
        pose = PoseFrame(xy=xy, visibility=vis, timestamp_s=t, image_wh=(image_bgr.shape[1], image_bgr.shape[0]))
        cue = None
        if 5 <= self.checker.n < 10 or self.checker.n >= 13:  # a cue, a pause, the cue again
            cue = Cue("hip_sag", Severity.WARNING, "Lift your hips", t)
        v = FrameVerdict(t, self.checker.n > 2, {"m": 1.0}, (), cue, {"left": self.checker.n // 10, "right": 0},
                         0.0, 0.0, "moving")
        return pose, v

    def close(self):
        self.closed = True


def _frame(i: int, red_col: int = 40) -> av.VideoFrame:
    img = np.zeros((H, W, 3), np.uint8)
    img[:, red_col, 2] = 255  # BGR: red
    f = av.VideoFrame.from_ndarray(img, format="bgr24")
    f.pts = i * 3000
    from fractions import Fraction
    f.time_base = Fraction(1, 90000)
    return f


@pytest.fixture
def coach():
    FakePipeline.instances = 0
    pipes = []

    def factory():
        p = FakePipeline()
        pipes.append(p)
        return p

    c = LiveCoach("dead_bug", pipeline_factory=factory, timed=False, title="Dead bug",
                  people_counter_factory=lambda: FakeCounter([1]))
    c.pipes = pipes
    return c


class FakeCounter:
    def __init__(self, answers):
        self.answers, self.calls, self.closed = list(answers), [], False

    def count(self, image_bgr):
        self.calls.append(image_bgr.shape)
        a = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(a, Exception):
            raise a
        return a

    def close(self):
        self.closed = True


def test_second_person_checked_every_interval_of_media_time():
    counters = []

    def make():
        counters.append(FakeCounter([1, 2, 2, RuntimeError("boom"), 2, 2]))
        return counters[-1]

    c = LiveCoach("dead_bug", pipeline_factory=FakePipeline, timed=False, title="Dead bug",
                  people_check_interval_s=2.0, people_counter_factory=make)
    seen = []
    for i in range(int(10.5 * 30)):  # 10.5 s of 30 fps media time
        c(_frame(i))
        seen.append(c.status().people_in_view)
    (counter,) = counters
    assert len(counter.calls) == 6  # t = 0, 2, 4, 6, 8, 10
    at = {t_s: seen[t_s * 30 + 1] for t_s in (0, 2, 4, 6, 8, 10)}  # just after each check
    # one stray "2" is not enough, two in a row are; a failed check is unknown, then it starts over
    assert at == {0: 1, 2: 1, 4: 2, 6: -1, 8: 1, 10: 2}
    assert -1 in seen  # a failed count is "unknown", not fatal
    assert LiveStatus(people_in_view=2).crowded and not LiveStatus(people_in_view=1).crowded
    assert c.status().crowded
    assert c.status().error is None and c.status().frames_processed == len(seen)
    c.finish()
    assert counter.closed


def test_people_check_can_be_turned_off():
    def never():
        raise AssertionError("no counter expected")

    c = LiveCoach("dead_bug", pipeline_factory=FakePipeline, timed=False, title="Dead bug",
                  people_check_interval_s=None, people_counter_factory=never)
    for i in range(90):
        c(_frame(i))
    assert c.status().people_in_view == -1 and c.status().error is None


def test_model_built_once_per_stream_and_closed_at_stop(coach):
    for i in range(12):
        out = coach(_frame(i))
        assert isinstance(out, av.VideoFrame)
        assert (out.width, out.height) == (W, H)
        assert out.pts == i * 3000
    assert coach.pipelines_built == 1 and len(coach.pipes) == 1
    s = coach.status()
    assert s.running and s.frames_in == 12 and s.frames_processed == 12
    summary = coach.finish()
    assert summary.reps_by_side["left"] == 1
    assert coach.pipes[0].closed
    assert coach.finish() is summary  # idempotent
    assert not coach.status().running
    coach(_frame(13))  # frames after stop are shown, not analysed, and build nothing
    assert coach.pipelines_built == 1 and len(coach.pipes[0].images) == 12


def test_data_unmirrored_display_mirrored(coach):
    out = coach(_frame(0, red_col=40)).to_ndarray(format="bgr24")
    seen = coach.pipes[0].images[0]
    assert int(np.argmax(seen[..., 2].sum(axis=0))) == 40  # the model sees the camera image as captured
    # the display is a selfie view: the stripe is at W-1-40, and the skeleton joint drawn there too
    band = out[H // 2 - 30:H // 2 - 10]  # clear of the text banners and the joint dot
    assert band[:, W - 1 - 40, 2].min() == 255 and band[:, 40, 2].max() == 0
    # the skeleton is mirrored with the image: the wrist dot sits on the mirrored stripe
    dot = out[H // 2 - 2:H // 2 + 3, W - 1 - 40 - 8:W - 1 - 40 + 9]
    assert (dot != [0, 0, 255]).any(axis=-1).sum() > 5 and out[H // 2, 40 - 5:40 + 6].max() == 0


def test_no_mirror_option():
    c = LiveCoach("dead_bug", pipeline_factory=FakePipeline, timed=False, title="x", mirror=False,
                  people_check_interval_s=None)
    out = c(_frame(0, red_col=40)).to_ndarray(format="bgr24")
    band = out[H // 2 - 30:H // 2 - 10]
    assert band[:, 40, 2].min() == 255 and band[:, W - 1 - 40, 2].max() == 0


def test_media_time_drives_the_checker_strictly_increasing(coach):
    for i in (0, 1, 2, 2, 5):  # a repeated pts must not go backwards or repeat
        coach(_frame(i))
    ts = coach.pipes[0].times
    assert ts[0] == 0.0 and ts[1] == pytest.approx(3000 / 90000)
    assert all(b > a for a, b in itertools.pairwise(ts))
    assert ts[-1] == pytest.approx(5 * 3000 / 90000)


def test_cue_sequence_counts_new_cues_once(coach):
    for i in range(4):
        coach(_frame(i))
    assert coach.status().cue is None and coach.status().cue_seq == 0
    for i in range(4, 9):
        coach(_frame(i))
    s = coach.status()
    assert s.cue.code == "hip_sag" and s.cue_seq == 1  # same cue held: spoken once
    for i in range(9, 12):
        coach(_frame(i))
    assert coach.status().cue is None and coach.status().cue_seq == 1  # the cue is gone from the screen
    for i in range(12, 15):
        coach(_frame(i))
    assert coach.status().cue.code == "hip_sag" and coach.status().cue_seq == 2  # back again: said again


def test_errors_are_reported_not_fatal():
    class Broken(FakePipeline):
        def process(self, image_bgr, t):
            raise RuntimeError("model exploded\nsecond line")

    c = LiveCoach("dead_bug", pipeline_factory=Broken, timed=False, title="x", people_check_interval_s=None)
    out = c(_frame(0))
    assert isinstance(out, av.VideoFrame)
    s = c.status()
    assert s.error == "model exploded" and s.frames_in == 1 and s.frames_processed == 0


def test_fps_and_latency_from_injected_clock():
    now = [100.0]
    c = LiveCoach("dead_bug", pipeline_factory=FakePipeline, timed=False, title="x", clock=lambda: now[0],
                  people_check_interval_s=None)
    for i in range(30):
        now[0] = 100.0 + i / 30 + 0.010  # frames arrive 10 ms after capture, processing takes no clock time
        c.process_image(np.zeros((H, W, 3), np.uint8), i / 30)
    s = c.status()
    assert s.fps == pytest.approx(30.0, rel=0.01)
    assert s.latency_ms == pytest.approx(0.0, abs=1e-6)
    # now a backlog builds: each frame arrives 20 ms later than the one before
    for i in range(30, 60):
        now[0] = 100.0 + i / 30 + 0.010 + (i - 29) * 0.020
        c.process_image(np.zeros((H, W, 3), np.uint8), i / 30)
    first, last = c.latency_trend(window_s=0.5)
    assert first == pytest.approx(0.0, abs=1e-6) and last > 400


def test_script_thread_reads_while_worker_runs(coach):
    stop = threading.Event()
    seen = []

    def reader():
        while not stop.is_set():
            seen.append(coach.status().frames_in)

    th = threading.Thread(target=reader)
    th.start()
    for i in range(50):
        coach(_frame(i))
    stop.set()
    th.join()
    assert seen == sorted(seen) and coach.status().frames_in == 50


def test_ice_servers_config():
    assert ice_servers_from_env({}) == []
    assert rtc_configuration({}) == {"iceServers": []}
    one = '{"urls": ["stun:stun.example.org:3478"]}'
    assert ice_servers_from_env({"FORMCOACH_ICE_SERVERS": one}) == [{"urls": ["stun:stun.example.org:3478"]}]
    with pytest.raises(ConfigError, match="not valid JSON"):
        ice_servers_from_env({"FORMCOACH_ICE_SERVERS": "stun:x"})
    with pytest.raises(ConfigError, match="urls"):
        ice_servers_from_env({"FORMCOACH_ICE_SERVERS": '[{"url": "stun:x"}]'})


class Follower:
    def __init__(self):
        self.fed = []

    def feed(self, t, verdict):
        self.fed.append((t, verdict))


def test_guided_follower_gets_each_verdict_at_media_time(coach):
    coach.guided = Follower()
    for i in range(6):
        coach(_frame(i))
    (pipe,) = coach.pipes
    assert [t for t, _ in coach.guided.fed] == pipe.times
    assert [v.judgeable for _, v in coach.guided.fed] == [False, False, True, True, True, True]


def test_background_build_shows_frames_until_the_model_is_ready():
    release = threading.Event()
    pipes = []

    def slow_factory():
        release.wait(10)
        pipes.append(FakePipeline())
        return pipes[-1]

    c = LiveCoach("dead_bug", pipeline_factory=slow_factory, timed=False, title="x", build_in_background=True,
                  people_counter_factory=lambda: FakeCounter([1]))
    for i in range(3):
        out = c(_frame(i))
        assert (out.width, out.height) == (W, H)  # shown at once, not analysed
    assert not c.started and c.status().frames_processed == 0 and c.pipelines_built == 0
    release.set()
    c._builder.join(5)
    for i in range(3, 6):
        c(_frame(i))
    assert c.pipelines_built == 1 and len(pipes) == 1 and c.status().frames_processed == 3
    assert pipes[0].times[0] == 0.0  # media time starts at the first analysed frame
    c.finish()
    assert pipes[0].closed


def test_background_build_finishing_first_closes_the_late_model():
    release = threading.Event()
    pipes = []

    def slow_factory():
        release.wait(10)
        pipes.append(FakePipeline())
        return pipes[-1]

    c = LiveCoach("dead_bug", pipeline_factory=slow_factory, timed=False, title="x", build_in_background=True,
                  people_check_interval_s=None)
    c(_frame(0))
    assert c.finish() is None
    release.set()
    c._builder.join(5)
    assert pipes[0].closed and c.pipelines_built == 0


@pytest.mark.slow
def test_real_model_drives_a_guided_set_from_frame_pts():
    """A clean dead-bug clip as camera frames: position, countdown, then 1 good rep per side completes the set."""
    from formcoach.guided import GuidedSet, Phase, SetTarget

    path = __import__("conftest").SAMPLE_VIDEOS / "dead_bug_clean.mp4"
    coach = LiveCoach("dead_bug", people_check_interval_s=None)
    coach.guided = g = GuidedSet(SetTarget("dead_bug", sets=1, reps_per_side=1, hold_s=2.0))
    phases = []
    with av.open(str(path)) as c:
        for f in c.decode(video=0):
            coach(f)
            if not phases or phases[-1] != g.status().phase:
                phases.append(g.status().phase)
    coach.finish()
    assert phases == [Phase.POSITION, Phase.COUNTDOWN, Phase.ACTIVE, Phase.SET_COMPLETE, Phase.DONE]
    (s,) = g.status().sets
    assert s.complete and s.reps_by_side == {"left": 1, "right": 1} and s.faults == {}  # the clip is clean
    spoken = [u.text for u in g.status().utterances]
    assert spoken[1:5] == ["3", "2", "1", "Go!"] and "1 right." in spoken and "1 left." in spoken


@pytest.mark.slow
def test_real_model_through_the_callback_counts_from_frame_pts():
    """A rep clip fed as camera frames (with their pts) through the default pipeline (lite model)."""
    from app_helpers import REP_CLIPS, pick

    path, exercise = pick(REP_CLIPS)
    coach = LiveCoach(exercise)
    with av.open(str(path)) as c:
        for f in c.decode(video=0):
            out = coach(f)
            assert (out.width, out.height) == (f.width, f.height)
    s = coach.status()
    assert coach.pipelines_built == 1 and s.frames_processed == s.frames_in > 0 and s.error is None
    assert s.detected and s.people_in_view == 1 and not s.crowded
    summary = coach.finish()
    assert summary.exercise == exercise and sum(summary.reps_by_side.values()) >= 1
    assert coach.duration_s == pytest.approx(s.elapsed_s) and coach.duration_s > 5


@pytest.mark.slow
def test_real_second_person_is_reported_live():
    """Two rendered people (conftest.two_people_frames) through the real models, and one as the control."""
    from conftest import two_people_frames

    two, one, fps = two_people_frames(20)
    for pair, expected in ((False, 1), (True, 2)):
        coach = LiveCoach("plank", people_check_interval_s=0.25)
        for i, img in enumerate(two if pair else one):
            coach.process_image(img, i / fps)
        s = coach.status()
        coach.finish()
        assert s.error is None and s.people_in_view == expected and s.crowded == pair


class PlankPipeline:
    """The real plank checker on a synthetic side-on plank, whatever the image (the checker's own count)."""

    def __init__(self):
        from exercises.plank import PlankChecker

        self.checker = PlankChecker()

    def process(self, image_bgr, t):
        from tests.synthetic import plank_frame

        pose = plank_frame(t)
        return pose, self.checker.update(pose)

    def close(self):
        pass


def test_a_stalled_stream_is_shown_as_unseen_time_and_kept_in_the_summary():
    """5 s with no frame mid-set (a stalled camera, connection or machine): the snapshot the page reads
    carries the checker's unseen seconds, and the saved summary keeps them; the hold does not grow by them."""
    from exercises.common import MAX_FRAME_STEP_S, unseen_note

    c = LiveCoach("plank", pipeline_factory=PlankPipeline, people_check_interval_s=None)
    for i in range(60):
        c(_frame(i))
    assert c.status().unseen_s == 0.0
    for i in range(60):
        c(_frame(60 + 150 + i))  # pts jump: 150 frames (5 s at 30 fps) never arrive
    st = c.status()
    assert st.unseen_s == pytest.approx(5.0 + 1 / 30 - MAX_FRAME_STEP_S, abs=1e-3)
    assert unseen_note(st.unseen_s).startswith("5 s with no video")
    s = c.finish()
    assert s.unseen_s == pytest.approx(st.unseen_s)
    assert s.hold_s < 4.5  # 2 s + 2 s in position, plus at most one frame's step across the stall

"""The guided-set state machine, fed synthetic checker outputs at media timestamps."""

from __future__ import annotations

import pytest

from exercises.base import Cue, Fault, FrameVerdict, RepRecord, RepVerdict, Severity
from formcoach.guided import (
    KEEP_HISTORY,
    PLANK_LEVELS,
    GuidedSet,
    Phase,
    SetTarget,
    VoicePolicy,
    fault_words,
    prescription,
)

DT = 1 / 30


def verdict(t, *, phase="rest", judgeable=True, rep=None, hold_s=0.0, good_form_s=0.0, cue=None, faults=()):
    return FrameVerdict(timestamp_s=t, judgeable=judgeable, metrics={}, active_faults=tuple(faults), cue=cue,
                        reps_by_side={}, hold_s=hold_s, good_form_s=good_form_s, phase=phase, rep_completed=rep)


def rep(side, t, verdict_=RepVerdict.GOOD, hold_s=2.0, faults=()):
    return RepRecord(side, t - 0.2, t, hold_s, tuple(Fault(f, 12.0, t - 3, t - 2) for f in faults), verdict_, "")


class Feeder:
    def __init__(self, g: GuidedSet, t: float = 0.0):
        self.g, self.t = g, t

    def run(self, seconds: float, **kw):
        end = self.t + seconds
        while self.t < end:
            self.g.feed(self.t, verdict(self.t, **kw))
            self.t += DT
        return self.g.status()

    def one(self, **kw):
        self.g.feed(self.t, verdict(self.t, **kw))
        self.t += DT
        return self.g.status()


def said(g, kind=None):
    return [u.text for u in g.status().utterances if kind is None or u.kind == kind]


def start_set(f: Feeder):
    """In position until the countdown has run and the set is active."""
    st = f.run(1.2)
    assert st.phase == Phase.COUNTDOWN
    st = f.run(3.1)
    assert st.phase == Phase.ACTIVE
    return st


def test_waits_for_position_and_says_what_to_change():
    g = GuidedSet(SetTarget("dead_bug", sets=1, reps_per_side=2))
    f = Feeder(g)
    setup = Cue("turn_side_on", Severity.SETUP, "Turn side-on to the camera.", 0.0)
    st = f.run(5.0, judgeable=False, phase="cant_judge", cue=setup)
    assert st.phase == Phase.POSITION
    assert said(g, "setup") == ["Turn side-on to the camera."]  # said once, not every frame
    assert st.cue == "Turn side-on to the camera."
    st = f.run(0.5)  # in position, but not yet for ready_s
    assert st.phase == Phase.POSITION


def test_countdown_then_reps_count_only_good_ones_and_set_completes():
    g = GuidedSet(SetTarget("dead_bug", sets=2, reps_per_side=2, hold_s=2.0, rest_s=20))
    f = Feeder(g)
    start_set(f)
    assert said(g, "countdown") == ["3", "2", "1", "Go!"]
    f.one(rep=rep("left", f.t))
    f.one(rep=rep("right", f.t, RepVerdict.FAULT, faults=("low_back_arch",)))
    st = f.one(rep=rep("right", f.t))
    assert st.reps_by_side == {"left": 1, "right": 1} and st.attempts_by_side == {"left": 1, "right": 2}
    assert "Not counted: lower back arching." in said(g, "count")
    f.one(rep=rep("left", f.t, RepVerdict.INCOMPLETE, hold_s=0.5, faults=("incomplete_extension",)))
    assert g.status().phase == Phase.ACTIVE
    f.one(rep=rep("left", f.t, hold_s=3.0))
    st = f.one(rep=rep("right", f.t, hold_s=2.5))
    assert st.phase == Phase.SET_COMPLETE
    (s,) = st.sets
    assert s.complete and s.reps_by_side == {"left": 2, "right": 2} and s.attempts_by_side == {"left": 3, "right": 3}
    assert s.best_hold_s == 3.0
    assert s.avg_hold_s == pytest.approx((2 + 2 + 2 + 0.5 + 3 + 2.5) / 6)
    assert s.faults == {"low_back_arch": 1, "incomplete_extension": 1}
    assert s.work_on  # one thing to work on
    assert said(g, "summary")[-1].startswith("Set 1 complete. 2 left, 2 right.")
    # the summary stays, then the rest timer runs from media time, then position for set 2
    st = f.run(4.0)
    assert st.phase == Phase.SET_COMPLETE
    st = f.run(1.1)
    assert st.phase == Phase.REST and st.rest_left_s == pytest.approx(20, abs=0.2)
    assert said(g, "rest")[-1] == "Rest for 20 seconds."
    st = f.run(10.5)
    assert st.phase == Phase.REST and 9 <= st.rest_left_s <= 10
    assert said(g, "rest")[-1] == "10 seconds of rest left."
    st = f.run(10.0)
    assert st.phase == Phase.POSITION and st.set_index == 2 and st.reps_by_side == {"left": 0, "right": 0}
    assert st.history == (Phase.POSITION, Phase.COUNTDOWN, Phase.ACTIVE, Phase.SET_COMPLETE, Phase.REST,
                          Phase.POSITION)
    assert said(g, "rest")[-1] == "Set 2. Get into position."
    assert st.sets[0].rest_s == pytest.approx(20, abs=0.1)


def test_reps_before_go_and_during_rest_do_not_count():
    g = GuidedSet(SetTarget("dead_bug", sets=2, reps_per_side=1, rest_s=30), VoicePolicy(set_complete_s=0.5))
    f = Feeder(g)
    assert f.run(1.2).phase == Phase.COUNTDOWN
    f.one(rep=rep("left", f.t))  # in the countdown
    assert f.run(3.0).phase == Phase.ACTIVE
    f.one(rep=RepRecord("right", f.t - 4, f.t, 2.0, (), RepVerdict.GOOD, ""))  # begun before "go"
    assert g.status().reps_by_side == {"left": 0, "right": 0}
    f.one(rep=rep("left", f.t))
    f.one(rep=rep("right", f.t))
    assert f.run(0.6).phase == Phase.REST
    f.one(rep=rep("left", f.t))  # while resting
    st = g.status()
    assert st.sets[0].reps_by_side == {"left": 1, "right": 1} and st.reps_by_side == {"left": 1, "right": 1}


def test_whole_session_ends_done_and_records_structure():
    g = GuidedSet(SetTarget("dead_bug", sets=2, reps_per_side=1, rest_s=5), VoicePolicy(set_complete_s=1.0))
    f = Feeder(g)
    for _ in range(2):
        start_set(f)
        f.one(rep=rep("left", f.t))
        f.one(rep=rep("right", f.t))
        assert g.status().phase == Phase.SET_COMPLETE
        f.run(1.1)
        f.run(5.1)
    st = g.status()
    assert st.phase == Phase.DONE and st.finished and len(st.sets) == 2
    d = g.details()["guided"]
    assert d["target"]["sets"] == 2 and d["outcome"] == "done"
    assert [s["reps_by_side"] for s in d["sets"]] == [{"left": 1, "right": 1}] * 2
    assert d["sets"][0]["rest_s"] == pytest.approx(5, abs=0.1)
    assert said(g)[-1] == "That's the whole session. Well done."
    n = len(said(g))
    f.run(2.0)
    assert len(said(g)) == n  # finished: nothing more happens


def test_stop_mid_set_summarises_it_as_stopped():
    g = GuidedSet(SetTarget("bird_dog", sets=2, reps_per_side=10, hold_s=5))
    f = Feeder(g)
    start_set(f)
    f.one(rep=rep("left", f.t, hold_s=6))
    g.stop()
    g.stop()
    st = g.status()
    assert st.phase == Phase.STOPPED
    (s,) = st.sets
    assert not s.complete and s.reps_by_side == {"left": 1, "right": 0}
    assert said(g, "summary")[-1].startswith("Set 1 stopped.")


def test_countdown_goes_back_to_position_when_the_person_leaves():
    g = GuidedSet(SetTarget("dead_bug", sets=1, reps_per_side=1))
    f = Feeder(g)
    assert f.run(1.5).phase == Phase.COUNTDOWN
    assert f.run(2.0, judgeable=False, phase="cant_judge").phase == Phase.POSITION


def test_plank_hold_counts_only_good_form_time():
    g = GuidedSet(SetTarget("plank", sets=1, reps_per_side=0, hold_s=10))
    f = Feeder(g)
    gf = 0.0
    f.run(1.2, phase="holding")
    f.run(3.1, phase="holding")
    assert g.status().phase == Phase.ACTIVE
    # 4 s good, 3 s sagging (no good-form credit), then good until the target
    for _ in range(int(4 / DT)):
        gf += DT
        f.one(phase="holding", good_form_s=gf)
    assert g.status().hold_s == pytest.approx(4, abs=0.1)
    sag = Cue("hip_sag", Severity.WARNING, "Lift your hips.", f.t)
    for _ in range(int(3 / DT)):
        f.one(phase="holding", good_form_s=gf, faults=("hip_sag",), cue=sag)
    st = g.status()
    assert st.phase == Phase.ACTIVE and st.hold_s == pytest.approx(4, abs=0.1)
    assert said(g, "correction") == ["Lift your hips."]
    while g.status().phase == Phase.ACTIVE and f.t < 60:
        gf += DT
        f.one(phase="holding", good_form_s=gf)
    st = g.status()
    assert st.phase == Phase.SET_COMPLETE
    assert f.t == pytest.approx(4.3 + 13, abs=0.3)  # 10 s of good form took 13 s
    (s,) = st.sets
    assert s.good_hold_s == pytest.approx(10, abs=0.05) and s.faults == {"hip_sag": 1}
    assert "lift your hips" not in s.work_on.lower() and "straight line" in s.work_on
    holds = said(g, "hold")
    assert holds == ["5 seconds left", "3", "2", "1"]


def test_one_correction_at_a_time_with_cooldown():
    g = GuidedSet(SetTarget("dead_bug", sets=1, reps_per_side=5), VoicePolicy(correction_cooldown_s=8))
    f = Feeder(g)
    start_set(f)
    arch = Cue("low_back_arch", Severity.WARNING, "Keep your back down.", 0)
    drop = Cue("leg_drop", Severity.WARNING, "Keep the leg higher.", 0)
    f.run(1.0, phase="holding", cue=arch)
    f.run(1.0, phase="holding", cue=drop)  # a new fault 1 s later: not said (cooldown)
    f.run(1.0, phase="holding")
    f.run(1.0, phase="holding", cue=arch)
    assert said(g, "correction") == ["Keep your back down."]
    f.run(6.0, phase="holding")
    f.run(0.5, phase="holding", cue=drop)
    assert said(g, "correction") == ["Keep your back down.", "Keep the leg higher."]


def test_hold_seconds_remaining_breathing_and_sparing_praise():
    g = GuidedSet(SetTarget("bird_dog", sets=1, reps_per_side=10, hold_s=5), VoicePolicy(breathe_every_s=4))
    f = Feeder(g)
    start_set(f)
    h = 0.0
    while h < 5.5:
        f.one(phase="holding", hold_s=h)
        h += DT
    assert said(g, "hold") == ["3", "2", "1"]
    assert said(g, "breathe") == ["Keep breathing."]
    for i in range(6):
        f.one(rep=rep("left" if i % 2 else "right", f.t, hold_s=5))
    counts = said(g, "count")
    assert counts[:3] == ["1 right.", "1 left.", "2 right. Good."]
    assert sum("Good" in c for c in counts) == 2  # every third good rep, not every rep


def test_utterance_ids_increase_and_history_is_bounded():
    g = GuidedSet(SetTarget("dead_bug", sets=1, reps_per_side=50))
    f = Feeder(g)
    start_set(f)
    for i in range(40):
        f.one(rep=rep("left" if i % 2 else "right", f.t))
    us = g.status().utterances
    ids = [u.id for u in us]
    assert ids == sorted(set(ids)) and len(us) <= 20 and ids[-1] > 40


def test_phase_history_stays_bounded_when_someone_keeps_stepping_out_of_view():
    # position -> countdown -> (out of view) position, again and again: the status copied for the page
    # on every frame and poll must not grow with the session
    g = GuidedSet(SetTarget("dead_bug", sets=1, reps_per_side=2))
    f = Feeder(g)
    for _ in range(100):
        assert f.run(1.2).phase == Phase.COUNTDOWN
        assert f.run(1.6, judgeable=False, phase="cant_judge").phase == Phase.POSITION
    st = g.status()
    assert len(st.history) == KEEP_HISTORY < 200
    assert st.history[-2:] == (Phase.COUNTDOWN, Phase.POSITION)
    assert len(st.utterances) <= 20


def test_media_time_drives_everything_not_the_wall_clock():
    g = GuidedSet(SetTarget("dead_bug", sets=1, reps_per_side=1))
    f = Feeder(g)
    f.run(1.2)
    assert g.status().phase == Phase.COUNTDOWN
    g.feed(0.0, verdict(0.0))  # a timestamp from the past changes nothing
    assert g.status().phase == Phase.COUNTDOWN and g.status().countdown_left == 3


def test_session_summary_keeps_only_reps_inside_sets():
    from exercises.base import ExerciseSummary

    g = GuidedSet(SetTarget("dead_bug", sets=1, reps_per_side=1), VoicePolicy(set_complete_s=0.5))
    f = Feeder(g)
    start_set(f)
    t0 = f.t
    f.one(rep=rep("left", f.t + 1))
    f.t += 1
    f.one(rep=rep("right", f.t + 1))
    before = RepRecord("left", 0.0, 1.0, 2.0, (), RepVerdict.GOOD, "")  # a warm-up rep before the set
    inside = [RepRecord("left", t0, t0 + 1, 2, (), RepVerdict.GOOD, ""),
              RepRecord("right", t0 + 1, t0 + 2, 2, (), RepVerdict.GOOD, "")]
    whole = ExerciseSummary("dead_bug", (before, *inside), {"left": 2, "right": 1}, 6, 6, {}, (), (), 0)
    cut = g.session_summary(whole)
    assert cut.reps == tuple(inside) and cut.reps_by_side == {"left": 1, "right": 1}


def test_targets_from_prescriptions_and_validation():
    assert prescription("dead_bug").reps_per_side == 10 and prescription("dead_bug").hold_s == 2
    assert prescription("bird_dog").hold_s == 5
    assert prescription("plank").timed
    assert [prescription("plank", lv.key).hold_s for lv in PLANK_LEVELS] == [15, 30, 45, 45, 60]
    with pytest.raises(ValueError):
        prescription("plank", "levitating")
    with pytest.raises(ValueError):
        SetTarget("plank", reps_per_side=0, hold_s=0)
    with pytest.raises(ValueError):
        SetTarget("dead_bug", sets=0)
    assert fault_words("low_back_arch") == "lower back arching" and fault_words("new_thing") == "new thing"

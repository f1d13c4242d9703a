"""Dead bug and bird-dog checkers on synthetic rep sequences."""

from __future__ import annotations

import math

import pytest

from exercises.base import CueCode, Phase, RepVerdict
from exercises.bird_dog import BirdDogChecker, BirdDogConfig
from exercises.dead_bug import DeadBugChecker, DeadBugConfig
from tests.synthetic import bird_dog_frame, dead_bug_frame, rep_schedule, sequence, swap_legs

SIDES = ("left", "right", "left", "right")
SCHED = rep_schedule(SIDES)  # 1 s lead-in, 1.5 s out, 2 s hold, 1.5 s back, 1 s rest
DURATION_S = 1.0 + 4 * 6.0 + 0.5


def run(checker, fn, duration_s=DURATION_S):
    verdicts = [checker.update(f) for f in sequence(fn, duration_s)]
    return verdicts, checker.summary()


@pytest.mark.parametrize("make, frame", [(DeadBugChecker, dead_bug_frame), (BirdDogChecker, bird_dog_frame)])
def test_clean_reps_counted_per_side_with_holds(make, frame):
    verdicts, s = run(make(), lambda t: frame(t, *SCHED(t)))
    assert dict(s.reps_by_side) == {"left": 2, "right": 2}
    assert [r.side for r in s.reps] == list(SIDES)
    for r in s.reps:
        assert r.verdict is RepVerdict.GOOD and r.hold_s == pytest.approx(2.0, abs=0.5)
        assert not [f for f in r.faults if f.type != "rushing"]
    assert not any(v.active_faults for v in verdicts)
    assert s.hold_s == pytest.approx(sum(r.hold_s for r in s.reps))
    completed = [v.rep_completed for v in verdicts if v.rep_completed is not None]
    assert len(completed) == 4
    assert verdicts[-1].reps_by_side == {"left": 2, "right": 2}


@pytest.mark.parametrize("make, frame", [(DeadBugChecker, dead_bug_frame), (BirdDogChecker, bird_dog_frame)])
def test_good_form_time_is_held_time_without_a_fault(make, frame):
    # Clean: every held second is good form, and the rests between reps are not (they used to be counted,
    # so a set showed more good-form time than time held).
    _, s = run(make(), lambda t: frame(t, *SCHED(t)))
    assert s.hold_s > 6.0
    assert s.good_form_s == pytest.approx(s.hold_s, abs=0.05)
    if make is BirdDogChecker:  # a fault held through every hold: no good-form time at all
        _, s = run(make(), lambda t: frame(t, *SCHED(t), leg_high_deg=20.0))
        assert s.hold_s > 6.0 and s.good_form_s < 0.1 * s.hold_s


def test_dead_bug_low_leg_with_a_flat_back_is_good_and_its_angle_is_recorded():
    # A leg lowered to 12 deg over the floor with the back flat is correct, harder form: no fault,
    # and each rep records its lowest controlled leg angle as a progress measure.
    verdicts, s = run(DeadBugChecker(), lambda t: dead_bug_frame(t, *SCHED(t), leg_elev_deg=12.0))
    assert dict(s.reps_by_side) == {"left": 2, "right": 2}
    assert not any(v.active_faults for v in verdicts)
    for r in s.reps:
        assert r.verdict is RepVerdict.GOOD and not [f for f in r.faults if f.type != "rushing"]
        assert r.lowest_leg_deg == pytest.approx(12.0, abs=2.0)
        assert r.to_dict()["lowest_leg_deg"] == r.lowest_leg_deg
    _, high = run(DeadBugChecker(), lambda t: dead_bug_frame(t, *SCHED(t), leg_elev_deg=40.0))
    assert all(r.lowest_leg_deg == pytest.approx(40.0, abs=2.0) for r in high.reps)


def test_dead_bug_arch_is_reported_not_checked_by_default():
    def fn(t):
        side, e = SCHED(t)
        return dead_bug_frame(t, side, e, leg_elev_deg=40.0, pelvis_tilt_deg=14.0 if e > 0.99 else 0.0)
    verdicts, s = run(DeadBugChecker(), fn)
    assert not any(v.active_faults for v in verdicts)
    assert all("low_back_arch" in r.unchecked and r.verdict is RepVerdict.GOOD for r in s.reps)
    assert "low_back_arch" in s.extra["not_checked"] and "not checked" in s.extra["not_checked"]["low_back_arch"]
    assert "low_back_arch" not in s.seconds_lost_by_fault


def test_dead_bug_lists_breath_holding_as_never_checked_even_with_the_arch_check_on():
    # A clinical dead-bug fault no landmark shows: every rep and the summary say so, with the reason.
    from formcoach.guided import fault_words

    for config, arch_listed in ((DeadBugConfig(), True), (DeadBugConfig(check_arch=True), False)):
        verdicts, s = run(DeadBugChecker(config), lambda t: dead_bug_frame(t, *SCHED(t), leg_elev_deg=40.0))
        assert s.reps and all("breath_holding" in r.unchecked for r in s.reps)
        # never a fault: no cue, no lost time, every rep good, every held second good form
        assert all(r.verdict is RepVerdict.GOOD and not r.faults for r in s.reps)
        assert not s.faults and not any(v.active_faults for v in verdicts)
        assert "breath_holding" not in s.seconds_lost_by_fault and not any(s.seconds_lost_by_fault.values())
        assert s.good_form_s == pytest.approx(s.hold_s, abs=0.05)
        assert all(("low_back_arch" in r.unchecked) is arch_listed for r in s.reps)
        assert "breathing" in s.extra["not_checked"]["breath_holding"]
        assert ("low_back_arch" in s.extra["not_checked"]) is arch_listed
    assert fault_words("breath_holding") == "holding the breath"


def test_dead_bug_arch_seen_as_the_supporting_thigh_carried_toward_the_feet():
    def fn(t):
        side, e = SCHED(t)
        return dead_bug_frame(t, side, e, leg_elev_deg=40.0, pelvis_tilt_deg=14.0 if e > 0.99 else 0.0)
    verdicts, s = run(DeadBugChecker(DeadBugConfig(check_arch=True)), fn)
    assert all(any(f.type == "low_back_arch" for f in r.faults) for r in s.reps)
    assert all(r.verdict is RepVerdict.FAULT for r in s.reps)
    assert s.seconds_lost_by_fault["low_back_arch"] > 4.0
    arch = [v.metrics["arch_deg"] for v in verdicts if math.isfinite(v.metrics.get("arch_deg", math.nan))]
    assert max(arch) == pytest.approx(14.0, abs=1.0) and min(arch) > -1.0


def test_dead_bug_arch_not_flagged_for_a_tilted_trunk_or_a_low_leg_alone():
    # The whole body tilted in the picture (camera not level) or the extended leg alone lower:
    # the supporting thigh keeps its angle to the trunk, so no arch.
    def fn(t):
        side, e = SCHED(t)
        return dead_bug_frame(t, side, e, trunk_tilt_deg=8.0 if e > 0.99 else 0.0)
    verdicts, s = run(DeadBugChecker(DeadBugConfig(check_arch=True)), fn)
    assert not any("low_back_arch" in v.active_faults for v in verdicts)
    verdicts, s = run(DeadBugChecker(DeadBugConfig(check_arch=True)),
                      lambda t: dead_bug_frame(t, *SCHED(t), leg_elev_deg=12.0))
    assert not any(v.active_faults for v in verdicts)


def test_dead_bug_far_leg_drawn_on_the_near_leg_still_counts_the_far_side():
    # A low far-leg rep (10 deg over the floor) drawn by the pose model on the near leg: the near leg reads
    # further out than the reaching near arm, so the frame's limbs contradict each other (the near arm and
    # the near leg both out). Such a rep takes the side after the previous rep's (the set alternates).
    sides = ("right", "left", "right", "left")  # right = near in the synthetic view
    sched = rep_schedule(sides)

    def frame(t):
        side, e = sched(t)
        f = dead_bug_frame(t, side, e, leg_elev_deg=10.0)
        return swap_legs(f) if side == "left" else f
    _, s = run(DeadBugChecker(), frame)
    assert [r.side for r in s.reps] == list(sides)
    assert dict(s.reps_by_side) == {"left": 2, "right": 2}


def test_a_rep_whose_limbs_were_mixed_up_is_not_timed_from_the_other_sides_limbs():
    # Far-leg reps (left) drawn on the near leg through reach and hold; the legs' labels swap back early in the
    # slow (1.5 s) return, so the tracked near leg "drops" in one frame. Corpus validation (dead bug, k05) called
    # two such clean reps rushing. The rep is named by the alternation rule; its tempo is "not checked".
    sides = ("right", "left", "right", "left")  # right = near in the synthetic view
    sched = rep_schedule(sides)
    returning_from = {1.0 + 6.0 * k + 3.5 for k in range(4)}

    def frame(t):
        side, e = sched(t)
        f = dead_bug_frame(t, side, e, leg_elev_deg=10.0)
        back = any(t >= r for r in returning_from if t - r < 2.0) and e < 0.9
        return swap_legs(f) if side == "left" and not back else f
    _, s = run(DeadBugChecker(), frame)
    assert [r.side for r in s.reps] == list(sides)
    for r in s.reps:
        far = r.side == "left"
        assert not any(f.type == "rushing" for f in r.faults), r
        assert ("rushing" in r.unchecked) is far and ("mixed up" in r.coaching) is far, r.coaching


@pytest.mark.parametrize("make, frame", [(DeadBugChecker, dead_bug_frame), (BirdDogChecker, bird_dog_frame)])
def test_a_set_on_one_side_is_not_forced_to_alternate(make, frame):
    # The alternation rule above applies only to contradictory reps: clear reps keep their own side.
    sides = ("right", "right", "left", "left")
    sched = rep_schedule(sides)
    _, s = run(make(), lambda t: frame(t, *sched(t)))
    assert [r.side for r in s.reps] == list(sides)


def test_dead_bug_partial_reach_is_incomplete_not_counted():
    _, s = run(DeadBugChecker(), lambda t: dead_bug_frame(t, SCHED(t)[0], 0.6 * SCHED(t)[1]))
    assert dict(s.reps_by_side) == {"left": 0, "right": 0}
    assert s.reps and all(r.verdict is RepVerdict.INCOMPLETE for r in s.reps)
    assert all(any(f.type == "incomplete_extension" for f in r.faults) for r in s.reps)


def test_dead_bug_rushing_is_a_tempo_note():
    fast = rep_schedule(SIDES, extend_s=0.3, hold_s=2.0, return_s=0.3, rest_s=1.0)
    _, s = run(DeadBugChecker(), lambda t: dead_bug_frame(t, *fast(t)), duration_s=16.0)
    assert s.reps and all(any(f.type == "rushing" for f in r.faults) for r in s.reps)
    assert all("Slow down" in r.coaching for r in s.reps)


def test_tempo_is_judged_only_from_frames_close_enough_and_without_a_stall():
    """Rushed reps at 10 fps are still called rushing; at 5 fps (too few frames to time a 0.3-1 s phase: corpus
    train missed most rushed reps there) tempo is "not checked", never guessed, and the reps still count. A
    stall mid-rep (1 s with no frame) leaves that rep's tempo unchecked too; the other reps are judged."""
    fast = rep_schedule(SIDES, extend_s=0.3, hold_s=2.0, return_s=0.3, rest_s=1.0)
    for fps, judged in ((10.0, True), (5.0, False)):
        ck = DeadBugChecker()
        for f in sequence(lambda t: dead_bug_frame(t, *fast(t)), 16.0, fps=fps):
            ck.update(f)
        s = ck.summary()
        assert dict(s.reps_by_side) == {"left": 2, "right": 2}, fps
        for r in s.reps:
            assert any(f.type == "rushing" for f in r.faults) is judged, (fps, r)
            assert ("rushing" in r.unchecked) is not judged
            assert ("Tempo not checked: 5 frames a second (7 needed)." in r.coaching) is not judged, r.coaching
    ck = DeadBugChecker()
    for f in sequence(lambda t: dead_bug_frame(t, *SCHED(t)), DURATION_S):
        if not 10.0 <= f.timestamp_s < 11.0:  # rep 2 (7-11.5 s) loses 1 s of its hold
            ck.update(f)
    reps = ck.summary().reps
    assert len(reps) == 4 and all(r.verdict is RepVerdict.GOOD for r in reps)
    assert [("stalled" in r.coaching, "rushing" in r.unchecked) for r in reps] == [
        (False, False), (True, True), (False, False), (False, False)], [r.coaching for r in reps]
    assert reps[0].coaching == "Good rep - steady and controlled." and reps[1].coaching.startswith("Good rep. ")


def test_no_reps_without_the_tabletop_start():
    # Legs lying flat (hook lying variants, resting): the machine is never armed.
    _, s = run(DeadBugChecker(), lambda t: dead_bug_frame(t, "left", 0.0, leg_elev_deg=0.0) if False else
               dead_bug_frame(t, "left", 1.0, leg_elev_deg=5.0), duration_s=6.0)
    assert dict(s.reps_by_side) == {"left": 0, "right": 0}


def test_bird_dog_leg_too_high_and_hip_roll():
    _, s = run(BirdDogChecker(), lambda t: bird_dog_frame(t, *SCHED(t), leg_high_deg=20.0))
    assert all(any(f.type == "leg_too_high" for f in r.faults) for r in s.reps)

    def rolled(t):
        side, e = SCHED(t)
        return bird_dog_frame(t, side, e, roll_deg=25.0 * e)
    # Opted in, the roll proxy flags a clear roll ...
    _, s = run(BirdDogChecker(BirdDogConfig(check_hip_rotation=True)), rolled)
    assert all(any(f.type == "hip_rotation" for f in r.faults) for r in s.reps)
    assert all(r.verdict is RepVerdict.FAULT for r in s.reps)
    # ... by default it is not trusted: no verdict, every rep says the hips were not checked, and why.
    _, s = run(BirdDogChecker(), rolled)
    assert s.reps and not any(f.type == "hip_rotation" for r in s.reps for f in r.faults)
    assert all("hip_rotation" in r.unchecked and r.verdict is RepVerdict.GOOD for r in s.reps)
    assert "hidden" in s.extra["not_checked"]["hip_rotation"]


def test_bird_dog_hidden_far_leg_is_reported_unchecked_not_passed():
    # The far leg lifted too high but drawn hanging: its height cannot be judged, and the rep says so.
    _, s = run(BirdDogChecker(), lambda t: bird_dog_frame(t, *SCHED(t), leg_high_deg=20.0, far_leg_lost=True))
    assert [r.side for r in s.reps] == list(SIDES)  # the near arm still shows the far-leg reps
    for r in s.reps:
        if r.side == "left":  # far leg
            assert r.unchecked[0] == "leg_too_high" and not any(f.type == "leg_too_high" for f in r.faults)
            assert "Not checked" in r.coaching and "leg height" in r.coaching
            assert r.to_dict()["unchecked"][0] == "leg_too_high"
        else:  # near leg: seen, judged, flagged
            assert "leg_too_high" not in r.unchecked and any(f.type == "leg_too_high" for f in r.faults)
        assert set(r.unchecked) - {"leg_too_high"} == {"hip_rotation", "back_sag"}  # never judged by default


def test_bird_dog_hold_with_the_far_leg_hidden_is_not_good_form_time():
    # Clean reps, far leg drawn hanging: its holds are counted but not judged, so they earn no good-form
    # seconds and no praise, and those frames say form was not checked from this view.
    verdicts, s = run(BirdDogChecker(), lambda t: bird_dog_frame(t, *SCHED(t), far_leg_lost=True))
    held = {r.side: 0.0 for r in s.reps}
    for r in s.reps:
        held[r.side] += r.hold_s
    assert held["left"] > 3.0 and held["right"] > 3.0
    assert s.good_form_s == pytest.approx(held["right"], abs=0.2)  # the near (right) leg's holds only
    far_holds = [v for v in verdicts if v.phase is Phase.HOLDING and SCHED(v.timestamp_s)[0] == "left"]
    assert len(far_holds) > 60
    assert sum(not v.form_view for v in far_holds) >= 0.9 * len(far_holds)
    assert not any(v.cue is not None and v.cue.code is CueCode.GOOD_FORM and not v.form_view for v in verdicts)
    near_holds = [v for v in verdicts if v.phase is Phase.HOLDING and SCHED(v.timestamp_s)[0] == "right"]
    assert near_holds and all(v.form_view for v in near_holds)


def test_bird_dog_hold_target_in_coaching():
    _, s = run(BirdDogChecker(), lambda t: bird_dog_frame(t, *SCHED(t)))
    assert all("5 s" in r.coaching for r in s.reps)  # held ~2 s against the 5-10 s target
    assert s.extra["hold_target_s"] == BirdDogConfig().hold_target_s


@pytest.mark.parametrize("cls, kwargs", [
    (DeadBugConfig, {"arch_gain": 0.0}),
    (DeadBugConfig, {"arch_on_deg": 3.0, "arch_off_deg": 5.0}),
    (BirdDogConfig, {"roll_2d_gain": 0.0}),
    (BirdDogConfig, {"full_leg_drop_deg": 90.0}),
])
def test_config_validation(cls, kwargs):
    with pytest.raises(ValueError):
        cls(**kwargs)


def test_a_rule_whose_metric_is_never_measured_is_refused_at_construction():
    from exercises.base import CueCode, FaultCode
    from exercises.common import FaultRule
    from exercises.cues import CueSpec
    from exercises.dead_bug import LOW_BACK_ARCH

    # A misspelt code cannot even make a cue: codes are FaultCode / CueCode members ...
    with pytest.raises(TypeError, match="low_back_arc"):
        CueSpec("low_back_arc", LOW_BACK_ARCH.severity, LOW_BACK_ARCH.message)
    # ... a fault rule needs a fault code, not a coaching one ...
    with pytest.raises(TypeError, match="good_form"):
        FaultRule(CueSpec(CueCode.GOOD_FORM, LOW_BACK_ARCH.severity, "x"), 11.0, 8.0)
    # ... and a real fault the checker never measures is refused when the checker is built.
    other = CueSpec(FaultCode.HIP_SAG, LOW_BACK_ARCH.severity, LOW_BACK_ARCH.message)

    class Wrong(DeadBugChecker):
        def fault_rules(self):
            return (FaultRule(other, 11.0, 8.0),)

    with pytest.raises(ValueError, match="hip_sag"):
        Wrong()
    DeadBugChecker(DeadBugConfig(check_arch=True))  # the real rule is measured: accepted


def test_a_rep_back_at_rest_counts_when_the_view_is_lost_right_after():
    # The leg came back to rest and the person stepped out of view before the rest was confirmed
    # (min_rest_s): the return happened, so the rep is counted at once, not only in the final summary.
    from exercises.pose import PoseFrame

    sched = rep_schedule(("left",), rest_s=0.05)
    end = 5.6  # the leg falls back below the rest level at 5.53 s (lead-in 1, out 1.5, hold 2, back 1.5)
    frames = sequence(lambda t: dead_bug_frame(t, *sched(t)), end)
    frames += [PoseFrame.empty(end + i / 30, frames[0].image_wh) for i in range(15)]
    checker = DeadBugChecker()
    verdicts = [checker.update(f) for f in frames]
    assert verdicts[-1].reps_by_side == {"left": 1, "right": 0}
    assert checker.summary().reps_by_side == {"left": 1, "right": 0}
    assert sum(v.rep_completed is not None for v in verdicts) == 1

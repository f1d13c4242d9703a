"""Rep timelines and fault schedules of the synthetic renderer (pure: numpy + stdlib)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from tools.synth.timeline import (
    Camera,
    ClipSpec,
    Fault,
    Tempo,
    extension_at,
    fault_levels_at,
    good_form_seconds,
    hold_intervals,
    hold_seconds,
    overlap_s,
    pose_states,
    reps_of,
    schedule_reps,
    smoothstep,
)

TEMPO = Tempo(extend_s=1.5, hold_s=2.0, return_s=1.5, rest_s=1.0)


def dead_bug(**kw) -> ClipSpec:
    args = {"name": "db", "exercise": "dead_bug", "sides": ("left", "right"), "tempo": TEMPO,
            "lead_in_s": 1.0, "tail_s": 0.5}
    args.update(kw)
    return ClipSpec(**args)


def test_schedule_reps_back_to_back():
    reps = schedule_reps(("left", "right"), TEMPO, lead_in_s=1.0)
    assert [r.side for r in reps] == ["left", "right"]
    assert (reps[0].start_s, reps[0].hold_start_s, reps[0].hold_end_s, reps[0].end_s) == (1.0, 2.5, 4.5, 6.0)
    assert reps[1].start_s == pytest.approx(7.0)
    assert reps[1].hold_s == pytest.approx(2.0)


def test_clip_duration_and_frames():
    spec = dead_bug()
    # 1.0 lead-in + 2 x (5.0 rep + 1.0 rest) + 0.5 tail
    assert spec.duration_s == pytest.approx(203 / 15)
    assert spec.frames == 203  # ceil(13.5 * 15): the whole timeline is covered
    assert len(spec.times()) == spec.frames
    plank = ClipSpec(name="p", exercise="plank", variant="forearm", plank_s=10.0)
    assert plank.frames == 150 and plank.duration_s == 10.0


@pytest.mark.parametrize(
    "t, side, ext",
    [
        (0.5, None, 0.0),  # lead-in
        (1.0, "left", 0.0),  # extension starts
        (1.75, "left", 0.5),  # halfway through a symmetric ease
        (3.0, "left", 1.0),  # hold
        (6.0, "left", 0.0),  # back in the start position
        (6.5, None, 0.0),  # rest
        (9.0, "right", 1.0),
    ],
)
def test_extension_at(t, side, ext):
    reps = reps_of(dead_bug())
    got_side, got_ext = extension_at(reps, t)
    assert got_side == side
    assert got_ext == pytest.approx(ext, abs=1e-9)


def test_smoothstep_monotonic_and_clamped():
    xs = np.linspace(-0.5, 1.5, 41)
    ys = [smoothstep(x) for x in xs]
    assert ys[0] == 0.0 and ys[-1] == 1.0
    assert all(b >= a for a, b in itertools.pairwise(ys))


def test_fault_level_ramps():
    f = Fault("hip_sag", 15.0, start_s=4.0, end_s=8.0, ramp_s=0.5)
    assert f.level(3.4) == 0.0
    assert f.level(3.75) == pytest.approx(0.5)
    assert f.level(4.0) == 1.0 and f.level(8.0) == 1.0
    assert f.level(8.25) == pytest.approx(0.5)
    assert f.level(8.6) == 0.0
    assert f.present == (3.5, 8.5)
    assert fault_levels_at([f], 6.0) == {"hip_sag": 15.0}
    assert fault_levels_at([f], 1.0) == {}


def test_fault_without_ramp_is_a_step():
    f = Fault("hip_pike", 10.0, 2.0, 3.0, ramp_s=0.0)
    assert [f.level(t) for t in (1.99, 2.0, 3.0, 3.01)] == [0.0, 1.0, 1.0, 0.0]


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"type": "hip_sag", "magnitude_deg": 0.0, "start_s": 1.0, "end_s": 2.0}, "magnitude"),
        ({"type": "hip_sag", "magnitude_deg": 5.0, "start_s": 2.0, "end_s": 1.0}, "end_s"),
        ({"type": "hip_sag", "magnitude_deg": 5.0, "start_s": 0.1, "end_s": 1.0, "ramp_s": 0.4}, "before t=0"),
    ],
)
def test_fault_validation(kw, match):
    with pytest.raises(ValueError, match=match):
        Fault(**kw)


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"name": "x", "exercise": "squat"}, "Unknown exercise"),
        ({"name": "x", "exercise": "plank", "variant": "side"}, "Unknown variant"),
        ({"name": "x", "exercise": "plank", "variant": "forearm", "sides": ("left",)}, "no sides"),
        ({"name": "x", "exercise": "bird_dog"}, "needs a tempo"),
        ({"name": "x", "exercise": "bird_dog", "sides": ("up",), "tempo": TEMPO}, "Unknown sides"),
        ({"name": "x", "exercise": "plank", "variant": "forearm", "width": 641}, "even"),
        (
            {"name": "x", "exercise": "plank", "variant": "forearm", "faults": (Fault("leg_drop", 5.0, 1.0, 2.0),)},
            "does not apply",
        ),
        (
            {"name": "x", "exercise": "plank", "variant": "forearm", "plank_s": 5.0,
                 "faults": (Fault("hip_sag", 5.0, 1.0, 4.8),)},
            "after the clip",
        ),
    ],
)
def test_clip_spec_validation(kw, match):
    with pytest.raises(ValueError, match=match):
        ClipSpec(**kw)


def test_pose_states_follow_timeline():
    spec = dead_bug(faults=(Fault("low_back_arch", 15.0, 3.0, 4.0, 0.4),))
    states = pose_states(spec)
    assert len(states) == spec.frames
    by_t = {round(i / spec.fps, 4): s for i, s in enumerate(states)}
    assert by_t[0.0].extension == 0.0 and by_t[0.0].faults == ()
    assert by_t[3.0].side == "left" and by_t[3.0].extension == 1.0
    assert by_t[3.0].fault("low_back_arch") == pytest.approx(15.0)
    assert by_t[2.8].fault("low_back_arch") == pytest.approx(7.5)
    # identical start-position frames share one key (rendered once)
    assert states[0].key() == states[5].key()


def test_hold_and_good_form_rep_exercise():
    clean = dead_bug()
    assert hold_intervals(clean) == [(2.5, 4.5), (8.5, 10.5)]
    assert hold_seconds(clean) == pytest.approx(4.0)
    assert good_form_seconds(clean) == pytest.approx(4.0)
    faulty = dead_bug(faults=(Fault("leg_drop", 10.0, 3.0, 4.0, 0.4),))
    assert good_form_seconds(faulty) == pytest.approx(4.0 - 1.8)


def test_hold_and_good_form_plank_overlapping_faults():
    spec = ClipSpec(name="p", exercise="plank", variant="forearm", plank_s=12.0,
                    faults=(Fault("hip_sag", 10.0, 4.0, 6.0, 0.5), Fault("hip_pike", 5.0, 5.5, 7.0, 0.5)))
    assert hold_seconds(spec) == pytest.approx(12.0)
    # union of [3.5, 6.5] and [5.0, 7.5] = 4 s
    assert good_form_seconds(spec) == pytest.approx(8.0)


def test_overlap_merges_intervals():
    assert overlap_s([(0, 10)], [(1, 3), (2, 4), (8, 12)]) == pytest.approx(5.0)
    assert overlap_s([(0, 1)], [(2, 3)]) == 0.0


@pytest.mark.parametrize("az, view", [(0.0, "side"), (10.0, "side"), (-35.0, "oblique"), (35.0, "oblique")])
def test_camera_view(az, view):
    assert Camera(azimuth_deg=az).view == view


def test_tempo_validation():
    with pytest.raises(ValueError, match="extend_s"):
        Tempo(extend_s=0.0)
    assert Tempo().rep_s == pytest.approx(5.0)
    assert not math.isnan(Tempo(hold_s=0.0).rep_s)

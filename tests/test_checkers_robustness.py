"""Random, NaN and degenerate streams never crash a checker; the registry and the contract hold."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exercises.base import SAFETY_MESSAGE, FrameVerdict
from exercises.common import MAX_FRAME_STEP_S, UNSEEN_NOTE_S, unseen_note
from exercises.pose import NUM_LANDMARKS, PoseFrame
from exercises.registry import EXERCISES, get_exercise
from tests.synthetic import nan_frame, plank_frame

coord = st.one_of(st.floats(-2000, 2000, allow_nan=False), st.just(math.nan), st.just(math.inf))


@st.composite
def frames(draw):
    n = draw(st.integers(1, 40))
    out = []
    t = 0.0
    for _ in range(n):
        t += draw(st.sampled_from([0.0, 1 / 30, 1 / 15, 0.5, 3.0, -0.1]))  # repeats, gaps, going back
        kind = draw(st.sampled_from(["random", "empty", "nan", "plank"]))
        if kind == "empty":
            out.append(PoseFrame.empty(t, (640, 480)))
        elif kind == "nan":
            out.append(nan_frame(t))
        elif kind == "plank":
            out.append(plank_frame(t, sag_deg=draw(st.floats(-40, 40))))
        else:
            xy = np.array(draw(st.lists(coord, min_size=2 * NUM_LANDMARKS, max_size=2 * NUM_LANDMARKS)))
            vis = np.array(draw(st.lists(st.floats(0, 1), min_size=NUM_LANDMARKS, max_size=NUM_LANDMARKS)))
            world = None
            if draw(st.booleans()):
                world = np.array(draw(st.lists(coord, min_size=3 * NUM_LANDMARKS, max_size=3 * NUM_LANDMARKS)))
                world = world.reshape(NUM_LANDMARKS, 3)
            out.append(PoseFrame(xy=xy.reshape(NUM_LANDMARKS, 2), visibility=vis, timestamp_s=t,
                                 image_wh=(640, 480), world_xyz=world))
    return out


@pytest.mark.parametrize("name", sorted(EXERCISES))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stream=frames())
def test_random_and_nan_streams_never_crash(name, stream):
    checker = get_exercise(name).make_checker()
    for f in stream:
        v = checker.update(f)
        assert isinstance(v, FrameVerdict)
        assert v.hold_s >= 0 and v.good_form_s >= 0
    s = checker.summary()
    assert s.exercise == name
    assert s.cant_judge_s >= 0 and s.hold_s >= 0
    assert all(f.magnitude_deg >= 0 or math.isnan(f.magnitude_deg) for f in s.faults)
    assert sum(s.reps_by_side.values()) <= len(s.reps)


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_no_person_means_cant_judge_and_nothing_made_up(name):
    checker = get_exercise(name).make_checker()
    verdicts = [checker.update(PoseFrame.empty(i / 30, (640, 480))) for i in range(90)]
    s = checker.summary()
    assert not any(v.judgeable for v in verdicts)
    assert s.hold_s == 0 and not s.faults and sum(s.reps_by_side.values()) == 0
    assert s.cant_judge_s == pytest.approx(89 / 30)
    assert verdicts[-1].cue.code == "no_person"


def test_registry_lookup_and_errors():
    assert list(EXERCISES) == ["plank", "dead_bug", "bird_dog"]
    assert get_exercise("Dead-Bug").name == "dead_bug"
    with pytest.raises(ValueError, match="bird_dog.*dead_bug.*plank"):
        get_exercise("squat")


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_spec_guide_and_metrics(name):
    spec = get_exercise(name)
    assert set(spec.guide) == {"setup", "views", "checks", "targets", "limits"}
    assert "does not diagnose" in spec.guide["targets"]
    assert spec.timed == (name == "plank")
    checker = spec.make_checker()
    assert checker.name == name
    v = None
    for i in range(5):
        v = checker.update(plank_frame(i / 30))
    assert set(spec.key_metrics) <= set(v.metrics) | {"extension_frac"}
    assert spec.make_checker(spec.default_config).name == name
    assert "radiating pain" in SAFETY_MESSAGE


pt = st.tuples(st.one_of(st.floats(-1e4, 1e4), st.just(math.nan)), st.one_of(st.floats(-1e4, 1e4), st.just(math.nan)))


def _ref_joint_angle(a, b, c):
    u, v = np.subtract(a, b), np.subtract(c, b)
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    if not (nu > 1e-9 and nv > 1e-9):
        return math.nan
    return math.degrees(math.acos(np.clip(np.dot(u, v) / (nu * nv), -1, 1)))


def _ref_offset(p, a, b):
    d = np.subtract(b, a)
    n = np.linalg.norm(d)
    if not n > 1e-9:
        return math.nan
    normal = np.array([-d[1], d[0]]) / n
    normal = normal if normal[1] >= 0 else -normal  # toward image-down
    return float(np.dot(np.subtract(p, a), normal))


@settings(max_examples=300, deadline=None)
@given(a=pt, b=pt, c=pt)
def test_scalar_geometry_matches_a_numpy_reference(a, b, c):
    from exercises import geometry

    for got, want in ((geometry.joint_angle_deg(a, b, c), _ref_joint_angle(a, b, c)),
                      (geometry.signed_offset_px(a, b, c), _ref_offset(a, b, c))):
        if math.isnan(want):
            assert math.isnan(got)
        else:
            # acos near +-1 turns a 1e-16 rounding difference into ~1e-6 deg: 1e-4 deg / px is far below
            # anything the checkers resolve.
            assert got == pytest.approx(want, rel=1e-6, abs=1e-4)


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_a_stall_in_the_stream_is_counted_as_unseen_and_named_once(name):
    """Frames 30 fps, then nothing for 5 s, then 30 fps again: the 5 s less what one frame stands for
    (MAX_FRAME_STEP_S) were seen by no frame; the verdicts carry the running total, the summary the set's,
    and the one note names it. Steady 30 fps (and 15 fps, as a slow machine processes) is all seen."""
    checker = get_exercise(name).make_checker()
    frames = [plank_frame(i / 30) for i in range(90)] + [plank_frame(8.0 + i / 30) for i in range(90)]
    verdicts = [checker.update(f) for f in frames]
    s = checker.summary()
    assert s.unseen_s == pytest.approx(5.0 + 1 / 30 - MAX_FRAME_STEP_S, abs=1e-6)
    assert verdicts[89].unseen_s == 0.0 and verdicts[90].unseen_s == pytest.approx(s.unseen_s)
    assert s.to_dict()["unseen_s"] == pytest.approx(s.unseen_s, abs=1e-3)
    note = unseen_note(s.unseen_s)
    assert note is not None and note.startswith("5 s with no video") and "not seen" in note
    for fps in (30, 15):
        steady = get_exercise(name).make_checker()
        for i in range(6 * fps):
            steady.update(plank_frame(i / fps))
        assert steady.summary().unseen_s == 0.0
    assert unseen_note(UNSEEN_NOTE_S - 0.01) is None and unseen_note(math.nan) is None

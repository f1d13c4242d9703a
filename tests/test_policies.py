"""One owner per policy: the second-person rule (live and upload), the near side, the summary record."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from exercises.base import ExerciseSummary, Fault, FaultCode
from exercises.gate import ViewGate, nearer_side
from exercises.metrics import near_side
from exercises.pose import Side, sided
from formcoach.history import summary_details
from formcoach.people import SecondPersonPolicy, second_person_warning
from tests.synthetic import plank_frame


def test_second_person_is_reported_only_when_two_checks_in_a_row_agree():
    p = SecondPersonPolicy()
    assert [p.observe(n) for n in (1, 2, 1, 3, 3, -1, 2)] == [1, 1, 1, 1, 3, -1, 1]
    assert not p.crowded
    assert p.observe(2) == 2 and p.crowded


def test_upload_warning_follows_the_same_policy():
    assert second_person_warning([1, 1, 1, 1]) is None
    assert second_person_warning([2, 1, 2, 1, 2, 1]) is None  # never two checks in a row: stray detections
    w = second_person_warning([1, 2, 2, 2])
    assert w is not None and "3 of 4 checks" in w
    assert second_person_warning([2, 2] + [1] * 10) is None  # confirmed once, but 2 of 12 checks < 25 %
    assert second_person_warning([]) is None


def test_chart_near_side_and_gate_near_side_are_one_rule():
    f = plank_frame(1.0)
    vis = f.visibility.copy()
    for side in (Side.LEFT, Side.RIGHT):
        v = vis.copy()
        for j in ("shoulder", "hip", "knee", "ankle"):
            v[int(sided(j, side.other))] = 0.1
            v[int(sided(j, side))] = 0.95
        g = dataclasses.replace(f, visibility=v)
        assert nearer_side(g) is side and near_side(g) is side
        assert ViewGate().check(g, ("shoulder", "hip")).near is side
    dark = dataclasses.replace(f, visibility=vis * 0.0)
    assert near_side(dark) is None  # below the visibility floor: unknown, not a guess


def test_summary_record_is_one_json_shape_for_report_history_and_eval():
    s = ExerciseSummary(exercise="plank", reps=(), reps_by_side={}, hold_s=12.34567, good_form_s=math.nan,
                        seconds_lost_by_fault={FaultCode.HIP_SAG: 1.23456},
                        faults=(Fault(FaultCode.HIP_SAG, 12.345, 1.0, 2.23456),), cues=(), cant_judge_s=0.5,
                        extra={"variant": "forearm", "not_checked": {FaultCode.HIP_ROTATION: "why"},
                               "ratio": float("inf")})
    d = s.to_dict()
    assert d["hold_s"] == 12.346 and d["good_form_s"] is None and d["extra"]["ratio"] is None
    assert d["seconds_lost_by_fault"] == {"hip_sag": 1.235}
    assert d["faults"][0]["type"] == "hip_sag" and type(d["faults"][0]["type"]) is str
    assert list(d["extra"]["not_checked"]) == ["hip_rotation"]
    json.dumps(d, allow_nan=False)  # strict JSON
    assert summary_details(s) == d


@pytest.mark.parametrize("exercise", ["plank", "dead_bug", "bird_dog"])
def test_measure_is_pure_extra_calls_change_no_verdict(exercise):
    """``measure`` reads only the frame: calling it again (either side as near) between updates changes
    nothing the checker says; arming, baselines and the knees switch live in the state machine's steps."""
    from exercises.registry import get_exercise
    from tests.synthetic import bird_dog_frame, dead_bug_frame, rep_schedule, sequence

    sched = rep_schedule(("left", "right"))
    make = {"plank": lambda t: plank_frame(t, sag_deg=12.0 if 3.0 <= t < 5.0 else 0.0, knees=t >= 6.0),
            "dead_bug": lambda t: dead_bug_frame(t, *sched(t)),
            "bird_dog": lambda t: bird_dog_frame(t, *sched(t), roll_deg=10.0 * sched(t)[1])}[exercise]
    frames = sequence(make, 14.0)
    plain, probed = get_exercise(exercise).make_checker(), get_exercise(exercise).make_checker()
    for f in frames:
        a = plain.update(f)
        for near in (Side.LEFT, Side.RIGHT):
            first, again = probed.measure(f, near), probed.measure(f, near)
            assert repr(first) == repr(again)  # same frame, same answer (NaN-safe comparison)
        b = probed.update(f)
        assert (a.phase, a.active_faults, dict(a.reps_by_side), a.hold_s) == \
            (b.phase, b.active_faults, dict(b.reps_by_side), b.hold_s)
    assert plain.summary().to_dict() == probed.summary().to_dict()

"""The cue scheduler: one cue at a time, by severity, minimum show time, cooldown, positive cue."""

from __future__ import annotations

import pytest

from exercises.base import SAFETY_MESSAGE, CueCode, FaultCode, Severity
from exercises.cues import SAFETY, CueScheduler, CueSchedulerConfig, CueSpec

SAG = CueSpec(FaultCode.HIP_SAG, Severity.WARNING, "Lift your hips.")
SETUP = CueSpec(CueCode.STEP_BACK, Severity.SETUP, "Step back.")
GOOD = CueSpec(CueCode.GOOD_FORM, Severity.POSITIVE, "Good line.")


def test_config_rejects_negative_times():
    with pytest.raises(ValueError, match="cooldown_s"):
        CueSchedulerConfig(cooldown_s=-1)


def test_highest_severity_wins_and_stays_while_it_holds():
    s = CueScheduler(CueSchedulerConfig(min_show_s=1.0))
    assert s.update(0.0, [SETUP, SAG]).code == "hip_sag"
    assert s.update(0.5, [SAG]).code == "hip_sag"
    assert s.update(5.0, [SAG]).code == "hip_sag"  # still holds: still shown, announced once
    assert [c.code for c in s.history] == ["hip_sag"]


def test_min_show_time_then_clear():
    s = CueScheduler(CueSchedulerConfig(min_show_s=1.0))
    s.update(0.0, [SAG])
    assert s.update(0.5, []).code == "hip_sag"  # shown at least 1 s
    assert s.update(1.1, []) is None


def test_cooldown_limits_repeat_announcements():
    s = CueScheduler(CueSchedulerConfig(min_show_s=0.0, cooldown_s=5.0))
    for t, cands in ((0.0, [SAG]), (0.1, []), (1.0, [SAG]), (1.1, []), (6.0, [SAG])):
        s.update(t, cands)
    assert [c.t_s for c in s.history] == [0.0, 6.0]


def test_more_severe_cue_preempts():
    s = CueScheduler(CueSchedulerConfig(min_show_s=5.0))
    s.update(0.0, [SETUP])
    assert s.update(0.2, [SETUP, SAG]).code == "hip_sag"


def test_positive_cue_after_good_form_run():
    s = CueScheduler(CueSchedulerConfig(positive_after_s=3.0, positive_every_s=10.0, min_show_s=1.0), GOOD)
    assert s.update(1.0, [], good_form_run_s=1.0) is None
    assert s.update(3.0, [], good_form_run_s=3.0).code == "good_form"
    assert s.update(5.0, [], good_form_run_s=5.0) is None  # shown, then cleared; not repeated yet


def test_cues_are_data_with_safety_text():
    cue = SAFETY.at(1.23456)
    assert cue.to_dict() == {"t_s": 1.235, "code": "safety", "severity": "stop", "message": SAFETY_MESSAGE}
    assert "sharp, shooting or radiating pain" in SAFETY_MESSAGE

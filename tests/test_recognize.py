"""Exercise recognition from poses (golden landmark sequences and synthetic poses)."""

from __future__ import annotations

import pytest

from exercises.pose import PoseFrame
from exercises.recognize import RecognizeConfig, guess_exercise
from formcoach.recording import load_frames
from tests.golden import DATA, exercise_for
from tests.synthetic import bird_dog_frame, dead_bug_frame, plank_frame, rep_schedule, sequence


@pytest.mark.parametrize("path", sorted(DATA.glob("golden_*.npz")), ids=lambda p: p.stem)
def test_golden_sequences_are_recognised(path):
    assert guess_exercise(load_frames(path)) == exercise_for(path.stem)


def test_synthetic_poses_are_recognised():
    sched = rep_schedule(("left", "right"))
    assert guess_exercise(sequence(lambda t: plank_frame(t), 3.0)) == "plank"
    assert guess_exercise(sequence(lambda t: bird_dog_frame(t, *sched(t)), 12.0)) == "bird_dog"
    assert guess_exercise(sequence(lambda t: dead_bug_frame(t, *sched(t)), 12.0)) == "dead_bug"


def test_nothing_recognisable_gives_none():
    assert guess_exercise([PoseFrame.empty(i / 30, (640, 480)) for i in range(30)]) is None
    assert guess_exercise([]) is None
    with pytest.raises(ValueError, match="min_share"):
        RecognizeConfig(min_share=0.0)

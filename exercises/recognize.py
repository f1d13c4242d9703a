"""Guess which exercise a pose sequence shows (plank, dead bug or bird-dog), or None.

Each detected frame votes by posture, on the body side nearest the camera:

* dead bug: lying on the back with the knees up over the hips (thigh rising > ``min_thigh_up_deg``);
* bird-dog: on all fours, a thigh hanging near vertical under the hip and the knee bent;
* plank: the legs long and near horizontal and the shoulder stacked over the elbow or wrist.

A bird-dog with the near leg reaching back looks like a plank for a moment, but a plank never
has the hanging-thigh rest of all fours, nor the knees-up of a dead bug: so bird-dog or dead bug
win with ``min_rep_share`` of the detected frames, plank needs ``min_share``. Otherwise None
(the caller then asks for ``--exercise``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from . import geometry as g
from .pose import PoseFrame, Side, sided

_JOINTS = ("shoulder", "hip", "knee", "ankle")


@dataclass(frozen=True)
class RecognizeConfig:
    min_thigh_up_deg: float = 45.0  # dead bug: knee above the hip
    min_thigh_down_deg: float = 65.0  # bird-dog: thigh hanging under the hip
    max_quadruped_knee_deg: float = 130.0
    min_plank_knee_deg: float = 150.0
    max_leg_incline_deg: float = 35.0
    min_arm_stack_deg: float = 45.0
    max_trunk_incline_deg: float = 40.0
    min_visibility: float = 0.3
    min_share: float = 0.3
    min_rep_share: float = 0.2

    def __post_init__(self) -> None:
        if not 0 < self.min_share <= 1:
            raise ValueError(f"min_share must be in (0, 1], got {self.min_share!r}")
        if not 0 < self.min_rep_share <= 1:
            raise ValueError(f"min_rep_share must be in (0, 1], got {self.min_rep_share!r}")


def frame_vote(frame: PoseFrame, config: RecognizeConfig | None = None) -> str | None:
    """The exercise one frame looks like, or None."""
    c = config or RecognizeConfig()
    if not frame.detected:
        return None
    near = max(Side, key=lambda s: sum(frame.vis(sided(j, s)) for j in _JOINTS))
    if any(frame.vis(sided(j, near)) < c.min_visibility for j in ("shoulder", "hip", "knee")):
        return None
    sh, hip, knee, ankle, elbow = (frame.point(sided(j, near)) for j in ("shoulder", "hip", "knee", "ankle", "elbow"))
    trunk = abs(g.elevation_deg(hip, sh))
    if not trunk <= c.max_trunk_incline_deg:
        return None
    thigh_up = g.elevation_deg(hip, knee)  # > 0: knee above the hip
    knee_angle = g.joint_angle_deg(hip, knee, ankle)
    if thigh_up >= c.min_thigh_up_deg:
        return "dead_bug"
    if -thigh_up >= c.min_thigh_down_deg and knee_angle <= c.max_quadruped_knee_deg:
        return "bird_dog"
    if (knee_angle >= c.min_plank_knee_deg and abs(g.elevation_deg(hip, ankle)) <= c.max_leg_incline_deg
            and g.elevation_deg(elbow, sh) >= c.min_arm_stack_deg):
        return "plank"
    return None


def guess_exercise(frames: Iterable[PoseFrame], config: RecognizeConfig | None = None) -> str | None:
    c = config or RecognizeConfig()
    votes: Counter[str] = Counter()
    detected = 0
    for f in frames:
        if f.detected:
            detected += 1
            v = frame_vote(f, c)
            if v is not None:
                votes[v] += 1
    if not detected:
        return None
    rep = max(("bird_dog", "dead_bug"), key=lambda k: votes[k])
    if votes[rep] >= c.min_rep_share * detected:
        return rep
    if votes["plank"] >= c.min_share * detected:
        return "plank"
    return None

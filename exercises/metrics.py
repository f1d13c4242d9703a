"""Exercise-independent per-frame measurements (used when no exercise is chosen, and for charts).

Signs follow ``exercises.geometry``: ``body_line_deg`` is the bend at the hip away from the straight
shoulder-ankle line, positive when the hip is below the line (image down: a sag), negative above it.
"""

from __future__ import annotations

import math

from .gate import nearer_side
from .geometry import signed_deviation_deg
from .pose import Landmark, PoseFrame, Side, sided


def near_side(frame: PoseFrame, min_visibility: float = 0.5) -> Side | None:
    """The body side facing the camera (the gate's rule, :func:`exercises.gate.nearer_side`), or None when
    its mean visibility is below ``min_visibility``."""
    return nearer_side(frame, min_visibility)


def body_line_deg(frame: PoseFrame, min_visibility: float = 0.5) -> float:
    """Shoulder-hip-ankle deviation on the near side, degrees (+ = hip sagging toward the floor)."""
    side = near_side(frame, min_visibility)
    if side is None:
        return math.nan
    return signed_deviation_deg(frame.point(sided("shoulder", side)), frame.point(sided("hip", side)),
                                frame.point(sided("ankle", side)))


def mean_body_visibility(frame: PoseFrame) -> float:
    body = [lm for lm in Landmark if lm >= Landmark.LEFT_SHOULDER]
    return float(frame.visibility[body].mean())

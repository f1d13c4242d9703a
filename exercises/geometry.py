"""2-D geometry on pixel coordinates (image y points down).

All functions take points as length-2 array-likes in pixels and return NaN, never raise,
when an input is NaN or a segment is degenerate (zero length): a missing landmark is a normal
result, not an error.

Angle conventions
-----------------
* ``joint_angle_deg(a, b, c)``: the unsigned angle at ``b`` between b->a and b->c, in [0, 180].
  A straight limb or a straight plank line reads 180.
* ``signed_deviation_deg(a, p, b, toward)``: ``180 - joint_angle_deg(a, p, b)``, signed
  **positive when p is displaced from the line a-b in the direction ``toward``** (default: image down,
  i.e. towards the floor for a level camera). A sagging plank hip reads positive, a piked hip negative.
* ``segment_angle_deg(a, b)``: direction of a->b as the viewer sees it, counter-clockwise from
  pointing right, in (-180, 180]. Pointing up on screen is +90.
* ``elevation_deg(a, b)``: how far b is above a, as an angle from horizontal in [-90, 90]
  (positive = b higher on screen). Direction-independent (a->b pointing left or right alike).
"""

from __future__ import annotations

import math

import numpy as np

IMAGE_DOWN = np.array([0.0, 1.0])

_EPS = 1e-9


def _p(v) -> np.ndarray:
    return np.asarray(v, dtype=np.float64).reshape(2)


def midpoint(a, b) -> np.ndarray:
    return (_p(a) + _p(b)) / 2.0


def distance(a, b) -> float:
    d = _p(b) - _p(a)
    return float(math.hypot(d[0], d[1]))


def angle_between_deg(u, v) -> float:
    """Unsigned angle between two vectors in degrees, [0, 180]; NaN if either is zero or NaN."""
    u, v = _p(u), _p(v)
    nu, nv = math.hypot(*u), math.hypot(*v)
    if not (nu > _EPS and nv > _EPS):  # also catches NaN
        return float("nan")
    c = float(np.dot(u, v) / (nu * nv))
    return math.degrees(math.acos(max(-1.0, min(1.0, c))))


def joint_angle_deg(a, b, c) -> float:
    """Angle at ``b`` formed by a-b-c, in degrees [0, 180]."""
    b = _p(b)
    return angle_between_deg(_p(a) - b, _p(c) - b)


def signed_offset_px(p, a, b, toward=IMAGE_DOWN) -> float:
    """Perpendicular distance of ``p`` from the infinite line through a and b, in pixels.

    Positive when ``p`` lies on the side of the line that ``toward`` points to.
    """
    p, a, b, toward = _p(p), _p(a), _p(b), _p(toward)
    d = b - a
    n = math.hypot(*d)
    if not n > _EPS:
        return float("nan")
    normal = np.array([-d[1], d[0]]) / n
    if float(np.dot(normal, toward)) < 0:
        normal = -normal
    return float(np.dot(p - a, normal))


def signed_deviation_deg(a, p, b, toward=IMAGE_DOWN) -> float:
    """Bend at ``p`` away from the straight line a-b, in degrees, signed by ``toward``.

    0 means a, p, b are collinear; positive means p is displaced towards ``toward``.
    """
    bend = 180.0 - joint_angle_deg(a, p, b)
    if math.isnan(bend):
        return bend
    off = signed_offset_px(p, a, b, toward)
    if math.isnan(off):
        return float("nan")
    return bend if off >= 0 else -bend


def segment_angle_deg(a, b) -> float:
    """Direction of a->b as seen on screen, counter-clockwise from +x, in (-180, 180]."""
    d = _p(b) - _p(a)
    if not math.hypot(*d) > _EPS:
        return float("nan")
    return math.degrees(math.atan2(0.0 - d[1], d[0]))  # 0.0 - y avoids -0.0 -> -180


def elevation_deg(a, b) -> float:
    """Angle of the segment a-b above horizontal, positive when b is higher on screen."""
    d = _p(b) - _p(a)
    if not math.hypot(*d) > _EPS:
        return float("nan")
    return math.degrees(math.atan2(0.0 - d[1], abs(d[0])))

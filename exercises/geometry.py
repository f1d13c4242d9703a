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

IMAGE_DOWN = (0.0, 1.0)

_EPS = 1e-9
_NAN = float("nan")

# Scalar ``math`` on 2-vectors: checkers call these many times per frame, and going through
# NumPy for two numbers costs about 5x more.


def _xy(p) -> tuple[float, float]:
    if type(p) is np.ndarray:
        p = p.tolist()
    return float(p[0]), float(p[1])


def midpoint(a, b) -> np.ndarray:
    ax, ay = _xy(a)
    bx, by = _xy(b)
    return np.array([(ax + bx) / 2.0, (ay + by) / 2.0])


def distance(a, b) -> float:
    ax, ay = _xy(a)
    bx, by = _xy(b)
    return math.hypot(bx - ax, by - ay)


def angle_between_deg(u, v) -> float:
    """Unsigned angle between two vectors in degrees, [0, 180]; NaN if either is zero or NaN."""
    ux, uy = _xy(u)
    vx, vy = _xy(v)
    nu, nv = math.hypot(ux, uy), math.hypot(vx, vy)
    if not (nu > _EPS and nv > _EPS):  # also catches NaN
        return _NAN
    c = (ux * vx + uy * vy) / (nu * nv)
    return math.degrees(math.acos(max(-1.0, min(1.0, c))))


def joint_angle_deg(a, b, c) -> float:
    """Angle at ``b`` formed by a-b-c, in degrees [0, 180]."""
    ax, ay = _xy(a)
    bx, by = _xy(b)
    cx, cy = _xy(c)
    return angle_between_deg((ax - bx, ay - by), (cx - bx, cy - by))


def signed_offset_px(p, a, b, toward=IMAGE_DOWN) -> float:
    """Perpendicular distance of ``p`` from the infinite line through a and b, in pixels.

    Positive when ``p`` lies on the side of the line that ``toward`` points to.
    """
    px, py = _xy(p)
    ax, ay = _xy(a)
    bx, by = _xy(b)
    tx, ty = _xy(toward)
    dx, dy = bx - ax, by - ay
    n = math.hypot(dx, dy)
    if not n > _EPS:
        return _NAN
    nx, ny = -dy / n, dx / n
    if nx * tx + ny * ty < 0:
        nx, ny = -nx, -ny
    return (px - ax) * nx + (py - ay) * ny


def signed_deviation_deg(a, p, b, toward=IMAGE_DOWN) -> float:
    """Bend at ``p`` away from the straight line a-b, in degrees, signed by ``toward``.

    0 means a, p, b are collinear; positive means p is displaced towards ``toward``.
    """
    bend = 180.0 - joint_angle_deg(a, p, b)
    if math.isnan(bend):
        return bend
    off = signed_offset_px(p, a, b, toward)
    if math.isnan(off):
        return _NAN
    return bend if off >= 0 else -bend


def segment_angle_deg(a, b) -> float:
    """Direction of a->b as seen on screen, counter-clockwise from +x, in (-180, 180]."""
    ax, ay = _xy(a)
    bx, by = _xy(b)
    dx, dy = bx - ax, by - ay
    if not math.hypot(dx, dy) > _EPS:
        return _NAN
    return math.degrees(math.atan2(0.0 - dy, dx))  # 0.0 - dy avoids -0.0 -> -180


def elevation_deg(a, b) -> float:
    """Angle of the segment a-b above horizontal, positive when b is higher on screen."""
    ax, ay = _xy(a)
    bx, by = _xy(b)
    dx, dy = bx - ax, by - ay
    if not math.hypot(dx, dy) > _EPS:
        return _NAN
    return math.degrees(math.atan2(0.0 - dy, abs(dx)))

"""Scalar (pure ``math``) versions of the ``exercises.geometry`` functions the checkers call per
frame. Same conventions and NaN behaviour (see ``exercises.geometry``); about 5x faster on
2-vectors than going through NumPy, which keeps a checker well under 0.2 ms per frame.
Tested against ``exercises.geometry`` in ``tests/test_checkers_robustness.py``.
"""

from __future__ import annotations

import math

_EPS = 1e-9
_NAN = float("nan")


def _xy(p) -> tuple[float, float]:
    return float(p[0]), float(p[1])


def joint_angle_deg(a, b, c) -> float:
    ax, ay = _xy(a)
    bx, by = _xy(b)
    cx, cy = _xy(c)
    ux, uy, vx, vy = ax - bx, ay - by, cx - bx, cy - by
    nu, nv = math.hypot(ux, uy), math.hypot(vx, vy)
    if not (nu > _EPS and nv > _EPS):
        return _NAN
    cos = (ux * vx + uy * vy) / (nu * nv)
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def signed_offset_px(p, a, b, toward=(0.0, 1.0)) -> float:
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


def signed_deviation_deg(a, p, b, toward=(0.0, 1.0)) -> float:
    bend = 180.0 - joint_angle_deg(a, p, b)
    if math.isnan(bend):
        return bend
    off = signed_offset_px(p, a, b, toward)
    if math.isnan(off):
        return _NAN
    return bend if off >= 0 else -bend


def elevation_deg(a, b) -> float:
    ax, ay = _xy(a)
    bx, by = _xy(b)
    dx, dy = bx - ax, by - ay
    if not math.hypot(dx, dy) > _EPS:
        return _NAN
    return math.degrees(math.atan2(-dy, abs(dx)))


def distance(a, b) -> float:
    ax, ay = _xy(a)
    bx, by = _xy(b)
    return math.hypot(bx - ax, by - ay)

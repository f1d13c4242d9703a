"""Pure 3D helpers for the renderer: rotations, the camera, projection (numpy only).

World frame: metres, z up, the floor is z = 0. The person lies along the x axis with the
head towards +x; a side camera sits on the -y side looking towards +y.
Camera poses are OpenGL-style camera-to-world matrices (the camera looks down its -z axis).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tools.synth.timeline import Camera


def unit(v: Sequence[float]) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    n = np.linalg.norm(v)
    if n < 1e-12:
        raise ValueError(f"cannot normalise a zero vector: {v}")
    return v / n


def rot(axis: Sequence[float], deg: float) -> np.ndarray:
    """Rotation matrix of ``deg`` degrees about ``axis`` (right-hand rule)."""
    a = unit(axis)
    k = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    th = np.deg2rad(deg)
    return np.eye(3) + np.sin(th) * k + (1 - np.cos(th)) * k @ k


def align(u: Sequence[float], v: Sequence[float]) -> np.ndarray:
    """The smallest rotation taking direction ``u`` to direction ``v``."""
    u, v = unit(u), unit(v)
    c = np.cross(u, v)
    s = np.linalg.norm(c)
    d = float(np.dot(u, v))
    if s < 1e-9:
        if d > 0:
            return np.eye(3)
        p = np.cross(u, [1.0, 0, 0]) if abs(u[0]) < 0.9 else np.cross(u, [0, 1.0, 0])
        return rot(p, 180.0)
    return rot(c, np.degrees(np.arctan2(s, d)))


def basis(up: Sequence[float], fwd: Sequence[float]) -> np.ndarray:
    """Orthonormal frame with columns (side, fwd, up); ``fwd`` is made perpendicular to ``up``."""
    up = unit(up)
    f = np.asarray(fwd, dtype=float)
    f = unit(f - up * np.dot(f, up))
    return np.stack([np.cross(f, up), f, up], axis=1)


def dir_xz(deg: float) -> np.ndarray:
    """Unit vector in the x-z (sagittal) plane at ``deg`` degrees above +x."""
    a = np.deg2rad(deg)
    return np.array([np.cos(a), 0.0, np.sin(a)])


def look_at(eye: Sequence[float], target: Sequence[float], up: Sequence[float] = (0, 0, 1)) -> np.ndarray:
    """Camera-to-world 4x4 pose of a camera at ``eye`` looking at ``target``."""
    eye = np.asarray(eye, dtype=float)
    z = unit(eye - np.asarray(target, dtype=float))
    x = unit(np.cross(up, z))
    y = np.cross(z, x)
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = x, y, z, eye
    return m


def camera_pose(cam: Camera, center: Sequence[float]) -> np.ndarray:
    """Pose of ``cam`` aimed at a body centred at ``center`` (x, y, z).

    The camera stands ``distance_m`` from the centre horizontally at ``height_m`` above the floor;
    azimuth 0 puts it on the -y side, positive azimuth swings it towards +x (the head).
    ``cam.target_height_m``, when set, replaces the centre's z as the aim height.
    """
    cx, cy, cz = (float(c) for c in center)
    aim_z = cz if cam.target_height_m is None else cam.target_height_m
    a = np.deg2rad(cam.azimuth_deg)
    eye = [cx + cam.distance_m * np.sin(a), cy - cam.distance_m * np.cos(a), cam.height_m]
    return look_at(eye, [cx, cy, aim_z])


def project(points: np.ndarray, pose: np.ndarray, yfov_deg: float, width: int, height: int) -> np.ndarray:
    """Pixel coordinates (u right, v down) of world ``points`` (n, 3) seen by a pinhole camera."""
    p = np.asarray(points, dtype=float)
    pc = (np.c_[p, np.ones(len(p))] @ np.linalg.inv(pose).T)[:, :3]
    if np.any(pc[:, 2] >= 0):
        raise ValueError("some points are behind the camera")
    f = (height / 2) / np.tan(np.deg2rad(yfov_deg) / 2)
    u = width / 2 + f * pc[:, 0] / -pc[:, 2]
    v = height / 2 - f * pc[:, 1] / -pc[:, 2]
    return np.stack([u, v], axis=1)


def nlerp(a: Sequence[float], b: Sequence[float], t: float) -> np.ndarray:
    """Normalised linear interpolation between two directions (t in [0, 1])."""
    v = (1 - t) * np.asarray(a, dtype=float) + t * np.asarray(b, dtype=float)
    return unit(v)


def level_contacts(points: np.ndarray, mask_a: np.ndarray, mask_b: np.ndarray, iters: int = 3) -> np.ndarray:
    """Rotation about the y axis (4x4, about the contacts' midpoint) that brings the lowest point of
    region A and the lowest point of region B to the same height (both then touch one floor)."""
    total = np.eye(4)
    p = np.asarray(points, dtype=float)
    for _ in range(iters):
        a = p[mask_a][np.argmin(p[mask_a][:, 2])]
        b = p[mask_b][np.argmin(p[mask_b][:, 2])]
        d = a - b if a[0] >= b[0] else b - a  # the smallest rotation that levels the two contacts
        r = rot([0, 1, 0], np.degrees(np.arctan2(d[2], d[0])))
        c = (a + b) / 2
        m = np.eye(4)
        m[:3, :3] = r
        m[:3, 3] = c - r @ c
        p = p @ r.T + m[:3, 3]
        total = m @ total
    return total


def apply(m: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply a 4x4 rigid transform to (n, 3) points."""
    return np.asarray(points, dtype=float) @ m[:3, :3].T + m[:3, 3]

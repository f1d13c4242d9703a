"""Builders of synthetic pose sequences for checker tests (no video, no MediaPipe).

Bodies are drawn as a 2-D stick figure seen from the side, in pixels (y down), with segment
lengths in pixels. The person's right side faces the camera (visibility 0.95); the left side is
slightly offset and less visible (0.6), as MediaPipe reports a far side.

* ``plank_frame(t, sag_deg=..)``: forearm plank, head to the right; ``sag_deg`` > 0 bends the
  body at the hips toward the floor (signed deviation at the hip), < 0 pikes.
* ``bird_dog_frame(t, side, ext, roll_deg=.., leg_high_deg=..)``: on all fours; ``ext`` 0..1
  swings the ``side`` leg back and the opposite arm forward.
* ``dead_bug_frame(t, side, ext, leg_elev_deg=..)``: lying on the back, tabletop legs; ``ext``
  0..1 straightens the ``side`` leg down to ``leg_elev_deg`` and takes the opposite arm overhead.
* ``sequence(fn, duration_s, fps)`` / ``rep_schedule`` for timelines; ``occlude`` and ``nan_frame``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from exercises.pose import NUM_LANDMARKS, Landmark, PoseFrame

WH = (640, 480)
NEAR_VIS = 0.95
FAR_VIS = 0.6
FAR_OFFSET_PX = np.array([3.0, -4.0])  # far side drawn slightly up/right

UPPER_ARM, FOREARM, TORSO, THIGH, SHIN, NECK = 70.0, 65.0, 130.0, 110.0, 105.0, 40.0


def _dir(deg: float) -> np.ndarray:
    """Unit vector at ``deg`` counter-clockwise from +x as seen on screen (y down)."""
    r = math.radians(deg)
    return np.array([math.cos(r), -math.sin(r)])


def _empty() -> tuple[np.ndarray, np.ndarray]:
    return np.full((NUM_LANDMARKS, 2), np.nan), np.zeros(NUM_LANDMARKS)


def _put(xy, vis, name: str, right: np.ndarray, left: np.ndarray | None = None) -> None:
    """Set RIGHT_<name> (near) and LEFT_<name> (far; default = right + offset)."""
    r, l_ = Landmark[f"RIGHT_{name}"], Landmark[f"LEFT_{name}"]
    xy[r], vis[r] = right, NEAR_VIS
    xy[l_], vis[l_] = (right + FAR_OFFSET_PX) if left is None else left, FAR_VIS


def _head(xy, vis, sh: np.ndarray, toward_deg: float) -> None:
    ear = sh + NECK * _dir(toward_deg)
    _put(xy, vis, "EAR", ear)
    xy[Landmark.NOSE], vis[Landmark.NOSE] = ear + 15 * _dir(toward_deg - 30), NEAR_VIS
    for name in ("EYE",):
        _put(xy, vis, name, ear + 10 * _dir(toward_deg - 20))


def _world(xy: np.ndarray, yaw_deg: float = 0.0) -> np.ndarray:
    """A crude metric world frame: hips at the origin, the far side 0.3 m deeper (side view)."""
    w = np.zeros((NUM_LANDMARKS, 3))
    mid = np.nanmean(xy[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]], axis=0)
    w[:, :2] = (xy - mid) / 300.0
    depth = 0.35 * TORSO / 300.0 * math.cos(math.radians(yaw_deg))  # hip width, in metres
    across = 0.35 * TORSO / 300.0 * math.sin(math.radians(yaw_deg))
    for lm in Landmark:
        if lm.name.startswith("LEFT_"):
            w[lm, 2] += depth / 2
            w[lm, 0] += across / 2
        elif lm.name.startswith("RIGHT_"):
            w[lm, 2] -= depth / 2
            w[lm, 0] -= across / 2
    return np.nan_to_num(w)


def _frame(xy, vis, t: float, yaw_deg: float = 0.0) -> PoseFrame:
    return PoseFrame(xy=xy, visibility=vis, timestamp_s=t, image_wh=WH, world_xyz=_world(xy, yaw_deg))


def plank_frame(t: float, sag_deg: float = 0.0, head_drop_deg: float = 0.0, knees: bool = False,
                yaw_deg: float = 0.0, hips_down: bool = False) -> PoseFrame:
    """Forearm plank, head to the right. ``hips_down``: lying prone on the elbows (not a plank)."""
    xy, vis = _empty()
    elbow = np.array([470.0, 400.0])
    wrist = elbow + np.array([FOREARM, 0.0])
    sh = elbow + np.array([0.0, -UPPER_ARM])
    if hips_down:
        hip = sh + TORSO * _dir(180 + 28)
        knee = hip + THIGH * _dir(180 + 2)
        ankle = knee + SHIN * _dir(180)
    elif knees:
        # Thighs slope to the knee on the floor; shins along the floor.
        knee = np.array([sh[0] - (TORSO + THIGH) * 0.93, elbow[1]])
        line = knee - sh
        hip = sh + line * TORSO / (TORSO + THIGH)
        n = np.array([-line[1], line[0]]) / np.linalg.norm(line)
        if n[1] < 0:
            n = -n
        hip = hip + n * math.tan(math.radians(sag_deg / 2)) * TORSO
        ankle = knee + np.array([-SHIN, -8.0])
    else:
        # Straight line shoulder -> ankle with the ankle on the floor; bend at the hip by sag_deg.
        total = TORSO + THIGH + SHIN
        ankle_y = elbow[1]
        base = math.degrees(math.asin((ankle_y - sh[1]) / total))  # line angle below horizontal
        hip = sh + TORSO * _dir(180 + base + sag_deg / 2)
        knee = hip + THIGH * _dir(180 + base - sag_deg / 2)
        ankle = knee + SHIN * _dir(180 + base - sag_deg / 2)
    trunk_deg = math.degrees(math.atan2(-(sh - hip)[1], (sh - hip)[0]))
    _put(xy, vis, "SHOULDER", sh)
    _put(xy, vis, "ELBOW", elbow)
    _put(xy, vis, "WRIST", wrist)
    _put(xy, vis, "HIP", hip)
    _put(xy, vis, "KNEE", knee)
    _put(xy, vis, "ANKLE", ankle)
    _put(xy, vis, "HEEL", ankle + np.array([-8.0, 0.0]))
    _put(xy, vis, "FOOT_INDEX", ankle + np.array([5.0, 10.0]))
    _head(xy, vis, sh, trunk_deg - head_drop_deg)
    return _frame(xy, vis, t, yaw_deg)


def bird_dog_frame(t: float, side: str = "right", ext: float = 0.0, roll_deg: float = 0.0,
                   leg_high_deg: float = 0.0, far_leg_lost: bool = False) -> PoseFrame:
    """On all fours, head to the right, right side near. ``side`` is the moving leg.

    ``far_leg_lost``: the far (left) leg is drawn hanging down whatever it does, as MediaPipe lite
    does with a hidden far leg; the reaching near arm still shows the rep."""
    xy, vis = _empty()
    e = min(max(ext, 0.0), 1.0)
    sh_r = np.array([420.0, 250.0])
    hip_r = sh_r + np.array([-TORSO, 0.0])
    pts = {}
    for s, off in (("RIGHT", np.zeros(2)), ("LEFT", FAR_OFFSET_PX)):
        sh, hip = sh_r + off, hip_r + off
        moving_leg = s == side.upper() and not (far_leg_lost and s == "LEFT")
        # The thigh swings from straight down to straight back (plus leg_high_deg above it).
        a = math.radians(-90 - (90 + leg_high_deg) * e) if moving_leg else math.radians(-90)
        thigh = np.array([math.cos(a), -math.sin(a)])
        knee = hip + THIGH * thigh
        if moving_leg:
            ankle = knee + SHIN * thigh
        else:
            ankle = knee + SHIN * np.array([-1.0, 0.0])
        moving_arm = s != side.upper()
        b = math.radians(-90 + 90 * e) if moving_arm else math.radians(-90)
        arm = np.array([math.cos(b), -math.sin(b)])
        elbow = sh + UPPER_ARM * arm
        wrist = elbow + FOREARM * arm
        pts[s] = {"SHOULDER": sh, "HIP": hip, "KNEE": knee, "ANKLE": ankle, "ELBOW": elbow, "WRIST": wrist,
                      "HEEL": ankle + np.array([-5.0, 0.0]), "FOOT_INDEX": ankle + np.array([-8.0, 5.0])}
    # Pelvis roll lifting the moving leg's hip by roll_deg (hip width 0.35 torso).
    lift = math.sin(math.radians(roll_deg)) * 0.35 * TORSO / 2
    mover, other = side.upper(), ("LEFT" if side.upper() == "RIGHT" else "RIGHT")
    pts[mover]["HIP"] = pts[mover]["HIP"] + np.array([0.0, -lift])
    pts[other]["HIP"] = pts[other]["HIP"] + np.array([0.0, lift])
    for name in pts["RIGHT"]:
        _put(xy, vis, name, pts["RIGHT"][name], pts["LEFT"][name])
    _head(xy, vis, sh_r, 0.0)
    return _frame(xy, vis, t)


def dead_bug_frame(t: float, side: str = "right", ext: float = 0.0, leg_elev_deg: float = 30.0,
                   trunk_tilt_deg: float = 0.0, pelvis_tilt_deg: float = 0.0) -> PoseFrame:
    """Lying on the back, head to the left (so the right side is near), tabletop legs.

    ``pelvis_tilt_deg``: an arch's anterior pelvic tilt; the pelvis carries both legs, so every
    thigh and shin turns that far toward the feet (hip and knee angles unchanged)."""
    xy, vis = _empty()
    e = min(max(ext, 0.0), 1.0)
    hip_r = np.array([380.0, 380.0])
    sh_r = hip_r + TORSO * _dir(180 - trunk_tilt_deg)
    pts = {}
    for s, off in (("RIGHT", np.zeros(2)), ("LEFT", FAR_OFFSET_PX)):
        sh, hip = sh_r + off, hip_r + off
        moving_leg = s == side.upper()
        thigh_deg = (90 + (leg_elev_deg - 90) * e if moving_leg else 90.0) - pelvis_tilt_deg  # up -> feet
        knee = hip + THIGH * _dir(thigh_deg)
        shin_deg = (0 + (leg_elev_deg - 0) * e if moving_leg else 0.0) - pelvis_tilt_deg
        ankle = knee + SHIN * _dir(shin_deg)
        moving_arm = s != side.upper()
        arm_deg = 90 + 80 * e if moving_arm else 90.0  # up -> overhead (toward the head side)
        elbow = sh + UPPER_ARM * _dir(arm_deg)
        wrist = elbow + FOREARM * _dir(arm_deg)
        pts[s] = {"SHOULDER": sh, "HIP": hip, "KNEE": knee, "ANKLE": ankle, "ELBOW": elbow, "WRIST": wrist,
                      "HEEL": ankle + np.array([0.0, 5.0]), "FOOT_INDEX": ankle + np.array([8.0, -3.0])}
    for name in pts["RIGHT"]:
        _put(xy, vis, name, pts["RIGHT"][name], pts["LEFT"][name])
    _head(xy, vis, sh_r, 180.0)
    return _frame(xy, vis, t)


def sequence(fn: Callable[[float], PoseFrame], duration_s: float, fps: float = 30.0,
             t0: float = 0.0) -> list[PoseFrame]:
    n = round(duration_s * fps)
    return [fn(t0 + i / fps) for i in range(n)]


def smoothstep(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return 0.5 - 0.5 * math.cos(math.pi * x)


def rep_schedule(sides: tuple[str, ...], lead_in_s: float = 1.0, extend_s: float = 1.5, hold_s: float = 2.0,
                 return_s: float = 1.5, rest_s: float = 1.0) -> Callable[[float], tuple[str, float]]:
    """t -> (side, extension 0..1) for back-to-back reps (like the renderer's timeline)."""
    reps = []
    t = lead_in_s
    for s in sides:
        reps.append((s, t, t + extend_s, t + extend_s + hold_s, t + extend_s + hold_s + return_s))
        t += extend_s + hold_s + return_s + rest_s

    def at(time: float) -> tuple[str, float]:
        for s, a, b, c, d in reps:
            if a <= time <= d:
                if time < b:
                    return s, smoothstep((time - a) / (b - a))
                if time <= c:
                    return s, 1.0
                return s, 1.0 - smoothstep((time - c) / (d - c))
        return sides[0] if sides else "right", 0.0

    return at


def occlude(frame: PoseFrame, *landmarks: Landmark) -> PoseFrame:
    """The frame with some landmarks missing (NaN, visibility 0)."""
    xy = frame.xy.copy()
    vis = frame.visibility.copy()
    for lm in landmarks:
        xy[int(lm)] = np.nan
        vis[int(lm)] = 0.0
    return PoseFrame(xy=xy, visibility=vis, timestamp_s=frame.timestamp_s, image_wh=frame.image_wh,
                     world_xyz=frame.world_xyz, detected=frame.detected)


def nan_frame(t: float) -> PoseFrame:
    """A detected frame whose every coordinate is NaN."""
    xy, _vis = _empty()
    return PoseFrame(xy=xy, visibility=np.full(NUM_LANDMARKS, 0.9), timestamp_s=t, image_wh=WH)


def swap_legs(frame: PoseFrame) -> PoseFrame:
    """The frame with the left and right legs (knee, ankle, heel, toe) swapped, as the pose model draws a
    lifted far leg on the near one and the near one where the far leg is."""
    xy, vis = frame.xy.copy(), frame.visibility.copy()
    for joint in ("KNEE", "ANKLE", "HEEL", "FOOT_INDEX"):
        a, b = int(Landmark[f"LEFT_{joint}"]), int(Landmark[f"RIGHT_{joint}"])
        xy[[a, b]], vis[[a, b]] = xy[[b, a]], vis[[b, a]]
    return PoseFrame(xy=xy, visibility=vis, timestamp_s=frame.timestamp_s, image_wh=frame.image_wh,
                     world_xyz=None, detected=frame.detected)

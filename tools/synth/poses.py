"""Exercise poses: a :class:`~tools.synth.timeline.PoseState` -> a posed, grounded body.

The person lies along x with the head towards +x. Directions are world unit vectors;
``dir_xz(a)`` points ``a`` degrees above +x in the sagittal plane, so ``dir_xz(180)`` points
to the feet along the floor and ``dir_xz(90)`` straight up.

Fault geometry (magnitudes in degrees, as written to the labels):
* plank ``hip_sag`` / ``hip_pike``: 180 - shoulder-hip-ankle angle, hip below / above the line;
  ``head_drop``: neck flexion from the line of the trunk, the head hanging toward the floor
  (rotation of neck and head about the base of the neck).
* dead bug ``low_back_arch``: angle between pelvis and chest segments, the lumbar spine lifted off
  the floor; the pelvis tilts by half of it against the trunk line (anterior tilt) and carries
  both legs with it (hip angles unchanged: the legs are in the air, nothing holds them), so the
  tabletop thigh leans towards the feet and the extended leg sinks by ``arch / 2``.
  ``leg_drop``: extended leg that many degrees below its target elevation.
* bird-dog ``hip_rotation``: pelvis roll about its long axis lifting the raised leg's hip (the
  chest follows by 30 %); ``leg_too_high``: extended leg's elevation above horizontal;
  ``back_sag``: angle between pelvis and chest segments, the lumbar spine dropped; the pelvis
  tilts by half of it and carries the raised leg (which rises by ``sag / 2``); the supporting
  leg stays put, its knee is on the floor.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tools.synth.body import AnnyBody, Posed
from tools.synth.geometry import apply, dir_xz, level_contacts, nlerp, rot
from tools.synth.timeline import PoseState

UP = np.array([0.0, 0.0, 1.0])
DOWN = -UP
HEADWARD = np.array([1.0, 0.0, 0.0])
FEETWARD = -HEADWARD
REST_FWD = np.array([0.0, -1.0, 0.0])
_SIDE = {"left": "L", "right": "R"}
_OTHER = {"L": "R", "R": "L"}
CHEST_ROLL_SHARE = 0.3


def torso_rotations(body: AnnyBody, pelvis_up, chest_up, face, pelvis_roll=0.0, chest_roll=0.0):
    """Rotations of pelvis, lumbar and chest. ``face`` is the direction the chest faces (roughly)."""
    rest_up = body.rest_torso_up

    def seg(up, roll):
        g = body.segment(rest_up, REST_FWD, up, face)
        return rot(up, roll) @ g if roll else g

    gp = seg(pelvis_up, pelvis_roll)
    gc = seg(chest_up, chest_roll)
    mid_up = np.asarray(pelvis_up) + np.asarray(chest_up)
    gl = seg(mid_up, (pelvis_roll + chest_roll) / 2)
    return {"pelvis": gp, "lumbar": gl, "chest": gc}


def add_arm(body: AnnyBody, rots: dict, s: str, upper, fore) -> None:
    rots["uarm." + s] = body.bend(rots["chest"], "upperarm01." + s, "lowerarm01." + s, upper)
    rots["farm." + s] = body.bend(rots["uarm." + s], "lowerarm01." + s, "wrist." + s, fore)


def add_leg(body: AnnyBody, rots: dict, s: str, thigh, shin) -> None:
    rots["thigh." + s] = body.bend(rots["pelvis"], "upperleg01." + s, "lowerleg01." + s, thigh)
    rots["shin." + s] = body.bend(rots["thigh." + s], "lowerleg01." + s, "foot." + s, shin)


def point_feet(body: AnnyBody, rots: dict, s: str, toes_dir) -> None:
    """Rotate the foot so it points along ``toes_dir`` (e.g. plantar-flexed, lying on the floor)."""
    rots["foot." + s] = body.bend(rots["shin." + s], "foot." + s, "toe3-1." + s, toes_dir)


def pelvis_carry(tilt_deg: float) -> np.ndarray:
    """Rotation in the sagittal plane taking ``dir_xz(a)`` to ``dir_xz(a + tilt_deg)``.

    Applied to a free leg's world directions when the pelvis tilts by ``tilt_deg`` (positive =
    its head end rises), so the leg keeps its hip angle and moves with the pelvis.
    """
    return rot([0.0, -1.0, 0.0], tilt_deg)


def ground(p: Posed) -> Posed:
    z0 = p.vertices[:, 2].min()
    return p.transformed(lambda x: x - np.array([0.0, 0.0, z0]))


def level(p: Posed, mask_a: np.ndarray, mask_b: np.ndarray) -> Posed:
    m = level_contacts(p.vertices, mask_a, mask_b)
    return p.transformed(lambda x: apply(m, x))


def bisect_pitch(make: Callable[[float], Posed], gap: Callable[[Posed], float], lo: float, hi: float,
                 steps: int = 9) -> Posed:
    """Find the torso pitch where ``gap`` (support A height minus support B height) crosses zero."""
    p = make(lo)
    for _ in range(steps):
        mid = (lo + hi) / 2
        p = make(mid)
        if gap(p) < 0:
            lo = mid
        else:
            hi = mid
    return p


class Poser:
    """Poses one body for every PoseState of a clip."""

    def __init__(self, body: AnnyBody):
        self.body = body
        b = body
        self.forearms = b.region(("lowerarm", "wrist", "finger", "metacarpal"))
        self.hands = b.region(("wrist", "finger", "metacarpal"))
        self.toes = b.region(("toe",))
        self.shins = b.region(("lowerleg",))
        self.lower_legs = b.region(("lowerleg", "foot", "toe"))
        self.seat = b.region(("root", "pelvis", "upperleg01", "spine05"))
        self.upper_back = b.region(("spine01", "spine02", "clavicle", "shoulder01"))
        self.sided = {}
        for s in "LR":
            self.sided["hand." + s] = np.array([d.endswith("." + s) for d in b.dominant]) & self.hands
            self.sided["knee." + s] = b.region(("lowerleg01." + s, "lowerleg02." + s))

    def __call__(self, state: PoseState) -> Posed:
        if state.exercise == "plank":
            return self.plank(state)
        if state.exercise == "dead_bug":
            return self.dead_bug(state)
        if state.exercise == "bird_dog":
            return self.bird_dog(state)
        raise ValueError(f"Unknown exercise {state.exercise!r}")

    # --- plank ----------------------------------------------------------------------------
    def plank(self, state: PoseState) -> Posed:
        b = self.body
        sag = state.fault("hip_sag") - state.fault("hip_pike")
        head_drop = state.fault("head_drop")
        if state.variant == "forearm":
            arms, support = (DOWN, HEADWARD), self.forearms
        elif state.variant == "straight_arm":
            arms, support = (DOWN, DOWN), self.hands
        else:  # knees: forearm plank on the knees, shins along the floor
            arms, support = (DOWN, HEADWARD), self.forearms
        feet = self.lower_legs if state.variant == "knees" else self.toes

        def make(pitch: float) -> Posed:
            t = dir_xz(pitch + sag / 2)  # hip -> shoulders
            leg = -dir_xz(pitch - sag / 2)  # hip -> knees / ankles
            rots = torso_rotations(b, t, t, DOWN)
            if head_drop:
                rots["neck"] = rot([0.0, 1.0, 0.0], head_drop) @ rots["chest"]  # head end toward the floor
            for s in "LR":
                add_arm(b, rots, s, *arms)
                if state.variant == "knees":
                    add_leg(b, rots, s, leg, dir_xz(170.0))  # shins back, feet just off the floor
                    point_feet(b, rots, s, dir_xz(185.0))
                else:
                    add_leg(b, rots, s, leg, leg)
            return b.pose(rots)

        def gap(p: Posed) -> float:  # arm support minus foot/knee support
            return p.vertices[support, 2].min() - p.vertices[feet, 2].min()

        return ground(bisect_pitch(make, gap, -20.0, 50.0))

    # --- dead bug -------------------------------------------------------------------------
    def dead_bug(self, state: PoseState) -> Posed:
        b = self.body
        arch = state.fault("low_back_arch")
        # lumbar lifted: pelvis rises towards the lumbar joint, chest descends from it
        rots = torso_rotations(b, dir_xz(arch / 2), dir_xz(-arch / 2), UP)
        carry = pelvis_carry(arch / 2)
        e = state.extension
        leg_side = _SIDE[state.side] if state.side else "L"
        arm_side = _OTHER[leg_side]
        overhead = dir_xz(10.0)
        out = dir_xz(180.0 - (state.leg_target_deg - state.fault("leg_drop")))
        add_arm(b, rots, arm_side, nlerp(UP, overhead, e), nlerp(UP, overhead, e))
        add_arm(b, rots, leg_side, UP, UP)
        add_leg(b, rots, leg_side, carry @ nlerp(UP, out, e), carry @ nlerp(FEETWARD, out, e))
        add_leg(b, rots, arm_side, carry @ UP, carry @ FEETWARD)
        return ground(level(b.pose(rots), self.seat, self.upper_back))

    # --- bird-dog -------------------------------------------------------------------------
    def bird_dog(self, state: PoseState) -> Posed:
        b = self.body
        e = state.extension
        leg_side = _SIDE[state.side] if state.side else "L"
        arm_side = _OTHER[leg_side]
        sag = state.fault("back_sag")
        roll = state.fault("hip_rotation") * (1.0 if leg_side == "L" else -1.0)  # lift the raised leg's hip
        ext_leg = dir_xz(180.0 - state.fault("leg_too_high"))
        carry = pelvis_carry(-sag / 2)
        hand = self.sided["hand." + leg_side]  # the supporting hand is on the moving leg's side
        knee = self.sided["knee." + arm_side]

        def make(pitch: float) -> Posed:
            rots = torso_rotations(b, dir_xz(pitch - sag / 2), dir_xz(pitch + sag / 2), DOWN,
                                   pelvis_roll=roll, chest_roll=CHEST_ROLL_SHARE * roll)
            add_arm(b, rots, leg_side, DOWN, DOWN)
            add_arm(b, rots, arm_side, nlerp(DOWN, HEADWARD, e), nlerp(DOWN, HEADWARD, e))
            add_leg(b, rots, arm_side, DOWN, FEETWARD)
            add_leg(b, rots, leg_side, carry @ nlerp(DOWN, ext_leg, e), carry @ nlerp(FEETWARD, ext_leg, e))
            return b.pose(rots)

        def gap(p: Posed) -> float:  # supporting hand minus supporting knee
            return p.vertices[hand, 2].min() - p.vertices[knee, 2].min()

        return ground(bisect_pitch(make, gap, -30.0, 30.0))

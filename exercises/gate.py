"""View and visibility gate: may this frame be judged at all?

* **View**: the camera's yaw relative to a side-on view, from the shoulder (and hip) line. With
  world landmarks the yaw is ``acos(|dz| / |d|)`` of the left->right shoulder vector (0 = pure side
  view, 90 = facing the camera or facing away). Without them it is estimated from the on-screen
  shoulder/hip width relative to the torso length (``asin(width / (torso * width_to_torso))``).
  Two levels (each with hysteresis): up to ``max_form_yaw_deg`` form is judged (sag, pike, arching
  and leg height are vertical movements best seen in profile); up to ``max_side_yaw_deg`` the
  position is still tracked (holds timed, reps counted) but faults are not judged and the user is
  asked to turn side-on; beyond that nothing is judged (front view).
* **Near side**: the body side facing the camera (higher landmark visibility; world z breaks
  ties), sticky so it does not flicker. Checkers measure on the near side.
* **Visibility**: every required landmark of the near side must be detected with at least the
  configured visibility and lie inside the image.

When the gate fails the verdict is "can't judge": checkers then count nothing and flag nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import geometry
from .cues import LANDMARKS_HIDDEN, NO_PERSON, STEP_BACK, TURN_SIDE_ON, CueSpec
from .pose import Landmark, PoseFrame, Side, sided

DISTAL_JOINTS = frozenset({"knee", "ankle", "heel", "foot_index", "wrist"})
_SIDE_JOINTS = ("shoulder", "hip", "knee", "ankle")


@dataclass(frozen=True)
class GateConfig:
    """Thresholds of the view and visibility gate."""

    max_form_yaw_deg: float = 30.0  # judge form when the view is at most this far from side-on
    max_side_yaw_deg: float = 55.0  # track position / count / time up to this; beyond = front view
    side_yaw_hysteresis_deg: float = 5.0  # must come back below a limit minus this to re-enter
    shoulder_width_to_torso: float = 0.75  # typical shoulder width / shoulder-hip length (2-D yaw fallback)
    min_core_visibility: float = 0.5  # shoulders, hips
    min_distal_visibility: float = 0.3  # knees, ankles, wrists (often partly occluded in profile)
    frame_margin_px: float = 0.0
    near_side_switch_margin: float = 0.08  # mean-visibility advantage needed to change the near side
    min_torso_px: float = 10.0  # smaller bodies are too far away to judge

    def __post_init__(self) -> None:
        if not 0 < self.max_side_yaw_deg < 90:
            raise ValueError(f"max_side_yaw_deg must be in (0, 90), got {self.max_side_yaw_deg!r}")
        if not 0 < self.max_form_yaw_deg <= self.max_side_yaw_deg:
            raise ValueError(f"max_form_yaw_deg must be in (0, max_side_yaw_deg], got {self.max_form_yaw_deg!r}")
        if not 0 <= self.side_yaw_hysteresis_deg < self.max_form_yaw_deg:
            raise ValueError(f"side_yaw_hysteresis_deg must be in [0, max_side_yaw_deg), got "
                             f"{self.side_yaw_hysteresis_deg!r}")
        if not self.shoulder_width_to_torso > 0:
            raise ValueError(f"shoulder_width_to_torso must be > 0, got {self.shoulder_width_to_torso!r}")
        for name in ("min_core_visibility", "min_distal_visibility", "near_side_switch_margin"):
            v = getattr(self, name)
            if not 0 <= v <= 1:
                raise ValueError(f"GateConfig.{name} must be in [0, 1], got {v!r}")
        if not self.frame_margin_px >= 0:
            raise ValueError(f"frame_margin_px must be >= 0, got {self.frame_margin_px!r}")
        if not self.min_torso_px > 0:
            raise ValueError(f"min_torso_px must be > 0, got {self.min_torso_px!r}")


@dataclass(frozen=True)
class GateResult:
    judgeable: bool  # position may be tracked (counts, hold time)
    view: str  # "side" | "oblique" | "front" | "unknown"
    yaw_deg: float  # 0 = side-on, 90 = facing (or back to) the camera; NaN if unknown
    near: Side
    cue: CueSpec | None  # set-up guidance when not judgeable (or form not judgeable)
    form_ok: bool = True  # faults may be judged (side-on enough)


def view_yaw_deg(frame: PoseFrame, width_to_torso: float = 0.75) -> float:
    """Yaw of the body relative to a side-on camera, in degrees [0, 90]; NaN if unknown."""
    with np.errstate(invalid="ignore", over="ignore"):
        return _view_yaw_deg(frame, width_to_torso)


def _view_yaw_deg(frame: PoseFrame, width_to_torso: float) -> float:
    if frame.world_xyz is not None:
        vals = []
        for a, b in ((Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER), (Landmark.LEFT_HIP, Landmark.RIGHT_HIP)):
            d = frame.world_xyz[int(a)] - frame.world_xyz[int(b)]
            n = math.sqrt(float(d[0]) ** 2 + float(d[1]) ** 2 + float(d[2]) ** 2)
            if math.isfinite(n) and n > 1e-6:
                vals.append(math.degrees(math.acos(min(1.0, abs(float(d[2])) / n))))
                break  # shoulders: the hip pair is short and noisier
        if vals:
            return float(vals[0])
    ls, rs = frame.point(Landmark.LEFT_SHOULDER), frame.point(Landmark.RIGHT_SHOULDER)
    lh, rh = frame.point(Landmark.LEFT_HIP), frame.point(Landmark.RIGHT_HIP)
    torso = float(np.linalg.norm((ls + rs) / 2 - (lh + rh) / 2))
    width = float(np.linalg.norm(ls - rs))
    if not (math.isfinite(torso) and math.isfinite(width)) or torso <= 1e-6:
        return float("nan")
    return math.degrees(math.asin(min(1.0, width / (torso * width_to_torso))))


def side_visibility(frame: PoseFrame) -> dict[Side, float]:
    """Mean landmark visibility of each body side (shoulder, hip, knee, ankle): the near-side evidence."""
    return {s: sum(frame.vis(sided(j, s)) for j in _SIDE_JOINTS) / len(_SIDE_JOINTS) for s in Side}


def nearer_side(frame: PoseFrame, min_visibility: float = 0.0) -> Side | None:
    """The side facing the camera in this one frame (the better-seen side; left on a tie), or None when
    no person is detected or that side's mean visibility is below ``min_visibility``. The one near-side
    rule: :class:`ViewGate` adds stickiness and a world-z tie-break on top of it."""
    if not frame.detected:
        return None
    score = side_visibility(frame)
    best = _better_seen(score)
    return best if score[best] >= min_visibility else None


def _better_seen(score: dict[Side, float]) -> Side:
    return Side.LEFT if score[Side.LEFT] >= score[Side.RIGHT] else Side.RIGHT


class ViewGate:
    """Stateful gate (view hysteresis, sticky near side). ``check(frame, required) -> GateResult``."""

    def __init__(self, config: GateConfig | None = None) -> None:
        self.config = config or GateConfig()
        self.reset()

    def reset(self) -> None:
        self._side_view = True
        self._form_view = True
        self._near = Side.LEFT
        self._near_known = False

    def _near_side(self, frame: PoseFrame) -> Side:
        c = self.config
        score = side_visibility(frame)
        best = _better_seen(score)  # the nearer_side rule, on the scores already at hand
        if frame.world_xyz is not None and abs(score[Side.LEFT] - score[Side.RIGHT]) < 1e-3:
            zl = frame.world_xyz[int(Landmark.LEFT_SHOULDER)][2] + frame.world_xyz[int(Landmark.LEFT_HIP)][2]
            zr = frame.world_xyz[int(Landmark.RIGHT_SHOULDER)][2] + frame.world_xyz[int(Landmark.RIGHT_HIP)][2]
            if math.isfinite(zl) and math.isfinite(zr):
                best = Side.LEFT if zl <= zr else Side.RIGHT
        if not self._near_known:
            self._near, self._near_known = best, True
        elif best is not self._near and score[best] - score[self._near] >= c.near_side_switch_margin:
            self._near = best
        return self._near

    def check(self, frame: PoseFrame, required: tuple[str, ...]) -> GateResult:
        """``required``: joint names (``"shoulder"``, ``"hip"``, ...) needed on the near side."""
        c = self.config
        if not frame.detected or not np.isfinite(frame.xy).any():
            return GateResult(False, "unknown", float("nan"), self._near, NO_PERSON, False)
        yaw = view_yaw_deg(frame, c.shoulder_width_to_torso)
        if math.isfinite(yaw):
            hyst = c.side_yaw_hysteresis_deg
            self._side_view = yaw <= (c.max_side_yaw_deg if self._side_view else c.max_side_yaw_deg - hyst)
            self._form_view = yaw <= (c.max_form_yaw_deg if self._form_view else c.max_form_yaw_deg - hyst)
        view = ("side" if self._form_view else "oblique") if self._side_view else "front"
        near = self._near_side(frame)
        if not self._side_view:
            return GateResult(False, view, yaw, near, TURN_SIDE_ON, False)
        missing_core = missing_distal = False
        for joint in required:
            lm = sided(joint, near)
            distal = joint in DISTAL_JOINTS
            need = c.min_distal_visibility if distal else c.min_core_visibility
            ok = frame.vis(lm) >= need and frame.in_frame(lm, c.frame_margin_px)
            if not ok:
                if distal:
                    missing_distal = True
                else:
                    missing_core = True
        if missing_core:
            return GateResult(False, view, yaw, near, LANDMARKS_HIDDEN, False)
        if missing_distal:
            return GateResult(False, view, yaw, near, STEP_BACK, False)
        torso = geometry.distance(frame.point(sided("shoulder", near)), frame.point(sided("hip", near)))
        if not torso >= c.min_torso_px:
            return GateResult(False, view, yaw, near, STEP_BACK, False)
        if not self._form_view:
            return GateResult(True, view, yaw, near, TURN_SIDE_ON, False)
        return GateResult(True, view, yaw, near, None, True)

"""Dead bug checker, judged from a side view of a person lying on their back.

A rep: from tabletop (hips and knees at 90 deg, arms to the ceiling) one leg and the opposite
arm extend and return; the side is the moving leg.

Metrics (degrees unless named otherwise, NaN when not measurable):

* ``extension_frac``: the moving leg's extension, the mean of the hip angle (shoulder-hip-knee,
  90 at tabletop -> ``full_hip_angle_deg``) and the knee angle (hip-knee-ankle, 90 -> 175)
  mapped to 0..1.
* ``leg_elevation_deg``: the moving leg's hip->ankle line above horizontal (the floor), positive up.
  Leg height is the person's own range, not a fault: the seeds lower the leg "until just before the
  back begins to arch", so a low leg with a flat back is correct, harder form. Each rep records its
  lowest controlled leg angle (``RepRecord.lowest_leg_deg``, the 10th percentile of the elevation
  over the hold) as a progress measure.
* ``trunk_pitch_deg``: the shoulder-hip line above horizontal (positive = shoulders higher).
* ``arch_deg``: the low-back-arch proxy, positive = arching. Lumbar extension comes with an
  anterior pelvic tilt, and the pelvis carries the legs (they are in the air; the hip angles do
  not change by themselves), so the supporting tabletop thigh leans towards the feet. The proxy
  is the supporting leg's trunk-thigh angle (near shoulder->hip against that leg's hip->knee)
  minus its start-of-set tabletop value, while the other leg is out. Rendered with the pelvis
  carrying the legs, a 15 deg arch moves it ~11 deg in ground truth; MediaPipe lite reads
  12-27, a 10 deg arch 11-14. On clean reps MediaPipe moves the supporting thigh with the other
  leg by -6..+10 deg depending on the body (three rendered bodies), so the margin to the 11 deg
  threshold is small. An arch the person cancels by flexing the hip moves no landmark and is not
  seen. On the calibration corpus (validation) the proxy cued 11.6 s of clean time and missed an 18 deg
  arch, and it cued clean real dead bugs, so by default (``check_arch=False``) the arch is **not
  checked**: every rep lists ``low_back_arch`` as unchecked and the summary says why
  (``NOT_CHECKED``). The metric is still computed and charted. A silhouette probe (6 Dec 2026, MediaPipe's
  segmentation mask, all 18 corpus arch/clean dead-bug clips re-rendered): the gap under the low back (the mask's
  floor-side contour against a ruler laid under the trunk) rises ~0.2-0.3 % of shoulder-hip length per degree
  of arch (2-3 px at 10 deg); 12-25 deg arches all read >= 2.5 %, but clean reps with the near leg out read up
  to 2.1 % and 10 deg arches 0.5-2.5 %, so no threshold separates 10 deg from clean even on train; on the real
  clean dead bug the near arm lying on the mat is the floor-side contour, and moving it read up to 7.3 % (a
  25 deg arch). Not used: it needs real footage with and without an arch first.
* Holding the breath (the seeds' third dead-bug fault) shows in no landmark: always listed as not checked.
* ``arm_reach_deg``: largest shoulder angle (hip-shoulder-wrist) of either arm, 90 = to the
  ceiling, ~170 = overhead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from . import geometry as g
from .base import CueCode, FaultCode, Severity
from .common import FaultRule
from .counting import BaselineTracker, RepConfig
from .cues import CueSchedulerConfig, CueSpec
from .extension import ExtensionChecker, Judged, Measure, frac
from .gate import GateConfig
from .pose import PoseFrame, Side, sided

LOW_BACK_ARCH = CueSpec(FaultCode.LOW_BACK_ARCH, Severity.WARNING,
                        "Keep your lower back gently on the floor - only lower the leg as far as you can "
                        "without arching.")
# Faults this checker does not judge by default, with why and what to do instead (shown in reports).
NOT_CHECKED = {
    FaultCode.LOW_BACK_ARCH: ("Lower-back arch: not checked. The pose model has no points along the spine, and the "
                      "thigh-angle proxy for an arch gave false alarms on unseen bodies, camera placements and "
                      "real clean dead bugs. No camera placement makes it reliable yet: keep your lower back "
                      "gently on the floor and stop lowering the leg before it lifts."),
    FaultCode.BREATH_HOLDING: ("Holding the breath: not checked. The pose model sees joints, not breathing, from any "
                       "camera placement. Breathe out as the arm and leg reach, in as they come back."),
}
# Praise names only what was judged (reach, hold, tempo); the back and the breath are reminders, not claims.
GOOD = CueSpec(CueCode.GOOD_FORM, Severity.POSITIVE, "Good control - keep your lower back gently down and keep "
               "breathing.")


@dataclass(frozen=True)
class DeadBugConfig:
    """Dead bug thresholds. Angles in degrees, times in seconds."""

    full_hip_angle_deg: float = 150.0  # hip angle of a fully extended leg (leg ~30 deg above the floor)
    full_knee_angle_deg: float = 175.0
    start_angle_deg: float = 90.0  # tabletop hip and knee angles
    min_tabletop_ankle_elevation_deg: float = 20.0  # start position: feet up above hip level
    max_trunk_incline_deg: float = 30.0  # lying: shoulder-hip line near horizontal
    arch_on_deg: float = 11.0  # MediaPipe lite, rendered: clean reps <= 10.4, a 10 deg arch >= 11.3, 15 deg 12-27
    arch_off_deg: float = 8.0
    arch_gain: float = 1.0  # calibration of the proxy to degrees of lumbar extension
    check_arch: bool = False  # judge low_back_arch from the proxy (off: reported as not checked; see module doc)
    lowest_leg_percentile: float = 10.0  # the rep's lowest controlled leg angle: this percentile over the hold
    baseline_s: float = 0.6
    start_arm_angle_deg: float = 90.0  # shoulder angle (hip-shoulder-wrist) at the start
    full_arm_angle_deg: float = 165.0  # ... at full reach (arm overhead)
    fault_min_on_s: float = 0.05  # landmarks are One-Euro smoothed already; hysteresis + min_off keep it steady
    fault_min_off_s: float = 0.3
    hold_target_s: float = 2.0
    reps: RepConfig = field(default_factory=lambda: RepConfig(full_frac=0.75, full_exit_frac=0.65))  # a high
    #   straight leg (45 deg) reads 0.72-0.79 of the tabletop-to-30-deg range; corpus train: full at 0.8 left
    #   4 complete reps incomplete, at 0.75 2 (reps exact per side 14 -> 15 of 20)
    gate: GateConfig = field(default_factory=GateConfig)
    cues: CueSchedulerConfig = field(default_factory=CueSchedulerConfig)

    def __post_init__(self) -> None:
        for a, b in (("arch_on_deg", "arch_off_deg"),):
            on, off = getattr(self, a), getattr(self, b)
            if not 0 < off <= on < 90:
                raise ValueError(f"DeadBugConfig needs 0 < {b} <= {a} < 90, got {a}={on!r} {b}={off!r}")
        if not self.arch_gain > 0:
            raise ValueError(f"arch_gain must be > 0, got {self.arch_gain!r}")
        if not self.start_angle_deg < self.full_hip_angle_deg <= 180:
            raise ValueError(f"full_hip_angle_deg must be in (start_angle_deg, 180], got {self.full_hip_angle_deg!r}")
        if not self.start_angle_deg < self.full_knee_angle_deg <= 180:
            raise ValueError(f"full_knee_angle_deg must be in (start_angle_deg, 180], got {self.full_knee_angle_deg!r}")
        for name in ("baseline_s", "hold_target_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"DeadBugConfig.{name} must be > 0, got {getattr(self, name)!r}")


class DeadBugChecker(ExtensionChecker):
    name = "dead_bug"
    REQUIRED = ("shoulder", "hip", "knee")
    MEASURED_FAULTS = frozenset({FaultCode.LOW_BACK_ARCH})
    POSITIVE = GOOD
    INCOMPLETE_MSG = "Reach further: straighten the leg out long and the arm back overhead."

    CONFIG = DeadBugConfig

    def fault_rules(self) -> tuple[FaultRule, ...]:
        c = self.config
        if not c.check_arch:
            return ()
        return (FaultRule(LOW_BACK_ARCH, c.arch_on_deg, c.arch_off_deg, c.fault_min_on_s, c.fault_min_off_s),)

    def not_checked(self) -> dict[str, str]:
        return {code: why for code, why in NOT_CHECKED.items()
                if code is not FaultCode.LOW_BACK_ARCH or not self.config.check_arch}

    def on_reset(self) -> None:
        self._thigh0 = {s: BaselineTracker(self.config.baseline_s) for s in Side}

    def measure(self, frame: PoseFrame, near: Side) -> Measure:
        c = self.config
        vis = c.gate.min_distal_visibility
        sh = frame.point(sided("shoulder", near))
        hip_n = frame.point(sided("hip", near))
        ext, elev = {}, {}
        for s in Side:
            hip, knee, ankle = (frame.point(sided(j, s)) for j in ("hip", "knee", "ankle"))
            if frame.vis(sided("knee", s)) < vis:
                ext[s] = elev[s] = float("nan")
                continue
            hip_a = frac(g.joint_angle_deg(sh, hip, knee), c.start_angle_deg, c.full_hip_angle_deg)
            parts = [hip_a]
            if frame.vis(sided("ankle", s)) >= vis:
                parts.append(frac(g.joint_angle_deg(hip, knee, ankle), c.start_angle_deg, c.full_knee_angle_deg))
                elev[s] = g.elevation_deg(hip, ankle)
            else:
                elev[s] = g.elevation_deg(hip, knee)
            ext[s] = float(sum(parts) / len(parts))
        pitch = g.elevation_deg(hip_n, sh)
        posture = math.isfinite(pitch) and abs(pitch) <= c.max_trunk_incline_deg
        # Shoulder angle (hip-shoulder-wrist) of each arm whose wrist is seen, once per frame.
        arm_deg = {s: g.joint_angle_deg(frame.point(sided("hip", s)), frame.point(sided("shoulder", s)),
                                        frame.point(sided("wrist", s)))
                   for s in Side if frame.vis(sided("wrist", s)) >= vis}
        arm_ext = {s: frac(arm_deg[s], c.start_arm_angle_deg, c.full_arm_angle_deg) if s in arm_deg
                   else float("nan") for s in Side}
        raw = {"pitch_deg": pitch, "leg_elevation_deg": elev,
               "thigh_deg": {s: self._trunk_thigh_deg(frame, sh - hip_n, s) for s in Side},
               "arm_reach_deg": max(arm_deg.values()) if arm_deg else float("nan")}
        return Measure(ext=ext, arm_ext=arm_ext, posture=posture, raw=raw)

    def judge(self, m: Measure, near: Side, moving: Side | None, t_s: float) -> Judged:
        c = self.config
        elev, thigh = m.raw["leg_elevation_deg"], m.raw["thigh_deg"]
        armed = m.posture and math.isfinite(elev[near]) and elev[near] >= c.min_tabletop_ankle_elevation_deg \
            and not self.reps_machine.in_rep
        if armed and (m.ext[near] if math.isfinite(m.ext[near]) else 1.0) <= c.reps.rest_frac:
            for s in Side:  # tabletop at rest sets each thigh's baseline (the first baseline_s of it)
                self._thigh0[s].add(thigh[s], t_s)
        arch = float("nan")
        support = moving.other if moving is not None else None
        if support is not None and self._thigh0[support].ready and math.isfinite(thigh[support]):
            arch = (thigh[support] - self._thigh0[support].value) * c.arch_gain
        leg_elev = elev[moving] if moving is not None else float("nan")
        mags = {FaultCode.LOW_BACK_ARCH: arch} if moving is not None and c.check_arch else {}
        metrics = {"arch_deg": arch, "leg_elevation_deg": leg_elev, "trunk_pitch_deg": m.raw["pitch_deg"],
                   "arm_reach_deg": m.raw["arm_reach_deg"]}
        return Judged(armed=armed, metrics=metrics, mags=mags, progress={"lowest_leg_deg": leg_elev})

    def _trunk_thigh_deg(self, frame: PoseFrame, trunk, s: Side) -> float:
        """Angle between the trunk (hip->shoulder) and side ``s``'s thigh (hip->knee), degrees;
        90 in tabletop, growing as the thigh leans toward the feet. NaN if the knee is not visible."""
        if frame.vis(sided("knee", s)) < self.config.gate.min_distal_visibility:
            return float("nan")
        return g.angle_between_deg(trunk, frame.point(sided("knee", s)) - frame.point(sided("hip", s)))

"""Shared machinery of the opposite arm + leg extension exercises (dead bug, bird-dog).

Each subclass measures one frame (``measure``) into an extension fraction per leg, a posture
flag (lying / on all fours), an "armed" flag (in the start position) and fault magnitudes; this
class runs the gate, the rep machine, the fault tracks, per-rep records and the cues.

Side of a rep = the moving leg. The near leg (facing the camera) is reliable; the far leg is
often hidden and MediaPipe tends to draw it on top of the raised near leg. So a frame's moving leg
is the near one whenever the near leg is extended, otherwise the far one. The reaching arm backs
the leg up (a leg that leaves the frame or is lost by the pose model): a near arm reaching out
means the far leg is the moving one.

Sometimes the pose model contradicts itself: the arm and the leg of one side both drawn out while the
other arm rests (it copied the far limb onto the near one, and whether it copied the leg or the arm
cannot be told from the frame). A rep that reads so over ``SIDE_CONFLICT_SHARE`` of its frames is named
the side after the previous complete rep's: the exercises are done alternating sides. When that name differs
from the side the rep machine tracked, its phases were timed on the other side's limbs, so the rep's tempo is
not judged (it says so). "Tracked" is the side leading the rep's vote at its end: a lead that flipped mid-rep
is not seen here. Found on corpus validation (so its effect there is not a held-out measure), dead bug from
camera k05: two clean 1.2 s returns read 0.17-0.20 s as the legs' labels swapped back mid-return, and were
called rushing; train has no rep named against its tracked side, so the rule (no parameter) could not be
tried there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .base import (
    REP_QUALITY,
    CueCode,
    ExerciseSummary,
    Fault,
    FaultCode,
    FrameVerdict,
    Phase,
    RepRecord,
    RepVerdict,
    Severity,
)
from .common import CheckerCore, FaultRule
from .counting import RepConfig, RepEvent, RepMachine
from .cues import RUSHING, CueSchedulerConfig, CueSpec
from .gate import GateConfig
from .pose import PoseFrame, Side

ARM_OVER_LEG_FRAC = 0.05  # the near arm names the far leg unless the near leg reads this much further out
SIDE_CONFLICT_SHARE = 0.35  # a rep whose limbs contradict each other over this share of its frames takes the
#   alternate of the previous rep's side. Corpus train, full and lite: such reps read 0.39-0.87 of their frames
#   contradictory, the others <= 0.33 (all 14 after a previous rep were the alternate side); full model, dead bug
#   reps exact per side 20/20 either way
MIN_JUDGED_HOLD_SHARE = 0.5  # a fault judged in less of the hold than this is reported as unchecked
UNCHECKED_WHAT = {FaultCode.LEG_TOO_HIGH: "leg height", FaultCode.HIP_ROTATION: "hips level",
                  FaultCode.LOW_BACK_ARCH: "lower back", FaultCode.BACK_SAG: "back line",
                  FaultCode.BACK_ARCH: "back line"}


@dataclass(frozen=True)
class Measure:
    """What one frame shows, from :meth:`ExtensionChecker.measure` (pure: the frame and the near side only)."""

    ext: dict  # Side -> leg extension fraction (NaN if unknown)
    arm_ext: dict  # Side (of the arm) -> arm reach fraction (NaN if unknown)
    posture: bool  # lying (dead bug) / on all fours (bird-dog)
    raw: dict = field(default_factory=dict)  # exercise-specific angles (degrees) for :meth:`judge`


@dataclass(frozen=True)
class Judged:
    """The state machine's reading of a measured frame, from :meth:`ExtensionChecker.judge`."""

    armed: bool  # in the start position (a rep may begin)
    metrics: dict  # name -> degrees, for charts
    mags: dict  # fault code -> magnitude (degrees, larger = worse); only judged ones
    progress: dict = field(default_factory=dict)  # progress measure -> degrees this frame (e.g. lowest_leg_deg)


class ExtensionChecker:
    name = "extension"
    REQUIRED: tuple[str, ...] = ()
    MEASURED_FAULTS: frozenset[str] = frozenset()  # fault codes ``measure`` puts in ``Measure.mags``
    POSITIVE: CueSpec
    CONFIG: type  # the exercise's config dataclass (has hold_target_s, gate, cues, reps)
    INCOMPLETE_MSG = "Reach a little further: straighten the arm and leg fully."

    def __init__(self, config=None) -> None:
        config = config or self.CONFIG()
        self.config = config
        self.hold_target_s = config.hold_target_s
        self.core = CheckerCore(self.fault_rules(), config.gate, config.cues, self.POSITIVE, self.REQUIRED,
                                produced=self.MEASURED_FAULTS)
        self.reps_machine = RepMachine(config.reps)
        self.reset()

    # -- to override -------------------------------------------------------------------------
    def fault_rules(self) -> tuple[FaultRule, ...]:
        raise NotImplementedError

    def measure(self, frame: PoseFrame, near: Side) -> Measure:
        """Pure: this frame's extensions, posture and angles, measured on the ``near`` side. No state is
        read or written."""
        raise NotImplementedError

    def judge(self, m: Measure, near: Side, moving: Side | None, t_s: float) -> Judged:
        """The explicit state step before the rep machine: arming (start position, only between reps),
        the start-of-set baselines (fed while armed) and the fault magnitudes for the ``moving`` leg in
        the rep machine's current phase."""
        raise NotImplementedError

    def not_checked(self) -> dict[str, str]:
        """Fault codes this checker never judges (with the reason shown to the user)."""
        return {}

    def coaching_for(self, fault_type: str) -> str:
        for rule in self.core.rules:
            if rule.cue.code == fault_type:
                return rule.cue.message
        return RUSHING.message if fault_type == FaultCode.RUSHING else self.INCOMPLETE_MSG

    # -- state -------------------------------------------------------------------------------
    def reset(self) -> None:
        self.core.reset()
        self.reps_machine.reset()
        self.reps: list[RepRecord] = []
        self.reps_by_side = {"left": 0, "right": 0}
        self.hold_total_s = 0.0
        self.good_form_s = 0.0
        self.moving: Side | None = None
        self._hold_progress: list[float] = []  # the current rep's lowest-leg samples over its hold
        self._hold_judged: dict[str, list[int]] = {}  # fault code -> [hold frames judged, hold frames]
        self._side_conflict = [0, 0]  # the current rep's [frames whose limbs contradict each other, frames]
        self.on_reset()

    def on_reset(self) -> None:
        pass

    def _pick_side(self, m: Measure, near: Side,
                   ext_of: dict[Side, float]) -> tuple[Side | None, float, Side | None, float]:
        """(this frame's evidence of the moving leg and its extension, the side to track, the rep's
        extension on it).

        The evidence is judged afresh every frame and is what the rep's side votes on; mid-rep the
        extension follows the side leading the vote, so one odd frame does not flip it, but a rep that
        started on a misleading frame (a near leg drawn half-raised as the far leg lifts) is not stuck
        with it: the vote over the whole rep names the side. ``ext_of``: :func:`_ext_by_side` of ``m``."""
        c = self.config.reps
        far = near.other
        leg_near = m.ext.get(near, float("nan"))
        arm_near = m.arm_ext.get(near, float("nan"))
        arm_far = m.arm_ext.get(far, float("nan"))
        # The near arm reaching means the far leg moves (a far leg lifted is drawn half-raised, or
        # fully raised, on the near leg; arms are not confused that way); otherwise a lifted near leg
        # is the moving one. ARM_OVER_LEG_FRAC: corpus train, 0 / 0.05 / 0.1 / always -> 29 / 32 / 31 / 31
        # of 40 clips with reps exact per side.
        # The far arm reaching while the near arm rests means the near leg moves, whatever the legs
        # read: MediaPipe swaps the legs more often than the arms (corpus train, dead bug: a near leg
        # read at rest and the far one out over a whole hold; reps exact per side 15 -> 16 of 20).
        evidence: Side | None = None
        if math.isfinite(arm_near) and arm_near >= c.start_frac and (
                not math.isfinite(leg_near) or arm_near > leg_near - ARM_OVER_LEG_FRAC):
            evidence = far
        elif math.isfinite(arm_far) and arm_far >= c.start_frac and math.isfinite(arm_near) \
                and arm_near <= c.rest_frac:
            evidence = near
        elif math.isfinite(leg_near) and leg_near >= c.start_frac:
            evidence = near
        elif math.isfinite(ext_of[far]) and ext_of[far] >= c.start_frac:
            evidence = far
        lead = self.reps_machine.leading_side if self.reps_machine.in_rep else None
        ev_ext = ext_of[evidence] if evidence is not None else float("nan")
        if lead is not None:
            track = near if lead == near.value else far
            return evidence, ev_ext, track, ext_of[track]
        if evidence is not None:
            return evidence, ev_ext, evidence, ev_ext
        return None, ev_ext, None, _best(leg_near, arm_near)

    def _limbs_conflict(self, m: Measure) -> bool:
        """Pure: one side's arm and leg both read out while the other arm rests (see the module doc)."""
        c = self.config.reps
        for s in Side:
            leg, arm, other = m.ext.get(s, math.nan), m.arm_ext.get(s, math.nan), m.arm_ext.get(s.other, math.nan)
            if leg >= c.start_frac and arm >= c.start_frac and other <= c.rest_frac:  # False for NaN
                return True
        return False

    def _rep_side(self, ev: RepEvent) -> str:
        """The rep's side: the vote's, or the alternate of the previous complete rep's when the limbs
        contradicted each other over ``SIDE_CONFLICT_SHARE`` of the rep's frames."""
        n_conflict, n = self._side_conflict
        prev = next((r.side for r in reversed(self.reps) if r.verdict is not RepVerdict.INCOMPLETE), None)
        if prev is not None and n and n_conflict >= SIDE_CONFLICT_SHARE * n:
            return Side(prev).other.value
        return ev.side

    def update(self, frame: PoseFrame) -> FrameVerdict:
        core = self.core
        gate = core.begin_frame(frame)
        if not gate.judgeable:
            core.stop_faults()
            cue = core.pick_cue([gate.cue] if gate.cue else [], False)
            done = self.reps_machine.confirm_pending()  # back at rest, then out of view: the rep is done
            record = self._record(done) if done is not None else None
            return self._verdict(frame, False, {"view_yaw_deg": gate.yaw_deg}, (), cue, Phase.CANT_JUDGE, record,
                                 False)
        m = self.measure(frame, gate.near)
        j = self.judge(m, gate.near, self.moving if self.reps_machine.in_rep else None, core.t)
        ext_of = _ext_by_side(m)
        evidence, evidence_ext, side, ext = self._pick_side(m, gate.near, ext_of)
        if side is not None:
            self.moving = side
        metrics = dict(j.metrics)
        metrics["extension_frac"] = ext
        metrics["view_yaw_deg"] = gate.yaw_deg
        was_in_rep = self.reps_machine.in_rep
        event = self.reps_machine.update(core.t, core.dt, ext, evidence.value if evidence else None,
                                         j.armed and m.posture, evidence_ext,
                                         {s.value: v for s, v in ext_of.items()})
        if self.reps_machine.in_rep and not was_in_rep:
            self._hold_judged = {}  # a new rep: an attempt that never became a rep leaves nothing behind
            self._hold_progress = []
            self._side_conflict = [0, 0]
        if self.reps_machine.in_rep:
            self._side_conflict[0] += self._limbs_conflict(m)
            self._side_conflict[1] += 1
        judging = gate.form_ok and m.posture
        active = core.update_faults(j.mags if judging else {}, judging)
        # Held with a judged fault's limb hidden (a far leg drawn hanging): not "good form" time, no praise,
        # and the frame's form is not checked from this view.
        holding = self.reps_machine.hold_phase is Phase.HOLDING
        hidden = holding and any(r.cue.code in j.mags and not math.isfinite(j.mags[r.cue.code]) for r in core.rules)
        if judging and holding:
            v = j.progress.get("lowest_leg_deg", math.nan)
            if math.isfinite(v):
                self._hold_progress.append(v)
            for rule in core.rules:
                n = self._hold_judged.setdefault(rule.cue.code, [0, 0])
                n[0] += math.isfinite(j.mags.get(rule.cue.code, math.nan))
                n[1] += 1
        if judging and not active and not hidden:  # good-form time: held time (still at full reach) judged
            self.good_form_s += self.reps_machine.held_dt  # without a fault
        candidates = [r.cue for r in core.rules if r.cue.code in active]
        if gate.cue is not None:
            candidates.append(gate.cue)
        record = None
        if event is not None:
            record = self._record(event)
        cue = core.pick_cue(candidates, judging and not active and not hidden and m.posture)
        if record is not None and record.verdict is not RepVerdict.GOOD:
            code = CueCode.REP_FAULT if record.verdict is RepVerdict.FAULT else CueCode.REP_INCOMPLETE
            core.scheduler.announce_once(CueSpec(code, Severity.INFO, record.coaching),
                                         core.t)
            cue = core.scheduler.current
        phase = self.reps_machine.hold_phase if m.posture or self.reps_machine.in_rep else Phase.SETUP
        return self._verdict(frame, True, metrics, active, cue, phase, record, gate.form_ok and not hidden)

    def _record(self, ev: RepEvent, commit: bool = True) -> RepRecord:
        c = self.config
        core = self.core
        faults: list[Fault] = [f for track in core.tracks.values() for f in track.faults_between(ev.start_s, ev.end_s)]
        extend_s = (ev.full_s - ev.start_s) if ev.full_s is not None else None
        return_s = (ev.end_s - ev.leave_full_s) if ev.leave_full_s is not None else None
        side = self._rep_side(ev)
        # The rep machine timed the limbs of the side it tracked (the vote's); when the rep is named the other
        # side (the pose model mixed the limbs up), those phases are another limb's: tempo is not judged.
        mixed_up = side != ev.side
        tempo_seen = ev.tempo_seen(c.reps) and not mixed_up
        rushed = [p for p in (extend_s, return_s) if tempo_seen and p is not None and p < c.reps.min_phase_s]
        if rushed:
            faults.append(Fault(FaultCode.RUSHING, 0.0, ev.start_s, ev.end_s))
        if not ev.complete:
            faults.append(Fault(FaultCode.INCOMPLETE_EXTENSION, 0.0, ev.start_s, ev.end_s))
        form = [f for f in faults if f.type not in REP_QUALITY]
        if not ev.complete:
            verdict = RepVerdict.INCOMPLETE
            coaching = self.INCOMPLETE_MSG
        elif form:
            verdict = RepVerdict.FAULT
            worst = max(form, key=lambda f: (f.end_s - f.start_s) * max(f.magnitude_deg, 1.0))
            coaching = self.coaching_for(worst.type)
        elif rushed:
            verdict = RepVerdict.GOOD
            coaching = RUSHING.message
        elif ev.hold_s + 0.25 < self.hold_target_s:
            verdict = RepVerdict.GOOD
            coaching = f"Good rep - hold the reach for {self.hold_target_s:.0f} s (you held {ev.hold_s:.1f} s)."
        elif not tempo_seen:
            verdict = RepVerdict.GOOD
            coaching = "Good rep."
        else:
            verdict = RepVerdict.GOOD
            coaching = "Good rep - steady and controlled."
        hidden = tuple(code for code, (judged, n) in self._hold_judged.items()
                       if n and judged < MIN_JUDGED_HOLD_SHARE * n and not any(f.type == code for f in faults))
        if hidden:
            coaching += " Not checked, hidden from the camera: " + ", ".join(
                UNCHECKED_WHAT.get(code, code.replace("_", " ")) for code in hidden) + "."
        if ev.complete and mixed_up:  # (a reach that stopped short has no tempo to speak of)
            coaching += " Tempo not checked: the pose model mixed up your left and right limbs during this rep."
        elif ev.complete and not tempo_seen:
            coaching += (" Tempo not checked: the video stalled during this rep."
                         if not ev.frame_step_s > c.reps.max_tempo_step_s else
                         f" Tempo not checked: {1 / ev.frame_step_s:.0f} frames a second "
                         f"({math.ceil(1 / c.reps.max_tempo_step_s)} needed).")
        unchecked = hidden + tuple(c for c in self.not_checked() if c not in hidden) + (
            () if tempo_seen else (FaultCode.RUSHING,))
        lowest = None
        if ev.complete and self._hold_progress:
            vals = sorted(self._hold_progress)
            pct = getattr(c, "lowest_leg_percentile", 10.0)
            lowest = round(float(vals[int(pct / 100.0 * (len(vals) - 1))]), 1)
        rec = RepRecord(side=side, start_s=ev.start_s, end_s=ev.end_s, hold_s=ev.hold_s,
                        faults=tuple(sorted(faults, key=lambda f: f.start_s)), verdict=verdict, coaching=coaching,
                        unchecked=unchecked, lowest_leg_deg=lowest)
        if commit:
            self._hold_judged = {}
            self._hold_progress = []
            self._side_conflict = [0, 0]
            self.reps.append(rec)
            if ev.complete:
                self.reps_by_side[side] += 1
                self.hold_total_s += ev.hold_s
        return rec

    def _verdict(self, frame, judgeable, metrics, active, cue, phase, record, form_view) -> FrameVerdict:
        return FrameVerdict(timestamp_s=frame.timestamp_s, judgeable=judgeable, metrics=metrics,
                            active_faults=tuple(active), cue=cue, reps_by_side=dict(self.reps_by_side),
                            hold_s=self.reps_machine.live_hold_s, good_form_s=self.good_form_s, phase=phase,
                            rep_completed=record, form_view=form_view, unseen_s=self.core.unseen_s)

    def summary(self) -> ExerciseSummary:
        lost = self.core.seconds_lost()
        faults = list(self.core.all_faults())
        reps, by_side, hold = list(self.reps), dict(self.reps_by_side), self.hold_total_s
        pending = self.reps_machine.pending()  # back at rest when the stream ended
        if pending is not None:
            reps.append(self._record(pending, commit=False))
            if pending.complete:
                by_side[reps[-1].side] += 1
                hold += pending.hold_s
        for r in reps:
            faults.extend(f for f in r.faults if f.type in REP_QUALITY)
        return ExerciseSummary(
            exercise=self.name, reps=tuple(reps), reps_by_side=by_side,
            hold_s=float(hold), good_form_s=float(self.good_form_s), seconds_lost_by_fault=lost,
            faults=tuple(sorted(faults, key=lambda f: (f.start_s, f.type))),
            cues=tuple(self.core.scheduler.history), cant_judge_s=float(self.core.cant_judge_s),
            extra={"hold_target_s": self.hold_target_s, "not_checked": self.not_checked(),
                   "incomplete_reps": sum(1 for r in reps if r.verdict is RepVerdict.INCOMPLETE)},
            unseen_s=float(self.core.unseen_s))


def _best(*vals: float) -> float:
    v = [x for x in vals if math.isfinite(x)]
    return max(v) if v else float("nan")


def _ext_by_side(m: Measure) -> dict[Side, float]:
    """Each side's rep extension: its leg's or the opposite arm's, whichever reads further out (NaN if neither)."""
    return {s: _best(m.ext.get(s, math.nan), m.arm_ext.get(s.other, math.nan)) for s in Side}


def frac(value: float, lo: float, hi: float) -> float:
    """(value - lo) / (hi - lo), NaN-preserving, not clipped."""
    return (value - lo) / (hi - lo) if math.isfinite(value) else float("nan")


__all__ = ["CueSchedulerConfig", "ExtensionChecker", "GateConfig", "Judged", "Measure", "RepConfig", "frac"]

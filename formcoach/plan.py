"""The exercise programme as data: phases, ladders of steps, and the plan file ``formcoach.plan/1``.

A :class:`Plan` is what a physiotherapist edits and hands to a patient (docs/plan-format.md). It holds
no history and no state: which step a person is on today is worked out from the plan and their
history by :mod:`formcoach.progression`.

* **Phases** by weeks since ``start_date``: acute (weeks 0-2: gentle holds, pelvic tilts,
  breathing), subacute (2-6: bird-dog with ~3 s holds, dead bug), strengthening (6-12: longer
  holds, more reps, full plank up to 60 s). A step can be reached only once its phase has begun.
* **Ladders**: per exercise, the steps in order, gentlest first. Each step's *volume*
  (:meth:`Step.volume`: sets x reps per side for rep exercises, sets x hold seconds for holds)
  is at most ``max_weekly_increase`` (10 %) above the step before it, so one step up a week keeps
  weekly volume within the cap. A plan that breaks this is refused on import.
* Exercises formcoach cannot check (pelvic tilts, breathing) are steps like any other; they are
  shown in the day's list but take no part in progression.

Units: seconds, whole reps; ``tempo`` is ``"out-hold-back"`` seconds (e.g. ``"4-2-4"``); weekdays
are 0 = Monday ... 6 = Sunday; dates are ISO ``YYYY-MM-DD`` (the user's calendar day).
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from .atomic import write_text_atomic

SCHEMA = "formcoach.plan/1"
PHASES = ("acute", "subacute", "strengthening")
PHASE_WEEKS = {"acute": 0, "subacute": 2, "strengthening": 6}  # first week of each phase (weeks since start)
PROGRAMME_WEEKS = 12
UNTRACKED = {"pelvic_tilt": "Pelvic tilts", "breathing": "Diaphragmatic breathing"}  # formcoach cannot check them
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_TEMPO = re.compile(r"^\d+(\.\d+)?-\d+(\.\d+)?-\d+(\.\d+)?$")


class PlanError(ValueError):
    """A plan (file) is not usable. The message is one line and names the field, e.g. ``ladders.plank[2].hold_s``."""


def tracked_exercises() -> dict[str, str]:
    """Exercise name -> display name for the exercises formcoach checks (from the registry)."""
    from exercises.registry import EXERCISES

    return {k: v.display_name for k, v in EXERCISES.items()}


def display_name(exercise: str) -> str:
    return tracked_exercises().get(exercise) or UNTRACKED.get(exercise) or exercise.replace("_", " ")


@dataclass(frozen=True)
class Step:
    """One dose of one exercise. Either ``reps_per_side`` (rep exercises) or ``hold_s`` per set (holds),
    or both (bird-dog: reps, each held ``hold_s`` at full reach)."""

    exercise: str
    variant: str  # e.g. "knees", "full", "standard"
    phase: str  # the phase this step belongs to; reachable only once it has begun
    sets: int
    reps_per_side: int | None = None
    hold_s: float | None = None
    tempo: str = "4-2-4"  # seconds out-hold-back
    rest_s: float = 30.0  # between sets
    note: str = ""

    @property
    def tracked(self) -> bool:
        return self.exercise not in UNTRACKED

    @property
    def is_hold(self) -> bool:
        """True for held positions (plank): the volume is hold time, not reps."""
        return self.reps_per_side is None

    def volume(self) -> float:
        """Per-session volume: sets x reps per side (rep exercises) or sets x hold seconds (holds)."""
        if self.reps_per_side is not None:
            return float(self.sets * self.reps_per_side)
        return float(self.sets * (self.hold_s or 0.0))

    def minutes(self) -> float:
        """Rough time for this step, rest included (minutes)."""
        if self.reps_per_side is not None:
            out, hold, back = (float(x) for x in self.tempo.split("-"))
            per_set = self.reps_per_side * (2 if self.tracked else 1) * (out + max(hold, self.hold_s or 0) + back)
        else:
            per_set = (self.hold_s or 0.0) + 10.0  # getting into position
        return (self.sets * per_set + max(0, self.sets - 1) * self.rest_s) / 60.0

    def dose(self) -> str:
        """Human text, e.g. ``3 x 10 s`` or ``1 x 10 per side, 3 s hold, tempo 4-2-4``."""
        if self.reps_per_side is None:
            return f"{self.sets} x {self.hold_s:g} s hold"
        side = " per side" if self.tracked else ""
        hold = f", {self.hold_s:g} s hold" if self.hold_s else ""
        return f"{self.sets} x {self.reps_per_side}{side}{hold}, tempo {self.tempo}"

    def label(self) -> str:
        v = f" ({self.variant})" if self.variant and self.variant != "standard" else ""
        return f"{display_name(self.exercise)}{v}: {self.dose()}"

    def to_dict(self) -> dict[str, Any]:
        d = {"exercise": self.exercise, "variant": self.variant, "phase": self.phase, "sets": self.sets,
             "reps_per_side": self.reps_per_side, "hold_s": self.hold_s, "tempo": self.tempo, "rest_s": self.rest_s}
        if self.note:
            d["note"] = self.note
        return d


@dataclass(frozen=True)
class Plan:
    """A programme. ``ladders[exercise]`` lists its steps, gentlest first."""

    name: str
    start_date: date
    ladders: dict[str, tuple[Step, ...]]
    sessions_per_day: int = 2  # 1 = one session a day; 2-4 = micro-sessions of 5-10 min
    rest_weekday: int = 6  # one rest day a week (0 = Monday ... 6 = Sunday)
    advance_after_sessions: int = 2  # targets met with good form this many sessions in a row
    max_fault_rate: float = 0.2  # "good form": at most this share of reps (or hold time) with a fault
    max_weekly_increase: float = 0.10  # volume may rise by at most this fraction per 7 days
    pain_rise_step_back: int = 2  # pain after - before >= this (0-10 scale) steps back
    author: str = ""
    notes: str = ""

    def __post_init__(self) -> None:
        validate(self)

    # --- phases -------------------------------------------------------------------------------
    def week(self, day: date) -> int:
        """Whole weeks since the start (0 in the first week; negative before it)."""
        return (day - self.start_date).days // 7

    def phase(self, day: date) -> str:
        w = self.week(day)
        current = PHASES[0]
        for p in PHASES:
            if w >= PHASE_WEEKS[p]:
                current = p
        return current

    def phase_start(self, phase: str) -> date:
        from datetime import timedelta

        return self.start_date + timedelta(weeks=PHASE_WEEKS[phase])

    def reachable(self, step: Step, day: date) -> bool:
        return PHASES.index(step.phase) <= PHASES.index(self.phase(day))

    def is_rest_day(self, day: date) -> bool:
        return day.weekday() == self.rest_weekday

    # --- file ---------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "name": self.name,
            "author": self.author,
            "notes": self.notes,
            "start_date": self.start_date.isoformat(),
            "sessions_per_day": self.sessions_per_day,
            "rest_weekday": self.rest_weekday,
            "rules": {"advance_after_sessions": self.advance_after_sessions, "max_fault_rate": self.max_fault_rate,
                      "max_weekly_increase": self.max_weekly_increase,
                      "pain_rise_step_back": self.pain_rise_step_back},
            "ladders": {ex: [s.to_dict() for s in steps] for ex, steps in self.ladders.items()},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    def save(self, path: str | os.PathLike) -> Path:
        return write_text_atomic(path, self.to_json() + "\n")

    def with_start(self, start: date) -> Plan:
        return replace(self, start_date=start)


# --- validation --------------------------------------------------------------------------------

def validate(plan: Plan) -> None:
    """Raise :class:`PlanError` naming the first bad field."""
    if not plan.name.strip():
        raise PlanError("name: must not be empty")
    if not 1 <= plan.sessions_per_day <= 4:
        raise PlanError(f"sessions_per_day: must be 1-4 (1 session, or 2-4 micro-sessions), "
                        f"got {plan.sessions_per_day}")
    if not 0 <= plan.rest_weekday <= 6:
        raise PlanError(f"rest_weekday: must be 0 (Monday) to 6 (Sunday), got {plan.rest_weekday}")
    if not 1 <= plan.advance_after_sessions <= 10:
        raise PlanError(f"rules.advance_after_sessions: must be 1-10, got {plan.advance_after_sessions}")
    if not 0.0 <= plan.max_fault_rate <= 1.0:
        raise PlanError(f"rules.max_fault_rate: must be 0-1, got {plan.max_fault_rate}")
    if not 0.0 < plan.max_weekly_increase <= 0.10 + 1e-9:
        raise PlanError(f"rules.max_weekly_increase: must be above 0 and at most 0.10 (10 % a week), "
                        f"got {plan.max_weekly_increase}")
    if not 1 <= plan.pain_rise_step_back <= 10:
        raise PlanError(f"rules.pain_rise_step_back: must be 1-10, got {plan.pain_rise_step_back}")
    if not plan.ladders:
        raise PlanError("ladders: at least one exercise is needed")
    known = {**tracked_exercises(), **UNTRACKED}
    for ex, steps in plan.ladders.items():
        where = f"ladders.{ex}"
        if ex not in known:
            raise PlanError(f"{where}: unknown exercise {ex!r}; valid: {sorted(known)}")
        if not steps:
            raise PlanError(f"{where}: needs at least one step")
        prev: Step | None = None
        for i, s in enumerate(steps):
            at = f"{where}[{i}]"
            if s.exercise != ex:
                raise PlanError(f"{at}.exercise: {s.exercise!r} in the ladder of {ex!r}")
            if s.phase not in PHASES:
                raise PlanError(f"{at}.phase: must be one of {list(PHASES)}, got {s.phase!r}")
            if isinstance(s.sets, bool) or not isinstance(s.sets, int) or not 1 <= s.sets <= 10:
                raise PlanError(f"{at}.sets: must be a whole number 1-10, got {s.sets!r}")
            if s.reps_per_side is not None and (isinstance(s.reps_per_side, bool) or not isinstance(
                    s.reps_per_side, int) or not 1 <= s.reps_per_side <= 50):
                raise PlanError(f"{at}.reps_per_side: must be a whole number 1-50 or null, got {s.reps_per_side!r}")
            if s.hold_s is not None and not (_num(s.hold_s) and 0 < s.hold_s <= 300):
                raise PlanError(f"{at}.hold_s: must be seconds above 0 and at most 300, or null, got {s.hold_s!r}")
            if s.reps_per_side is None and s.hold_s is None:
                raise PlanError(f"{at}: needs reps_per_side or hold_s")
            if not isinstance(s.tempo, str) or not _TEMPO.match(s.tempo):
                raise PlanError(f"{at}.tempo: must be 'out-hold-back' seconds like '4-2-4', got {s.tempo!r}")
            if not (_num(s.rest_s) and 0 <= s.rest_s <= 600):
                raise PlanError(f"{at}.rest_s: must be seconds 0-600, got {s.rest_s!r}")
            if prev is not None:
                if PHASES.index(s.phase) < PHASES.index(prev.phase):
                    raise PlanError(f"{at}.phase: {s.phase!r} comes after a {prev.phase!r} step; "
                                    "steps go from gentlest to hardest")
                if s.is_hold != prev.is_hold:
                    raise PlanError(f"{at}: mixes hold steps and rep steps in one ladder")
                cap = prev.volume() * (1 + plan.max_weekly_increase) + 1e-9
                if s.volume() > cap:
                    raise PlanError(f"{at}: volume {s.volume():g} is {100 * (s.volume() / prev.volume() - 1):.0f} % "
                                    f"over the step before ({prev.volume():g}); steps may rise by at most "
                                    f"{100 * plan.max_weekly_increase:.0f} %")
            prev = s


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


# --- reading a plan file -----------------------------------------------------------------------

_TOP = {"schema", "name", "author", "notes", "start_date", "sessions_per_day", "rest_weekday", "rules", "ladders"}
_RULES = {"advance_after_sessions", "max_fault_rate", "max_weekly_increase", "pain_rise_step_back"}
_STEP = {"exercise", "variant", "phase", "sets", "reps_per_side", "hold_s", "tempo", "rest_s", "note"}


def from_dict(d: Any) -> Plan:
    """Build and validate a plan from parsed JSON; :class:`PlanError` names the first bad field."""
    if not isinstance(d, dict):
        raise PlanError("plan: must be a JSON object")
    schema = d.get("schema")
    if schema != SCHEMA:
        raise PlanError(f"schema: expected {SCHEMA!r}, got {schema!r}"
                        + (" (written by a newer formcoach?)" if isinstance(schema, str)
                           and schema.startswith("formcoach.plan/") else ""))
    _no_extra(d, _TOP, "")
    for key in ("name", "start_date", "ladders"):
        if key not in d:
            raise PlanError(f"{key}: missing")
    name = _typed(d, "name", str, "")
    try:
        start = date.fromisoformat(_typed(d, "start_date", str, ""))
    except ValueError:
        raise PlanError(f"start_date: must be a date YYYY-MM-DD, got {d['start_date']!r}") from None
    rules = d.get("rules", {})
    if not isinstance(rules, dict):
        raise PlanError("rules: must be an object")
    _no_extra(rules, _RULES, "rules.")
    ladders_in = d["ladders"]
    if not isinstance(ladders_in, dict):
        raise PlanError("ladders: must be an object of exercise -> list of steps")
    ladders: dict[str, tuple[Step, ...]] = {}
    for ex, steps in ladders_in.items():
        if not isinstance(steps, list):
            raise PlanError(f"ladders.{ex}: must be a list of steps")
        out = []
        for i, sd in enumerate(steps):
            at = f"ladders.{ex}[{i}]."
            if not isinstance(sd, dict):
                raise PlanError(f"ladders.{ex}[{i}]: must be an object")
            _no_extra(sd, _STEP, at)
            for key in ("phase", "sets"):
                if key not in sd:
                    raise PlanError(f"{at}{key}: missing")
            out.append(Step(exercise=sd.get("exercise", ex), variant=_typed(sd, "variant", str, at, "standard"),
                            phase=sd["phase"], sets=sd["sets"], reps_per_side=sd.get("reps_per_side"),
                            hold_s=sd.get("hold_s"), tempo=sd.get("tempo", "4-2-4"),
                            rest_s=sd.get("rest_s", 30.0), note=_typed(sd, "note", str, at, "")))
        ladders[str(ex)] = tuple(out)
    return Plan(name=name, start_date=start, ladders=ladders,
                sessions_per_day=d.get("sessions_per_day", 2), rest_weekday=d.get("rest_weekday", 6),
                advance_after_sessions=rules.get("advance_after_sessions", 2),
                max_fault_rate=rules.get("max_fault_rate", 0.2),
                max_weekly_increase=rules.get("max_weekly_increase", 0.10),
                pain_rise_step_back=rules.get("pain_rise_step_back", 2),
                author=_typed(d, "author", str, "", ""), notes=_typed(d, "notes", str, "", ""))


def _no_extra(d: dict, allowed: set[str], prefix: str) -> None:
    extra = sorted(set(d) - allowed)
    if extra:
        raise PlanError(f"{prefix}{extra[0]}: unknown field (allowed: {', '.join(sorted(allowed))})")


def _typed(d: dict, key: str, typ: type, prefix: str, default: Any = None) -> Any:
    v = d.get(key, default)
    if not isinstance(v, typ):
        raise PlanError(f"{prefix}{key}: must be a {typ.__name__}, got {v!r}")
    return v


def loads(text: str) -> Plan:
    try:
        d = json.loads(text)
    except json.JSONDecodeError as e:
        raise PlanError(f"plan: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    try:
        return from_dict(d)
    except PlanError:
        raise
    except (TypeError, ValueError) as e:  # a wrongly typed value deep in a step
        raise PlanError(f"plan: {e}") from None


def load(path: str | os.PathLike) -> Plan:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise PlanError(f"{p.name}: cannot read ({e.strerror or e})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PlanError(f"{p.name}: not a text (UTF-8) plan file") from None
    return loads(text)


# --- the default programme ---------------------------------------------------------------------

def _grow(lo: int, hi: int, frac: float = 0.10) -> list[int]:
    """Whole numbers from ``lo`` to ``hi``, each at most ``frac`` above the one before (``lo`` >= 1 / frac)."""
    out = [lo]
    while out[-1] < hi:
        v = out[-1]
        out.append(min(hi, max(v + 1, int(v * (1 + frac) + 1e-9))))
        if out[-1] > v * (1 + frac) + 1e-9:
            raise ValueError(f"cannot grow {v} by one whole unit within {100 * frac:.0f} %")
    return out


def default_plan(start: date, name: str = "formcoach starter programme") -> Plan:
    """The first plan for a new user, from the clinical guidance (docs/plan-format.md lists it)."""
    plank: list[Step] = []
    for phase, variant, lo, hi in (("acute", "knees", 10, 15), ("subacute", "knees", 16, 30),
                                   ("strengthening", "knees", 33, 45), ("strengthening", "full", 20, 60)):
        for h in _grow(lo, hi):
            if plank and plank[-1].variant == variant and h <= plank[-1].hold_s:
                continue
            plank.append(Step("plank", variant, phase, 3, hold_s=float(h), tempo="0-0-0", rest_s=30.0,
                              note="Straight line shoulder-hip-knee (or ankle), neck long, breathe."))
    dead_bug = [Step("dead_bug", "standard", "subacute", 1, r, 2.0, "4-2-4", 60.0,
                     "Lower only until just before your back begins to arch.") for r in (10, 11, 12)]
    dead_bug += [Step("dead_bug", "standard", "strengthening", 1, r, 2.0, "4-2-4", 60.0,
                      "A lower leg with a flat back is harder, correct form.") for r in (13, 14)]
    bird_dog = [Step("bird_dog", "standard", "subacute", 1, r, 3.0, "2-3-2", 60.0,
                     "Arm and opposite leg to one straight line, hips level.") for r in (10, 11, 12)]
    bird_dog += [Step("bird_dog", "standard", "strengthening", 1, 12, h, f"2-{h:g}-2", 60.0,
                      "Longer holds, hips level.") for h in (5.0, 7.0, 10.0)]
    return Plan(
        name=name, start_date=start,
        ladders={
            "breathing": (Step("breathing", "standard", "acute", 1, 10, None, "4-0-6", 0.0,
                               "Lying on your back, knees bent: slow breaths into the belly."),),
            "pelvic_tilt": (Step("pelvic_tilt", "standard", "acute", 1, 10, None, "2-2-2", 0.0,
                                 "Gently flatten the low back to the floor and release, pain-free range."),),
            "plank": tuple(plank), "dead_bug": tuple(dead_bug), "bird_dog": tuple(bird_dog),
        },
        notes=("Defaults from the clinical guidance formcoach follows. A physiotherapist can edit this file. "
               "formcoach gives feedback on movement, not a diagnosis."))


@dataclass(frozen=True)
class MicroSession:
    index: int  # 1-based
    steps: tuple[Step, ...]
    minutes: float


def split_day(plan: Plan, steps: list[Step] | tuple[Step, ...]) -> list[MicroSession]:
    """The day's steps as ``sessions_per_day`` sessions, each doing every step once."""
    minutes = sum(s.minutes() for s in steps) + 1.0 * len(steps)  # a minute to set up each exercise
    return [MicroSession(i + 1, tuple(steps), round(minutes, 1)) for i in range(plan.sessions_per_day)]


MICRO_MAX_MIN = 10.0  # micro-sessions are 5-10 minutes


def parts(steps: list[Step] | tuple[Step, ...], max_min: float = MICRO_MAX_MIN) -> list[tuple[Step, ...]]:
    """Split one session's steps, in order, into parts of at most ``max_min`` minutes each (a step
    longer than that is a part of its own), for a micro-session that would run long."""
    out: list[list[Step]] = []
    used = 0.0
    for s in steps:
        m = s.minutes() + 1.0
        if out and used + m <= max_min:
            out[-1].append(s)
            used += m
        else:
            out.append([s])
            used = m
    return [tuple(p) for p in out]


__all__ = ["MICRO_MAX_MIN", "PHASES", "SCHEMA", "UNTRACKED", "MicroSession", "Plan", "PlanError", "Step",
           "default_plan", "display_name", "load", "loads", "parts", "split_day", "validate"]

"""Progression rules: from a plan and a history, which step each exercise is on, and why.

Everything here is a pure function of its arguments (no clock, no files): the history comes in as
:class:`SessionFacts` and :class:`CheckIn` records, ``today`` is passed in. :func:`replay` walks the
days from the plan's start to ``today``; at the start of each day it applies the rules to what
happened before that day (and to that day's 24-hour check-in), in this order:

1. **Stop** - sharp, shooting or radiating pain in a session: every exercise pauses ("see a
   clinician") until a check-in says the back is not worse and a clinician has been seen; then it
   resumes one step down.
2. **24-hour check-in** answered "worse than yesterday": every exercise steps back one step.
3. **Pain rise** in a session (after - before >= ``plan.pain_rise_step_back``): that exercise
   steps back one step.
4. **Advance** only when the last ``plan.advance_after_sessions`` sessions on the current step all
   met its targets with good form, the next step's phase has begun, and the last increase was at
   least 7 days ago (each step is <= 10 % more volume, so weekly volume rises by <= 10 %).
5. Otherwise **hold**, saying what is missing.

One rest day a week (``plan.rest_weekday``): the day's list is empty, the rules still run.
Every :class:`Decision` carries the reason shown to the user.
"""

from __future__ import annotations

import enum
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from .plan import MICRO_MAX_MIN, PHASES, Plan, Step, display_name, parts, split_day

WEEK = timedelta(days=7)
CHECKIN_ANSWERS = ("worse", "same", "better")


class Rule(str, enum.Enum):
    START = "start"
    ADVANCE = "advance"
    HOLD = "hold"
    STEP_BACK = "step_back"
    STOP = "stop"
    RESUME = "resume"


@dataclass(frozen=True)
class SessionFacts:
    """What progression needs from one stored session. Times in seconds; pain 0-10 or None."""

    day: date
    exercise: str
    reps_left: int = 0
    reps_right: int = 0
    hold_s: float = 0.0  # plank: time in position
    good_form_s: float = 0.0
    fault_rate: float | None = None  # share of reps (or of hold time) with a fault
    rep_hold_s: float | None = None  # median hold at full reach over the reps (rep exercises)
    pain_before: int | None = None
    pain_after: int | None = None
    sharp: bool = False
    radiating: bool = False
    session_id: int | None = None
    measures: Mapping[str, float] = field(default_factory=dict)  # from session_measures (may be empty)


@dataclass(frozen=True)
class CheckIn:
    """The 24-hour check-in: "is your back worse than yesterday?" answered on ``day``."""

    day: date
    answer: str  # "worse" | "same" | "better"
    seen_clinician: bool = False

    def __post_init__(self) -> None:
        if self.answer not in CHECKIN_ANSWERS:
            raise ValueError(f"answer must be one of {CHECKIN_ANSWERS}, got {self.answer!r}")


@dataclass(frozen=True)
class Decision:
    day: date
    exercise: str
    rule: Rule
    step: int  # the step index in force after this decision
    reason: str


@dataclass(frozen=True)
class ExerciseState:
    step: int
    since: date  # the day the current step took effect
    last_increase: date  # the day of the last step up (or the start)


@dataclass(frozen=True)
class PlanState:
    day: date
    steps: dict[str, ExerciseState]
    paused: str | None  # stop reason while paused
    decisions: tuple[Decision, ...] = ()

    def today(self) -> list[Decision]:
        return [d for d in self.decisions if d.day == self.day]


# --- targets ------------------------------------------------------------------------------------

def met_target(step: Step, s: SessionFacts, max_fault_rate: float) -> tuple[bool, str]:
    """Did one session reach ``step``'s targets with good form? Returns (yes, what was short)."""
    short: list[str] = []
    if step.is_hold:
        if s.good_form_s + 1e-9 < (step.hold_s or 0.0):
            short.append(f"good-form hold {s.good_form_s:.0f} s of {step.hold_s:g} s")
    else:
        per_side = min(s.reps_left, s.reps_right)
        if per_side < (step.reps_per_side or 0):
            short.append(f"{per_side} of {step.reps_per_side} reps per side")
        if step.hold_s and s.rep_hold_s is not None and s.rep_hold_s + 0.25 < step.hold_s:
            short.append(f"holds {s.rep_hold_s:.1f} s of {step.hold_s:g} s")
    if s.fault_rate is None:
        short.append("form not judged")
    elif s.fault_rate > max_fault_rate + 1e-9:
        short.append(f"{100 * s.fault_rate:.0f} % with a form fault (good form: at most {100 * max_fault_rate:.0f} %)")
    return (not short, "; ".join(short))


def session_measures(exercise: str, series: Mapping[str, Sequence[float | None]],
                     reps: Sequence[tuple[float, float, str]]) -> dict[str, float]:
    """Progression measures from a session's angle series (seconds, degrees) and its reps
    ``(start_s, end_s, verdict)``; only reps judged ``good`` count. Empty without a series.

    * dead bug ``lowest_controlled_leg_deg``: the lowest leg elevation (hip-ankle line above the floor)
      reached in a good rep - lower is harder, correct form while the back stays flat;
    * bird-dog ``hip_roll_peak_deg``: the median over good reps of the largest pelvis roll in the
      rep - smaller is steadier (hips level).
    """
    t = series.get("t_s") or []
    name = {"dead_bug": "leg_elevation_deg", "bird_dog": "hip_roll_deg"}.get(exercise)
    vals = series.get(name) if name else None
    if not t or not vals:
        return {}
    per_rep = []
    for a, b, verdict in reps:
        if verdict != "good":
            continue
        window = [v for ti, v in zip(t, vals) if ti is not None and a <= ti <= b and v is not None
                  and v == v]
        if window:
            per_rep.append(min(window) if exercise == "dead_bug" else max(abs(v) for v in window))
    if not per_rep:
        return {}
    if exercise == "dead_bug":
        return {"lowest_controlled_leg_deg": round(min(per_rep), 1)}
    return {"hip_roll_peak_deg": round(statistics.median(per_rep), 1)}


def pain_rise(s: SessionFacts) -> int | None:
    if s.pain_before is None or s.pain_after is None:
        return None
    return s.pain_after - s.pain_before


# --- the rules for one day ----------------------------------------------------------------------

def initial_state(plan: Plan) -> PlanState:
    return PlanState(day=plan.start_date, steps={}, paused=None)


def _active(plan: Plan, day: date) -> list[str]:
    """Exercises whose first step's phase has begun on ``day``."""
    return [ex for ex, steps in plan.ladders.items() if plan.reachable(steps[0], day)]


def step_day(plan: Plan, state: PlanState, day: date, sessions: Sequence[SessionFacts],
             checkins: Sequence[CheckIn]) -> PlanState:
    """Apply the rules at the start of ``day``.

    ``sessions``: every session before ``day`` (any order); ``checkins``: every check-in up to and
    including ``day``. Returns the new state with this day's decisions appended.
    """
    steps = dict(state.steps)
    out: list[Decision] = []
    yesterday = [s for s in sessions if s.day == day - timedelta(days=1)]
    checkin = next((c for c in sorted(checkins, key=lambda c: c.day, reverse=True) if c.day == day), None)

    def say(ex: str, rule: Rule, reason: str) -> None:
        out.append(Decision(day, ex, rule, steps[ex].step, reason))

    # new exercises as their phase begins
    started: set[str] = set()
    for ex in _active(plan, day):
        if ex not in steps:
            steps[ex] = ExerciseState(0, day, day)
            first = plan.ladders[ex][0]
            why = ("first plan" if day == plan.start_date else
                   f"the {first.phase} phase begins (week {plan.week(day) + 1})")
            say(ex, Rule.START, f"{why}: start at {first.dose()}")
            started.add(ex)

    def back(ex: str, rule: Rule, why: str) -> None:
        st = steps[ex]
        if st.step == 0:
            steps[ex] = replace(st, since=day)
            say(ex, rule, f"{why}: stay on the gentlest step ({plan.ladders[ex][0].dose()})")
        else:
            steps[ex] = replace(st, step=st.step - 1, since=day)
            say(ex, rule, f"{why}: step back to {plan.ladders[ex][st.step - 1].dose()}")

    paused = state.paused
    stepped: set[str] = set(started)
    sharp = [s for s in yesterday if s.sharp or s.radiating]
    if sharp:
        what = " and ".join(w for w, on in (("sharp or shooting", any(s.sharp for s in sharp)),
                                             ("radiating", any(s.radiating for s in sharp))) if on)
        paused = (f"{what} pain in yesterday's {display_name(sharp[0].exercise).lower()}: stop and see a clinician "
                  "(physiotherapist or doctor) before you continue")
        for ex in steps:
            say(ex, Rule.STOP, paused)
        return PlanState(day, steps, paused, state.decisions + tuple(out))
    if paused is not None:
        if checkin is not None and checkin.answer != "worse" and checkin.seen_clinician:
            paused = None
            for ex in steps:
                back(ex, Rule.RESUME, "a clinician has been seen and your back is not worse: resume")
                stepped.add(ex)
        else:
            for ex in steps:
                say(ex, Rule.STOP, paused + " (still paused: answer the check-in once a clinician has seen you)")
            return PlanState(day, steps, paused, state.decisions + tuple(out))

    if checkin is not None and checkin.answer == "worse":  # (never on a resume day: that needs "not worse")
        for ex in steps:
            if plan.ladders[ex][0].tracked:
                back(ex, Rule.STEP_BACK, "24-hour check-in: your back is worse than yesterday")
                stepped.add(ex)

    for ex in steps:
        if ex in stepped or not plan.ladders[ex][0].tracked:
            continue
        rises = [r for r in (pain_rise(s) for s in yesterday if s.exercise == ex) if r is not None]
        if rises and max(rises) >= plan.pain_rise_step_back:
            back(ex, Rule.STEP_BACK, f"pain rose by {max(rises)} points during yesterday's session")
            stepped.add(ex)

    for ex in steps:
        if ex in stepped or not plan.ladders[ex][0].tracked:
            continue
        out.append(_advance_or_hold(plan, ex, steps, day, sessions))
    return PlanState(day, steps, None, state.decisions + tuple(out))


def _advance_or_hold(plan: Plan, ex: str, steps: dict[str, ExerciseState], day: date,
                     sessions: Sequence[SessionFacts]) -> Decision:
    st = steps[ex]
    ladder = plan.ladders[ex]
    cur = ladder[st.step]
    on_step = sorted((s for s in sessions if s.exercise == ex and st.since <= s.day < day),
                     key=lambda s: (s.day, s.session_id or 0))
    n = plan.advance_after_sessions
    last = on_step[-n:]
    checks = [met_target(cur, s, plan.max_fault_rate) for s in last]

    def hold(reason: str) -> Decision:
        return Decision(day, ex, Rule.HOLD, st.step, reason)

    if len(last) < n:
        return hold(f"stay at {cur.dose()}: {len(last)} of {n} sessions on this step so far")
    missed = [why for ok, why in checks if not ok]
    if missed:
        return hold(f"stay at {cur.dose()}: the last {n} sessions did not all meet the target ({missed[-1]})")
    if st.step + 1 >= len(ladder):
        return hold(f"targets met at the top step ({cur.dose()}): ask your physiotherapist for the next step")
    nxt = ladder[st.step + 1]
    if not plan.reachable(nxt, day):
        return hold(f"targets met; the next step ({nxt.dose()}) belongs to the {nxt.phase} phase, "
                    f"from {plan.phase_start(nxt.phase).isoformat()}")
    if day - st.last_increase < WEEK:
        return hold(f"targets met; the next increase is allowed from {(st.last_increase + WEEK).isoformat()} "
                    f"(at most {100 * plan.max_weekly_increase:.0f} % more a week)")
    rise = nxt.volume() / cur.volume() - 1 if cur.volume() else 0.0
    steps[ex] = ExerciseState(st.step + 1, day, day)
    return Decision(day, ex, Rule.ADVANCE, st.step + 1,
                    f"targets met with good form {n} sessions in a row: {cur.dose()} -> {nxt.dose()} "
                    f"({100 * rise:+.0f} % volume)")


def replay(plan: Plan, sessions: Iterable[SessionFacts], checkins: Iterable[CheckIn], today: date) -> PlanState:
    """Apply the rules day by day from the plan's start to ``today`` (inclusive)."""
    sessions = sorted(sessions, key=lambda s: s.day)
    checkins = list(checkins)
    state = initial_state(plan)
    day = plan.start_date
    i = 0
    before: list[SessionFacts] = []
    while day <= today:
        while i < len(sessions) and sessions[i].day < day:
            before.append(sessions[i])
            i += 1
        state = step_day(plan, state, day, before, [c for c in checkins if c.day <= day])
        day += timedelta(days=1)
    if today < plan.start_date:
        state = replace(state, day=today)
    return state


# --- today's session ----------------------------------------------------------------------------

@dataclass(frozen=True)
class TodayItem:
    step: Step
    step_index: int
    steps_in_ladder: int
    decision: Decision | None
    done_today: int  # sessions of this exercise already recorded today

    def to_dict(self) -> dict:
        d = self.step.to_dict()
        d.update({"label": self.step.label(), "tracked": self.step.tracked, "step_index": self.step_index,
                  "steps_in_ladder": self.steps_in_ladder, "done_today": self.done_today,
                  "rule": self.decision.rule.value if self.decision else None,
                  "reason": self.decision.reason if self.decision else ""})
        return d


@dataclass(frozen=True)
class Today:
    day: date
    phase: str
    week: int  # 1-based week of the programme
    rest_day: bool
    stopped: str | None
    items: tuple[TodayItem, ...]
    sessions_per_day: int
    minutes_per_session: float
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        return {"day": self.day.isoformat(), "phase": self.phase, "week": self.week, "rest_day": self.rest_day,
                "stopped": self.stopped, "sessions_per_day": self.sessions_per_day,
                "minutes_per_session": self.minutes_per_session, "items": [i.to_dict() for i in self.items],
                "notes": list(self.notes)}


def todays_session(plan: Plan, sessions: Sequence[SessionFacts], checkins: Sequence[CheckIn],
                   today: date) -> Today:
    """What to do on ``today``, each item with the rule that set it and the reason."""
    state = replay(plan, sessions, checkins, today)
    week = plan.week(today) + 1
    if today < plan.start_date:
        return Today(today, PHASES[0], 0, False, None, (), plan.sessions_per_day, 0.0,
                     (f"the plan starts on {plan.start_date.isoformat()}",))
    decisions = {d.exercise: d for d in state.today()}
    items = []
    for ex, st in state.steps.items():
        ladder = plan.ladders[ex]
        items.append(TodayItem(ladder[st.step], st.step, len(ladder), decisions.get(ex),
                               sum(1 for s in sessions if s.exercise == ex and s.day == today)))
    notes = []
    rest = plan.is_rest_day(today)
    if rest:
        notes.append(f"rest day: one rest day a week ({_weekday(plan.rest_weekday)}s in this plan)")
    if week > 12:
        notes.append("the 12-week programme is complete: keep the top steps and ask your physiotherapist")
    todo = [] if (rest or state.paused) else [i.step for i in items]
    minutes = split_day(plan, todo)[0].minutes if todo else 0.0
    if plan.sessions_per_day > 1 and minutes > MICRO_MAX_MIN:
        groups = parts(todo)
        notes.append(f"each session is about {minutes:.0f} min, longer than a 5-{MICRO_MAX_MIN:.0f} min "
                     f"micro-session: you can do it in {len(groups)} parts a little apart ("
                     + "; then ".join(", ".join(display_name(s.exercise) for s in g) for g in groups) + ")")
    return Today(today, plan.phase(today), week, rest, state.paused, tuple(items), plan.sessions_per_day,
                 minutes, tuple(notes))


def _weekday(i: int) -> str:
    from .plan import WEEKDAYS

    return WEEKDAYS[i]


# --- progress views -----------------------------------------------------------------------------

def weekly_progress(plan: Plan, sessions: Sequence[SessionFacts], today: date) -> list[dict]:
    """Per exercise and programme week: sessions done vs planned (adherence) and the progression measures.

    Measures: plank best good-form hold (s); rep exercises reps per side (mean of the weaker side) and
    median hold at full reach (s); dead bug lowest controlled leg angle (deg, the week's lowest) and
    bird-dog hip-roll peak (deg, median; both None when no angle series was stored, e.g. live
    sessions); mean fault rate; mean pain before/after.
    """
    rows = []
    last_week = plan.week(today)
    for ex, ladder in plan.ladders.items():
        if not ladder[0].tracked:
            continue
        for w in range(0, last_week + 1):
            lo = plan.start_date + timedelta(weeks=w)
            hi = min(lo + WEEK, today + timedelta(days=1))
            days = [lo + timedelta(days=k) for k in range((hi - lo).days)]
            if not plan.reachable(ladder[0], lo + timedelta(days=6)) and not any(
                    plan.reachable(ladder[0], d) for d in days):
                continue
            planned = sum(plan.sessions_per_day for d in days if plan.reachable(ladder[0], d)
                          and not plan.is_rest_day(d))
            ss = [s for s in sessions if s.exercise == ex and lo <= s.day < hi]
            row = {"exercise": ex, "week": w + 1, "from": lo.isoformat(), "sessions": len(ss), "planned": planned,
                   "adherence": round(len(ss) / planned, 2) if planned else None}
            rates = [s.fault_rate for s in ss if s.fault_rate is not None]
            row["fault_rate"] = round(statistics.fmean(rates), 3) if rates else None
            if ladder[0].is_hold:
                row["best_good_form_hold_s"] = round(max((s.good_form_s for s in ss), default=0.0), 1) if ss else None
            else:
                row["reps_per_side"] = round(statistics.fmean(min(s.reps_left, s.reps_right) for s in ss), 1) \
                    if ss else None
                holds = [s.rep_hold_s for s in ss if s.rep_hold_s is not None]
                row["hold_at_reach_s"] = round(statistics.median(holds), 1) if holds else None
                legs = [s.measures["lowest_controlled_leg_deg"] for s in ss
                        if "lowest_controlled_leg_deg" in s.measures]
                rolls = [s.measures["hip_roll_peak_deg"] for s in ss if "hip_roll_peak_deg" in s.measures]
                if ex == "dead_bug":
                    row["lowest_controlled_leg_deg"] = min(legs) if legs else None
                if ex == "bird_dog":
                    row["hip_roll_peak_deg"] = round(statistics.median(rolls), 1) if rolls else None
            for k in ("pain_before", "pain_after"):
                vals = [getattr(s, k) for s in ss if getattr(s, k) is not None]
                row[k] = round(statistics.fmean(vals), 1) if vals else None
            rows.append(row)
    return rows


def measure_text(row: Mapping) -> str:
    """One line for a :func:`weekly_progress` row's measures (``-`` where not measured)."""
    def v(x) -> str:
        return "-" if x is None else f"{x:g}"

    if "best_good_form_hold_s" in row:
        return f"best good-form hold {v(row['best_good_form_hold_s'])} s"
    text = f"reps/side {v(row.get('reps_per_side'))}, hold at reach {v(row.get('hold_at_reach_s'))} s"
    if "lowest_controlled_leg_deg" in row:
        text += f", lowest controlled leg {v(row['lowest_controlled_leg_deg'])} deg"
    if "hip_roll_peak_deg" in row:
        text += f", hip roll peak {v(row['hip_roll_peak_deg'])} deg"
    return text


__all__ = ["CHECKIN_ANSWERS", "CheckIn", "Decision", "ExerciseState", "PlanState", "Rule", "SessionFacts", "Today",
           "TodayItem", "measure_text", "met_target", "pain_rise", "replay", "session_measures", "step_day",
           "todays_session", "weekly_progress"]

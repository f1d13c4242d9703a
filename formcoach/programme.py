"""The plan in force and the day's session, read from a history file (glue for the CLI and the page).

* A new user's first look at the plan stores :func:`formcoach.plan.default_plan` starting that day,
  so the phases count from a fixed date.
* :func:`import_plan` validates the whole file before anything is written: a bad file changes nothing.
* Session days are the local calendar day of each session's UTC time.
"""

from __future__ import annotations

import os
from datetime import date, datetime

from .guided import SetTarget
from .history import History
from .plan import Plan, Step, default_plan, load, loads
from .progression import CheckIn, SessionFacts, Today, session_measures, todays_session, weekly_progress


def local_day(dt: datetime) -> date:
    return dt.astimezone().date()


def current_plan(h: History, today: date, *, create: bool = True) -> tuple[Plan, bool]:
    """The plan in force, and whether it was just created (a new user's default plan, starting ``today``)."""
    text = h.current_plan_json()
    if text is not None:
        return loads(text), False
    plan = default_plan(today)
    if create:
        h.save_plan(plan.to_json(), origin="default")
    return plan, True


def is_first_default_plan(h: History, plan: Plan, day: date) -> bool:
    """Whether ``plan`` is the starter plan formcoach made for a new user (nothing imported yet), viewed on its
    first day: the page's welcome. Read from the history file, so a rerun or a new browser tab says the same."""
    return h.plan_origins() == ["default"] and plan.start_date == day


def import_plan(h: History, path: str | os.PathLike) -> Plan:
    """Read, validate and store a plan file. Raises :class:`~formcoach.plan.PlanError`; stores nothing then."""
    plan = load(path)
    h.save_plan(plan.to_json(), origin=f"import:{os.path.basename(os.fspath(path))}")
    return plan


def import_plan_text(h: History, text: str, origin: str) -> Plan:
    """As :func:`import_plan`, for a file's text (the page's upload box)."""
    plan = loads(text)
    h.save_plan(plan.to_json(), origin=f"import:{origin}")
    return plan


def session_facts(h: History) -> list[SessionFacts]:
    holds = h.rep_hold_medians()
    out = []
    for s in reversed(h.sessions()):
        measures = {}
        if s.rep_count and s.exercise in ("dead_bug", "bird_dog"):
            series = h.details(s.id).get("chart_series") or {}
            if series:
                measures = session_measures(s.exercise, series,
                                            [(r.start_s, r.end_s, r.verdict) for r in h.reps(s.id)])
        out.append(SessionFacts(
            day=local_day(s.created_at), exercise=s.exercise, reps_left=s.reps_left, reps_right=s.reps_right,
            hold_s=s.hold_s, good_form_s=s.good_form_s, fault_rate=s.fault_rate, rep_hold_s=holds.get(s.id),
            pain_before=s.pain_before, pain_after=s.pain_after, sharp=s.pain_sharp, radiating=s.pain_radiating,
            session_id=s.id, measures=measures))
    return out


def checkins(h: History) -> list[CheckIn]:
    return [CheckIn(date.fromisoformat(c["day"]), c["answer"], c["seen_clinician"]) for c in h.checkins()]


def today_from_history(h: History, today: date) -> tuple[Plan, Today, bool]:
    plan, created = current_plan(h, today)
    return plan, todays_session(plan, session_facts(h), checkins(h), today), created


def guided_target(step: Step) -> SetTarget:
    """The live page's guided set for a plan step (sets, reps per side or hold, rest)."""
    return SetTarget(step.exercise, sets=step.sets, reps_per_side=step.reps_per_side or 0,
                     hold_s=float(step.hold_s if step.hold_s is not None else 2.0), rest_s=float(step.rest_s),
                     level=plank_level(step) if step.is_hold else "")


def plank_level(step: Step) -> str:
    """The guided set's plank level key (formcoach.guided.PLANK_LEVELS) nearest to a plank step."""
    from .guided import PLANK_LEVELS

    same = [lv for lv in PLANK_LEVELS if lv.key.startswith("full" if step.variant == "full" else "knees")]
    return next((lv.key for lv in same if (step.hold_s or 0) <= lv.hold_s), same[-1].key)


def practise_query(step: Step) -> str:
    """The live page's address query for a step: ``exercise=...&sets=...&hold=...&rest=...`` (+ reps or level)."""
    from urllib.parse import urlencode

    t = guided_target(step)
    q = {"exercise": step.exercise, "sets": t.sets, "hold": f"{t.hold_s:g}", "rest": f"{t.rest_s:g}"}
    q.update({"level": t.level} if t.timed else {"reps": t.reps_per_side})
    return urlencode(q)


def planned_target(h: History, exercise: str, today: date) -> SetTarget | None:
    """Today's guided set for ``exercise`` from the plan in force; None on a rest day, while stopped,
    or when the exercise is not in today's plan."""
    _, t, _ = today_from_history(h, today)
    if t.rest_day or t.stopped:
        return None
    item = next((i for i in t.items if i.step.exercise == exercise and i.step.tracked), None)
    return guided_target(item.step) if item else None


def progress_from_history(h: History, today: date) -> list[dict]:
    plan, _ = current_plan(h, today, create=False)
    return weekly_progress(plan, session_facts(h), today)

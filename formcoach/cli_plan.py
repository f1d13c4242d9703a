"""``formcoach plan``, ``formcoach report`` and ``formcoach analyze --save`` (registered by :mod:`formcoach.cli`).

    formcoach plan [--date YYYY-MM-DD] [--json] [--db PATH]
    formcoach plan --check-in worse|same|better [--seen-clinician]
    formcoach plan --import PLAN.json | --export PLAN.json | --progress
    formcoach report SESSION | --from DATE --to DATE  (--pdf OUT.pdf | --html OUT.html)  [--list]
    formcoach analyze VIDEO --save [--pain-before N] [--db PATH]

The history file is ``--db``, else ``FORMCOACH_DB``, else the per-user data directory (as the app).
Days are the local calendar day; ``--date`` stands in for today (e.g. to look ahead).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from .atomic import write_bytes_atomic, write_text_atomic
from .history import History, HistoryError, NewSession
from .plan import PlanError, display_name
from .programme import current_plan, import_plan, progress_from_history, today_from_history
from .progression import CHECKIN_ANSWERS

USER_ERRORS = (HistoryError, PlanError)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _pain(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        v = -1
    if not 0 <= v <= 10:
        raise argparse.ArgumentTypeError(f"pain must be a whole number 0-10, got {text!r}")
    return v


def _history(args) -> History:
    return History(args.db)


def add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="PATH", help="history file (default: FORMCOACH_DB or the user data folder)")


def add_save_options(a: argparse.ArgumentParser) -> None:
    a.add_argument("--save", action="store_true", help="store the session (with key frames) in the history")
    a.add_argument("--pain-before", type=_pain, metavar="0-10", help="with --save: pain before the set")
    add_db(a)


def save_analysis(args, report) -> int | None:
    """``analyze --save``: store the report with its key frames; returns the session id (None: nothing to save)."""
    if not getattr(args, "save", False):
        return None
    if report.summary is None:
        print("formcoach: not saved: no exercise was checked (pass --exercise)", file=sys.stderr)
        return None
    from .keyframes import extract

    frames = extract(args.video, report)
    with _history(args) as h:
        sid = h.save_session(NewSession.from_summary(
            report.summary, source="upload", duration_s=report.video.duration_s,
            details=report.history_details(), pain_before=args.pain_before, keyframes=frames))
    print(f"formcoach: saved as session {sid} in {h.path} ({len(frames)} key frames)", file=sys.stderr)
    return sid


# --- plan -----------------------------------------------------------------------------------------

def cmd_plan(args) -> int:
    today = args.date or date.today()
    with _history(args) as h:
        if args.import_path:
            plan = import_plan(h, args.import_path)
            print(f"imported plan {plan.name!r} (starts {plan.start_date}); it is now the plan in force")
            return 0
        if args.export_path:
            plan, _ = current_plan(h, today)
            plan.save(args.export_path)
            print(f"wrote {args.export_path} ({sum(len(v) for v in plan.ladders.values())} steps)")
            return 0
        if args.check_in:
            h.save_checkin(today.isoformat(), args.check_in, args.seen_clinician)
            print(f"check-in for {today}: {args.check_in}" + (" (a clinician has been seen)"
                                                              if args.seen_clinician else ""))
        if args.progress:
            rows = progress_from_history(h, today)
            if args.json:
                print(json.dumps(rows, indent=1))
            else:
                for r in rows:
                    print(json.dumps(r))
            return 0
        plan, t, created = today_from_history(h, today)
    if args.json:
        d = t.to_dict()
        d["plan"] = plan.name
        print(json.dumps(d, indent=1))
        return 0
    if created:
        print(f"New plan {plan.name!r} starting today ({plan.start_date}); export it with --export to edit.")
    print(f"{t.day} (a {t.day:%A}): week {t.week}, {t.phase} phase. {plan.name}")
    if t.stopped:
        print(f"STOP: {t.stopped}.")
    elif t.rest_day:
        print("Rest day: no exercises today (one rest day a week).")
    else:
        n = t.sessions_per_day
        print(("One session" if n == 1 else f"{n} micro-sessions") + f" of about {t.minutes_per_session:.0f} min:")
    for i in t.items:
        mark = "" if i.step.tracked else "  (not checked by formcoach)"
        done = f"  [done today: {i.done_today}]" if i.done_today else ""
        print(f"  - {i.step.label()}{mark}{done}")
        if i.step.tracked and i.decision:
            print(f"      {i.decision.rule.value}: {i.decision.reason}")
    for note in t.notes:
        print(f"  note: {note}")
    print("formcoach gives feedback on movement, not a diagnosis. Stop if you feel sharp, shooting or radiating "
          "pain.")
    return 0


# --- report ---------------------------------------------------------------------------------------

def cmd_report(args) -> int:
    from .reportpdf import ReportError, collect_range, collect_session, render_html, render_pdf

    with _history(args) as h:
        if args.list:
            for s in h.sessions():
                print(f"{s.id:5d}  {s.created_at.astimezone():%Y-%m-%d %H:%M}  {display_name(s.exercise):10s}  "
                      f"{s.source}")
            return 0
        if (args.session is None) == (args.date_from is None and args.date_to is None):
            raise ReportError("give a SESSION id, or --from DATE --to DATE (not both)")
        if not (args.pdf or args.html):
            raise ReportError("give --pdf OUT.pdf and/or --html OUT.html")
        if args.session is not None:
            data = collect_session(h, args.session)
        else:
            start = args.date_from or args.date_to
            data = collect_range(h, start, args.date_to or date.today())
    if args.pdf:
        write_bytes_atomic(args.pdf, render_pdf(data))
        print(f"wrote {args.pdf}")
    if args.html:
        write_text_atomic(args.html, render_html(data))
        print(f"wrote {args.html}")
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("plan", help="today's exercise plan, with the reason for each step")
    p.add_argument("--date", type=_day, help="the day to plan (default: today)")
    p.add_argument("--json", action="store_true", help="print the day's plan as JSON")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--import", dest="import_path", metavar="PLAN.json", help="use this plan file (formcoach.plan/1)")
    g.add_argument("--export", dest="export_path", metavar="PLAN.json", help="write the plan in force to a file")
    g.add_argument("--progress", action="store_true", help="per exercise and week: adherence and measures")
    p.add_argument("--check-in", choices=CHECKIN_ANSWERS,
                   help="24-hour check-in: is your back worse than yesterday? (worse steps the plan back)")
    p.add_argument("--seen-clinician", action="store_true",
                   help="with --check-in: a clinician has seen you since sharp or radiating pain")
    add_db(p)
    p.set_defaults(func=cmd_plan)
    r = sub.add_parser("report", help="session report for the physiotherapist (PDF or HTML)")
    r.add_argument("session", nargs="?", type=int, help="session id (see --list)")
    r.add_argument("--from", dest="date_from", type=_day, metavar="DATE", help="first day of a date range")
    r.add_argument("--to", dest="date_to", type=_day, metavar="DATE", help="last day (default: today)")
    r.add_argument("--pdf", metavar="OUT.pdf")
    r.add_argument("--html", metavar="OUT.html")
    r.add_argument("--list", action="store_true", help="list the stored sessions")
    add_db(r)
    r.set_defaults(func=cmd_report)

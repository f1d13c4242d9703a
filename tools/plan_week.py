"""Two synthetic weeks of history through a real history file, and how the plan moves day by day.

    .venv/bin/python tools/plan_week.py [--db PATH] [--markdown]

Writes the sessions and 24-hour check-ins of :data:`SCENARIO` into a fresh SQLite history (a temporary
file unless ``--db``), then asks for each day's plan exactly as ``formcoach plan --date DAY`` does and
prints one row per day: what was done the day before, that day's check-in, the plank step and the
rule with its reason. The plan starts on Monday 2026-11-02 (formcoach's default plan).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from history_helpers import make_summary  # noqa: E402

from formcoach.history import History, NewSession  # noqa: E402
from formcoach.plan import default_plan  # noqa: E402
from formcoach.programme import today_from_history  # noqa: E402

START = date(2026, 11, 2)  # a Monday
# day offset -> (plank sessions as (good-form seconds, fault rate, pain before, pain after, sharp), check-in)
SCENARIO: dict[int, tuple[list[tuple], tuple[str, bool] | None]] = {
    0: ([(11, 0.05, 2, 2, False), (12, 0.0, 2, 1, False)], None),
    1: ([(12, 0.05, 2, 2, False), (11, 0.1, 1, 1, False)], ("same", False)),
    2: ([(8, 0.3, 2, 2, False)], ("better", False)),  # form slipped: not a good session
    3: ([(12, 0.05, 1, 1, False), (12, 0.05, 1, 1, False)], None),
    4: ([(13, 0.0, 1, 1, False), (12, 0.05, 1, 1, False)], None),
    5: ([(12, 0.1, 1, 1, False)], None),
    6: ([], None),  # Sunday: the rest day
    7: ([(12, 0.05, 1, 1, False), (12, 0.05, 1, 3, False)], None),  # pain rose 1 -> 3
    8: ([(11, 0.0, 1, 1, False), (11, 0.05, 1, 1, False)], None),
    9: ([(11, 0.0, 1, 1, False)], ("worse", False)),  # the back worse than yesterday
    10: ([(12, 0.05, 1, 1, False)], None),
    11: ([(12, 0.05, 1, 2, True)], None),  # sharp pain
    12: ([], ("same", False)),
    13: ([], ("better", True)),  # seen a clinician
    14: ([], None),
}


def build(db: Path) -> None:
    plank = make_summary(0, "plank", 0)
    with History(db) as h:
        h.save_plan(default_plan(START).to_json(), origin="default")
        for k, (sessions, ck) in SCENARIO.items():
            d = START + timedelta(days=k)
            for j, (gf, fr, before, after, sharp) in enumerate(sessions):
                sm = replace(plank, hold_s=gf / (1 - fr) if fr < 1 else gf, good_form_s=float(gf))
                when = datetime.combine(d, time(9 + 6 * j)).astimezone()
                sid = h.save_session(NewSession.from_summary(sm, source="live", duration_s=gf + 5.0,
                                                             pain_before=before, created_at=when))
                h.set_pain(sid, after=after, sharp=sharp)
            if ck:
                h.save_checkin(d.isoformat(), ck[0], ck[1])


def rows(db: Path) -> list[dict]:
    out = []
    with History(db) as h:
        for k in SCENARIO:
            d = START + timedelta(days=k)
            _, t, _ = today_from_history(h, d)
            prev = SCENARIO.get(k - 1, ([], None))[0]
            ck = SCENARIO[k][1]
            item = next(i for i in t.items if i.step.exercise == "plank")
            others = [i.step.label() for i in t.items if i.step.tracked and i.step.exercise != "plank"
                      and i.decision and i.decision.rule.value == "start"]
            out.append({
                "day": f"{d:%a} {d}", "phase": t.phase,
                "yesterday": "; ".join(f"{gf} s good form, {100 * fr:.0f} % faults, pain {b}->{a}"
                                       + (", SHARP" if s else "") for gf, fr, b, a, s in prev) or "-",
                "check-in": (ck[0] + (" (clinician seen)" if ck[1] else "")) if ck else "-",
                "today": ("STOP" if t.stopped else "rest day" if t.rest_day else item.step.dose()),
                "plank step": f"{item.step_index + 1}/{item.steps_in_ladder} ({item.step.hold_s:g} s)",
                "rule": item.decision.rule.value if item.decision else "-",
                "reason": (item.decision.reason if item.decision else "") + (
                    f"; added: {', '.join(others)}" if others else ""),
            })
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, help="history file to create (default: a temporary one)")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as td:
        db = args.db or Path(td) / "history.sqlite3"
        if db.exists():
            ap.error(f"{db} exists; give a new file")
        build(db)
        table = rows(db)
    cols = list(table[0])
    if args.markdown:
        print("| " + " | ".join(cols) + " |")
        print("|" + "---|" * len(cols))
        for r in table:
            print("| " + " | ".join(str(r[c]).replace("|", "/") for c in cols) + " |")
    else:
        for r in table:
            print("  ".join(f"{r[c]}" for c in cols))
    return 0


if __name__ == "__main__":
    sys.exit(main())

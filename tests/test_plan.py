"""The plan model, its file format, and the progression rules on synthetic histories."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from history_helpers import make_summary

from formcoach import history as hmod
from formcoach.history import History, NewSession
from formcoach.plan import SCHEMA, Plan, PlanError, Step, default_plan, load, loads, parts
from formcoach.programme import (
    current_plan,
    import_plan,
    is_first_default_plan,
    plank_level,
    planned_target,
    practise_query,
    session_facts,
    today_from_history,
)
from formcoach.progression import (
    CheckIn,
    Rule,
    SessionFacts,
    met_target,
    replay,
    todays_session,
    weekly_progress,
)

MONDAY = date(2026, 11, 2)


def day(k: int) -> date:
    return MONDAY + timedelta(days=k)


def plank(k: int, good_form_s: float = 12.0, fault_rate: float = 0.05, **kw) -> SessionFacts:
    return SessionFacts(day=day(k), exercise="plank", hold_s=good_form_s + 1, good_form_s=good_form_s,
                        fault_rate=fault_rate, **kw)


def plan_state(plan, sessions, checkins, k):
    st = replay(plan, sessions, checkins, day(k))
    return st.steps["plank"].step, {d.exercise: d for d in st.today()}.get("plank")


@pytest.fixture
def plan() -> Plan:
    return default_plan(MONDAY)


# --- the first plan ---------------------------------------------------------------------------

def test_new_user_gets_the_acute_phase(plan):
    t = todays_session(plan, [], [], MONDAY)
    assert t.phase == "acute" and t.week == 1 and not t.rest_day and t.stopped is None
    labels = {i.step.exercise: i.step for i in t.items}
    assert set(labels) == {"plank", "pelvic_tilt", "breathing"}  # dead bug and bird-dog wait for week 3
    assert labels["plank"].variant == "knees" and labels["plank"].hold_s == 10
    assert not labels["pelvic_tilt"].tracked
    assert all(i.decision.rule is Rule.START and i.decision.reason for i in t.items)
    assert 2 <= t.sessions_per_day <= 4 and 2 <= t.minutes_per_session <= 10


def test_subacute_adds_bird_dog_and_dead_bug(plan):
    t = todays_session(plan, [], [], day(14))
    assert t.phase == "subacute"
    steps = {i.step.exercise: i for i in t.items}
    assert steps["bird_dog"].step.hold_s == 3 and steps["dead_bug"].step.reps_per_side == 10
    assert "subacute phase begins" in steps["bird_dog"].decision.reason
    assert t.minutes_per_session > 10  # five exercises: more than one micro-session's worth
    split = next(n for n in t.notes if "parts" in n)
    assert "Plank" in split and "Bird-dog" in split
    for part in parts([i.step for i in t.items]):
        assert sum(s.minutes() + 1 for s in part) <= 10 or len(part) == 1


def test_every_default_step_is_within_ten_percent(plan):
    for ladder in plan.ladders.values():
        for a, b in zip(ladder, ladder[1:]):
            assert b.volume() <= 1.1 * a.volume() + 1e-9
    full = [s for s in plan.ladders["plank"] if s.variant == "full"]
    assert full[-1].hold_s == 60 and plan.ladders["plank"][0].hold_s == 10


# --- rules ------------------------------------------------------------------------------------

def test_advance_after_two_good_sessions_and_a_week(plan):
    sessions = [plank(0), plank(1)]
    step, d = plan_state(plan, sessions, [], 2)
    assert step == 0 and d.rule is Rule.HOLD and "next increase is allowed from 2026-11-09" in d.reason
    step, d = plan_state(plan, sessions, [], 7)
    assert step == 1 and d.rule is Rule.ADVANCE and "+10 % volume" in d.reason
    assert plan.ladders["plank"][1].hold_s == 11


def test_hold_when_one_of_the_two_sessions_misses(plan):
    sessions = [plank(0), plank(5, good_form_s=7.0)]
    step, d = plan_state(plan, sessions, [], 7)
    assert step == 0 and d.rule is Rule.HOLD and "good-form hold 7 s of 10 s" in d.reason
    step, d = plan_state(plan, sessions + [plank(6, fault_rate=0.4)], [], 7)
    assert step == 0 and "40 % with a form fault" in d.reason
    step, d = plan_state(plan, [plank(6)], [], 7)
    assert step == 0 and "1 of 2 sessions" in d.reason


def test_step_back_on_pain_rise_of_two(plan):
    sessions = [plank(0), plank(1), plank(8), plank(9)]  # advance on day 7, again not before day 14
    assert plan_state(plan, sessions, [], 10)[0] == 1
    rise1 = sessions + [plank(10, pain_before=2, pain_after=3)]
    assert plan_state(plan, rise1, [], 11)[0] == 1  # +1: the stop-for-today advice, no step back
    rise2 = sessions + [plank(10, pain_before=2, pain_after=4)]
    step, d = plan_state(plan, rise2, [], 11)
    assert step == 0 and d.rule is Rule.STEP_BACK and "pain rose by 2 points" in d.reason


def test_24_hour_checkin_worse_steps_back(plan):
    sessions = [plank(0), plank(1)]
    assert plan_state(plan, sessions, [CheckIn(day(7), "same")], 7)[0] == 1
    step, d = plan_state(plan, sessions + [plank(7)], [CheckIn(day(8), "worse")], 8)
    assert step == 0 and d.rule is Rule.STEP_BACK and "24-hour check-in" in d.reason
    # already on the gentlest step: stays there, says so
    step, d = plan_state(plan, [plank(0)], [CheckIn(day(1), "worse")], 1)
    assert step == 0 and "gentlest step" in d.reason


def test_ten_percent_cap_one_increase_a_week(plan):
    sessions = [plank(k, good_form_s=60.0) for k in range(0, 21)]  # always far above target
    st = replay(plan, sessions, [], day(20))
    ups = [d for d in st.decisions if d.exercise == "plank" and d.rule is Rule.ADVANCE]
    assert [d.day for d in ups] == [day(7), day(14)]  # never twice in 7 days
    ladder = plan.ladders["plank"]
    for d in ups:
        assert ladder[d.step].volume() <= 1.10 * ladder[d.step - 1].volume() + 1e-9


def test_phase_gate_holds_at_top_of_acute(plan):
    ladder = plan.ladders["plank"]
    top_acute = max(i for i, s in enumerate(ladder) if s.phase == "acute")
    short = replace(plan, ladders={**plan.ladders, "plank": ladder[top_acute:top_acute + 2]})
    step, d = plan_state(short, [plank(0, 20), plank(1, 20)], [], 7)
    assert step == 0 and "belongs to the subacute phase, from 2026-11-16" in d.reason


def test_sharp_pain_stops_until_clinician(plan):
    sessions = [plank(0), plank(1, sharp=True)]
    t = todays_session(plan, sessions, [], day(2))
    assert t.stopped and "clinician" in t.stopped and t.minutes_per_session == 0
    t = todays_session(plan, sessions, [CheckIn(day(3), "better")], day(3))
    assert t.stopped  # not without having seen a clinician
    st = replay(plan, sessions, [CheckIn(day(4), "better", seen_clinician=True)], day(4))
    assert st.paused is None
    assert {d.rule for d in st.today() if d.exercise == "plank"} == {Rule.RESUME}


def test_rest_day_once_a_week(plan):
    days = [todays_session(plan, [], [], day(k)) for k in range(14)]
    rest = [t.day for t in days if t.rest_day]
    assert rest == [day(6), day(13)] and all(d.weekday() == 6 for d in rest)
    assert "rest day" in days[6].notes[0] and days[6].minutes_per_session == 0


def test_rep_targets_and_good_form():
    step = default_plan(MONDAY).ladders["bird_dog"][0]
    base = SessionFacts(day=MONDAY, exercise="bird_dog", reps_left=10, reps_right=10, fault_rate=0.1, rep_hold_s=3.2)
    assert met_target(step, base, 0.2) == (True, "")
    ok, why = met_target(step, replace(base, reps_right=8), 0.2)
    assert not ok and "8 of 10 reps per side" in why
    ok, why = met_target(step, replace(base, rep_hold_s=2.0), 0.2)
    assert not ok and "holds 2.0 s of 3 s" in why
    assert not met_target(step, replace(base, fault_rate=None), 0.2)[0]


def test_weekly_progress_and_adherence(plan):
    sessions = [plank(0, 10.0), plank(1, 12.0), plank(8, 14.0, pain_before=1, pain_after=2)]
    rows = weekly_progress(plan, sessions, day(9))
    pl = [r for r in rows if r["exercise"] == "plank"]
    assert [(r["week"], r["sessions"], r["planned"], r["best_good_form_hold_s"]) for r in pl] == [
        (1, 2, 12, 12.0), (2, 1, 6, 14.0)]  # week 2 so far: 3 days x 2 sessions
    assert pl[1]["pain_after"] == 2.0
    assert not [r for r in rows if r["exercise"] == "dead_bug"]  # not started in weeks 1-2


# --- the plan file ----------------------------------------------------------------------------

def test_plan_file_round_trips(tmp_path, plan):
    edited = replace(plan, name="Ms K, after L4/5 episode", author="J. Physio", sessions_per_day=3,
                     rest_weekday=2, ladders={**plan.ladders, "plank": plan.ladders["plank"][:3]})
    path = edited.save(tmp_path / "k.json")
    assert json.loads(path.read_text())["schema"] == SCHEMA
    assert load(path) == edited


@pytest.mark.parametrize("mutate,field", [
    (lambda d: d.update(schema="formcoach.plan/9"), "schema"),
    (lambda d: d.pop("start_date"), "start_date"),
    (lambda d: d.update(start_date="2 Nov"), "start_date"),
    (lambda d: d.update(sessions_per_day=6), "sessions_per_day"),
    (lambda d: d["rules"].update(max_weekly_increase=0.25), "rules.max_weekly_increase"),
    (lambda d: d["ladders"]["plank"][1].update(hold_s=30), "ladders.plank[1]"),
    (lambda d: d["ladders"]["plank"][0].update(sets="three"), "ladders.plank[0].sets"),
    (lambda d: d["ladders"]["plank"][0].update(tempo="slow"), "ladders.plank[0].tempo"),
    (lambda d: d["ladders"]["plank"][0].update(phase="later"), "ladders.plank[0].phase"),
    (lambda d: d["ladders"]["plank"][0].update(colour="red"), "ladders.plank[0].colour"),
    (lambda d: d["ladders"].update(handstand=d["ladders"]["plank"]), "ladders.handstand"),
    (lambda d: d["ladders"]["dead_bug"][0].update(hold_s=float("nan")), "ladders.dead_bug[0].hold_s"),
])
def test_bad_plan_files_name_the_field(plan, mutate, field):
    d = plan.to_dict()
    mutate(d)
    with pytest.raises(PlanError) as e:
        loads(json.dumps(d))
    msg = str(e.value)
    assert msg.startswith(field) and "\n" not in msg, msg


def test_unreadable_plan_files(tmp_path):
    for name, data in (("a.json", b"{not json"), ("b.json", b"\xff\xfe\x00garbage"), ("c.json", b"[1, 2]")):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(PlanError) as e:
            load(tmp_path / name)
        assert "\n" not in str(e.value)
    with pytest.raises(PlanError, match="cannot read"):
        load(tmp_path / "missing.json")


def test_failed_import_changes_nothing_in_history(tmp_path, plan):
    db = tmp_path / "h.sqlite3"
    with History(db) as h:
        h.save_session(NewSession.from_summary(make_summary(), source="upload", duration_s=10.0, pain_before=2))
        current_plan(h, MONDAY)
        h.save_checkin(MONDAY.isoformat(), "same")
    before = _dump(db)
    bad = plan.to_dict()
    bad["ladders"]["plank"][3]["hold_s"] = 99
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    with History(db) as h, pytest.raises(PlanError, match=r"^ladders\.plank\[3\]"):
        import_plan(h, tmp_path / "bad.json")
    assert _dump(db) == before
    good = replace(plan, name="imported")
    good.save(tmp_path / "good.json")
    with History(db) as h:
        import_plan(h, tmp_path / "good.json")
        assert current_plan(h, MONDAY)[0] == good and h.plan_count() == 2


def test_the_welcome_is_for_the_starter_plan_on_its_first_day_whoever_asks(tmp_path, plan):
    db = tmp_path / "h.sqlite3"
    with History(db) as h:
        made, created = current_plan(h, MONDAY)
        assert created and is_first_default_plan(h, made, MONDAY)
    with History(db) as h:  # a new browser tab or a rerun: the plan is no longer "just created", the welcome stays
        again, created = current_plan(h, MONDAY)
        assert not created and is_first_default_plan(h, again, MONDAY)
        assert not is_first_default_plan(h, again, MONDAY + timedelta(days=1))
        plan.save(tmp_path / "p.json")
        mine = import_plan(h, tmp_path / "p.json")
        assert not is_first_default_plan(h, mine, mine.start_date)  # the physiotherapist's plan: no welcome


def _dump(db) -> list:
    con = sqlite3.connect(db)
    try:
        return [(t, con.execute(f"SELECT * FROM {t}").fetchall()) for (t,) in
                con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    finally:
        con.close()


# --- from a real history file -----------------------------------------------------------------

def test_today_from_history_uses_sessions_and_checkins(tmp_path):
    with History(tmp_path / "h.sqlite3") as h:
        plan, created = current_plan(h, MONDAY)
        assert created and current_plan(h, MONDAY) == (plan, False)
        sm = replace(make_summary(0, "plank", 0), hold_s=13.0, good_form_s=12.5)
        for k in (0, 1):
            h.save_session(NewSession.from_summary(
                sm, source="live", duration_s=20.0,
                created_at=datetime.combine(day(k), datetime.min.time()).astimezone() + timedelta(hours=10)))
        facts = session_facts(h)
        assert [f.day for f in facts] == [day(0), day(1)] and facts[0].fault_rate == pytest.approx(1 - 12.5 / 13)
        _, t, _ = today_from_history(h, day(7))
        item = next(i for i in t.items if i.step.exercise == "plank")
        assert item.decision.rule is Rule.ADVANCE and item.step.hold_s == 11
        h.save_checkin(day(8).isoformat(), "worse")
        _, t, _ = today_from_history(h, day(8))
        item = next(i for i in t.items if i.step.exercise == "plank")
        assert item.decision.rule is Rule.STEP_BACK and item.step.hold_s == 10


def test_history_v2_file_migrates_to_v3_keeping_sessions(tmp_path):
    path = tmp_path / "v2.sqlite3"
    con = sqlite3.connect(path, isolation_level=None)
    hmod.MIGRATIONS[0](con)
    hmod.MIGRATIONS[1](con)
    con.execute("PRAGMA user_version = 2")
    con.execute("""INSERT INTO sessions (created_at, exercise, source, duration_s, reps_left, reps_right, hold_s,
                   good_form_s, cant_judge_s, rep_count, details_json, pain_before)
                   VALUES ('2026-10-01T10:00:00+00:00', 'plank', 'live', 30, 0, 0, 20, 18, 0, 0, '{}', 3)""")
    con.close()
    with History(path) as h:
        assert h.schema_version == 3
        assert h.get(1).pain_before == 3 and h.keyframes(1) == [] and h.checkins() == []
        sid = h.save_session(NewSession.from_summary(make_summary(), source="upload", duration_s=5.0,
                                                     keyframes=[hmod.KeyFrame("best", "best rep", 1.5, b"\xff\xd8x")]))
        assert h.keyframes(sid)[0].jpeg == b"\xff\xd8x"
        h.delete_session(sid)
        assert h.keyframes(sid) == []
        with pytest.raises(ValueError):
            h.save_checkin("2026-10-02", "terrible")


def test_plan_steps_reject_bad_values_directly():
    with pytest.raises(PlanError, match=r"ladders.plank\[0\].sets"):
        Plan("x", MONDAY, {"plank": (Step("plank", "knees", "acute", 0, hold_s=10.0),)})


def test_guided_set_target_follows_the_plan(tmp_path):
    with History(tmp_path / "h.sqlite3") as h:
        current_plan(h, MONDAY)
        t = planned_target(h, "plank", MONDAY)
        assert (t.timed, t.sets, t.hold_s, t.rest_s) == (True, 3, 10.0, 30.0)
        assert planned_target(h, "bird_dog", MONDAY) is None  # not before the subacute phase
        b = planned_target(h, "bird_dog", day(14))
        assert (b.timed, b.reps_per_side, b.hold_s) == (False, 10, 3.0)
        assert planned_target(h, "plank", day(6)) is None  # the rest day
    ladder = default_plan(MONDAY).ladders["plank"]
    assert [plank_level(ladder[i]) for i in (0, 6, 20, 21, -1)] == [
        "knees_15", "knees_30", "knees_45", "full_45", "full_60"]
    assert practise_query(default_plan(MONDAY).ladders["bird_dog"][0]) == \
        "exercise=bird_dog&sets=1&hold=3&rest=60&reps=10"


def test_progress_measures_from_the_angle_series(plan):
    from formcoach.progression import measure_text, session_measures

    t = [i * 0.5 for i in range(40)]
    leg = [60 - (20 if 2 <= x <= 6 else 0) - (40 if 12 <= x <= 16 else 0) for x in t]  # rep 2 dips to 20 deg
    reps = [(1.0, 7.0, "good"), (11.0, 17.0, "fault")]
    assert session_measures("dead_bug", {"t_s": t, "leg_elevation_deg": leg}, reps) == {
        "lowest_controlled_leg_deg": 40.0}  # the faulty rep's 20 deg does not count as controlled
    assert session_measures("dead_bug", {"t_s": t, "leg_elevation_deg": leg}, [reps[1]]) == {}
    roll = [(-9.0 if 3 <= x <= 4 else 2.0) for x in t]
    assert session_measures("bird_dog", {"t_s": t, "hip_roll_deg": roll},
                            [(1.0, 7.0, "good"), (8.0, 10.0, "good")]) == {"hip_roll_peak_deg": 5.5}
    assert session_measures("bird_dog", {}, reps) == {}  # live sessions keep no series
    s = SessionFacts(day=day(15), exercise="dead_bug", reps_left=10, reps_right=10, fault_rate=0.0,
                     measures={"lowest_controlled_leg_deg": 40.0})
    row = next(r for r in weekly_progress(plan, [s], day(16)) if r["exercise"] == "dead_bug")
    assert row["lowest_controlled_leg_deg"] == 40.0
    assert "lowest controlled leg 40 deg" in measure_text(row)

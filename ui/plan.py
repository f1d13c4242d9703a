"""The page's "Plan and progress" mode: today's plan with reasons, the 24-hour check-in, progress over weeks,
the plan file, and the physiotherapist's report. Thin: the rules live in ``formcoach.progression``, the plan
in ``formcoach.plan``, the report in ``formcoach.reportpdf``; ``app.py`` calls :func:`plan_page`.
Each exercise of the day links to the live page's guided set with the plan's targets in the address
(``?exercise=plank&sets=3&hold=10&rest=30&level=knees_15``, read by ``ui.live.target_inputs``).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from formcoach import charts
from formcoach.plan import PlanError, display_name
from formcoach.programme import (
    import_plan_text,
    is_first_default_plan,
    local_day,
    practise_query,
    progress_from_history,
    today_from_history,
)
from formcoach.progression import measure_text
from ui.common import open_history

CHECKIN = {"No, about the same": "same", "No, better": "better", "Yes, worse": "worse"}


def plan_page(s) -> None:
    st.header("Today's plan")
    day = st.date_input("Plan for", value=date.today(), key="plan_day")
    with open_history(s) as h:
        if h is None:
            return
        plan, t, _ = today_from_history(h, day)
        if is_first_default_plan(h, plan, day):
            st.info(f"A first plan for you, starting {plan.start_date}: \"{plan.name}\". Your physiotherapist can "
                    "change it (plan file below).")
        st.caption(f"{plan.name} · week {t.week}, {t.phase} phase · feedback on movement, not a diagnosis")
        if t.stopped:
            st.error(f"Stop: {t.stopped}.", icon="🛑")
        elif t.rest_day:
            st.info("Rest day: no exercises today (one rest day a week).")
        else:
            n = t.sessions_per_day
            st.markdown(("**One session**" if n == 1 else f"**{n} short sessions**, a few hours apart,")
                        + f" of about {t.minutes_per_session:.0f} min each. Choose *Practise live* and the exercise.")
        st.dataframe(pd.DataFrame([{
            "exercise": display_name(i.step.exercise) + ("" if i.step.variant in ("", "standard")
                                                         else f" ({i.step.variant})"),
            "dose": i.step.dose(), "rest between sets": f"{i.step.rest_s:.0f} s",
            "step": f"{i.step_index + 1} of {i.steps_in_ladder}" if i.step.tracked else "not checked by formcoach",
            "done today": i.done_today, "why": i.decision.reason if i.decision and i.step.tracked else "",
        } for i in t.items]), hide_index=True, width="stretch", key="plan_table")
        for note in t.notes:
            st.caption(note)
        if not (t.stopped or t.rest_day):
            links = [f"[{display_name(i.step.exercise)}: {i.step.dose()}](/?{practise_query(i.step)})"
                     for i in t.items if i.step.tracked]
            st.markdown("**Practise with the guided set** (opens the live page with these targets): "
                        + " · ".join(links))
        checkin_form(h, day)
        st.subheader("Progress by week")
        rows = progress_from_history(h, day)
        if any(r["sessions"] for r in rows):
            st.altair_chart(charts.weekly_progress_chart(rows, {e: display_name(e) for e in plan.ladders}),
                            width="stretch")
        def v(x) -> str:
            return "-" if x is None else f"{x:g}"

        st.dataframe(pd.DataFrame([{
            "exercise": display_name(r["exercise"]), "week": r["week"],
            "sessions / planned": f"{r['sessions']} / {r['planned']}",
            "measure": measure_text(r),
            "fault rate": "-" if r["fault_rate"] is None else f"{100 * r['fault_rate']:.0f} %",
            "pain before / after": f"{v(r['pain_before'])} / {v(r['pain_after'])}",
        } for r in rows]), hide_index=True, width="stretch", key="progress_table")
        plan_file(h, plan)
        report_box(h, day)


def checkin_form(h, day: date) -> None:
    with st.form("checkin_form"):
        st.markdown("**24-hour check-in**")
        answer = st.radio("Is your back worse than yesterday?", list(CHECKIN), key="checkin_answer")
        seen = st.checkbox("A clinician has seen me since I had sharp or radiating pain", key="checkin_seen")
        if st.form_submit_button("Save check-in"):
            h.save_checkin(day.isoformat(), CHECKIN[answer], seen)
            st.session_state["checkin_saved"] = f"Check-in saved for {day}: {CHECKIN[answer]}."
            st.rerun()
    if st.session_state.get("checkin_saved"):
        st.success(st.session_state["checkin_saved"])


def plan_file(h, plan) -> None:
    with st.expander("Plan file (for your physiotherapist)"):
        st.caption("A JSON file in the formcoach.plan/1 format (docs/plan-format.md). Import replaces the plan in "
                   "force; a file with a mistake is refused and nothing changes.")
        st.download_button("Download plan file", plan.to_json(), file_name="formcoach-plan.json",
                           mime="application/json", key="dl_plan")
        up = st.file_uploader("Import a plan file", type=["json"], key="plan_upload")
        if st.button("Import plan", key="import_plan", disabled=up is None):
            try:
                new = import_plan_text(h, up.getvalue().decode("utf-8", errors="replace"), up.name)
            except PlanError as e:
                st.error(f"Plan not imported: {e}")
            else:
                st.success(f"Imported \"{new.name}\" (starts {new.start_date}).")


def report_box(h, day: date) -> None:
    from formcoach.reportpdf import ReportError, collect_range, collect_session, render_html, render_pdf

    st.subheader("Report for your physiotherapist")
    sessions = h.sessions()
    if not sessions:
        st.caption("No sessions yet.")
        return
    kind = st.radio("Report on", ["One session", "A date range"], horizontal=True, key="report_kind")
    if kind == "One session":
        labels = {x.id: f"#{x.id} {x.created_at.astimezone():%Y-%m-%d %H:%M} {display_name(x.exercise)}"
                  for x in sessions}
        sid = st.selectbox("Session", list(labels), format_func=labels.get, key="report_sid")
        name = f"formcoach-session-{sid}"
    else:
        first = min(local_day(x.created_at) for x in sessions)
        c1, c2 = st.columns(2)
        start = c1.date_input("From", value=max(first, day - timedelta(days=6)), key="report_from")
        end = c2.date_input("To", value=day, key="report_to")
        name = f"formcoach-{start}-to-{end}"
    if st.button("Prepare report", key="prepare_report"):
        try:
            data = collect_session(h, sid) if kind == "One session" else collect_range(h, start, end)
        except ReportError as e:
            st.error(str(e))
            return
        st.session_state["report_files"] = (name, render_pdf(data), render_html(data))
    files = st.session_state.get("report_files")
    if files and files[0] == name:
        st.download_button("Download PDF", files[1], file_name=f"{name}.pdf", mime="application/pdf",
                           key="dl_report_pdf")
        st.download_button("Download HTML", files[2], file_name=f"{name}.html", mime="text/html",
                           key="dl_report_html")

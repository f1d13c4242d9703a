"""formcoach: the page. Run with ``streamlit run app.py``.

A thin page: the work happens in ``formcoach.live`` (webcam coach), ``formcoach.upload`` (video
files), ``formcoach.history`` (SQLite) and ``formcoach.charts``. The page keeps one typed
``CoachSession`` in ``st.session_state[SESSION_KEY]``; the webcam callback never calls ``st.*``.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pandas as pd
import streamlit as st

from exercises.base import SAFETY_MESSAGE
from exercises.registry import EXERCISES
from formcoach import access, charts
from formcoach.guided import fault_words
from formcoach.history import HistoryError, NewSession, default_db_path, not_checked_notes, pain_advice
from formcoach.session import SESSION_KEY, CoachSession, UploadOutcome
from formcoach.upload import (
    MAX_UPLOAD_MB,
    VIDEO_SUFFIXES,
    UploadError,
    analyse_upload,
    delete_session,
    fault_rows,
    kept_videos_dir,
    markdown_literal,
    rep_rows,
)
from ui.common import open_history, pain_after_form, summary_metrics
from ui.live import finish_live, live_page, set_rows

MODES = ("Practise live", "Upload a video", "Review history", "Exercise guide", "Plan and progress")
NOT_A_DIAGNOSIS = "formcoach gives feedback on how you move. It is not a diagnosis or a treatment plan."
ACCESS_KEY = "formcoach_admitted"

st.set_page_config(page_title="formcoach - back-care form coach", layout="wide")


def state() -> CoachSession:
    if SESSION_KEY not in st.session_state:
        st.session_state[SESSION_KEY] = CoachSession(db_path=str(default_db_path()))
    return st.session_state[SESSION_KEY]


# --- sidebar ----------------------------------------------------------------------------------

def sidebar(s: CoachSession) -> tuple[str, str, int | None]:
    sb = st.sidebar
    sb.title("formcoach")
    sb.caption("Form feedback for back-care exercises")
    names = list(EXERCISES)
    wanted = st.query_params.get("exercise")  # e.g. a physio's link: ?exercise=dead_bug
    exercise = sb.selectbox("Exercise", names, index=names.index(wanted) if wanted in names else 0,
                            format_func=lambda n: EXERCISES[n].display_name, key="exercise")
    mode = sb.radio("What would you like to do?", MODES, key="mode")
    pain = sb.select_slider("Pain right now, before you start (0 = none, 10 = worst)",
                            options=["not rated", *range(11)], value="not rated", key="pain_before")
    pain = None if pain == "not rated" else int(pain)
    sb.error(SAFETY_MESSAGE, icon="⚠️")
    sb.caption(NOT_A_DIAGNOSIS)
    with sb.expander("Settings"):
        # Chosen where formcoach starts (FORMCOACH_DB), never from the browser: a page visitor must
        # not make the server create folders and SQLite files wherever they like.
        st.caption(f"History file: `{s.db_path}` (to use another, set FORMCOACH_DB before starting formcoach)")
    return exercise, mode, pain


# --- upload -----------------------------------------------------------------------------------

def upload_page(s: CoachSession, exercise: str, pain_before: int | None) -> None:
    spec = EXERCISES[exercise]
    st.header(f"Check a video: {spec.display_name}")
    st.caption(f"Film side-on, whole body in view. Up to {MAX_UPLOAD_MB} MB. The video is analysed on this "
               "machine and deleted afterwards unless you choose to keep it.")
    up = st.file_uploader("Video file", type=[x.lstrip(".") for x in VIDEO_SUFFIXES], key="upload")
    keep = st.checkbox("Keep the annotated video with this session in my history", value=False, key="keep")
    if up is None:
        st.caption("Analyse is greyed out until you choose a video file above.")
    if st.button("Analyse", type="primary", key="analyse", disabled=up is None,
                 help="Choose a video file first." if up is None else "Analyse this video on this machine."):
        data = up.getvalue()
        file_key = hashlib.sha256(data).hexdigest()[:16]
        bar = st.progress(0.0, text="Starting")
        keep_dir = kept_videos_dir(s.db_path) if keep else None
        try:
            result = analyse_upload(data, up.name, exercise, keep_dir=keep_dir,
                                    progress=lambda f, t: bar.progress(min(max(f, 0.0), 1.0), text=t))
        except UploadError as e:
            s.upload, s.upload_error = None, str(e)
        else:
            s.upload_error = None
            s.upload = save_upload(s, file_key, exercise, result, pain_before)
        bar.empty()
    if s.upload_error:
        st.error(markdown_literal(s.upload_error))  # it names the user's file: shown as typed
    if s.upload is not None:
        upload_results(s, s.upload)


def save_upload(s: CoachSession, file_key: str, exercise: str, result, pain_before) -> UploadOutcome:
    report = result.report
    details = report.history_details()  # the report without the full series; a thinned chart series
    details["uploaded_as"] = result.display_name
    sid, err = None, None
    if report.summary is not None:
        with open_history(s) as h:
            if h is not None:
                try:
                    sid = h.save_session(NewSession.from_summary(
                        report.summary, source="upload", duration_s=report.video.duration_s, details=details,
                        pain_before=pain_before, video_path=str(result.kept_video) if result.kept_video else None,
                        keyframes=result.keyframes))
                except (sqlite3.Error, HistoryError, ValueError) as e:  # shown to the user
                    err = f"could not save to history: {e}"
    return UploadOutcome(file_key, exercise, result, sid, err)


def upload_results(s: CoachSession, o: UploadOutcome) -> None:
    r = o.result.report
    spec = EXERCISES[o.exercise]
    st.subheader(f"{markdown_literal(o.result.display_name)}: {spec.display_name}")
    for w in r.warnings:
        st.warning(w)
    video, side = st.columns([3, 2])
    with video:
        st.video(o.result.annotated_mp4, format="video/mp4")
    with side:
        if r.summary is not None:
            summary_metrics(r.summary, spec, narrow=True)
        st.download_button("Download report (JSON)", o.result.report_json, file_name="formcoach-report.json",
                           mime="application/json", key="dl_json")
        st.download_button("Download table (CSV)", o.result.table_csv, file_name="formcoach-reps.csv",
                           mime="text/csv", key="dl_csv")
        st.download_button("Download annotated video (MP4)", o.result.annotated_mp4,
                           file_name="formcoach-annotated.mp4", mime="video/mp4", key="dl_mp4")
    rows = rep_rows(r.summary)
    if rows:
        st.markdown("**Each rep**")
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="rep_table")
    elif not spec.timed:
        st.info("No complete reps were found in this video.")
    faults = fault_rows(r.summary)
    if faults:
        st.markdown("**Form faults**")
        st.dataframe(pd.DataFrame(faults), hide_index=True, width="stretch")
    metrics = [m for m in spec.key_metrics if m in r.series]
    if metrics:
        st.markdown("**Key measures over time** (angles in degrees; reach as a 0-1 fraction; dashed lines: rep "
                    "start/end; red bands: faults, named)")
        st.altair_chart(charts.angle_chart(r, metrics), width="stretch")
    if o.save_error:
        st.error(o.save_error)
    elif o.session_id is not None:
        st.success(f"Saved to history (session {o.session_id}).")
        pain_after_form(s, o.session_id, key="upload")


# --- review -----------------------------------------------------------------------------------

def review_page(s: CoachSession) -> None:
    st.header("Your sessions")
    with open_history(s) as h:
        if h is None:
            return
        st.caption(f"History file: {h.path}")
        sessions = h.sessions()
        if not sessions:
            st.info("No sessions yet. Practise live or upload a video, and they appear here.")
            return
        daily = h.daily_progress()
        st.subheader("Progress over days")
        st.altair_chart(charts.progress_chart(daily, {k: v.display_name for k, v in EXERCISES.items()}))
        st.caption("Fault rate: the share of reps with a form fault (dead bug, bird-dog), or of the time in "
                   "position spent with a fault (plank). Days are UTC.")
        st.subheader("Sessions")
        table = pd.DataFrame([{
            "id": x.id, "when (UTC)": x.created_at.strftime("%Y-%m-%d %H:%M"),
            "exercise": EXERCISES[x.exercise].display_name if x.exercise in EXERCISES else x.exercise,
            "from": x.source, "reps L/R": f"{x.reps_left}/{x.reps_right}", "held (s)": round(x.hold_s, 1),
            "good form (s)": round(x.good_form_s, 1),
            "fault rate": "-" if x.fault_rate is None else f"{100 * x.fault_rate:.0f}%",
            "pain before": "-" if x.pain_before is None else x.pain_before,
            "pain after": "-" if x.pain_after is None else x.pain_after} for x in sessions])
        st.dataframe(table, hide_index=True, width="stretch", key="sessions_table")
        labels = {x.id: f"#{x.id} {x.created_at:%Y-%m-%d %H:%M} {x.exercise.replace('_', ' ')}" for x in sessions}
        sid = st.selectbox("Open a session", list(labels), format_func=labels.get, key="review_sid")
        row = h.get(sid)
        reps = h.reps(sid)
        details = h.details(sid)
        if reps:
            st.dataframe(pd.DataFrame([{"rep": r.idx + 1, "side": r.side, "duration (s)": round(r.duration_s, 1),
                                        "hold (s)": round(r.hold_s, 1),
                                        "faults": ", ".join(fault_words(f) for f in r.faults) or "-",
                                        "verdict": r.verdict, "coaching": r.coaching} for r in reps]),
                         hide_index=True, width="stretch", key="review_reps")
        for why in not_checked_notes(details):  # no fault listed must not read as "checked and fine"
            st.caption(why)
        sets = details.get("guided", {}).get("sets", [])
        if sets:
            st.markdown("**Sets**")
            st.dataframe(pd.DataFrame(set_rows(sets)), hide_index=True, width="stretch", key="review_sets")
        faults = h.faults(sid)
        if faults:
            st.markdown("**Form faults**")
            st.dataframe(pd.DataFrame([{
                "fault": fault_words(f["type"]), "from (s)": round(f["start_s"], 1), "to (s)": round(f["end_s"], 1),
                "seconds": round(f["end_s"] - f["start_s"], 1), "worst (deg)": round(f["magnitude_deg"])}
                for f in faults]), hide_index=True, width="stretch", key="review_faults")
        if row.pain_after is not None or row.pain_sharp or row.pain_radiating:
            advice = pain_advice(row.pain_before, row.pain_after, sharp=row.pain_sharp, radiating=row.pain_radiating)
            st.write(f"Pain before {row.pain_before if row.pain_before is not None else '-'}, after {row.pain_after}.")
            if advice:
                st.error(advice, icon="🛑")
        else:
            pain_after_form(s, sid, key="review")
        if row.video_path and Path(row.video_path).is_file():
            st.video(Path(row.video_path).read_bytes(), format="video/mp4")
        confirm = st.checkbox("Yes, delete this session for good", key=f"confirm_del_{sid}")
        if st.button("Delete session", key="delete", disabled=not confirm):
            delete_session(h, sid, s.db_path)
            st.rerun()


# --- guide ------------------------------------------------------------------------------------

def guide_page(exercise: str) -> None:
    spec = EXERCISES[exercise]
    st.header(f"Exercise guide: {spec.display_name}")
    st.info(NOT_A_DIAGNOSIS + " Follow your physiotherapist's plan; use formcoach to check how you move.")
    for title, k in (("Camera set-up", "setup"), ("What each camera placement checks", "views"),
                     ("What formcoach checks", "checks"), ("Targets", "targets"), ("What it cannot see", "limits")):
        st.subheader(title)
        st.markdown(spec.guide.get(k) or "-")
    st.warning(SAFETY_MESSAGE, icon="⚠️")


def access_gate() -> None:
    """Render nothing else until ``formcoach.access`` admits this tab (a password when served to the network)."""
    try:
        secrets = st.secrets.to_dict()
    except FileNotFoundError:  # no secrets.toml
        secrets = {}
    gate = access.decide(st.get_option("server.address"), secrets)
    if gate.gate is access.Gate.OPEN or st.session_state.get(ACCESS_KEY):
        return
    st.title("formcoach")
    if gate.gate is access.Gate.REFUSED:
        st.error(gate.message)
        st.stop()
    with st.form("login"):
        password = st.text_input("Password", type="password")
        sent = st.form_submit_button("Open formcoach")
    if sent:
        client = st.context.ip_address
        wait = access.THROTTLE.wait_s(client)
        if wait > 0:
            st.error(f"Too many wrong passwords: try again in {wait:.0f} s.")
            st.stop()
        if gate.admits(password):
            access.THROTTLE.succeeded(client)
            st.session_state[ACCESS_KEY] = True
            st.rerun()
        access.THROTTLE.failed(client)
        st.error("Wrong password.")
    st.stop()


def main() -> None:
    access_gate()
    s = state()
    exercise, mode, pain = sidebar(s)
    coach = s.live.coach
    if mode != MODES[0] and coach is not None and coach.started and not coach.finished:
        finish_live(s, coach, pain)  # left the live page mid-stream: the camera stops, the set is saved
    if mode == MODES[0]:
        live_page(s, exercise, pain)
    elif mode == MODES[1]:
        upload_page(s, exercise, pain)
    elif mode == MODES[2]:
        review_page(s)
    elif mode == MODES[4]:
        from ui.plan import plan_page

        plan_page(s)
    else:
        guide_page(exercise)


main()

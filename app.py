"""formcoach: the page. Run with ``streamlit run app.py``.

A thin page: the work happens in ``formcoach.live`` (webcam coach), ``formcoach.upload`` (video
files), ``formcoach.history`` (SQLite) and ``formcoach.charts``. The page keeps one typed
``CoachSession`` in ``st.session_state[SESSION_KEY]``; the webcam callback never calls ``st.*``.
"""

from __future__ import annotations

import hashlib
import html
import json
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from exercises.base import SAFETY_MESSAGE, Severity
from exercises.registry import EXERCISES
from formcoach import charts
from formcoach.history import History, HistoryError, NewSession, default_db_path, pain_advice, summary_details
from formcoach.live import ConfigError, LiveStatus, rtc_configuration
from formcoach.session import SESSION_KEY, CoachSession, LiveOutcome, UploadOutcome
from formcoach.upload import MAX_UPLOAD_MB, VIDEO_SUFFIXES, UploadError, analyse_upload, fault_rows, rep_rows

MODES = ("Practise live", "Upload a video", "Review history", "Exercise guide", "Plan and progress")
NOT_A_DIAGNOSIS = "formcoach gives feedback on how you move. It is not a diagnosis or a treatment plan."
POLL_S = 0.25

st.set_page_config(page_title="formcoach - back-care form coach", layout="wide")


def state() -> CoachSession:
    if SESSION_KEY not in st.session_state:
        st.session_state[SESSION_KEY] = CoachSession(db_path=str(default_db_path()))
    return st.session_state[SESSION_KEY]


@contextmanager
def open_history(s: CoachSession):
    try:
        h = History(s.db_path)
    except HistoryError as e:
        st.error(f"History is unavailable: {e}")
        yield None
        return
    try:
        yield h
    except HistoryError as e:  # damage found while reading or writing: one message, the page goes on
        st.error(f"History is unavailable: {e}")
    finally:
        h.close()


def fmt_s(v: float) -> str:
    return f"{v:.0f} s" if v >= 10 else f"{v:.1f} s"


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
        path = st.text_input("History file", value=s.db_path, key="db_path",
                             help="One SQLite file. Also settable with the FORMCOACH_DB environment variable.")
        if path.strip() and path.strip() != s.db_path:
            s.db_path = str(Path(path.strip()).expanduser())
        s.speak = st.checkbox("Speak cues aloud (live)", value=False, key="speak",
                              help="Uses your browser's speech. Untick to mute.")
    return exercise, mode, pain


# --- live -------------------------------------------------------------------------------------

def live_page(s: CoachSession, exercise: str, pain_before: int | None) -> None:
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    spec = EXERCISES[exercise]
    st.header(f"Practise live: {spec.display_name}")
    st.caption("Press START and allow the camera. " + spec.guide.get("setup", ""))
    try:
        rtc = rtc_configuration()
    except ConfigError as e:
        st.error(str(e))
        return
    coach = s.live.ensure(exercise)
    left, right = st.columns([3, 2])
    with left:
        ctx = webrtc_streamer(
            key="live", mode=WebRtcMode.SENDRECV, rtc_configuration=rtc,
            server_rtc_configuration=rtc, frontend_rtc_configuration=rtc,
            video_frame_callback=s.live, async_processing=True,
            media_stream_constraints={"video": {"width": 640, "height": 480}, "audio": False},
            video_html_attrs={"autoPlay": True, "controls": False, "muted": True, "style": {"width": "100%"}})
    with right:
        board = st.empty()
        voice = st.empty()
    if ctx.state.playing:
        if coach.exercise != exercise:
            st.info(f"Still coaching {EXERCISES[coach.exercise].display_name}: press STOP to switch exercise.")
        while ctx.state.playing:
            status = coach.status()
            with board.container():
                scoreboard(status, EXERCISES[coach.exercise])
            if status.cue is not None and status.cue_seq != s.spoken_cue_seq:
                s.spoken_cue_seq = status.cue_seq
                if s.speak:
                    with voice:
                        speak(status.cue.message, status.cue_seq)
            time.sleep(POLL_S)
        return
    if ctx.state.signalling:
        return  # connecting: frames may already flow before "playing" reaches this script
    if coach.started and not coach.finished:
        finish_live(s, coach, pain_before)
    if s.last_live is not None:
        live_summary(s)


def scoreboard(status: LiveStatus, spec) -> None:
    v = status.verdict
    if status.error:
        st.error(f"Live analysis problem: {status.error}")
    if not status.running or v is None:
        st.info("Waiting for the camera...")
        return
    cols = st.columns(3)
    if spec.timed:
        cols[0].metric("Hold", fmt_s(v.hold_s))
        cols[1].metric("Good-form time", fmt_s(v.good_form_s))
    else:
        cols[0].metric("Reps left", v.reps_by_side.get("left", 0))
        cols[1].metric("Reps right", v.reps_by_side.get("right", 0))
    if spec.timed:
        cols[2].metric("Time with faults", fmt_s(max(0.0, v.hold_s - v.good_form_s)))
    else:
        cols[2].metric("Good-form time", fmt_s(v.good_form_s))
    if spec.timed:
        st.caption(f"Hold {v.hold_s:.1f} s · good form {v.good_form_s:.1f} s")
    else:
        st.caption(f"Reps left {v.reps_by_side.get('left', 0)} · right {v.reps_by_side.get('right', 0)} · "
                   f"hold {v.hold_s:.1f} s")
    cue = status.cue
    if cue is not None:
        box = st.warning if cue.severity >= Severity.WARNING else (
            st.success if cue.severity == Severity.POSITIVE else st.info)
        box(f"Cue: {cue.message}")
    if status.crowded:
        st.warning("More than one person in view: formcoach follows one person and may switch to the wrong "
                   "one. Ask others to step out of the picture.")
    if not v.judgeable:
        st.info("Can't judge from this view. " + spec.guide.get("setup", "Turn side-on to the camera, whole body "
                                                              "in the picture."))
    st.caption(f"{status.fps:.0f} fps processed · latency {status.latency_ms:.0f} ms "
               f"(p90 {status.latency_p90_ms:.0f}) · {status.frames_processed} frames")


def speak(message: str, seq: int) -> None:
    """Say a cue with the browser's speech synthesis (nothing leaves the machine)."""
    components.html(f"""<script>/* cue {seq} */
      let synth = window.speechSynthesis;
      try {{ synth = window.parent.speechSynthesis || synth; }} catch (e) {{ /* sandboxed: use our own */ }}
      if (synth) {{ synth.cancel(); synth.speak(new SpeechSynthesisUtterance({json.dumps(message)})); }}
    </script>""", height=0)


def finish_live(s: CoachSession, coach, pain_before: int | None) -> None:
    summary = coach.finish()
    sid, err = None, None
    if summary is not None:
        with open_history(s) as h:
            if h is not None:
                try:
                    sid = h.save_session(NewSession.from_summary(
                        summary, source="live", duration_s=coach.duration_s, details=summary_details(summary),
                        pain_before=pain_before))
                except (sqlite3.Error, HistoryError, ValueError) as e:  # shown to the user; the summary stays on screen
                    err = f"could not save to history: {e}"
    s.last_live = LiveOutcome(coach.exercise, summary, coach.duration_s, sid, err)


def live_summary(s: CoachSession) -> None:
    o = s.last_live
    spec = EXERCISES[o.exercise]
    st.subheader(f"Session summary: {spec.display_name}, {fmt_s(o.duration_s)}")
    if o.summary is None:
        st.info("Nothing was analysed in that session.")
        return
    summary_metrics(o.summary, spec)
    rows = rep_rows(o.summary)
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    if o.error:
        st.error(o.error)
    elif o.session_id is not None:
        st.success(f"Saved to history (session {o.session_id}).")
        pain_after_form(s, o.session_id, key="live")


def summary_metrics(summary, spec, narrow: bool = False) -> None:
    cols = [c for row in ([st.columns(2), st.columns(2)] if narrow else [st.columns(4)]) for c in row]
    cols[0].metric("Reps (left / right)", f"{summary.reps_by_side.get('left', 0)} / "
                                          f"{summary.reps_by_side.get('right', 0)}")
    cols[1].metric("Time in position" if spec.timed else "Time held", fmt_s(summary.hold_s))
    cols[2].metric("Good-form time", fmt_s(summary.good_form_s))
    cols[3].metric("Can't judge", fmt_s(summary.cant_judge_s))
    lost = {k: v for k, v in summary.seconds_lost_by_fault.items() if v > 0}
    if lost:
        st.caption("Time lost to faults: " + ", ".join(f"{k.replace('_', ' ')} {fmt_s(v)}" for k, v in lost.items()))


def pain_after_form(s: CoachSession, session_id: int, key: str) -> None:
    with st.form(f"pain_{key}_{session_id}"):
        st.markdown("**How is your back now?**")
        rated = st.select_slider("Pain now (0 = none, 10 = worst)", options=["not rated", *range(11)],
                                 value="not rated")
        sharp = st.checkbox("I felt sharp or shooting pain")
        radiating = st.checkbox("Pain spread into my buttock or leg")
        after = None if rated == "not rated" else int(rated)
        if st.form_submit_button("Save pain rating"):
            if after is None and not (sharp or radiating):
                st.warning("Choose a pain rating (or tick a box) before saving: nothing was saved.")
                return
            with open_history(s) as h:
                if h is not None:
                    h.set_pain(session_id, after=after, sharp=sharp, radiating=radiating)
                    row = h.get(session_id)
                    s.pain_saved[session_id] = pain_advice(row.pain_before, after, sharp=sharp, radiating=radiating)
    if session_id in s.pain_saved:
        advice = s.pain_saved[session_id]
        if advice:
            st.error(advice, icon="🛑")
        else:
            st.success("Pain rating saved.")


# --- upload -----------------------------------------------------------------------------------

def upload_page(s: CoachSession, exercise: str, pain_before: int | None) -> None:
    spec = EXERCISES[exercise]
    st.header(f"Check a video: {spec.display_name}")
    st.caption(f"Film side-on, whole body in view. Up to {MAX_UPLOAD_MB} MB. The video is analysed on this "
               "machine and deleted afterwards unless you choose to keep it.")
    up = st.file_uploader("Video file", type=[x.lstrip(".") for x in VIDEO_SUFFIXES], key="upload")
    keep = st.checkbox("Keep the annotated video with this session in my history", value=False, key="keep")
    if st.button("Analyse", type="primary", key="analyse", disabled=up is None):
        data = up.getvalue()
        file_key = hashlib.sha256(data).hexdigest()[:16]
        bar = st.progress(0.0, text="Starting")
        keep_dir = Path(s.db_path).parent / "videos" if keep else None
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
        st.error(s.upload_error)
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
    st.subheader(f"{html.escape(o.result.display_name)}: {spec.display_name}")
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
        st.markdown("**Key angles over time** (dashed lines: rep start/end; red bands: faults)")
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
        if reps:
            st.dataframe(pd.DataFrame([{"rep": r.idx + 1, "side": r.side, "duration_s": round(r.duration_s, 1),
                                        "hold_s": round(r.hold_s, 1), "faults": ", ".join(r.faults) or "-",
                                        "verdict": r.verdict, "coaching": r.coaching} for r in reps]),
                         hide_index=True, width="stretch")
        faults = h.faults(sid)
        if faults:
            st.dataframe(pd.DataFrame(faults), hide_index=True, width="stretch")
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
            h.delete_session(sid)
            if row.video_path:
                Path(row.video_path).unlink(missing_ok=True)
            st.rerun()


# --- guide ------------------------------------------------------------------------------------

def guide_page(exercise: str) -> None:
    spec = EXERCISES[exercise]
    st.header(f"Exercise guide: {spec.display_name}")
    st.info(NOT_A_DIAGNOSIS + " Follow your physiotherapist's plan; use formcoach to check how you move.")
    for title, k in (("Camera set-up", "setup"), ("What formcoach checks", "checks"), ("Targets", "targets"),
                     ("What it cannot see", "limits")):
        st.subheader(title)
        st.markdown(spec.guide.get(k) or "-")
    st.warning(SAFETY_MESSAGE, icon="⚠️")


def main() -> None:
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
        from app_plan import plan_page

        plan_page(s, open_history)
    else:
        guide_page(exercise)


main()

"""The live page: a guided set you can follow from the mat, 2-3 m from the screen.

Layout: the targets (editable, from the prescriptions) and the voice and full-screen switches, the
video as wide as the screen's height allows, then right under it the cue in large high-contrast
type, the phase, reps per side and the hold timer in large type, and one small diagnostics line.
The webcam worker thread feeds ``LiveCoach`` and its ``GuidedSet``; this script only reads their
snapshots, redrawing every ``POLL_S`` seconds while the camera plays (no ``st.*`` from the video thread).
"""

from __future__ import annotations

import html
import math
import sqlite3
import time

import pandas as pd
import streamlit as st

from exercises.common import unseen_note
from exercises.registry import EXERCISES
from formcoach.guided import PLANK_LEVELS, GuidedSet, GuidedStatus, Phase, SetSummary, fault_words, prescription
from formcoach.history import HistoryError, NewSession, summary_details
from formcoach.live import ConfigError, LiveCoach, LiveStatus, rtc_configuration
from formcoach.prefs import Prefs, load_prefs, prefs_path, save_prefs
from formcoach.session import CoachSession, LiveOutcome
from formcoach.upload import rep_rows

from .common import fmt_s, open_history, pain_after_form, summary_metrics
from .voice import fullscreen_button, speak_queue

POLL_S = 0.3

CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 1.5rem; }
.st-key-fc_video iframe { max-width: calc((100vh - 400px) * 4 / 3); min-width: 320px; display: block;
  margin: 0 auto; }
.fc-cue { font: 700 40px/1.2 system-ui, sans-serif; padding: 12px 20px; border-radius: 10px; margin: 6px 0 10px;
  background: #111; color: #fff; min-height: 1.2em; overflow-wrap: anywhere; }
.fc-cue.fc-warn { background: #ffd400; color: #000; }
.fc-cue.fc-good { background: #0b5d1e; color: #fff; }
.fc-cue.fc-big { font-size: 96px; text-align: center; }
.fc-row { display: flex; flex-wrap: wrap; gap: 12px 36px; align-items: baseline; }
.fc-head { font: 700 34px/1.2 system-ui, sans-serif; color: inherit; flex: 1 1 320px; }
.fc-num { font: 800 56px/1.1 system-ui, sans-serif; white-space: nowrap; }
.fc-num small { font-size: 28px; font-weight: 600; opacity: .75; }
.fc-sum { font: 500 26px/1.35 system-ui, sans-serif; padding: 10px 16px; border: 3px solid #0b5d1e;
  border-radius: 10px; margin: 8px 0; }
.fc-diag { font: 12px/1.3 ui-monospace, monospace; opacity: .7; margin-top: 6px; }
:fullscreen [data-testid="stSidebar"], :fullscreen header { display: none; }
</style>"""


# --- targets and prefs --------------------------------------------------------------------------

def _q(name: str, default: float) -> float:
    """A target from the page's link (e.g. a physiotherapist's ``?reps=8&hold=5``), else ``default``."""
    try:
        v = float(st.query_params.get(name, default))
    except (TypeError, ValueError):
        return default
    return v if math.isfinite(v) and v >= 0 else default


def target_inputs(exercise: str, disabled: bool = False):
    """Editable targets, defaulting to the prescription (and to the page link's values)."""
    spec = EXERCISES[exercise]
    with st.expander(f"Set targets (usual prescription: {prescription(exercise).describe()})", expanded=False):
        c = st.columns(4)
        if spec.timed:
            keys = [lv.key for lv in PLANK_LEVELS]
            wanted = st.query_params.get("level")
            level = c[0].selectbox("Level", keys, index=keys.index(wanted) if wanted in keys else 0,
                                   format_func=lambda k: next(lv.label for lv in PLANK_LEVELS if lv.key == k),
                                   key=f"t_{exercise}_level", disabled=disabled)
            base = prescription(exercise, level)
            hold = c[1].number_input("Hold (s, good form)", 5, 300, int(_q("hold", base.hold_s)), 5,
                                     key=f"t_{exercise}_hold_{level}", disabled=disabled)
            reps = 0
        else:
            base = prescription(exercise)
            level = ""
            reps = c[0].number_input("Good reps per side", 1, 30, int(_q("reps", base.reps_per_side)),
                                     key=f"t_{exercise}_reps", disabled=disabled)
            hold = c[1].number_input("Hold each rep (s)", 1.0, 20.0, float(_q("hold", base.hold_s)), 0.5,
                                     key=f"t_{exercise}_hold", disabled=disabled)
        sets = c[2].number_input("Sets", 1, 10, int(_q("sets", base.sets)), key=f"t_{exercise}_sets",
                                 disabled=disabled)
        rest = c[3].number_input("Rest between sets (s)", 0, 600, int(_q("rest", base.rest_s)), 5,
                                 key=f"t_{exercise}_rest", disabled=disabled)
        st.caption("The repetitions and holds come from the exercise's usual prescription; follow your "
                   "physiotherapist's numbers where they differ. Only reps and hold time with good form count.")
    from dataclasses import replace

    return replace(base, sets=int(sets), reps_per_side=int(reps), hold_s=float(hold), rest_s=float(rest),
                   level=level)


def voice_switch(s: CoachSession) -> bool:
    """The voice on/off switch, remembered per user beside the history file; True when muted."""
    path = prefs_path(s.db_path)
    prefs, why = load_prefs(path)
    if why and not st.session_state.get("_prefs_warned"):
        st.session_state["_prefs_warned"] = True
        st.warning(why)
    on = st.toggle("Voice coach", value=not prefs.voice_muted, key="voice_on",
                   help="Your browser's own speech (local voices only). Remembered for next time.")
    if on == prefs.voice_muted:
        try:
            save_prefs(path, Prefs(voice_muted=not on))
        except OSError as e:
            st.warning(f"Could not remember the voice setting: {e}")
    return not on


def _coach(exercise: str) -> LiveCoach:
    return LiveCoach(exercise, build_in_background=True)


# --- the page -----------------------------------------------------------------------------------

def live_page(s: CoachSession, exercise: str, pain_before: int | None) -> None:
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    spec = EXERCISES[exercise]
    st.markdown(CSS, unsafe_allow_html=True)
    try:
        rtc = rtc_configuration()
    except ConfigError as e:
        st.error(str(e))
        return
    current = s.live.coach
    running = current is not None and current.started and not current.finished
    head = st.container()
    # The stream first: a script run interrupted before it renders the component would reset the
    # stream (streamlit-webrtc treats a run without it as the page having been left).
    with st.container(key="fc_video"):
        ctx = webrtc_streamer(
            key="live", mode=WebRtcMode.SENDRECV, rtc_configuration=rtc,
            server_rtc_configuration=rtc, frontend_rtc_configuration=rtc,
            video_frame_callback=s.live, async_processing=True,
            media_stream_constraints={"video": {"width": 640, "height": 480}, "audio": False},
            video_html_attrs={"autoPlay": True, "controls": False, "muted": True, "style": {"width": "100%"}})
    with head:
        top = st.columns([5, 2, 2], vertical_alignment="center")
        top[0].subheader(f"Practise live: {spec.display_name}")
        with top[1]:
            muted = voice_switch(s)
        with top[2]:
            fullscreen_button()
        setup = st.empty()  # targets and instructions; cleared once the coach is running
        if running and current.guided is not None:
            target = current.guided.target  # fixed for the session: the page stays uncluttered
        else:
            with setup.container():
                target = target_inputs(exercise, disabled=False)
                st.caption(f"**This session: {target.describe()}.** Press START and allow the camera, then get "
                           "into position: the coach counts you in. " + spec.guide.get("setup", ""))
    # A new coach (and guided set) only while the camera is off: a finished one keeps its summary on screen.
    coach = current if ctx.state.playing and current is not None else s.live.ensure(exercise, factory=_coach)
    if not coach.started and coach.exercise == exercise:
        g = coach.guided
        if g is None or g.target != target:
            coach.guided = GuidedSet(target)
    if ctx.state.playing and coach.exercise != exercise:
        st.info(f"Still coaching {EXERCISES[coach.exercise].display_name}: press STOP to switch exercise.")
    if ctx.state.playing and not coach.finished:
        coach_loop(s, ctx, coach, pain_before, muted, setup)
        if not coach.finished:
            return
    elif ctx.state.signalling:
        return  # connecting: frames may already flow before "playing" reaches this script
    elif coach.started and not coach.finished:
        finish_live(s, coach, pain_before)
    if s.last_live is not None:
        live_summary(s)


def coach_loop(s: CoachSession, ctx, coach, pain_before: int | None, muted: bool, setup) -> None:
    """Redraw the coach view every ``POLL_S`` while the camera plays (one long script run: a
    streamlit-webrtc stream does not survive fragment re-runs, which count as script runs)."""
    g = coach.guided
    board, voice, notes = st.empty(), st.empty(), st.empty()
    if g is not None and st.button("Stop the set", key="guided_stop"):
        g.stop()
    said = None
    while ctx.state.playing:
        if coach.started:
            setup.empty()
        status = coach.status()
        gs = g.status() if g is not None else None
        board.markdown(coach_html(status, gs, EXERCISES[coach.exercise]), unsafe_allow_html=True)
        if gs is not None and (gs.utterances[-1].id if gs.utterances else 0) != said:
            said = gs.utterances[-1].id if gs.utterances else 0
            with voice:
                speak_queue(g.key, gs.utterances, muted)
        with notes.container():
            if status.error:
                st.error(f"Live analysis problem: {status.error}")
            if status.crowded:
                st.warning("More than one person in view: formcoach follows one person and may switch to the "
                           "wrong one. Ask others to step out of the picture.")
            _unseen_warning(status.unseen_s)
        if gs is not None and gs.finished and coach.started:
            finish_live(s, coach, pain_before)  # the whole session is done: saved without a touch
            board.markdown(coach_html(coach.status(), g.status(), EXERCISES[coach.exercise]),
                           unsafe_allow_html=True)
            return
        time.sleep(POLL_S)


def _unseen_warning(unseen_s: float) -> None:
    """The note on time no frame covered (exercises.common.unseen_note), as a sentence; nothing below 1 s."""
    note = unseen_note(unseen_s)
    if note:
        st.warning(note[0].upper() + note[1:] + ".")


def coach_html(status: LiveStatus, g: GuidedStatus | None, spec) -> str:
    """The coach view under the video (HTML; all text escaped)."""
    e = html.escape
    v = status.verdict
    phase = g.phase if g is not None else Phase.POSITION
    cue_cls, cue = "fc-cue", ""
    if not status.running or v is None:
        cue = "Starting the coach..."
    elif g is not None and phase == Phase.COUNTDOWN:
        cue_cls, cue = "fc-cue fc-big", str(g.countdown_left)
    elif g is not None and phase == Phase.REST:
        cue_cls, cue = "fc-cue fc-good", f"Rest {g.rest_left_s:.0f} s"
    elif g is not None and phase in (Phase.SET_COMPLETE, Phase.DONE, Phase.STOPPED):
        cue_cls, cue = "fc-cue fc-good", {Phase.SET_COMPLETE: "Set complete. Well done!",
                                          Phase.DONE: "Session complete. Well done!", Phase.STOPPED: "Stopped"}[phase]
    else:
        cue = (g.cue if g is not None else (status.cue.message if status.cue else "")) or ""
        sev = g.cue_severity if g is not None else (int(status.cue.severity) if status.cue else 1)
        if not v.judgeable and not cue:
            cue = "Can't judge from this view. " + spec.guide.get("setup", "")
        if cue:
            cue_cls += " fc-warn" if sev >= 3 else (" fc-good" if sev == 0 else "")
        elif g is not None and phase == Phase.ACTIVE:  # nothing to correct: what to do
            cue = ("Hold one straight line and keep breathing." if g.target.timed else
                   f"Slowly reach out, hold {g.target.hold_s:g} s, and come back.")
    history = " ".join(p.value for p in g.history) if g is not None else ""
    parts = [f'<div class="fc-coach" data-fc-phase="{e(phase.value)}" data-fc-history="{e(history)}">',
             f'<div class="{cue_cls}" data-fc-cue>{e(cue) or "&nbsp;"}</div>']
    if g is not None:
        tg = g.target
        nums = []
        if tg.timed:
            nums.append(f'<span class="fc-num" data-fc-hold>{g.hold_s:.0f}<small> / {tg.hold_s:.0f} s</small></span>')
        else:
            for side, letter in (("left", "L"), ("right", "R")):
                nums.append(f'<span class="fc-num" data-fc-{side}>{letter} {g.reps_by_side.get(side, 0)}'
                            f'<small> / {tg.reps_per_side}</small></span>')
            if g.hold_s > 0:
                nums.append(f'<span class="fc-num">Hold {g.hold_s:.1f}<small> / {tg.hold_s:g} s</small></span>')
        parts.append(f'<div class="fc-row"><span class="fc-head" data-fc-headline>{e(g.headline)}</span>'
                     f'{"".join(nums)}</div>')
        if g.sets and phase in (Phase.SET_COMPLETE, Phase.REST, Phase.DONE, Phase.STOPPED):
            parts.append(f'<div class="fc-sum" data-fc-summary>{e(set_text(g.sets[-1], tg.timed))}</div>')
    if v is not None:
        r = v.reps_by_side
        diag = (f"Reps left {r.get('left', 0)} · right {r.get('right', 0)} · hold {v.hold_s:.1f} s · "
                f"{status.fps:.0f} fps processed · latency {status.latency_ms:.0f} ms "
                f"(p90 {status.latency_p90_ms:.0f}) · {status.frames_processed} frames")
        parts.append(f'<div class="fc-diag" data-fc-diag>{e(diag)}</div>')
    parts.append("</div>")
    return "".join(parts)


def set_text(s: SetSummary, timed: bool) -> str:
    """One set's summary in words."""
    if timed:
        out = f"Set {s.index}: {s.good_hold_s:.0f} s with good form."
    else:
        r, a = s.reps_by_side, s.attempts_by_side
        out = (f"Set {s.index}: {r.get('left', 0)} left, {r.get('right', 0)} right counted "
               f"({a.get('left', 0) + a.get('right', 0)} tried).")
        if s.best_hold_s > 0:
            out += f" Best hold {s.best_hold_s:.1f} s, average {s.avg_hold_s:.1f} s."
    if s.faults:
        out += " Faults: " + ", ".join(f"{fault_words(k)} ×{n}" for k, n in s.faults.items()) + "."
    elif s.not_checked:
        out += " No faults seen in what was checked."
    else:
        out += " No form faults seen."
    if s.not_checked:
        out += " Not checked: " + ", ".join(fault_words(k) for k in s.not_checked) + "."
    if s.work_on:
        out += f" Next time: {s.work_on}"
    return out


def set_rows(sets: list[dict]) -> list[dict]:
    """Table rows for sets as stored in history (``SetSummary.to_dict``): words and rounded numbers."""
    rows = []
    for x in sets:
        by_side = x.get("reps_by_side") or {}
        row = {"set": x.get("set"), "complete": "yes" if x.get("complete") else "stopped"}
        if by_side:
            row |= {"left": by_side.get("left", 0), "right": by_side.get("right", 0),
                    "tried": sum((x.get("attempts_by_side") or {}).values()),
                    "best hold (s)": round(x.get("best_hold_s", 0.0), 1),
                    "average hold (s)": round(x.get("avg_hold_s", 0.0), 1)}
        else:
            row["good-form hold (s)"] = round(x.get("good_hold_s", 0.0))
        row["faults"] = ", ".join(f"{fault_words(k)} x{n}" for k, n in (x.get("faults") or {}).items()) or "none"
        row["rest after (s)"] = round(x.get("rest_s", 0.0))
        rows.append(row)
    return rows


# --- end of a session ---------------------------------------------------------------------------

def finish_live(s: CoachSession, coach, pain_before: int | None) -> None:
    """Stop the coach and save the session (the guided sets' reps, and the set structure) to history."""
    g = getattr(coach, "guided", None)
    if g is not None:
        g.stop()
    summary = coach.finish()
    sid, err = None, None
    gs = g.status() if g is not None else None
    if summary is not None:
        details = summary_details(summary)
        if g is not None and g.windows():
            summary = g.session_summary(summary)
            details = {**summary_details(summary), **g.details()}
        unseen = unseen_note(summary.unseen_s)
        if unseen:  # listed with the session, as an upload's warnings are (the PDF report shows them)
            details["warnings"] = [unseen]
        with open_history(s) as h:
            if h is not None:
                try:
                    sid = h.save_session(NewSession.from_summary(
                        summary, source="live", duration_s=coach.duration_s, details=details,
                        pain_before=pain_before))
                except (sqlite3.Error, HistoryError, ValueError) as e:  # shown; the summary stays on screen
                    err = f"could not save to history: {e}"
    s.last_live = LiveOutcome(coach.exercise, summary, coach.duration_s, sid, err, guided=gs)


def live_summary(s: CoachSession) -> None:
    o = s.last_live
    spec = EXERCISES[o.exercise]
    st.subheader(f"Session summary: {spec.display_name}, {fmt_s(o.duration_s)}")
    gs = o.guided
    if gs is not None and gs.sets:
        for x in gs.sets:
            st.markdown(f'<div class="fc-sum" data-fc-summary>{html.escape(set_text(x, gs.target.timed))}</div>',
                        unsafe_allow_html=True)
        st.dataframe(pd.DataFrame(set_rows([x.to_dict() for x in gs.sets])), hide_index=True, width="stretch")
    if o.summary is None:
        st.info("Nothing was analysed in that session.")
        return
    _unseen_warning(o.summary.unseen_s)
    summary_metrics(o.summary, spec)
    rows = rep_rows(o.summary)
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    if o.error:
        st.error(o.error)
    elif o.session_id is not None:
        st.success(f"Saved to history (session {o.session_id}).")
        pain_after_form(s, o.session_id, key="live")

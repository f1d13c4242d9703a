"""Page helpers shared by the modes: history access, number formatting, summary metrics, pain form."""

from __future__ import annotations

from contextlib import contextmanager

import streamlit as st

from formcoach.history import History, HistoryError, pain_advice
from formcoach.session import CoachSession


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


def summary_metrics(summary, spec, narrow: bool = False) -> None:
    cols = [c for row in ([st.columns(2), st.columns(2)] if narrow else [st.columns(4)]) for c in row]
    cols[0].metric("Reps (left / right)", f"{summary.reps_by_side.get('left', 0)} / "
                                          f"{summary.reps_by_side.get('right', 0)}")
    cols[1].metric("Time in position" if spec.timed else "Time held", fmt_s(summary.hold_s))
    cols[2].metric("Good-form time", fmt_s(summary.good_form_s))
    cols[3].metric("Can't judge", fmt_s(summary.cant_judge_s))
    lost = {k: v for k, v in summary.seconds_lost_by_fault.items() if v > 0}
    if lost:
        from formcoach.guided import fault_words

        st.caption("Time lost to faults: " + ", ".join(f"{fault_words(k)} {fmt_s(v)}" for k, v in lost.items()))


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

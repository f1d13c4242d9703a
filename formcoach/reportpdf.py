"""The physiotherapist's report: one session, or every session in a date range, as PDF (fpdf2) or HTML.

Contents per session: patient-entered pain (before/after, sharp, radiating) with the stop advice,
plan vs done (the plan step in force that day, from :mod:`formcoach.progression`), the totals,
a key-angle chart (from the angle series stored with uploaded sessions), the key frames stored in
the history (:mod:`formcoach.keyframes`), the per-rep table and the fault intervals. A date-range
report starts with an overview: sessions, adherence and the progression measures per week, and
the 24-hour check-ins. Every page says that formcoach gives feedback on movement, not a diagnosis.

Times are seconds from the start of the video; angles degrees; dates the user's local days.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from exercises.base import SAFETY_MESSAGE

from .history import History, KeyFrame, RepRow, SessionRow, not_checked_notes, pain_advice
from .plan import Plan, Step, display_name
from .programme import checkins, current_plan, local_day, session_facts
from .progression import measure_text, replay, weekly_progress

DISCLAIMER = ("Feedback on movement, not a diagnosis. formcoach measures body landmarks from video; it does not "
              "assess the spine, pain or tissue. Pain ratings are entered by the patient.")
KEY_METRICS = {"plank": ("hip_deviation_deg", "head_drop_deg"), "dead_bug": ("arch_deg", "leg_elevation_deg"),
               "bird_dog": ("hip_roll_deg", "back_bend_deg")}


class ReportError(ValueError):
    """The report cannot be made (one line for the user)."""


@dataclass
class SessionData:
    row: SessionRow
    day: date
    reps: list[RepRow]
    faults: list[dict[str, Any]]
    keyframes: list[KeyFrame]
    series: dict[str, list[float | None]]
    planned: Step | None
    plan_note: str
    warnings: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)  # what the checker never judges, each with why

    @property
    def title(self) -> str:
        return f"Session {self.row.id}: {display_name(self.row.exercise)}"


@dataclass
class ReportData:
    title: str
    period: str
    plan_name: str
    sessions: list[SessionData]
    progress: list[dict[str, Any]] = field(default_factory=list)
    checkins: list[dict[str, Any]] = field(default_factory=list)
    is_range: bool = False


# --- collecting ----------------------------------------------------------------------------------

def _session_data(h: History, row: SessionRow, plan: Plan | None, facts, cks) -> SessionData:
    d = local_day(row.created_at)
    details = h.details(row.id)
    series = details.get("chart_series") or {}
    planned, note = None, "no plan on record"
    if plan is not None:
        if row.exercise in plan.ladders and d >= plan.start_date:
            st = replay(plan, [f for f in facts if f.day < d], [c for c in cks if c.day <= d], d)
            if row.exercise in st.steps:
                i = st.steps[row.exercise].step
                planned = plan.ladders[row.exercise][i]
                why = [x.reason for x in st.today() if x.exercise == row.exercise]
                note = f"step {i + 1} of {len(plan.ladders[row.exercise])}" + (f"; {why[0]}" if why else "")
                if st.paused:
                    note = "the plan was paused that day: " + st.paused
            else:
                note = f"not yet in the plan that day (its phase had not begun; plan started {plan.start_date})"
        elif d < plan.start_date:
            note = f"before the plan started ({plan.start_date})"
        else:
            note = "this exercise is not in the plan"
    return SessionData(row, d, h.reps(row.id), h.faults(row.id), h.keyframes(row.id), series, planned, note,
                       list(details.get("warnings") or []), not_checked_notes(details))


def collect_session(h: History, session_id: int) -> ReportData:
    row = h.get(session_id)
    if row is None:
        raise ReportError(f"no session {session_id} in {h.path.name} (formcoach report --list shows them)")
    plan = _plan_or_none(h)
    data = _session_data(h, row, plan, session_facts(h), checkins(h))
    return ReportData(f"formcoach session report: {display_name(row.exercise)}",
                      f"{row.created_at.astimezone():%Y-%m-%d %H:%M}", plan.name if plan else "-", [data])


def collect_range(h: History, start: date, end: date) -> ReportData:
    if end < start:
        raise ReportError(f"--to {end} is before --from {start}")
    plan = _plan_or_none(h)
    facts, cks = session_facts(h), checkins(h)
    rows = [r for r in reversed(h.sessions()) if start <= local_day(r.created_at) <= end]
    sessions = [_session_data(h, r, plan, facts, cks) for r in rows]
    progress = []
    if plan is not None:
        progress = [p for p in weekly_progress(plan, [f for f in facts if f.day <= end], end)
                    if date.fromisoformat(p["from"]) + timedelta(days=6) >= start]
    ck = [c for c in h.checkins() if start <= date.fromisoformat(c["day"]) <= end]
    return ReportData("formcoach progress report", f"{start} to {end}", plan.name if plan else "-", sessions,
                      progress, ck, is_range=True)


def _plan_or_none(h: History) -> Plan | None:
    if h.current_plan_json() is None:
        return None
    return current_plan(h, date.today(), create=False)[0]


# --- shared bits ----------------------------------------------------------------------------------

def _pain(r: SessionRow) -> tuple[str, str | None]:
    b = "-" if r.pain_before is None else f"{r.pain_before}/10"
    a = "not rated" if r.pain_after is None else f"{r.pain_after}/10"
    flags = [w for w, on in (("sharp or shooting pain", r.pain_sharp), ("radiating pain", r.pain_radiating)) if on]
    text = f"before {b}, after {a}" + (f"; reported {' and '.join(flags)}" if flags else "")
    return text, pain_advice(r.pain_before, r.pain_after, sharp=r.pain_sharp, radiating=r.pain_radiating)


def _done(r: SessionRow) -> str:
    rate = "-" if r.fault_rate is None else f"{100 * r.fault_rate:.0f} %"
    if r.rep_count:
        return (f"{r.reps_left} left / {r.reps_right} right reps, {r.hold_s:.1f} s held at full reach, "
                f"fault rate {rate}")
    return f"{r.hold_s:.0f} s in position, {r.good_form_s:.0f} s with good form, fault rate {rate}"


def _rep_table(s: SessionData) -> tuple[list[str], list[list[str]]]:
    head = ["#", "side", "from-to (s)", "hold (s)", "verdict", "faults", "coaching"]
    rows = [[str(r.idx + 1), r.side, f"{r.start_s:.1f}-{r.end_s:.1f}", f"{r.hold_s:.1f}", r.verdict,
             ", ".join(f.replace("_", " ") for f in r.faults) or "-", r.coaching] for r in s.reps]
    return head, rows


def _fault_table(s: SessionData) -> tuple[list[str], list[list[str]]]:
    head = ["fault", "from (s)", "to (s)", "worst (deg)"]
    return head, [[f["type"].replace("_", " "), f"{f['start_s']:.1f}", f"{f['end_s']:.1f}",
                   f"{f['magnitude_deg']:.0f}"] for f in s.faults]


def _progress_table(rows: Sequence[dict]) -> tuple[list[str], list[list[str]]]:
    head = ["exercise", "week", "sessions / planned", "measure", "fault rate", "pain before / after"]

    def f(v, fmt="{:g}"):
        return "-" if v is None else fmt.format(v)

    out = []
    for r in rows:
        m = measure_text(r)
        out.append([display_name(r["exercise"]), str(r["week"]), f"{r['sessions']} / {r['planned']}", m,
                    f(r["fault_rate"] and 100 * r["fault_rate"], "{:.0f} %") if r["fault_rate"] is not None else "-",
                    f"{f(r['pain_before'])} / {f(r['pain_after'])}"])
    return head, out


def _chart_lines(s: SessionData) -> tuple[list[float], dict[str, list[float | None]]]:
    t = [float(x) for x in s.series.get("t_s", []) if x is not None]
    metrics = {m: s.series[m] for m in KEY_METRICS.get(s.row.exercise, ()) if m in s.series}
    return t, metrics


def _scale(t: list[float], metrics: dict[str, list[float | None]], w: float, h: float):
    """Map the series to a w x h box (y up is larger). Returns (polylines per metric, y range, x range)."""
    vals = [v for vs in metrics.values() for v in vs if v is not None and math.isfinite(v)]
    if not t or not vals:
        return None
    lo, hi = min(vals), max(vals)
    if hi - lo < 5:
        lo, hi = lo - 2.5, hi + 2.5
    t0, t1 = t[0], max(t[-1], t[0] + 1e-6)
    lines = {}
    for m, vs in metrics.items():
        segs, cur = [], []
        for ti, v in zip(t, vs):
            if v is None or not math.isfinite(v):
                if len(cur) > 1:
                    segs.append(cur)
                cur = []
                continue
            cur.append(((ti - t0) / (t1 - t0) * w, h - (v - lo) / (hi - lo) * h))
        if len(cur) > 1:
            segs.append(cur)
        lines[m] = segs
    return lines, (lo, hi), (t0, t1)


COLOURS = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (148, 103, 189))


# --- PDF ------------------------------------------------------------------------------------------

def _latin(text: Any) -> str:
    """Core PDF fonts are Latin-1: replace the few other characters formcoach writes."""
    s = str(text)
    for a, b in (("\u2013", "-"), ("\u2014", "-"), ("\u2212", "-"), ("\u2192", "->"), ("\u2026", "..."),
                 ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"'), ("\u2264", "<="), ("\u2265", ">=")):
        s = s.replace(a, b)
    return s.encode("latin-1", "replace").decode("latin-1")


def render_pdf(data: ReportData) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos
    from fpdf.fonts import FontFace

    class Doc(FPDF):
        def footer(self) -> None:
            self.set_y(-13)
            self.set_font("Helvetica", "I", 7)
            self.set_text_color(90)
            self.multi_cell(0, 3.2, _latin(f"{DISCLAIMER} {SAFETY_MESSAGE}  Page {self.page_no()}"), align="C")
            self.set_text_color(0)

    pdf = Doc(format="A4", unit="mm")
    pdf.set_auto_page_break(True, margin=16)
    pdf.set_title(_latin(data.title))
    pdf.set_creator("formcoach")
    nl = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}

    def heading(text: str, size: int = 12) -> None:
        pdf.set_font("Helvetica", "B", size)
        pdf.cell(0, size * 0.55, _latin(text), **nl)
        pdf.set_font("Helvetica", "", 9)

    def para(text: str, style: str = "", size: int = 9) -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(0, 4.4, _latin(text), **nl)
        pdf.set_font("Helvetica", "", 9)

    def table(head: list[str], rows: list[list[str]], widths: tuple[float, ...]) -> None:
        pdf.set_font("Helvetica", "", 7.5)
        with pdf.table(col_widths=widths, line_height=3.8, text_align="LEFT", first_row_as_headings=True,
                       headings_style=FontFace(emphasis="BOLD", fill_color=(232, 232, 232))) as t:
            for r in [head, *rows]:
                row = t.row()
                for c in r:
                    row.cell(_latin(c))
        pdf.set_font("Helvetica", "", 9)
        pdf.ln(2)

    def banner() -> None:
        pdf.set_fill_color(255, 243, 205)
        pdf.set_font("Helvetica", "B", 9)
        pdf.multi_cell(0, 4.6, _latin(DISCLAIMER), fill=True, border=0, padding=1.5, **nl)
        pdf.set_font("Helvetica", "", 9)
        pdf.set_fill_color(255)
        pdf.ln(2)

    pdf.add_page()
    heading(data.title, 16)
    para(f"{data.period}   plan: {data.plan_name}")
    banner()
    if data.is_range:
        heading("Overview")
        if not data.sessions:
            para("No sessions in this period.")
        else:
            table(["session", "day", "exercise", "done", "pain"],
                  [[str(s.row.id), s.day.isoformat(), display_name(s.row.exercise), _done(s.row), _pain(s.row)[0]]
                   for s in data.sessions], (14, 22, 24, 78, 52))
        if data.progress:
            heading("Progress and adherence by week")
            table(*_progress_table(data.progress), (24, 12, 26, 64, 20, 34))
        if data.checkins:
            heading("24-hour check-ins (is the back worse than the day before?)")
            para(", ".join(f"{c['day']}: {c['answer']}" + (" (clinician seen)" if c["seen_clinician"] else "")
                           for c in data.checkins))
    for k, s in enumerate(data.sessions):
        if data.is_range or k:
            pdf.add_page()
        _pdf_session(pdf, s, heading, para, table)
    return bytes(pdf.output())


def _pdf_session(pdf, s: SessionData, heading, para, table) -> None:
    r = s.row
    heading(s.title, 13)
    para(f"{r.created_at.astimezone():%Y-%m-%d %H:%M}, {r.source}, {r.duration_s:.0f} s")
    pain, advice = _pain(r)
    heading("Pain (patient-entered, 0-10)", 10)
    para(pain)
    if advice:
        pdf.set_text_color(180, 0, 0)
        para(advice, "B")
        pdf.set_text_color(0)
    heading("Plan vs done", 10)
    para(f"Planned: {s.planned.label() if s.planned else '-'} ({s.plan_note})")
    para(f"Done: {_done(r)}; {r.cant_judge_s:.0f} s could not be judged from the view")
    for w in s.warnings:
        para(f"Note: {w}", "I")
    for why in s.not_checked:
        para(why, "I")
    t, metrics = _chart_lines(s)
    heading("Key angles over time", 10)
    scaled = _scale(t, metrics, 170.0, 42.0)
    if scaled is None:
        para("No angle series stored for this session (live sessions and sessions saved before this version "
             "keep none).", "I")
    else:
        lines, (lo, hi), (t0, t1) = scaled
        if pdf.will_page_break(56):
            pdf.add_page()
        x0, y0 = pdf.l_margin + 10, pdf.get_y() + 2
        pdf.set_fill_color(250, 215, 215)
        for f in s.faults:
            a = (max(f["start_s"], t0) - t0) / (t1 - t0) * 170.0
            b = (min(f["end_s"], t1) - t0) / (t1 - t0) * 170.0
            if b > a:
                pdf.rect(x0 + a, y0, max(b - a, 0.4), 42.0, style="F")
        pdf.set_draw_color(150)
        pdf.rect(x0, y0, 170.0, 42.0)
        pdf.set_font("Helvetica", "", 6.5)
        for v, y in ((hi, y0), (lo, y0 + 42.0)):
            pdf.text(pdf.l_margin, y + 1, f"{v:.0f}")
        pdf.text(x0, y0 + 46, f"{t0:.0f} s")
        pdf.text(x0 + 160, y0 + 46, f"{t1:.0f} s")
        legend_x = x0 + 30
        for (m, segs), col in zip(lines.items(), COLOURS):
            pdf.set_draw_color(*col)
            pdf.set_line_width(0.35)
            for seg in segs:
                pdf.polyline([(x0 + x, y0 + y) for x, y in seg])
            pdf.line(legend_x, y0 + 45, legend_x + 6, y0 + 45)
            pdf.text(legend_x + 7, y0 + 46, _latin(m.replace("_deg", " (deg)").replace("_", " ")))
            legend_x += 45
        pdf.set_line_width(0.2)
        pdf.set_draw_color(0)
        pdf.set_fill_color(255)
        pdf.text(legend_x, y0 + 46, "red bands: faults")
        pdf.set_y(y0 + 49)
        pdf.set_font("Helvetica", "", 9)
    heading("Key frames", 10)
    if not s.keyframes:
        para("No key frames stored (live sessions keep no pictures; uploads keep the worst frame of each fault "
             "and the best rep).", "I")
    else:
        w = 88.0
        for i, kf in enumerate(s.keyframes):
            h_img = w * _jpeg_aspect(kf.jpeg)
            if i % 2 == 0:
                if pdf.will_page_break(h_img + 8):
                    pdf.add_page()
                row_y = pdf.get_y()
            x = pdf.l_margin + (i % 2) * (w + 4)
            pdf.image(io.BytesIO(kf.jpeg), x=x, y=row_y, w=w)
            pdf.set_xy(x, row_y + h_img + 0.5)
            pdf.set_font("Helvetica", "B" if kf.kind == "fault" else "", 7.5)
            pdf.cell(w, 4, _latin(("Fault: " if kf.kind == "fault" else "") + kf.label))
            if i % 2 == 1 or i == len(s.keyframes) - 1:
                pdf.set_xy(pdf.l_margin, row_y + h_img + 6)
        pdf.set_font("Helvetica", "", 9)
    if s.reps:
        heading("Each rep", 10)
        table(*_rep_table(s), (7, 11, 20, 13, 16, 33, 90))
    if s.faults:
        heading("Form faults", 10)
        table(*_fault_table(s), (60, 30, 30, 30))


def _jpeg_aspect(jpeg: bytes) -> float:
    import cv2
    import numpy as np

    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_8)
    if img is None:
        return 0.75
    return img.shape[0] / img.shape[1]


# --- HTML -----------------------------------------------------------------------------------------

def render_html(data: ReportData) -> str:
    e = html.escape
    out = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(data.title)}</title>",
           "<style>body{font:14px system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
           "table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ccc;padding:2px 6px;"
           "text-align:left;font-size:12px}.note{background:#fff3cd;padding:.5em;font-weight:bold}"
           ".stop{color:#b00;font-weight:bold}figure{display:inline-block;margin:0 1em 1em 0;width:46%}"
           "figure img{width:100%}section{border-top:2px solid #888;margin-top:2em}</style></head><body>",
           f"<h1>{e(data.title)}</h1><p>{e(data.period)} &middot; plan: {e(data.plan_name)}</p>",
           f"<p class='note'>{e(DISCLAIMER)}</p>"]

    def tab(head, rows):
        return ("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr>"
                + "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows) + "</table>")

    if data.is_range:
        out.append("<h2>Overview</h2>")
        out.append(tab(["session", "day", "exercise", "done", "pain"],
                       [[str(s.row.id), s.day.isoformat(), display_name(s.row.exercise), _done(s.row),
                         _pain(s.row)[0]] for s in data.sessions]) if data.sessions else "<p>No sessions.</p>")
        if data.progress:
            out.append("<h2>Progress and adherence by week</h2>" + tab(*_progress_table(data.progress)))
        if data.checkins:
            out.append("<h2>24-hour check-ins</h2><p>" + e(", ".join(f"{c['day']}: {c['answer']}"
                                                                      for c in data.checkins)) + "</p>")
    for s in data.sessions:
        r = s.row
        pain, advice = _pain(r)
        out.append(f"<section><h2>{e(s.title)}</h2><p>{r.created_at.astimezone():%Y-%m-%d %H:%M}, {e(r.source)}, "
                   f"{r.duration_s:.0f} s</p><h3>Pain (patient-entered, 0-10)</h3><p>{e(pain)}</p>")
        if advice:
            out.append(f"<p class='stop'>{e(advice)}</p>")
        out.append(f"<h3>Plan vs done</h3><p>Planned: {e(s.planned.label() if s.planned else '-')} "
                   f"({e(s.plan_note)})<br>Done: {e(_done(r))}</p>")
        out.extend(f"<p><i>{e(text)}</i></p>" for text in [f"Note: {w}" for w in s.warnings] + s.not_checked)
        out.append("<h3>Key angles over time</h3>" + _svg_chart(s))
        out.append("<h3>Key frames</h3>")
        if not s.keyframes:
            out.append("<p><i>No key frames stored (live sessions keep no pictures).</i></p>")
        for kf in s.keyframes:
            b64 = base64.b64encode(kf.jpeg).decode()
            out.append(f"<figure><img alt='{e(kf.label)}' src='data:image/jpeg;base64,{b64}'>"
                       f"<figcaption>{'Fault: ' if kf.kind == 'fault' else ''}{e(kf.label)}</figcaption></figure>")
        if s.reps:
            out.append("<h3>Each rep</h3>" + tab(*_rep_table(s)))
        if s.faults:
            out.append("<h3>Form faults</h3>" + tab(*_fault_table(s)))
        out.append("</section>")
    out.append(f"<p><small>{e(DISCLAIMER)} {e(SAFETY_MESSAGE)}</small></p></body></html>")
    return "\n".join(out)


def _svg_chart(s: SessionData) -> str:
    t, metrics = _chart_lines(s)
    scaled = _scale(t, metrics, 700.0, 160.0)
    if scaled is None:
        return "<p><i>No angle series stored for this session.</i></p>"
    lines, (lo, hi), (t0, t1) = scaled
    parts = ["<svg viewBox='-40 -10 760 200' width='100%' role='img' aria-label='key angles over time'>"]
    for f in s.faults:
        a = (max(f["start_s"], t0) - t0) / (t1 - t0) * 700
        b = (min(f["end_s"], t1) - t0) / (t1 - t0) * 700
        if b > a:
            parts.append(f"<rect x='{a:.1f}' y='0' width='{max(b - a, 1):.1f}' height='160' fill='#fad7d7'/>")
    parts.append("<rect x='0' y='0' width='700' height='160' fill='none' stroke='#999'/>")
    parts.append(f"<text x='-35' y='8' font-size='10'>{hi:.0f}</text><text x='-35' y='160' font-size='10'>"
                 f"{lo:.0f}</text><text x='0' y='175' font-size='10'>{t0:.0f} s</text>"
                 f"<text x='670' y='175' font-size='10'>{t1:.0f} s</text>")
    lx = 100
    for (m, segs), col in zip(lines.items(), COLOURS):
        c = "rgb({},{},{})".format(*col)
        for seg in segs:
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in seg)
            parts.append(f"<polyline points='{pts}' fill='none' stroke='{c}' stroke-width='1.5'/>")
        parts.append(f"<text x='{lx}' y='190' font-size='10' fill='{c}'>{html.escape(m)}</text>")
        lx += 160
    parts.append(f"<text x='{lx}' y='190' font-size='10'>red bands: faults</text></svg>")
    return "".join(parts)

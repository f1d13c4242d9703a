"""Altair charts for the page: key angles over time, and progress over days."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from exercises.base import ExerciseSummary

from .report import Report


def metric_unit(name: str) -> str:
    """The unit a metric is in, from its name: ``*_deg`` degrees, ``*_frac`` a 0-1 fraction."""
    return "deg" if name.endswith("_deg") else ("fraction" if name.endswith("_frac") else "value")


UNIT_TITLES = {"deg": "angle (degrees)", "fraction": "fraction (0 = start, 1 = full reach)", "value": "value"}


def metric_label(name: str) -> str:
    return name.removesuffix("_deg").removesuffix("_frac").replace("_", " ")


def angle_frame(report: Report, metrics: Sequence[str]) -> pd.DataFrame:
    t = report.series.get("t_s", [])
    rows = []
    for m in metrics:
        for ti, v in zip(t, report.series.get(m, [])):
            rows.append({"t_s": ti, "metric": metric_label(m), "unit": metric_unit(m),
                         "value": v if v is not None and math.isfinite(v) else None})
    return pd.DataFrame(rows, columns=["t_s", "metric", "unit", "value"])


def fault_frame(summary: ExerciseSummary | None) -> pd.DataFrame:
    from .guided import fault_words

    return pd.DataFrame([{"start": f.start_s, "end": f.end_s, "fault": fault_words(f.type)}
                         for f in (summary.faults if summary else ())], columns=["start", "end", "fault"])


def angle_chart(report: Report, metrics: Sequence[str], summary: ExerciseSummary | None = None) -> alt.VConcatChart:
    """Key metrics over time, one chart per unit (degrees apart from 0-1 fractions), each with the rep
    boundaries as dashed rules and the fault intervals as red bands labelled with the fault's name."""
    summary = summary if summary is not None else report.summary
    df = angle_frame(report, metrics)
    faults = fault_frame(summary)
    reps = pd.DataFrame([{"t": t, "rep": f"rep {i + 1} ({r.side})", "edge": edge}
                         for i, r in enumerate(summary.reps if summary else ())
                         for t, edge in ((r.start_s, "start"), (r.end_s, "end"))], columns=["t", "rep", "edge"])
    t_max = float(df["t_s"].max()) if len(df) else 1.0
    x_scale = alt.Scale(domain=[0, t_max])
    panels = []
    for unit in [u for u in ("deg", "fraction", "value") if (df["unit"] == u).any()]:
        part = df[df["unit"] == unit]
        layers: list[Any] = []
        if len(faults):
            layers.append(alt.Chart(faults).mark_rect(opacity=0.18, color="#d62728").encode(
                x=alt.X("start:Q", title="time (s)", scale=x_scale), x2="end:Q", tooltip=["fault", "start", "end"]))
            layers.append(alt.Chart(faults).mark_text(align="left", baseline="top", dx=2, dy=2, color="#9b1c1c",
                                                      fontSize=11).encode(
                x=alt.X("start:Q", scale=x_scale), y=alt.value(0), text="fault:N"))
        if len(reps):
            layers.append(alt.Chart(reps).mark_rule(strokeDash=[4, 3], color="#555").encode(
                x=alt.X("t:Q", title="time (s)", scale=x_scale), tooltip=["rep", "edge", "t"]))
        y = alt.Y("value:Q", title=UNIT_TITLES[unit],
                  scale=alt.Scale(domain=[0, 1]) if unit == "fraction" else alt.Undefined)
        layers.append(alt.Chart(part).mark_line().encode(
            x=alt.X("t_s:Q", title="time (s)", scale=x_scale), y=y, color=alt.Color("metric:N", title=unit),
            tooltip=["metric", "t_s", "value"]))
        panels.append(alt.layer(*layers).properties(height=200 if unit == "deg" else 130))
    return alt.vconcat(*panels).resolve_scale(color="independent")


PROGRESS_MEASURES = (("reps", "Reps per day"), ("good_form_s", "Good-form time per day (s)"),
                     ("fault_pct", "Fault rate (%)"))


def progress_frame(daily: Sequence[dict[str, Any]], names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per day and exercise: reps, good-form seconds, fault rate in percent (None if unknown)."""
    names = names or {}
    rows = [{"day": d["day"], "exercise": names.get(d["exercise"], d["exercise"]), "reps": d["reps"],
             "good_form_s": round(d["good_form_s"] or 0.0, 1),
             "fault_pct": None if d["fault_rate"] is None else round(100 * d["fault_rate"], 1)} for d in daily]
    return pd.DataFrame(rows, columns=["day", "exercise", "reps", "good_form_s", "fault_pct"])


def progress_chart(daily: Sequence[dict[str, Any]], names: Mapping[str, str] | None = None) -> alt.HConcatChart:
    """Per day and exercise, side by side: reps, good-form time, fault rate."""
    df = progress_frame(daily, names)
    charts = []
    for col, title in PROGRESS_MEASURES:
        y = alt.Y(f"{col}:Q", title=None, scale=alt.Scale(domain=[0, 100]) if col == "fault_pct" else alt.Undefined)
        charts.append(alt.Chart(df, title=title).mark_line(point=True).encode(
            x=alt.X("day:T", title=None, axis=alt.Axis(format="%d %b", tickCount="day")), y=y,
            color=alt.Color("exercise:N", title="exercise"),
            tooltip=["day", "exercise", alt.Tooltip(f"{col}:Q", title=title)]).properties(width=220, height=160))
    return alt.hconcat(*charts)


def weekly_progress_chart(rows: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> alt.Chart:
    """Per exercise and programme week: the progression measure (plank best good-form hold, s; rep
    exercises reps per side) as points and lines, faceted by exercise."""
    data = []
    for r in rows:
        if "best_good_form_hold_s" in r:
            measure, value = "best good-form hold (s)", r["best_good_form_hold_s"]
        else:
            measure, value = "reps per side", r.get("reps_per_side")
        data.append({"exercise": names.get(r["exercise"], r["exercise"]), "week": r["week"], "measure": measure,
                     "value": value, "adherence": r.get("adherence")})
    df = pd.DataFrame(data, columns=["exercise", "week", "measure", "value", "adherence"])
    return alt.Chart(df).mark_line(point=True).encode(
        x=alt.X("week:O", title="programme week"), y=alt.Y("value:Q", title=None),
        color=alt.Color("exercise:N"), tooltip=["exercise", "week", "measure", "value", "adherence"],
    ).properties(height=220)

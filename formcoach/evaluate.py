"""``formcoach eval LABELS``: score the exercise checkers against labelled clips.

LABELS is a ``labels.json`` list (the real-clip set in ``../shared/videos``), a single clip label
(``formcoach.label/1``, as written next to each rendered clip in ``sample_videos/``), a folder
holding either, or several of these joined with commas. Videos are found next to their labels.

Per clip it reports: detection rate; reps per side (label sides that are unknown -> totals are
compared); hold error (plank: time in position; rep exercises: per-rep hold, reps matched by
time); for each labelled fault of ``MIN_SCORED_FAULT_DEG`` or more the share of its full-magnitude
interval during which the checker had that fault active (recall) and the onset latency (first
active frame minus the interval start; negative = caught on the ramp-in), or "not checked"
where the checker says it did not judge it (:func:`score_faults`, shared with the corpus eval); false-cue time (fault
active outside every labelled fault interval, widened by its ramps and ``FAULT_MARGIN_S``) as
seconds and as a share of the clean judged time; can't-judge seconds.

Targets (reported, never asserted): clean clips no fault cue, reps exact, holds within
``HOLD_TOL_S``; rendered faults of 10 deg or more flagged >= 95 % of their duration with onset
<= 0.5 s; <= 3 % of clean time cued.

Pose landmarks are cached per video (file hash + model) under the user cache dir, so re-running
after a checker change costs only the checkers; ``FORMCOACH_EVAL_NO_CACHE=1`` disables it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exercises.base import FrameVerdict, Severity
from exercises.pose import PoseFrame
from vision.models import DEFAULT_MODEL

LABEL_SCHEMA = "formcoach.label/1"
MIN_SCORED_FAULT_DEG = 10.0
FAULT_MARGIN_S = 0.5
HOLD_TOL_S = 0.5
TARGET_RECALL = 0.95
TARGET_ONSET_S = 0.5
TARGET_FALSE_PCT = 3.0


@dataclass
class ClipLabel:
    name: str
    video: Path
    exercise: str
    source: str  # "real" | "rendered"
    reps_by_side: dict[str, int | None] | None  # None: not a rep exercise
    total_reps: int | None
    reps: list[dict] = field(default_factory=list)  # rendered: per-rep times and holds
    hold_s: float | None = None
    faults: list[dict] = field(default_factory=list)
    view: str = "side"
    uncertain: bool = False


def _real_labels(path: Path) -> list[ClipLabel]:
    out = []
    for e in json.loads(path.read_text()):
        reps = e.get("reps")
        by_side = total = None
        if isinstance(reps, dict):
            by_side = {"left": reps.get("left"), "right": reps.get("right")}
            total = reps.get("total_extensions")
        out.append(ClipLabel(
            name=Path(e["file"]).stem, video=path.parent / e["file"], exercise=e["exercise"], source="real",
            reps_by_side=by_side, total_reps=total, hold_s=e.get("hold_s"),
            faults=[dict(f, magnitude_deg=f.get("magnitude_deg", math.inf), ramp_s=f.get("ramp_s", 0.0))
                    for f in e.get("faults", [])],
            view=e.get("view", "side"), uncertain=bool(e.get("uncertain", {}).get("flag"))))
    return out


def _clip_label(path: Path, d: dict) -> ClipLabel:
    video = path.parent / d.get("file", path.stem + ".mp4")
    reps = d.get("reps") or []
    by_side = None
    if d["exercise"] != "plank":
        by_side = {s: int(d.get("reps_by_side", {}).get(s, sum(r["side"] == s for r in reps)))
                   for s in ("left", "right")}
    return ClipLabel(
        name=path.stem, video=video, exercise=d["exercise"], source="rendered", reps_by_side=by_side,
        total_reps=len(reps) if by_side is not None else None, reps=list(reps),
        hold_s=d.get("hold_s") if d["exercise"] == "plank" else None, faults=list(d.get("faults", [])),
        view=d.get("view", "side"))


def load_labels(spec: str) -> list[ClipLabel]:
    """Labels from a file, a folder, or several comma-separated paths."""
    out: list[ClipLabel] = []
    for part in [p for p in spec.split(",") if p.strip()]:
        p = Path(part.strip())
        if p.is_dir():
            files = sorted(p.glob("*.json"))
        elif p.is_file():
            files = [p]
        else:
            raise ValueError(f"labels not found: {str(p)!r}")
        for f in files:
            try:
                d = json.loads(f.read_text())
            except json.JSONDecodeError as e:
                raise ValueError(f"{f}: not valid JSON ({e})") from None
            if isinstance(d, list):
                out.extend(_real_labels(f))
            elif isinstance(d, dict) and d.get("schema") == LABEL_SCHEMA:
                out.append(_clip_label(f, d))
    if not out:
        raise ValueError(f"no clip labels found in {spec!r}")
    return out


# --- poses -------------------------------------------------------------------------------------
def _cache_dir() -> Path | None:
    if os.environ.get("FORMCOACH_EVAL_NO_CACHE"):
        return None
    try:
        from platformdirs import user_cache_dir
    except ImportError:
        return None
    return Path(user_cache_dir("formcoach")) / "eval"


def _mediapipe_version() -> str:
    from importlib.metadata import version

    return version("mediapipe")


def pipeline_settings(model: str):
    """The analysis options ``formcoach analyze`` uses (without the people check, which shapes no pose)
    and a string naming every setting that shapes the poses: model, confidences, smoothing, scaling and
    the mediapipe release. Landmark caches are keyed by it, so a changed default never serves stale ones."""
    from formcoach.engine import AnalysisOptions
    from vision.pose import PoseOptions

    opts = AnalysisOptions(exercise="plank", pose=PoseOptions(model=model), people_check_interval_s=None)
    return opts, repr((opts.pose, opts.smoothing, opts.max_side_px, _mediapipe_version()))


def poses_for(video: Path, model: str) -> list[PoseFrame]:
    """Smoothed poses of a video as the engine produces them (cached by file hash and settings)."""
    from formcoach.engine import analyze_video
    from formcoach.recording import load_frames, save_frames

    opts, settings = pipeline_settings(model)
    h = hashlib.sha256(video.read_bytes())
    h.update(settings.encode())
    digest = h.hexdigest()[:16]
    cache = _cache_dir()
    cached = cache / f"{video.stem}-{digest}-{Path(model).name}.npz" if cache else None
    if cached is not None and cached.is_file():
        return load_frames(cached)
    report = analyze_video(video, opts)
    poses = list(report.poses)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        save_frames(cached, poses, {"video": video.name, "model": model, "mediapipe": _mediapipe_version()})
    return poses


# --- scoring -----------------------------------------------------------------------------------
def _frame_steps(verdicts: list[FrameVerdict]) -> list[tuple[float, float, FrameVerdict]]:
    """(t, dt, verdict): each frame stands for the time until the next one."""
    out = []
    for i, v in enumerate(verdicts):
        nxt = verdicts[i + 1].timestamp_s if i + 1 < len(verdicts) else v.timestamp_s + (
            v.timestamp_s - verdicts[i - 1].timestamp_s if i else 0.0)
        out.append((v.timestamp_s, max(0.0, nxt - v.timestamp_s), v))
    return out


def _warning_faults(v: FrameVerdict) -> set[str]:
    return set(v.active_faults)


def score_faults(faults: list[dict], steps: list[tuple[float, float, FrameVerdict]], summary) -> list[dict]:
    """Each labelled fault against the checker's frames: the one scorer of ``formcoach eval`` (clips) and
    ``formcoach eval corpus``.

    A fault's window is its full-magnitude interval; ``recall`` = flagged time / window time. Window time the
    checker did not judge is ``not_checked_s``: the frame was not judgeable, the view did not let form be
    judged (``FrameVerdict.form_view``), the rep holding the window lists the fault as unchecked, or the
    checker never judges that fault (its summary's ``not_checked``). ``status``: ``caught`` (flagged >= half
    the window), ``not_checked`` (not judged over >= half of it, and said so), else ``missed``.
    """
    never = set(summary.extra.get("not_checked", {}) or {})
    reps = list(summary.reps)
    out = []
    for f in faults:
        a, b, ramp = f["start_s"], f["end_s"], f.get("ramp_s", 0.0)
        rep = next((r for r in reps if r.start_s <= b and r.end_s >= a), None)
        rep_unchecked = f["type"] in never or (rep is not None and f["type"] in rep.unchecked)
        inside = flagged = unchecked = 0.0
        onset = None
        for t, dt, v in steps:
            if a <= t < b:
                inside += dt
                if f["type"] in v.active_faults:
                    flagged += dt
                elif rep_unchecked or not v.judgeable or not v.form_view:
                    unchecked += dt
            if onset is None and a - ramp <= t <= b and f["type"] in v.active_faults:
                onset = t - a
        d = {"type": f["type"], "magnitude_deg": f.get("magnitude_deg"), "start_s": a, "end_s": b,
             "window_s": round(inside, 3), "flagged_s": round(flagged, 3), "not_checked_s": round(unchecked, 3),
             "rep_unchecked": rep_unchecked, "rep_found": rep is not None,
             "recall": round(flagged / inside, 3) if inside else None,
             "onset_s": round(onset, 3) if onset is not None else None}
        d["status"] = fault_status(d)
        out.append(d)
    return out


def fault_status(f: dict) -> str:
    """``caught`` (flagged over >= half its window), ``not_checked`` (not judged over >= half of it), ``missed``."""
    if f["window_s"] and f["flagged_s"] >= 0.5 * f["window_s"]:
        return "caught"
    if f["window_s"] and f["not_checked_s"] >= 0.5 * f["window_s"]:
        return "not_checked"
    return "missed"


def score_clip(label: ClipLabel, poses: list[PoseFrame], judged: Iterable[PoseFrame] | None = None) -> dict[str, Any]:
    """Score a clip: ``poses`` as the pipeline stores them (recognition reads these), ``judged`` as the checker
    judges them (:func:`formcoach.engine.poses_for_checker`; default: ``poses``)."""
    from exercises.registry import get_exercise

    checker = get_exercise(label.exercise).make_checker()
    verdicts = [checker.update(p) for p in (poses if judged is None else judged)]
    summary = checker.summary()
    steps = _frame_steps(verdicts)
    from exercises.recognize import guess_exercise

    det = sum(p.detected for p in poses) / max(len(poses), 1)
    res: dict[str, Any] = {"clip": label.name, "source": label.source, "exercise": label.exercise,
                           "recognised": guess_exercise(poses),
                           "view": label.view, "uncertain": label.uncertain, "detection_rate": round(det, 3),
                           "cant_judge_s": round(summary.cant_judge_s, 2)}
    # reps
    if label.reps_by_side is not None:
        pred = {s: int(summary.reps_by_side.get(s, 0)) for s in ("left", "right")}
        res["reps_pred"] = pred
        res["reps_label"] = label.reps_by_side
        if all(label.reps_by_side.get(s) is not None for s in ("left", "right")):
            err = {s: pred[s] - int(label.reps_by_side[s]) for s in ("left", "right")}
            res["rep_error_by_side"] = err
            res["reps_ok"] = all(e == 0 for e in err.values())
        else:
            res["rep_error_total"] = sum(pred.values()) - int(label.total_reps or 0)
            res["reps_ok"] = res["rep_error_total"] == 0
        res["incomplete_pred"] = sum(1 for r in summary.reps if r.verdict.value == "incomplete")
    # holds
    if label.exercise == "plank" and label.hold_s is not None:
        res["hold_pred_s"] = round(summary.hold_s, 2)
        res["hold_label_s"] = label.hold_s
        res["hold_error_s"] = round(summary.hold_s - label.hold_s, 2)
    elif label.reps:
        errs = []
        done = [r for r in summary.reps if r.verdict.value != "incomplete"]
        for lr in label.reps:
            best = max(done, default=None, key=lambda r: min(r.end_s, lr["end_s"]) - max(r.start_s, lr["start_s"]))
            if best is not None and min(best.end_s, lr["end_s"]) > max(best.start_s, lr["start_s"]):
                errs.append(best.hold_s - lr["hold_s"])
        if errs:
            res["hold_error_s"] = round(max(errs, key=abs), 2)
            res["hold_mean_abs_error_s"] = round(sum(abs(e) for e in errs) / len(errs), 2)
    if "hold_error_s" in res:
        res["hold_ok"] = abs(res["hold_error_s"]) <= HOLD_TOL_S
    # faults
    scored = score_faults([f for f in label.faults if "start_s" in f
                           and f.get("magnitude_deg", math.inf) >= MIN_SCORED_FAULT_DEG], steps, summary)
    res["faults"] = scored
    # false cues: any fault active outside labelled fault windows (widened)
    windows = [(f["start_s"] - f.get("ramp_s", 0.0) - FAULT_MARGIN_S,
                f["end_s"] + f.get("ramp_s", 0.0) + FAULT_MARGIN_S) for f in label.faults if "start_s" in f]
    clean = false = 0.0
    false_types: dict[str, float] = {}
    for t, dt, v in steps:
        if any(lo <= t <= hi for lo, hi in windows) or not v.judgeable:
            continue
        clean += dt
        active = _warning_faults(v)
        if active:
            false += dt
            for k in active:
                false_types[k] = false_types.get(k, 0.0) + dt
    res["clean_s"] = round(clean, 2)
    res["false_cue_s"] = round(false, 2)
    res["false_cue_pct"] = round(100.0 * false / clean, 1) if clean else 0.0
    res["false_cue_types"] = {k: round(v, 2) for k, v in sorted(false_types.items())}
    res["warning_cues"] = [c.to_dict() for c in summary.cues if c.severity is Severity.WARNING]
    res["summary"] = summary.to_dict()
    ok = [res.get("reps_ok", True), res.get("hold_ok", True), res["false_cue_pct"] <= TARGET_FALSE_PCT]
    # A fault the checker reports as not checked (from this view, or at all) is not a silent pass: it is
    # said in the report. Only judged faults must be found.
    ok += [s["status"] == "not_checked" or ((s["recall"] or 0) >= TARGET_RECALL and s["onset_s"] is not None
                                            and s["onset_s"] <= TARGET_ONSET_S) for s in scored]
    if label.source == "real" and not label.faults:
        ok.append(res["false_cue_s"] == 0.0)
    res["pass"] = all(ok)
    return res


# --- output ------------------------------------------------------------------------------------
def _fmt_reps(r: dict) -> str:
    if "reps_pred" not in r:
        return "-"
    p, lab = r["reps_pred"], r["reps_label"]
    if "rep_error_by_side" in r:
        return f"L{p['left']}/{lab['left']} R{p['right']}/{lab['right']}"
    inc = f" (+{r['incomplete_pred']} inc)" if r.get("incomplete_pred") else ""
    total = p["left"] + p["right"]
    return f"total {total}/{total - r['rep_error_total']}{inc}"


def format_table(results: list[dict]) -> str:
    head = ["clip", "exercise", "recognised", "det", "reps pred/label", "hold err s", "fault recall", "onset s",
            "false cue s (%)", "can't judge s", "pass"]
    rows = []
    for r in results:
        fr = ", ".join(f"{f['type']} not checked" if f.get("status") == "not_checked"
                       else f"{f['type']} {f['recall']:.2f}" if f["recall"] is not None else f"{f['type']} -"
                       for f in r["faults"]) or "-"
        on = ", ".join("-" if f["onset_s"] is None else f"{f['onset_s']:+.2f}" for f in r["faults"]) or "-"
        hold = "-"
        if "hold_error_s" in r:
            hold = f"{r['hold_error_s']:+.2f}"
            if "hold_pred_s" in r:
                hold += f" ({r['hold_pred_s']:.1f}/{r['hold_label_s']:.1f})"
        rows.append([r["clip"], r["exercise"], "ok" if r["recognised"] == r["exercise"] else str(r["recognised"]),
                     f"{r['detection_rate']:.2f}", _fmt_reps(r), hold, fr, on,
                     f"{r['false_cue_s']:.1f} ({r['false_cue_pct']:.1f})", f"{r['cant_judge_s']:.1f}",
                     "yes" if r["pass"] else "NO"])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]

    def line(cells) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"

    out = [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def aggregate(results: list[dict]) -> dict[str, Any]:
    recalls = [f["recall"] for r in results for f in r["faults"]
               if f["recall"] is not None and f.get("status") != "not_checked"]
    onsets = [f["onset_s"] for r in results for f in r["faults"] if f["onset_s"] is not None]
    clean = sum(r["clean_s"] for r in results)
    false = sum(r["false_cue_s"] for r in results)
    holds = [abs(r["hold_error_s"]) for r in results if "hold_error_s" in r]
    return {
        "clips": len(results), "passed": sum(r["pass"] for r in results),
        "reps_exact": sum(1 for r in results if r.get("reps_ok")),
        "rep_clips": sum(1 for r in results if "reps_ok" in r),
        "max_abs_hold_error_s": round(max(holds), 2) if holds else None,
        "min_fault_recall": round(min(recalls), 3) if recalls else None,
        "max_onset_s": round(max(onsets), 2) if onsets else None,
        "false_cue_pct": round(100 * false / clean, 2) if clean else 0.0,
        "recognised": sum(1 for r in results if r["recognised"] == r["exercise"]),
    }


def main(labels: str, json_out: str | None = None, model: str = DEFAULT_MODEL) -> int:
    from formcoach.engine import AnalysisError, poses_for_checker
    from vision.source import VideoError

    clips = load_labels(labels)
    smoothed_with = pipeline_settings(model)[0].smoothing
    results: list[dict] = []
    skipped: list[str] = []
    for i, lab in enumerate(clips, 1):
        if not lab.video.is_file():
            print(f"[{i}/{len(clips)}] {lab.name}: video missing ({lab.video}), skipped", file=sys.stderr)
            continue
        print(f"[{i}/{len(clips)}] {lab.name} ...", file=sys.stderr, flush=True)
        try:
            poses = poses_for(lab.video, model)
        except (VideoError, AnalysisError) as e:  # one unreadable clip must not stop the run
            print(f"[{i}/{len(clips)}] {lab.name}: skipped ({e})", file=sys.stderr)
            skipped.append(lab.name)
            continue
        judged = poses_for_checker(poses, lab.exercise, smoothed_with)
        results.append(score_clip(lab, poses, judged))
    print(format_table(results))
    agg = aggregate(results)
    agg["skipped"] = skipped
    print("aggregate: " + ", ".join(f"{k}={v}" for k, v in agg.items()))
    if json_out:
        Path(json_out).write_text(json.dumps({"model": model, "labels": labels, "aggregate": agg,
                                              "clips": results}, indent=1))
    return 0

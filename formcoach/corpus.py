"""The calibration corpus (``corpus/``): landmark caches and the by-split evaluation.

Layout: ``labels/<clip>.json`` (``formcoach.label/1`` with ``split``, ``body_id``, ``camera_id``,
``script``, ``tags``), ``landmarks/<model>/<clip>.npz`` (the product pipeline's smoothed poses,
compact, see :func:`formcoach.recording.save_frames`), ``videos/`` (git-ignored; only caching needs
them).

* ``python -m formcoach.corpus cache [corpus] [--models lite full] [--jobs 2]`` runs every video
  through the pipeline ``formcoach analyze`` uses (same model, confidences, One-Euro smoothing,
  scaling) and writes the caches; each cache records the settings and the video's hash.
* ``formcoach eval corpus --split validation|train|all [--model lite|full] [--json OUT]``
  replays the caches through today's checkers (no MediaPipe, no video) and prints per exercise
  and fault: recall against magnitude and the magnitude from which it stays >= 90 %, onset delay,
  time "not checked from this view", false-cue share of clean time; per exercise: reps exact per
  side, hold and good-form error; and the same grouped by camera (sorted by azimuth) and by body.
  ``--smoothing MIN_CUTOFF_HZ,BETA|none`` scores the poses as another landmark smoothing would have
  made them (the pipeline's One-Euro filter inverted, then the other one applied; see ``evaluate``).

Scoring conventions (media seconds; a frame stands for the time until the next one):

* A labelled fault's window is its full-magnitude interval ``[start_s, end_s]``. ``recall`` =
  time the checker had that fault active / window time. Time in the window that the checker
  could not judge (frame not judgeable, or the rep holding the window reports the fault as
  unchecked, e.g. a hidden far leg, or the view does not let form be judged,
  ``FrameVerdict.form_view``) is "not checked": it counts against recall and is shown
  on its own, so a view that hides a fault is never mistaken for a clean rep.
* Onset = first active frame in ``[start_s - ramp_s, end_s]`` minus ``start_s``.
* Clean time = judgeable time outside every fault window widened by its ramps and
  ``FAULT_MARGIN_S``; the false-cue share is the part of it with any fault active. Inside those
  windows, "other fault cued" is the judgeable time with a fault active that is not labelled
  there (a sag read as a head drop).
* Reps exact per side: predicted completed reps per side equal the label's. Hold error: plank
  time in position, or each labelled rep's hold against the overlapping predicted rep's.
  Good-form error: the checker's good-form seconds (plank: in position, rep exercises: held, each
  judged with no fault active) minus the label's good-form seconds over the same judged time. The
  label's good-form time is held time with no fault present; faults the checker never judges (its
  summary's ``not_checked``, e.g. the dead-bug arch) are left out of it, since no good-form figure can
  reflect them: the report lists them as not checked instead. Rep exercises: held time in frames whose
  view does not let form be judged (``form_view`` False, "turn side-on") is left out of the label's
  figure too, since the checker credits no good form it has not seen; that time is reported as
  ``good_form_unjudged_s``. (Plank labels carry no per-frame hold window, so plank compares totals.)
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from exercises.base import FrameVerdict
from vision.models import DEFAULT_MODEL
from vision.smoothing import OneEuroConfig, resmooth

from .evaluate import FAULT_MARGIN_S, LABEL_SCHEMA, fault_status, score_faults

SPLITS = ("train", "validation")
MODELS = ("lite", "full")
RECALL_GOAL = 0.9
SCORED_FROM_DEG = 10.0  # the grouped tables pool faults of at least this magnitude
#: faults each checker reports (a labelled type the checker has no code for is "not checked")
NOT_A_FAULT = ("rushing", "incomplete_extension")
PIPELINE = object()  # evaluate(smoothing=PIPELINE): the caches as the pipeline smoothed them


# --- files -------------------------------------------------------------------------------------
def is_corpus(path: str | os.PathLike) -> bool:
    p = Path(path)
    return p.is_dir() and (p / "labels").is_dir() and (p / "landmarks").is_dir()


def load_corpus_labels(root: Path, split: str = "all") -> list[dict]:
    out = []
    for f in sorted((root / "labels").glob("*.json")):
        d = json.loads(f.read_text())
        if d.get("schema") != LABEL_SCHEMA or "split" not in d:
            raise ValueError(f"{f}: not a corpus label ({LABEL_SCHEMA} with a split)")
        if split in ("all", d["split"]):
            d["name"] = f.stem
            d.pop("joints_2d", None)
            out.append(d)
    return out


def cache_path(root: Path, model: str, clip: str) -> Path:
    return root / "landmarks" / model / f"{clip}.npz"


# --- caching (runs MediaPipe) ------------------------------------------------------------------
def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cache_clip(root: Path, videos: Path, clip: str, model: str, force: bool = False) -> dict:
    """Run one corpus video through the product pipeline and write its compact landmark cache."""
    from .engine import analyze_video
    from .evaluate import pipeline_settings
    from .recording import load_meta, save_frames

    label = json.loads((root / "labels" / f"{clip}.json").read_text())
    video = videos / label["file"]
    out = cache_path(root, model, clip)
    opts, settings = pipeline_settings(model)
    digest = _sha256(video)
    if not force and out.is_file():
        meta = load_meta(out)
        if meta.get("settings") == settings and meta.get("video_sha256") == digest:
            return {"clip": clip, "model": model, "cached": True}
    t0 = time.perf_counter()
    report = analyze_video(video, opts)
    wall = time.perf_counter() - t0
    out.parent.mkdir(parents=True, exist_ok=True)
    save_frames(out, report.poses, {"video": label["file"], "video_sha256": digest, "model": model,
                                    "settings": settings, "analysis_s": round(wall, 2)}, compact=True)
    return {"clip": clip, "model": model, "cached": False, "frames": len(report.poses), "analysis_s": round(wall, 2)}


def _cache_worker(args: tuple) -> dict:
    root, videos, clip, model, force = args
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    return cache_clip(Path(root), Path(videos), clip, model, force)


def cache_main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m formcoach.corpus cache",
                                 description="Cache the corpus videos' landmarks with the product pipeline.")
    ap.add_argument("root", nargs="?", default="corpus")
    ap.add_argument("--videos", help="video folder (default ROOT/videos)")
    ap.add_argument("--models", nargs="+", default=list(MODELS))
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--only", nargs="*", help="clip names (default: every label whose video exists)")
    ap.add_argument("--force", action="store_true", help="re-run clips whose cache is current")
    args = ap.parse_args(argv)
    root = Path(args.root)
    videos = Path(args.videos) if args.videos else root / "videos"
    labels = args.only or [d["name"] for d in load_corpus_labels(root)]
    todo = [(str(root), str(videos), c, m, args.force) for m in args.models for c in labels
            if (videos / f"{c}.mp4").is_file()]
    missing = len(labels) * len(args.models) - len(todo)
    print(f"{len(todo)} clip x model caches to check ({missing} skipped: video missing)", file=sys.stderr)
    t0 = time.perf_counter()
    done = 0
    analysed = 0.0
    if args.jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.jobs) as ex:
            results: Iterable[dict] = ex.map(_cache_worker, todo)
            for r in results:
                done += 1
                analysed += r.get("analysis_s", 0.0)
                print(f"[{done}/{len(todo)}] {r['model']} {r['clip']}" + (" (current)" if r["cached"] else
                      f" {r['frames']} frames {r['analysis_s']} s"), file=sys.stderr, flush=True)
    else:
        for t in todo:
            r = _cache_worker(t)
            done += 1
            analysed += r.get("analysis_s", 0.0)
            print(f"[{done}/{len(todo)}] {r['model']} {r['clip']}" + (" (current)" if r["cached"] else
                  f" {r['frames']} frames {r['analysis_s']} s"), file=sys.stderr, flush=True)
    print(f"cached {done} in {time.perf_counter() - t0:.0f} s wall ({analysed:.0f} s of analysis)", file=sys.stderr)
    return 0


# --- scoring (no MediaPipe) --------------------------------------------------------------------
def _steps(verdicts: Sequence[FrameVerdict]) -> list[tuple[float, float, FrameVerdict]]:
    from .evaluate import _frame_steps

    return _frame_steps(list(verdicts))


def score_corpus_clip(label: dict, poses: Sequence) -> dict[str, Any]:
    """Score one clip's cached poses against its label (see the module docstring)."""
    from exercises.registry import get_exercise

    checker = get_exercise(label["exercise"]).make_checker()
    verdicts = [checker.update(p) for p in poses]
    summary = checker.summary()
    steps = _steps(verdicts)
    reps = list(summary.reps)
    res: dict[str, Any] = {
        "clip": label["name"], "exercise": label["exercise"], "variant": label.get("variant"),
        "split": label["split"], "body": label["body_id"], "camera": label["camera_id"],
        "azimuth_deg": label["camera"]["azimuth_deg"], "script": label.get("script"), "tags": label.get("tags", []),
        "detection_rate": round(sum(p.detected for p in poses) / max(len(poses), 1), 3),
        "cant_judge_s": round(summary.cant_judge_s, 2),
    }
    faults = score_faults(label["faults"], steps, summary)
    for f in faults:
        f["rep_found"] = f["rep_found"] if label["exercise"] != "plank" else None
    res["faults"] = faults
    windows = [(f["start_s"] - f.get("ramp_s", 0.0) - FAULT_MARGIN_S,
                f["end_s"] + f.get("ramp_s", 0.0) + FAULT_MARGIN_S) for f in label["faults"]]
    clean = false = 0.0
    false_types: dict[str, float] = defaultdict(float)
    for t, dt, v in steps:
        if any(lo <= t <= hi for lo, hi in windows) or not v.judgeable:
            continue
        clean += dt
        if v.active_faults:
            false += dt
            for k in v.active_faults:
                false_types[k] += dt
    # Inside fault windows: time another posture fault is cued that is not labelled there (a sag that
    # reads as a head drop is a wrong verdict too, and the clean-time share cannot see it).
    spans = [(f["type"], f["start_s"] - f.get("ramp_s", 0.0) - FAULT_MARGIN_S,
              f["end_s"] + f.get("ramp_s", 0.0) + FAULT_MARGIN_S) for f in label["faults"]]
    fault_t = wrong = 0.0
    for t, dt, v in steps:
        inside = {k for k, lo, hi in spans if lo <= t <= hi}
        if not inside or not v.judgeable:
            continue
        fault_t += dt
        if any(k not in inside for k in v.active_faults):
            wrong += dt
    res["fault_time_s"] = round(fault_t, 3)
    res["wrong_fault_s"] = round(wrong, 3)
    res["clean_s"] = round(clean, 3)
    res["false_cue_s"] = round(false, 3)
    res["false_cue_types"] = {k: round(v, 3) for k, v in sorted(false_types.items())}
    if label["exercise"] != "plank":
        pred = {s: int(summary.reps_by_side.get(s, 0)) for s in ("left", "right")}
        res["reps_pred"], res["reps_label"] = pred, dict(label["reps_by_side"])
        res["reps_exact"] = pred == {s: int(label["reps_by_side"][s]) for s in ("left", "right")}
        done = [r for r in reps if r.verdict.value != "incomplete"]
        errs = []
        for lr in label["reps"]:
            best = max(done, default=None, key=lambda r: min(r.end_s, lr["end_s"]) - max(r.start_s, lr["start_s"]))
            if best is not None and min(best.end_s, lr["end_s"]) > max(best.start_s, lr["start_s"]):
                errs.append(best.hold_s - lr["hold_s"])
        res["hold_errors_s"] = [round(e, 3) for e in errs]
        res["reps_rushing"] = sum(any(f.type == "rushing" for f in r.faults) for r in reps)
        res["reps_total"] = len(reps)
    else:
        res["hold_errors_s"] = [round(summary.hold_s - label["hold_s"], 3)]
    good = summary.good_form_s  # plank: in position, rep exercises: held, judged without a fault
    unchecked = set(summary.extra.get("not_checked", {}))
    if label["exercise"] == "plank":
        label_good, unjudged = float(label["good_form_s"]), 0.0  # no fault type is unchecked on the plank
    else:
        label_good, unjudged = _label_good_form_judged(label, unchecked, steps)
    res["good_form_label_checked_s"] = label_good
    res["good_form_unjudged_s"] = unjudged
    res["good_form_error_s"] = round(good - label_good, 3)
    res["hold_s_pred"] = round(summary.hold_s, 3)
    res["good_form_s_pred"] = round(summary.good_form_s, 3)
    return res


def _label_good_form_judged(label: dict, unchecked: set[str],
                            steps: Sequence[tuple[float, float, FrameVerdict]]) -> tuple[float, float]:
    """Rep exercises: (the label's good-form seconds within the frames whose view let form be judged,
    the label's held seconds in frames it did not). Label good form at time t: inside a labelled hold and
    outside every judged fault's window (ramps included)."""
    holds = [(r["hold_start_s"], r["hold_end_s"]) for r in label["reps"]]
    present = [(f["start_s"] - f.get("ramp_s", 0.0), f["end_s"] + f.get("ramp_s", 0.0))
               for f in label["faults"] if f["type"] not in unchecked and f["type"] not in NOT_A_FAULT]
    good = unjudged = 0.0
    for t, dt, v in steps:
        if not any(a <= t < b for a, b in holds):
            continue
        if not (v.judgeable and v.form_view):
            unjudged += dt
        elif not any(a <= t <= b for a, b in present):
            good += dt
    return round(good, 3), round(unjudged, 3)


def evaluate(root: Path, split: str = "all", model: str = DEFAULT_MODEL,
             smoothing: OneEuroConfig | None | object = PIPELINE) -> dict[str, Any]:
    """Score every labelled clip of ``split`` that has a ``model`` cache; no MediaPipe is run.

    The caches hold the pipeline's stored poses; each checker judges them as the product does
    (:func:`formcoach.engine.poses_for_checker`: re-smoothed where its exercise asks for its own smoothing).
    ``smoothing``: instead judge every clip's poses as this One-Euro config (None: no smoothing) would have
    smoothed them, recovered from the caches by inverting the pipeline's own smoothing
    (:func:`vision.smoothing.resmooth`). Re-smoothing needs caches whose settings name today's smoothing
    (another raises ``ValueError`` with ``smoothing``; by default it is scored as stored, and listed as stale)."""
    from .engine import AnalysisOptions, poses_for_checker
    from .recording import load_frames, load_meta

    labels = load_corpus_labels(root, split)
    results, missing, stale = [], [], []
    try:
        from .evaluate import pipeline_settings

        current = pipeline_settings(model)[1]
    except Exception:  # noqa: BLE001 - mediapipe's metadata absent: caches are scored without the check
        current = None
    made_with = AnalysisOptions().smoothing
    for d in labels:
        p = cache_path(root, model, d["name"])
        if not p.is_file():
            missing.append(d["name"])
            continue
        made = str(load_meta(p).get("settings"))
        if current is not None and made != current:
            stale.append(d["name"])
        # Undoing the pipeline's smoothing needs a cache that names it (today's settings string does).
        invertible = made_with is None or repr(made_with) in made
        if smoothing is not PIPELINE and not invertible:
            raise ValueError(f"{p}: not made with today's landmark smoothing; re-smoothing needs today's caches")
        poses = load_frames(p)
        if smoothing is not PIPELINE:
            poses = resmooth(poses, made_with, smoothing)
        elif invertible:
            poses = list(poses_for_checker(poses, d["exercise"], made_with))
        results.append(score_corpus_clip(d, poses))
    ev = {"corpus": str(root), "split": split, "model": model, "clips": results, "missing": missing,
          "stale": stale, "tables": tables(results)}
    if smoothing is not PIPELINE:
        ev["smoothing"] = None if smoothing is None else dataclasses.asdict(smoothing)
    return ev


# --- aggregation -------------------------------------------------------------------------------
def _pct(a: float, b: float) -> float | None:
    return round(100.0 * a / b, 1) if b else None


def _fault_pool(items: list[dict]) -> dict[str, Any]:
    w = sum(f["window_s"] for f in items)
    return {"n": len(items), "window_s": round(w, 2),
            "recall": round(sum(f["flagged_s"] for f in items) / w, 3) if w else None,
            "not_checked": round(sum(f["not_checked_s"] for f in items) / w, 3) if w else None}


def _mostly_unchecked(f: dict) -> bool:
    return bool(f["window_s"]) and f["not_checked_s"] >= 0.5 * f["window_s"]


status = fault_status  # one definition, shared with formcoach eval (formcoach.evaluate.fault_status)


def _m90(by_mag: dict[float, dict]) -> float | None:
    """Smallest magnitude from which pooled recall stays >= RECALL_GOAL at every larger magnitude."""
    best = None
    for m in sorted(by_mag, reverse=True):
        r = by_mag[m]["recall"]
        if r is None or r < RECALL_GOAL:
            break
        best = m
    return best


def _clip_totals(rs: list[dict]) -> dict[str, Any]:
    clean = sum(r["clean_s"] for r in rs)
    holds = [abs(e) for r in rs for e in r["hold_errors_s"]]
    gf = [abs(r["good_form_error_s"]) for r in rs]
    rep = [r for r in rs if "reps_exact" in r]
    out = {"clips": len(rs), "clean_s": round(clean, 1),
           "false_cue_pct": _pct(sum(r["false_cue_s"] for r in rs), clean),
           "wrong_fault_pct": _pct(sum(r.get("wrong_fault_s", 0.0) for r in rs),
                                   sum(r.get("fault_time_s", 0.0) for r in rs)),
           "reps_exact": f"{sum(r['reps_exact'] for r in rep)}/{len(rep)}" if rep else None,
           "hold_mae_s": round(statistics.fmean(holds), 2) if holds else None,
           "hold_max_s": round(max(holds), 2) if holds else None,
           "good_form_mae_s": round(statistics.fmean(gf), 2) if gf else None}
    return out


def tables(results: list[dict]) -> dict[str, Any]:
    by_fault: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in results:
        for f in r["faults"]:
            by_fault[(r["exercise"], f["type"])].append(dict(f, camera=r["camera"], body=r["body"]))
    faults = []
    for (ex, kind), items in sorted(by_fault.items()):
        mags: dict[float, list[dict]] = defaultdict(list)
        for f in items:
            mags[f["magnitude_deg"]].append(f)
        by_mag = {m: _fault_pool(v) for m, v in sorted(mags.items())}
        onsets = [f["onset_s"] for f in items if f["onset_s"] is not None and f["magnitude_deg"] >= SCORED_FROM_DEG]
        ex_rs = [r for r in results if r["exercise"] == ex]
        clean = sum(r["clean_s"] for r in ex_rs)
        false = sum(r["false_cue_types"].get(kind, 0.0) for r in ex_rs)
        allp = _fault_pool(items)
        faults.append({"exercise": ex, "fault": kind, "by_magnitude": {str(m): v for m, v in by_mag.items()},
                       "not_checked_share": allp["not_checked"],
                       "not_checked_instances": sum(1 for f in items if _mostly_unchecked(f)),
                       "recall_90_from_deg": _m90(by_mag),
                       "onset_median_s": round(statistics.median(onsets), 2) if onsets else None,
                       "onset_max_s": round(max(onsets), 2) if onsets else None,
                       "missed_from_10_deg": sum(1 for f in items if f["magnitude_deg"] >= SCORED_FROM_DEG
                                                 and f["onset_s"] is None and not _mostly_unchecked(f)),
                       "false_cue_pct_of_clean": _pct(false, clean)})
    exercises = {ex: _clip_totals([r for r in results if r["exercise"] == ex])
                 for ex in sorted({r["exercise"] for r in results})}
    for ex, tot in exercises.items():
        rs = [r for r in results if r["exercise"] == ex]
        types: dict[str, float] = defaultdict(float)
        for r in rs:
            for k, v in r["false_cue_types"].items():
                types[k] += v
        tot["false_cue_types_s"] = {k: round(v, 1) for k, v in sorted(types.items())}
        rushed = [r for r in rs if "rushed" in r["tags"] and "reps_total" in r]
        steady = [r for r in rs if "rushed" not in r["tags"] and "reps_total" in r]
        if rushed or steady:
            tot["rushing_flagged"] = {
                "rushed_sets": f"{sum(r['reps_rushing'] for r in rushed)}/{sum(r['reps_total'] for r in rushed)}",
                "other_sets": f"{sum(r['reps_rushing'] for r in steady)}/{sum(r['reps_total'] for r in steady)}"}
    return {"faults": faults, "exercises": exercises,
            "by_camera": _grouped(results, "camera"), "by_body": _grouped(results, "body")}


def _grouped(results: list[dict], key: str) -> dict[str, Any]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        groups[r[key]].append(r)
    out = {}
    for g, rs in groups.items():
        row: dict[str, Any] = {"azimuth_deg": rs[0]["azimuth_deg"]} if key == "camera" else {}
        row["split"] = rs[0]["split"]
        for ex in sorted({r["exercise"] for r in rs}):
            ers = [r for r in rs if r["exercise"] == ex]
            tot = _clip_totals(ers)
            kinds: dict[str, list[dict]] = defaultdict(list)
            for r in ers:
                for f in r["faults"]:
                    if f["magnitude_deg"] >= SCORED_FROM_DEG:
                        kinds[f["type"]].append(f)
            tot["faults"] = {k: _fault_pool(v) for k, v in sorted(kinds.items())}
            row[ex] = tot
        out[g] = row
    if key == "camera":
        return dict(sorted(out.items(), key=lambda kv: (kv[1]["azimuth_deg"], kv[0])))
    return dict(sorted(out.items()))


# --- text --------------------------------------------------------------------------------------
def _table(head: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[("-" if c is None else str(c)) for c in row] for row in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *cells)]

    def line(cs) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cs, widths)) + " |"

    return "\n".join([line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, cells)])


def _recall_cell(pool: dict) -> str:
    if pool["recall"] is None:
        return "-"
    s = f"{pool['recall']:.2f}"
    if pool["not_checked"]:
        s += f" (nc {pool['not_checked']:.2f})"
    return s


def format_report(ev: dict) -> str:
    t = ev["tables"]
    out = [f"corpus {ev['corpus']}, split {ev['split']}, model {ev['model']}: {len(ev['clips'])} clips"
           + (f", {len(ev['missing'])} without a {ev['model']} cache" if ev["missing"] else "")]
    if ev["stale"]:
        out.append(f"WARNING: {len(ev['stale'])} caches were made with other pipeline settings than today's; "
                   "re-run `python -m formcoach.corpus cache`")
    mags = sorted({float(m) for f in t["faults"] for m in f["by_magnitude"]})
    out.append("\nRecall against magnitude (share of the full-magnitude time the fault was flagged; "
               "'nc' = share not checked from this view / not judgeable)")
    rows = []
    for f in t["faults"]:
        rows.append([f["exercise"], f["fault"], *[_recall_cell(f["by_magnitude"][str(m)])
                                                  if str(m) in f["by_magnitude"] else "" for m in mags],
                     f["recall_90_from_deg"] if f["recall_90_from_deg"] is not None else "never",
                     f["onset_median_s"], f["onset_max_s"], f["missed_from_10_deg"],
                     f"{f['not_checked_instances']}/{sum(v['n'] for v in f['by_magnitude'].values())}",
                     f["false_cue_pct_of_clean"]])
    out.append(_table(["exercise", "fault", *[f"{m:g} deg" for m in mags], "90 % from", "onset med s",
                       "onset max s", "missed >=10", "not checked from this view", "false cue % clean"], rows))
    out.append("\nPer exercise")
    rows = []
    for ex, tot in t["exercises"].items():
        rush = tot.get("rushing_flagged")
        rows.append([ex, tot["clips"], tot["reps_exact"], tot["hold_mae_s"], tot["hold_max_s"], tot["good_form_mae_s"],
                     tot["false_cue_pct"], ", ".join(f"{k} {v}" for k, v in tot["false_cue_types_s"].items()) or "-",
                     tot["wrong_fault_pct"], f"{rush['rushed_sets']} / {rush['other_sets']}" if rush else None])
    out.append(_table(["exercise", "clips", "reps exact/side", "hold err mean s", "hold err max s",
                       "good-form err mean s", "false cue % clean", "false cue s by type",
                       "other fault cued % of fault time", "'rushing' reps: rushed / other sets"], rows))
    for key, title in (("by_camera", "By camera (sorted by azimuth; + = towards the head)"), ("by_body", "By body")):
        out.append(f"\n{title}: recall of faults >= {SCORED_FROM_DEG:g} deg; false cue % of clean time; "
                   "reps exact per side")
        kinds = sorted({(ex, k) for row in t[key].values() for ex, v in row.items() if isinstance(v, dict)
                        for k in v["faults"]})
        exs = sorted({ex for row in t[key].values() for ex, v in row.items() if isinstance(v, dict)})
        head = [key[3:], *[f"{ex}:{k}" for ex, k in kinds], *[f"{ex} false %" for ex in exs],
                *[f"{ex} reps" for ex in exs if ex != "plank"]]
        rows = []
        for g, row in t[key].items():
            name = f"{g} ({row['azimuth_deg']:+g})" if key == "by_camera" else g
            cells = [name]
            for ex, k in kinds:
                pool = row.get(ex, {}).get("faults", {}).get(k)
                cells.append(_recall_cell(pool) if pool else "")
            cells += [row[ex]["false_cue_pct"] if ex in row else "" for ex in exs]
            cells += [row[ex]["reps_exact"] if ex in row else "" for ex in exs if ex != "plank"]
            rows.append(cells)
        out.append(_table(head, rows))
    return "\n".join(out)


def _pooled_recall(ev: dict, ex: str, kind: str) -> tuple[float | None, float | None]:
    items = [f for r in ev["clips"] if r["exercise"] == ex for f in r["faults"]
             if f["type"] == kind and f["magnitude_deg"] >= SCORED_FROM_DEG]
    pool = _fault_pool(items)
    return pool["recall"], pool["not_checked"]


def format_comparison(train: dict, val: dict) -> str:
    """Train and validation side by side (faults of at least SCORED_FROM_DEG pooled)."""
    def num(x) -> str:
        return "-" if x is None else (f"{x:.2f}" if isinstance(x, float) else str(x))

    rows = []
    faults = {(f["exercise"], f["fault"]): {} for ev in (train, val) for f in ev["tables"]["faults"]}
    for name, ev in (("train", train), ("validation", val)):
        for f in ev["tables"]["faults"]:
            faults[(f["exercise"], f["fault"])][name] = f
    for (ex, kind), d in sorted(faults.items()):
        rt, nt = _pooled_recall(train, ex, kind)
        rv, nv = _pooled_recall(val, ex, kind)

        def g(split: str, key: str, never: str = "-", d: dict = d) -> str:
            v = d.get(split, {}).get(key)
            return never if v is None else (f"{v:g}" if key == "recall_90_from_deg" else num(v))

        rows.append([ex, kind, f"{num(rt)} / {num(rv)}", f"{num(nt)} / {num(nv)}",
                     f"{g('train', 'recall_90_from_deg', 'never')} / {g('validation', 'recall_90_from_deg', 'never')}",
                     f"{g('train', 'onset_median_s')} / {g('validation', 'onset_median_s')}",
                     f"{g('train', 'false_cue_pct_of_clean')} / {g('validation', 'false_cue_pct_of_clean')}"])
    out = [f"corpus {train['corpus']}, model {train['model']}: train {len(train['clips'])} clips, "
           f"validation {len(val['clips'])} clips (quote validation)", "",
           _table(["exercise", "fault", f"recall >= {SCORED_FROM_DEG:g} deg train / val", "not checked train / val",
                   "90 % from deg train / val", "onset med s train / val", "false cue % clean train / val"], rows), ""]
    rows = []
    for ex in sorted(set(train["tables"]["exercises"]) | set(val["tables"]["exercises"])):
        a, b = train["tables"]["exercises"].get(ex, {}), val["tables"]["exercises"].get(ex, {})
        rows.append([ex, f"{a.get('clips')} / {b.get('clips')}",
                     f"{num(a.get('reps_exact'))} / {num(b.get('reps_exact'))}",
                     f"{num(a.get('hold_mae_s'))} / {num(b.get('hold_mae_s'))}",
                     f"{num(a.get('good_form_mae_s'))} / {num(b.get('good_form_mae_s'))}",
                     f"{num(a.get('false_cue_pct'))} / {num(b.get('false_cue_pct'))}",
                     f"{num(a.get('wrong_fault_pct'))} / {num(b.get('wrong_fault_pct'))}"])
    out.append(_table(["exercise", "clips train / val", "reps exact/side train / val", "hold err mean s train / val",
                       "good-form err mean s train / val", "false cue % clean train / val",
                       "other fault cued % of fault time train / val"], rows))
    return "\n".join(out)


def parse_smoothing(text: str) -> OneEuroConfig | None:
    """``--smoothing``: ``MIN_CUTOFF_HZ,BETA`` (the One-Euro config's other fields as the pipeline's) or ``none``."""
    if text.strip().lower() == "none":
        return None
    try:
        mc, beta = (float(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"--smoothing takes MIN_CUTOFF_HZ,BETA (e.g. 2,0.5) or none, got {text!r}") from None
    return dataclasses.replace(OneEuroConfig(), min_cutoff_hz=mc, beta=beta)


def _smoothing_note(ev: dict) -> list[str]:
    if "smoothing" not in ev:
        return []
    sm = ev["smoothing"]
    what = "no smoothing" if sm is None else f"One-Euro min_cutoff {sm['min_cutoff_hz']:g} Hz, beta {sm['beta']:g}"
    return [f"RE-SMOOTHED: poses recovered from the caches and smoothed with {what}, not the pipeline's setting"]


def eval_main(root: str, split: str = "validation", model: str = DEFAULT_MODEL, json_out: str | None = None,
              compare: bool = False, smoothing: str | None = None) -> int:
    if split not in (*SPLITS, "all"):
        raise ValueError(f"--split must be train, validation or all, got {split!r}")
    sm = parse_smoothing(smoothing) if smoothing is not None else PIPELINE
    if compare:
        evs = {s: evaluate(Path(root), s, model, sm) for s in SPLITS}
        if not all(ev["clips"] for ev in evs.values()):
            raise ValueError(f"--compare needs train and validation clips with a {model} landmark cache in {root}")
        print("\n".join([*_smoothing_note(evs["train"]), format_comparison(evs["train"], evs["validation"])]))
        data: dict = evs
    else:
        data = evaluate(Path(root), split, model, sm)
        if not data["clips"]:
            raise ValueError(f"no {split} clips with a {model} landmark cache in {root}")
        print("\n".join([*_smoothing_note(data), format_report(data)]))
    if json_out:
        from .atomic import atomic_path

        with atomic_path(json_out) as tmp:
            Path(tmp).write_text(json.dumps(data, indent=1))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["cache"]:
        return cache_main(argv[1:])
    print("usage: python -m formcoach.corpus cache [ROOT] [--models lite full] [--jobs N] [--only CLIP ...]\n"
          "       (scoring: formcoach eval corpus --split validation)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

"""``formcoach batch``: analyse a folder or a manifest of videos on Ray workers, resumably.

Output folder layout (every file written atomically: complete or absent)::

    DIR/reports/<name>.json     the report of each video (docs/report-schema.md)
    DIR/annotated/<name>.mp4    with --annotated
    DIR/rows/<name>.json        the video's results row; written last, it marks the video done
    DIR/results.parquet, DIR/results.csv   one row per video (rebuilt at the end of every run)

``<name>`` is the video's path relative to the input folder (or the manifest's folder) with ``/``
as ``__``. A rerun skips a video whose row exists with the same input hash (SHA-256 of the file)
and the same settings (exercise, model, annotated); a killed run therefore loses nothing written,
and only the unfinished videos are analysed again. A bad video gives an error row and the batch goes
on; errors from a crashed worker or an unexpected exception are retried by the next run.

Videos are handed out largest first (by file size) so that the last minutes are not one long video
on one worker while the others idle. Each Ray worker keeps its pose models for its videos and gives
the heap memory a video freed back after it (``workers.release_freed_heap``: without that its memory
grew 0.3-1.7 MB a video); a worker is replaced by a fresh process after ``RECYCLE_AFTER`` videos only
as a safety net against a leak in a native library on other footage.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .atomic import atomic_path, write_text_atomic
from .engine import AnalysisOptions
from .upload import VIDEO_SUFFIXES

ROW_SCHEMA = "formcoach.batch-row/1"


class BatchInputError(Exception):
    """The batch input (folder or manifest) cannot be read (one-line message)."""


@dataclass(frozen=True)
class Job:
    path: str  # as workers will open it (absolute)
    name: str  # output file stem, unique within the batch
    size: int  # bytes; scheduling is largest first
    exercise: str | None = None
    patient_id: str = ""
    session_id: str = ""


# --- input ------------------------------------------------------------------------------------

def _name_for(path: Path, base: Path) -> str:
    try:
        rel = path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        rel = f"{path.stem}-{hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]}{path.suffix}"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", rel.replace("/", "__"))


def _size(p: Path) -> int:
    try:
        return p.stat().st_size
    except OSError:
        return 0


def discover(input_path: str | os.PathLike, exercise: str | None = None) -> list[Job]:
    """Jobs from a folder (videos found recursively by suffix) or a manifest (.csv or .jsonl with a
    ``path`` column/key; optional ``exercise``, ``patient_id``, ``session_id``; relative paths are from
    the manifest's folder). ``exercise`` applies where the manifest gives none."""
    src = Path(input_path)
    if src.is_dir():
        paths = sorted(p for p in src.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file()
                       and not p.name.startswith("."))
        entries = [{"path": p} for p in paths]
        base = src
    elif src.is_file() and src.suffix.lower() in (".csv", ".jsonl"):
        entries, base = _read_manifest(src), src.parent
    elif src.is_file():
        raise BatchInputError(f"{src}: give a folder of videos or a manifest (.csv or .jsonl)")
    else:
        raise BatchInputError(f"{src}: no such folder or file")
    jobs, names = [], set()
    for e in entries:
        p = Path(e["path"])
        p = p if p.is_absolute() else base / p
        name = _name_for(p, base)
        if name in names:
            name = f"{name}-{hashlib.sha1(str(p).encode()).hexdigest()[:8]}"
        names.add(name)
        jobs.append(Job(path=str(p.absolute()), name=name, size=_size(p),
                        exercise=(e.get("exercise") or exercise or None),
                        patient_id=str(e.get("patient_id") or ""), session_id=str(e.get("session_id") or "")))
    return jobs


def _read_manifest(path: Path) -> list[dict]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise BatchInputError(f"{path}: cannot be read ({e})") from None
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
    else:
        rows = []
        for i, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise BatchInputError(f"{path}: line {i} is not JSON ({e.msg})") from None
            if not isinstance(rows[-1], dict):
                raise BatchInputError(f"{path}: line {i} is not a JSON object")
    bad = [i for i, r in enumerate(rows, 1) if not str(r.get("path") or "").strip()]
    if bad:
        raise BatchInputError(f"{path}: entry {bad[0]} has no 'path'")
    return [{k: (v.strip() if isinstance(v, str) else v) for k, v in r.items()} for r in rows]


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return ""
    return h.hexdigest()


# --- rows -------------------------------------------------------------------------------------

COLUMNS = ["video", "path", "patient_id", "session_id", "status", "error", "exercise", "exercise_source",
           "duration_s", "frames", "detection_rate", "reps_left", "reps_right", "hold_s", "good_form_s",
           "cant_judge_s", "fault_count", "faults", "seconds_lost_by_fault", "warnings", "report",
           "annotated", "input_sha256", "settings", "seconds", "worker"]
_FLOATS = {"duration_s", "detection_rate", "hold_s", "good_form_s", "cant_judge_s", "seconds"}
_INTS = {"frames", "reps_left", "reps_right", "fault_count"}


def make_row(job: Job, result: dict, sha: str, settings: str, report_rel: str | None,
             annotated_rel: str | None) -> dict:
    """One results row from a worker's result (see ``PoseWorker.analyze``)."""
    row = {c: None for c in COLUMNS}
    row.update(video=job.name, path=job.path, patient_id=job.patient_id, session_id=job.session_id,
               input_sha256=sha, settings=settings, seconds=round(result.get("seconds", 0.0), 3),
               worker=result.get("worker", ""), error="", warnings="", faults="", seconds_lost_by_fault="")
    if not result.get("ok"):
        row.update(status="error", error=result.get("error", "failed"))
        return row
    d = json.loads(result["report_json"])
    row.update(status="ok", exercise=d["exercise"] or "", exercise_source=d["exercise_source"],
               duration_s=d["video"]["duration_s"], frames=d["frames"], detection_rate=d["detection_rate"],
               reps_left=d["reps_by_side"].get("left", 0), reps_right=d["reps_by_side"].get("right", 0),
               hold_s=d["hold_s"], good_form_s=d["good_form_s"], cant_judge_s=d["cant_judge_s"],
               fault_count=len(d["faults"]), faults=", ".join(sorted({f["type"] for f in d["faults"]})),
               seconds_lost_by_fault=json.dumps(d["seconds_lost_by_fault"], sort_keys=True),
               warnings="; ".join(d["warnings"]), report=report_rel, annotated=annotated_rel)
    return row


def write_table(rows: Sequence[dict], out_dir: Path) -> tuple[Path, Path]:
    """``results.parquet`` and ``results.csv`` (atomic), one row per video, columns as ``COLUMNS``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {c: pa.float64() if c in _FLOATS else pa.int64() if c in _INTS else pa.string() for c in COLUMNS}
    schema = pa.schema([(c, types[c]) for c in COLUMNS])
    table = pa.Table.from_pylist([{c: r.get(c) for c in COLUMNS} for r in rows], schema=schema)
    pq_path, csv_path = out_dir / "results.parquet", out_dir / "results.csv"
    with atomic_path(pq_path) as tmp:
        pq.write_table(table, tmp)
    with atomic_path(csv_path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow({c: ("" if r.get(c) is None or (isinstance(r.get(c), float) and not math.isfinite(r[c]))
                            else r[c]) for c in COLUMNS})
    return pq_path, csv_path


def _settings(options: AnalysisOptions, job: Job, annotated: bool) -> str:
    return json.dumps({"exercise": job.exercise or options.exercise, "model": options.pose.model,
                       "annotated": annotated}, sort_keys=True)


def _done_row(out_dir: Path, job: Job, sha: str, settings: str) -> dict | None:
    """The saved row of ``job`` when it is complete for this input and these settings, else None."""
    try:
        row = json.loads((out_dir / "rows" / f"{job.name}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(row, dict) or row.get("input_sha256") != sha or row.get("settings") != settings:
        return None
    if row.get("status") == "ok":
        files = [row.get("report")] + ([row.get("annotated")] if json.loads(settings)["annotated"] else [])
        if not all(f and (out_dir / f).is_file() for f in files):
            return None
    elif row.get("retry"):
        return None
    return row


# --- running ----------------------------------------------------------------------------------

@dataclass
class BatchSummary:
    total: int
    analysed: int
    skipped: int
    errors: int
    seconds: float
    rows: list[dict]
    table_parquet: Path
    table_csv: Path

    def text(self) -> str:
        ok = [r for r in self.rows if r["status"] == "ok"]
        reps = sum((r["reps_left"] or 0) + (r["reps_right"] or 0) for r in ok)
        rate = self.analysed / self.seconds if self.seconds > 0 else 0.0
        lines = [f"{self.total} videos: {self.analysed} analysed, {self.skipped} already done, "
                 f"{self.errors} with errors; {self.seconds:.1f} s ({rate * 3600:.0f} videos/hour)",
                 f"{len(ok)} reports, {reps} reps counted; results: {self.table_parquet} and {self.table_csv}"]
        lines += [f"error: {r['video']}: {r['error']}" for r in self.rows if r["status"] == "error"][:20]
        return "\n".join(lines)


def run_batch(input_path: str | os.PathLike, out_dir: str | os.PathLike, options: AnalysisOptions | None = None,
              *, workers: int | None = None, address: str | None = None, annotated: bool = False,
              progress: bool = True, on_row: Callable[[dict], None] | None = None) -> BatchSummary:
    """Analyse every video of ``input_path`` into ``out_dir`` on Ray (local unless ``address``)."""
    from .workers import cluster_cpus, ray_session, remote_worker_class

    options = options or AnalysisOptions()
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise BatchInputError(f"{out}: exists and is not a folder")
    jobs = discover(input_path, options.exercise)
    t0 = time.perf_counter()
    done: dict[str, dict] = {}
    todo: list[tuple[Job, str, str]] = []
    for job in jobs:
        sha, settings = file_sha256(job.path), _settings(options, job, annotated)
        row = _done_row(out, job, sha, settings)
        if row is not None:
            done[job.name] = row
        else:
            todo.append((job, sha, settings))
    todo.sort(key=lambda t: -t[0].size)  # largest first
    fresh: dict[str, dict] = {}
    if todo:
        with ray_session(workers, address) as ray:
            n = min(len(todo), workers or cluster_cpus(ray))
            Worker = remote_worker_class(ray)
            idle = [Worker.remote(options) for _ in range(n)]
            results = _schedule(ray, idle, todo, annotated, new_worker=lambda: Worker.remote(options))
            for job, sha, settings, result in _progress(results, len(todo), progress):
                row = _save(out, job, sha, settings, result)
                fresh[job.name] = row
                if on_row is not None:
                    on_row(row)
    rows = [fresh.get(j.name) or done[j.name] for j in jobs if j.name in fresh or j.name in done]
    out.mkdir(parents=True, exist_ok=True)
    pq_path, csv_path = write_table(rows, out)
    return BatchSummary(total=len(jobs), analysed=len(fresh), skipped=len(done),
                        errors=sum(r["status"] == "error" for r in rows), seconds=time.perf_counter() - t0,
                        rows=rows, table_parquet=pq_path, table_csv=csv_path)


RECYCLE_AFTER = 1000  # videos per worker process before it is replaced (a safety net; bench_batch.py: flat)


def _schedule(ray, idle: list, todo: list[tuple[Job, str, str]], annotated: bool, new_worker=None,
              recycle_after: int | None = None):
    """Hand the jobs (already largest first) to idle actors; yield ``(job, sha, settings, result)`` as
    they finish. A call whose worker process died gives an error result marked for retry. With
    ``new_worker`` (a factory), an actor that has analysed ``recycle_after`` videos is replaced by a new
    process."""
    queue, running, done = list(todo), {}, {}
    recycle_after = RECYCLE_AFTER if recycle_after is None else recycle_after
    while queue or running:
        while queue and idle:
            actor, item = idle.pop(), queue.pop(0)
            running[actor.analyze.remote(item[0].path, item[0].exercise, annotated)] = (actor, item)
        ready, _ = ray.wait(list(running), num_returns=1)
        actor, (job, sha, settings) = running.pop(ready[0])
        try:
            result = ray.get(ready[0])
        except ray.exceptions.RayError as e:  # the worker process died; Ray restarts its actor
            result = {"ok": False, "error": f"worker crashed ({type(e).__name__}); rerun to retry",
                      "retry": True, "seconds": 0.0}
        done[actor] = done.get(actor, 0) + 1
        if new_worker is not None and done[actor] >= recycle_after and queue:
            ray.kill(actor)
            del done[actor]
            actor = new_worker()
        idle.append(actor)
        yield job, sha, settings, result


def _progress(results: Iterable[dict], total: int, enabled: bool) -> Iterable[dict]:
    from tqdm import tqdm

    with tqdm(total=total, unit="video", disable=not enabled, dynamic_ncols=True) as bar:
        for r in results:
            bar.update(1)
            yield r


def _save(out: Path, job: Job, sha: str, settings: str, result: dict) -> dict:
    """Write the report (and annotated video), then the row that marks the video done."""
    report_rel = annotated_rel = None
    if result.get("ok"):
        report_rel = f"reports/{job.name}.json"
        write_text_atomic(out / report_rel, result["report_json"])
        if result.get("annotated_mp4") is not None:
            annotated_rel = f"annotated/{job.name}.mp4"
            with atomic_path(out / annotated_rel) as tmp:
                tmp.write_bytes(result["annotated_mp4"])
    row = make_row(job, result, sha, settings, report_rel, annotated_rel)
    saved = {**row, "schema": ROW_SCHEMA, "retry": bool(result.get("retry"))}
    write_text_atomic(out / "rows" / f"{job.name}.json", json.dumps(saved, indent=1))
    return row

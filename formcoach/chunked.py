"""One long video analysed in parallel: time chunks for pose inference, then one pass of the checker.

The expensive part (decoding + pose inference, ~20 ms a frame) runs on separate workers, one time
range each. Each worker seeks to the last keyframe before its range, decodes (without inference) up to
``warm_s`` before the range and runs the tracker over those frames only to warm it up, then keeps the
raw poses of its own range. The ranges are joined in time order: every frame belongs to exactly one,
with the timestamps a decode from the start gives. Smoothing, the checker (reps, holds, faults, cues)
and the report then run once over the joined stream (~0.5 ms a frame), exactly as ``analyze`` runs
them, so a rep or hold across a boundary is counted once by construction. They run as the poses come
(:class:`~formcoach.engine.ReportBuilder`): this process's range (the first) when it is done, then
the workers' in the batches they stream back, so little is left to do once the last worker ends.

On a local Ray the calling process analyses the first range itself while the Ray workers start, and
the rest of the video is split when they are ready (:func:`split_rest`), so their start-up (1-2 s here,
5-8 % of a 3-minute video's inference per worker) is not waited for: ``workers=2`` is this process and
one Ray worker. On a cluster (``address``) every range goes to a Ray worker.

What can differ from a sequential run is only the tracker's state at a range's first frames: the
warmed-up tracker has seen ``warm_s`` of video, the sequential one all of it. Its path then stays a
little apart for the rest of the range (median 0.3-0.4 px on a 3-minute clip, not shrinking with a
6 s warm-up), and a hold that sits near its threshold can end a few frames earlier or later anywhere
after the boundary: on that clip the one hold that differed by 0.27 s was 58 s past it, and the same
hold moves by 0.47 s when 0.1 px of noise is added to the sequential landmarks (see
``tests/test_batch.py``, which compares the reports).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator, Sequence

from .engine import AnalysisOptions, Progress, RawPoses, ReportBuilder, get_spec
from .report import Report

WARM_S = 2.0  # tracker warm-up before each chunk (s of video)
REPORT_SHARE = 0.013  # smoothing + checker of a frame (ReportBuilder.add, ~0.45 ms here) / its pose
#   inference (~36 ms, the full model at 640x480)
MIN_CHUNK_S = 20.0  # shorter chunks are not worth a worker's start-up and warm-up
LONG_VIDEO_S = 120.0  # uploads this long are worth starting Ray for (~10-25 s here) when it is installed


def plan_chunks(duration_s: float, workers: int, min_chunk_s: float = MIN_CHUNK_S) -> list[tuple[float, float]]:
    """Split ``[0, duration_s)`` into up to ``workers`` equal ranges of at least ``min_chunk_s``; the last
    range is open-ended (``inf``) so frames past the container's duration are never lost."""
    n = max(1, min(workers, int(duration_s // min_chunk_s) if duration_s > 0 else 1))
    edges = [duration_s * k / n for k in range(n)] + [math.inf]
    return [(edges[k], edges[k + 1]) for k in range(n)]


def split_rest(t_s: float, duration_s: float, workers: int, warm_s: float = WARM_S,
               min_chunk_s: float = MIN_CHUNK_S,
               report_share: float = 0.0) -> tuple[float, list[tuple[float, float]]] | None:
    """Split what is left of ``[0, duration_s)`` after ``t_s`` between this process and up to ``workers``
    workers: ``(end of this process's range, the workers' ranges)``, the last one open-ended; None when
    not even one worker would get ``min_chunk_s``. A worker's range is ``warm_s`` shorter than this
    process's share (it decodes and warms its tracker up on the ``warm_s`` before it), and this
    process's is shorter by the report it builds while the workers finish (smoothing and checking every
    frame of the video, at ``report_share`` of a frame's pose inference), so all finish together when
    every second of video costs the same."""
    for k in range(workers, 0, -1):
        # work in seconds of video inferred: here (end - t_s) + report_share * duration_s, each worker
        # length + warm_s, with length = (duration_s - end) / k
        end = max(t_s, (duration_s / k + warm_s + t_s - report_share * duration_s) / (1 + 1 / k))
        length = (duration_s - end) / k
        if length >= min_chunk_s:
            edges = [end + i * length for i in range(k)] + [math.inf]
            return end, [(edges[i], edges[i + 1]) for i in range(k)]
    return None


def join_ranges(parts: Sequence[RawPoses]) -> RawPoses:
    """Concatenate the ranges' raw poses (in order); timestamps must strictly increase across them."""
    poses = [p for part in parts for p in part.poses]
    for a, b in zip(poses, poses[1:]):
        if not b.timestamp_s > a.timestamp_s:
            raise RuntimeError(f"chunk join: timestamps {a.timestamp_s} then {b.timestamp_s}")
    return RawPoses(poses=poses, people=[x for part in parts for x in part.people],
                    skipped_frames=sum(part.skipped_frames for part in parts))


def analyze_chunked(path: str | os.PathLike, options: AnalysisOptions | None = None, workers: int = 2,
                    address: str | None = None, progress: Progress | None = None,
                    warm_s: float = WARM_S, min_chunk_s: float | None = None,
                    chunks: Sequence[tuple[float, float]] | None = None,
                    ranges: list | None = None, timeline: list | None = None) -> Report:
    """Analyse ``path`` in ``workers`` processes (this one and local Ray workers, or ``workers`` Ray
    workers of the cluster at ``address``); same errors and the same report as
    :func:`formcoach.engine.analyze_video`. A video too short for two chunks is analysed by one process.

    ``chunks`` fixes the time ranges (from :func:`plan_chunks`) instead of splitting when the workers
    are ready; ``ranges``, a list, receives the ranges used; ``timeline``, a list, receives what each
    process did when: ``(seconds since the call, event)``, in time order (for the benchmark)."""
    from vision.source import VideoFileSource

    from .engine import PoseModels
    from .workers import cluster_cpus, ray_session

    t0 = time.perf_counter()
    events: list[tuple[str, float]] = []
    options = options or AnalysisOptions()
    if options.exercise is not None:
        get_spec(options.exercise)
    with VideoFileSource(path, prefetch=0, max_side_px=options.max_side_px) as probe:
        info = probe.info
    duration = info.duration_s or (info.frame_count / info.fps if info.fps else 0.0)
    builder = ReportBuilder(options)
    with ray_session(workers, address) as ray:
        # A stream without timestamps is timed by frame count, which a seek loses: one chunk.
        n = min(workers, cluster_cpus(ray)) if info.timestamps else 1
        min_s = MIN_CHUNK_S if min_chunk_s is None else min_chunk_s
        if address is None:
            parts, used = _here_and_on_workers(ray, path, options, n, duration, warm_s, min_s, chunks, progress,
                                               events if timeline is not None else None, on_poses=builder.add)
        else:
            used = chunks or plan_chunks(duration, n, min_s)
            parts = _on_workers(ray, path, options, used, warm_s, progress)
    if ranges is not None:
        ranges[:] = used
    raw = join_ranges(parts)
    events.append(("joined", time.perf_counter()))
    builder.add(raw.poses[len(builder.poses):])  # what on_poses has not added (fixed chunks, a cluster)
    report = builder.finish(path, info, raw.people, raw.skipped_frames, PoseModels.name_of(options.pose))
    if timeline is not None:
        events.append(("report built", time.perf_counter()))
        timeline[:] = sorted((t - t0, what) for what, t in events)
    if progress is not None:
        progress(1.0, "Analysis done")
    return report


def _on_workers(ray, path, options: AnalysisOptions, chunks, warm_s: float,
                progress: Progress | None) -> list[RawPoses]:
    """Every range on its own Ray worker."""
    from .workers import remote_worker_class

    Worker = remote_worker_class(ray)
    actors = [Worker.remote(options) for _ in chunks]
    try:
        refs = [a.infer_range.remote(str(path), lo, hi, warm_s) for a, (lo, hi) in zip(actors, chunks)]
        pending, done = list(refs), 0
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            done += len(ready)
            if progress is not None:
                progress(min(done / len(refs), 0.99), "Finding the pose")
        return _get(ray, refs)
    finally:
        for a in actors:
            ray.kill(a)


def _received(ray, stream, on_poses=None) -> RawPoses:
    """A worker's range from its :meth:`~formcoach.workers.PoseWorker.infer_range_stream`, each batch
    passed to ``on_poses`` as it arrives."""
    from .workers import collect_range

    return collect_range((_get(ray, ref) for ref in stream), on_poses)


def _get(ray, refs) -> list[RawPoses]:
    try:
        return ray.get(refs)
    except ray.exceptions.RayTaskError as e:  # a worker's VideoError etc.: raise it as itself
        raise (e.cause if isinstance(e.cause, Exception) else e) from None


def _all_ready(ray, refs) -> bool:
    return len(ray.wait(refs, num_returns=len(refs), timeout=0)[0]) == len(refs)


def worker_niceness() -> int:
    """The niceness Ray gives the worker processes it starts (its ``worker_niceness``: 15 unless the
    ``RAY_worker_niceness`` variable says otherwise)."""
    try:
        return int(os.environ.get("RAY_worker_niceness", "15"))
    except ValueError:
        return 15


def at_worker_priority(fn):
    """``fn()`` in a new thread at the Ray workers' niceness (Linux; elsewhere as it is), so that this
    process's range and the workers' ranges share the cores evenly. Threads started by ``fn`` (the
    decoder's, MediaPipe's) inherit it; the calling thread and the rest of the process keep theirs.

    Without it this process (nice 0) took CPU from a worker (nice 15) whenever both wanted more than
    a core (each uses ~1.1): on a 3-minute video the worker's half took 10-20 % longer than this
    process's, and its last 3-6 s ran alone (bench_batch.py's timeline)."""
    import sys
    import threading

    out: list = []

    def run() -> None:
        try:
            if sys.platform.startswith("linux"):
                tid = threading.get_native_id()
                os.setpriority(os.PRIO_PROCESS, tid, max(os.getpriority(os.PRIO_PROCESS, tid), worker_niceness()))
            out.append((True, fn()))
        except BaseException as e:  # noqa: BLE001 - raised again in the calling thread
            out.append((False, e))

    t = threading.Thread(target=run, name="formcoach-chunk", daemon=True)
    t.start()
    t.join()
    ok, value = out[0]
    if not ok:
        raise value
    return value


POLL_FRAMES = 10  # this process looks for ready workers every this many frames


def _here_and_on_workers(ray, path, options: AnalysisOptions, n: int, duration: float, warm_s: float,
                         min_chunk_s: float, chunks, progress: Progress | None, events: list | None = None,
                         on_poses=None):
    """This process infers from the start while ``n - 1`` Ray workers start; when they are ready it
    hands them the rest (:func:`split_rest`) and stops at its new end. With ``chunks`` the ranges are
    fixed: the first is this process's. Returns the parts and the ranges used. ``events``, a list,
    receives ``(event, time.perf_counter())`` of this process and the workers. ``on_poses(poses)`` is
    called with the raw poses in time order as they are done: this process's range (the video's first),
    then the workers' in the batches they send, so the report's smoothing and checker run while the
    workers finish."""
    from vision.source import VideoFileSource

    from .engine import infer_poses
    from .workers import PoseWorker, remote_worker_class

    if chunks is not None:
        n = len(chunks)
    elif n > 1 and duration - warm_s < 2 * min_chunk_s:
        n = 1  # too short for two ranges: no worker to start
    Worker = remote_worker_class(ray) if n > 1 else None
    actors = [Worker.remote(options) for _ in range(n - 1)] if Worker else []
    refs: list = []
    used: list[tuple[float, float]] = [(0.0, math.inf)]
    stop = [math.inf]
    shown = [0.0]
    note = events.append if events is not None else (lambda e: None)

    def hand_out(t_s: float) -> None:
        nonlocal refs, actors, used
        split = (chunks[0][1], list(chunks[1:])) if chunks is not None else \
            split_rest(t_s, duration, len(actors), warm_s, min_chunk_s, REPORT_SHARE if on_poses else 0.0)
        if split is None:  # the workers came too late to be worth it
            for a in actors:
                ray.kill(a)
            actors = []
            return
        stop[0], rest = split
        for a in actors[len(rest):]:
            ray.kill(a)
        actors = actors[:len(rest)]
        refs = [a.infer_range_stream.remote(str(path), lo, hi, warm_s) for a, (lo, hi) in zip(actors, rest)]
        used = [(0.0, stop[0]), *rest]
        note((f"ranges handed out at {t_s:.1f} s of video: here to {stop[0]:.1f} s", time.perf_counter()))

    def frames(source) -> Iterator:
        pings = [a.memory_mb.remote() for a in actors] if chunks is None else []
        if actors and chunks is not None:
            hand_out(0.0)
        for i, f in enumerate(source):
            if f.timestamp_s >= stop[0]:
                return
            if pings and i % POLL_FRAMES == 0 and _all_ready(ray, pings):
                pings = []
                hand_out(f.timestamp_s)
                if f.timestamp_s >= stop[0]:
                    return
            if progress is not None and i % POLL_FRAMES == 0 and duration > 0:
                end = stop[0] if math.isfinite(stop[0]) else duration
                shown[0] = max(shown[0], min(f.timestamp_s / end, 0.99))
                progress(shown[0], "Finding the pose")
            yield f

    def my_range() -> RawPoses:
        here = PoseWorker(options)
        try:
            note(("models built here", time.perf_counter()))
            source = VideoFileSource(path, prefetch=0, max_side_px=options.max_side_px)
            with source:
                mine = infer_poses(frames(source), here.models.fresh(), options)
            mine.skipped_frames = source.skipped_frames
            note((f"range done here ({len(mine.poses)} frames)", time.perf_counter()))
            return mine
        finally:
            here.close()

    try:
        note(("workers requested", time.perf_counter()))
        mine = at_worker_priority(my_range) if actors else my_range()
        if on_poses is not None:
            on_poses(mine.poses)
            note(("report caught up with the range done here", time.perf_counter()))
        parts = [mine, *(_received(ray, stream, on_poses) for stream in refs)]
        note(("workers' ranges received", time.perf_counter()))
        if events is not None:
            for k, timeline in enumerate(ray.get([a.timeline.remote() for a in actors])):
                events += [(what.replace("worker", f"worker {k + 1}", 1), t) for what, t in timeline]
    finally:
        for a in actors:
            ray.kill(a)
    return parts, used


def analyze_upload_video(path: str | os.PathLike, options: AnalysisOptions, progress: Progress | None = None,
                         long_video_s: float | None = None) -> Report:
    """The app's upload analysis: in chunks on all cores for a video of at least ``long_video_s`` when Ray
    is installed and the machine has more than one core, else (or when Ray cannot start) sequentially."""
    import importlib.util

    from vision.source import VideoFileSource

    from .engine import analyze_video
    from .workers import BatchUnavailable

    cores = os.cpu_count() or 1
    if cores > 1 and importlib.util.find_spec("ray") is not None:
        with VideoFileSource(path, prefetch=0, max_side_px=options.max_side_px) as probe:
            long = probe.info.duration_s >= (LONG_VIDEO_S if long_video_s is None else long_video_s)
        if long:
            try:
                return analyze_chunked(path, options, workers=cores, progress=progress)
            except BatchUnavailable:
                pass
    return analyze_video(path, options, progress=progress)

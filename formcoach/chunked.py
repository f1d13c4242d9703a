"""One long video analysed in parallel: time chunks for pose inference, then one pass of the checker.

The expensive part (decoding + pose inference, ~20 ms a frame) runs on separate workers, one time
range each. Each worker seeks to the last keyframe before its range, decodes (without inference) up to
``warm_s`` before the range and runs the tracker over those frames only to warm it up, then keeps the
raw poses of its own range. The ranges are joined in time order: every frame belongs to exactly one,
with the timestamps a decode from the start gives. Smoothing, the checker (reps, holds, faults, cues)
and the report then run once over the joined stream (~0.1 ms a frame), exactly as ``analyze`` runs
them, so a rep or hold across a boundary is counted once by construction.

What can differ from a sequential run is only the tracker's state at a range's first frames: the
warmed-up tracker has seen ``warm_s`` of video, the sequential one all of it (see
``tests/test_chunked.py``, which measures the landmark difference and compares the reports).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

from .engine import AnalysisOptions, Progress, RawPoses, build_report, get_spec
from .report import Report

WARM_S = 2.0  # tracker warm-up before each chunk (s of video)
MIN_CHUNK_S = 20.0  # shorter chunks are not worth a worker's start-up and warm-up
LONG_VIDEO_S = 120.0  # uploads this long are worth starting Ray for (~10-25 s here) when it is installed


def plan_chunks(duration_s: float, workers: int, min_chunk_s: float = MIN_CHUNK_S) -> list[tuple[float, float]]:
    """Split ``[0, duration_s)`` into up to ``workers`` equal ranges of at least ``min_chunk_s``; the last
    range is open-ended (``inf``) so frames past the container's duration are never lost."""
    n = max(1, min(workers, int(duration_s // min_chunk_s) if duration_s > 0 else 1))
    edges = [duration_s * k / n for k in range(n)] + [math.inf]
    return [(edges[k], edges[k + 1]) for k in range(n)]


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
                    warm_s: float = WARM_S, min_chunk_s: float | None = None) -> Report:
    """Analyse ``path`` with ``workers`` Ray workers (a local Ray unless ``address``); same errors and the
    same report as :func:`formcoach.engine.analyze_video`. A video too short for two chunks is analysed
    by one worker."""
    from vision.source import VideoFileSource

    from .engine import PoseModels
    from .workers import cluster_cpus, ray_session, remote_worker_class

    options = options or AnalysisOptions()
    if options.exercise is not None:
        get_spec(options.exercise)
    with VideoFileSource(path, prefetch=0, max_side_px=options.max_side_px) as probe:
        info = probe.info
    duration = info.duration_s or (info.frame_count / info.fps if info.fps else 0.0)
    with ray_session(workers, address) as ray:
        # A stream without timestamps is timed by frame count, which a seek loses: one chunk.
        n = min(workers, cluster_cpus(ray)) if info.timestamps else 1
        chunks = plan_chunks(duration, n, MIN_CHUNK_S if min_chunk_s is None else min_chunk_s)
        Worker = remote_worker_class(ray)
        actors = [Worker.remote(options) for _ in chunks]
        refs = [a.infer_range.remote(str(path), lo, hi, warm_s) for a, (lo, hi) in zip(actors, chunks)]
        pending, done = list(refs), 0
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            done += len(ready)
            if progress is not None:
                progress(min(done / len(refs), 0.99), "Finding the pose")
        try:
            parts = ray.get(refs)
        except ray.exceptions.RayTaskError as e:  # a worker's VideoError etc.: raise it as itself
            raise (e.cause if isinstance(e.cause, Exception) else e) from None
        finally:
            for a in actors:
                ray.kill(a)
    report = build_report(path, info, join_ranges(parts), options, PoseModels.name_of(options.pose))
    if progress is not None:
        progress(1.0, "Analysis done")
    return report


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

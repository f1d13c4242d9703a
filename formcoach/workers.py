"""Ray workers for batch and chunked analysis: one process per core, each keeping its pose models.

Ray is an optional extra (``pip install 'formcoach[batch]'``); :func:`import_ray` says how to get it.

* Without an address Ray starts on this machine only: every Ray process binds and talks on the
  loopback address (nothing leaves the machine) and usage statistics are off.
* ``address="auto"`` joins the cluster this machine belongs to; ``ray://HOST:PORT`` connects to a
  cluster's client server. Joining a cluster is the user's choice to use the network; the videos must
  be readable at the same path on every node (shared storage), and formcoach installed on each.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import math
import os
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from exercises.pose import PoseFrame

from .engine import (
    USER_ERRORS,
    AnalysisError,
    AnalysisOptions,
    PoseModels,
    RawPoses,
    analyze_video,
    iter_poses,
    write_annotated_video,
)


class BatchUnavailable(Exception):
    """Ray is missing or the cluster cannot be reached (one-line message for the user)."""


def import_ray():
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError:
        raise BatchUnavailable("parallel analysis needs Ray: pip install 'formcoach[batch]'") from None
    return ray


def _local_only(ray) -> None:
    """Make a Ray started here use 127.0.0.1 for every node address (Ray otherwise picks the LAN address
    and binds on all interfaces). The variable is read by Ray's own processes too."""
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    from ray._private import ray_constants

    ray_constants.ENABLE_RAY_CLUSTER = False


STREAM_FRAMES = 100  # a chunk worker sends its raw poses back this many at a time (~4 s of work here)
NODE_START_S = 180.0  # how long a starting local Ray node may take to register (Ray's own limit: 30 s)


@contextlib.contextmanager
def _patient_node_start(ray) -> Iterator[None]:
    """Ray 2.60 gives a new node a fixed 30 s to register with its GCS, polling ``services.get_node``;
    on a loaded 2-core machine its Python agents can take longer to start. Let that poll wait up to
    ``NODE_START_S`` instead (only while this Ray starts)."""
    from ray._private import services

    original = services.get_node

    def get_node(*args, **kwargs):
        deadline = time.monotonic() + NODE_START_S
        while True:
            try:
                return original(*args, **kwargs)
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    services.get_node = get_node
    try:
        yield
    finally:
        services.get_node = original


@contextlib.contextmanager
def ray_session(workers: int | None = None, address: str | None = None) -> Iterator[object]:
    """Yield the ``ray`` module with a running Ray: a local one with ``workers`` CPUs (default: all cores),
    or the cluster at ``address``. A Ray already initialised by the caller is used as it is."""
    ray = import_ray()
    if ray.is_initialized():
        yield ray
        return
    kwargs = {"log_to_driver": False, "configure_logging": False}
    try:
        if address:
            ray.init(address=address, **kwargs)
        else:
            _local_only(ray)
            with _patient_node_start(ray):
                ray.init(num_cpus=workers or os.cpu_count() or 1, include_dashboard=False, **kwargs)
    except Exception as e:  # noqa: BLE001 - Ray raises bare Exception, RuntimeError, ConnectionError...
        ray.shutdown()
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise BatchUnavailable(f"cannot start or reach Ray at {address or 'this machine'}: {msg}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def cluster_cpus(ray) -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


class PoseWorker:
    """The body of a Ray actor: one per worker process, pose models built once (see PoseModels)."""

    def __init__(self, options: AnalysisOptions) -> None:
        self.events: list[tuple[str, float]] = [("worker start", time.perf_counter())]
        os.environ.setdefault("GLOG_minloglevel", "2")
        limit_heap_arenas()
        self.options = options
        self.models = PoseModels(options.pose, bool(options.people_check_interval_s))
        self.where = f"{socket.gethostname()}:{os.getpid()}"
        self.events.append(("worker models built", time.perf_counter()))

    def analyze(self, path: str, exercise: str | None, annotated: bool) -> dict:
        """Analyse one video: ``{"ok": True, "report_json", "summary", "annotated_mp4"}`` or
        ``{"ok": False, "error"}``; both with ``seconds`` and ``worker``. User errors never raise."""
        t0 = time.perf_counter()
        out: dict = {"worker": self.where}
        options = AnalysisOptions(**{**vars(self.options), "exercise": exercise or self.options.exercise})
        try:
            report = analyze_video(path, options, models=self.models)
            out.update(ok=True, report_json=report.to_json(), annotated_mp4=None)
            if annotated:
                with tempfile.TemporaryDirectory(prefix="formcoach-batch-") as td:
                    mp4 = write_annotated_video(path, report, Path(td) / "a.mp4")
                    out["annotated_mp4"] = mp4.read_bytes()
        except (*USER_ERRORS, AnalysisError, ValueError) as e:
            out.update(ok=False, error=str(e).splitlines()[0] if str(e) else type(e).__name__, retry=False)
        except Exception as e:  # noqa: BLE001 - one bad video must not end the batch
            out.update(ok=False, error=f"unexpected error: {type(e).__name__}: {e}".splitlines()[0], retry=True)
        release_freed_heap()
        out["seconds"] = time.perf_counter() - t0
        out["rss_mb"] = self.memory_mb()
        return out

    def infer_range(self, path: str, keep_from_s: float, keep_until_s: float, warm_s: float) -> RawPoses:
        """Raw poses of ``keep_from_s <= t < keep_until_s``, the tracker warmed up on ``warm_s`` before it."""
        return collect_range(self.infer_range_stream(path, keep_from_s, keep_until_s, warm_s))

    def infer_range_stream(self, path: str, keep_from_s: float, keep_until_s: float, warm_s: float,
                           batch_frames: int = STREAM_FRAMES) -> Iterator[list[PoseFrame] | RawPoses]:
        """:meth:`infer_range` as it goes (on Ray, a streaming generator): lists of up to ``batch_frames``
        raw poses in time order, then a :class:`RawPoses` without poses holding the range's second-person
        checks and skipped frames, so the caller can smooth and check a range while it is inferred."""
        from vision.source import VideoFileSource

        self.events.append((f"worker given {keep_from_s:.1f}-{keep_until_s:.1f} s", time.perf_counter()))
        start = max(0.0, keep_from_s - warm_s)
        source = VideoFileSource(path, prefetch=0, max_side_px=self.options.max_side_px, start_s=start)
        skipped = [0]
        people: list[tuple[float, int]] = []
        batch: list[PoseFrame] = []
        n = 0
        with source:
            frames = _timed(_counting_skips(source, keep_from_s, skipped), self.events, start, keep_from_s)
            for pose in iter_poses(frames, self.models.fresh(), self.options, people, keep_from_s=keep_from_s,
                                   keep_until_s=keep_until_s, warm_from_s=start):
                batch.append(pose)
                if len(batch) >= batch_frames:
                    n += len(batch)
                    yield batch
                    batch = []
        n += len(batch)
        if batch:
            yield batch
        self.events.append((f"worker range done ({n} frames)", time.perf_counter()))
        yield RawPoses([], people, skipped[0])

    def timeline(self) -> list[tuple[str, float]]:
        """What this worker did when (``time.perf_counter()``, the machine's monotonic clock on Linux)."""
        return list(self.events)

    def close(self) -> None:
        self.models.close()

    def memory_mb(self) -> float:
        """Resident memory of this worker process (MB; Linux), for the benchmark."""
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _glibc(name: str, *argtypes):
    """A glibc function (None elsewhere: macOS, musl)."""
    try:
        fn = getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), name)
    except (OSError, AttributeError):
        return None
    fn.argtypes, fn.restype = list(argtypes), ctypes.c_int
    return fn


_TRIM = _glibc("malloc_trim", ctypes.c_size_t)
_MALLOPT = _glibc("mallopt", ctypes.c_int, ctypes.c_int)
M_ARENA_MAX = -8
WORKER_ARENAS = 2


def limit_heap_arenas(n: int = WORKER_ARENAS) -> bool:
    """Let glibc create at most ``n`` more malloc arenas (its default: 8 per core), so that the freed memory
    of a worker's many threads (Ray's, and MediaPipe's new ones for every video) is not spread over many
    arenas that :func:`release_freed_heap` cannot all shrink. Returns whether it was set (False without
    glibc)."""
    return bool(_MALLOPT(M_ARENA_MAX, n)) if _MALLOPT is not None else False


def release_freed_heap() -> bool:
    """Give the heap memory freed by the last video back to the system (glibc ``malloc_trim(0)``).

    Each video gets a new pose tracker (see ``PoseModels.fresh``): MediaPipe builds a new graph, with its
    own threads and TFLite/XNNPACK buffers, and frees the old one. glibc keeps freed memory in the per-thread
    arenas it came from and returns it only from the top of a heap, so a Ray worker's resident memory rose
    with every video (bench_batch.py: 0.3-1.7 MB a video; 600 -> 660 MB from the 10th to the 60th
    two-second clip) although nothing stayed allocated (in one plain process it did not rise). With this
    call after each video: 420 -> 422-426 MB over 100 videos per worker. Takes well under a millisecond.
    Returns whether memory was trimmed (False without glibc)."""
    return bool(_TRIM(0)) if _TRIM is not None else False


def collect_range(items, on_poses=None) -> RawPoses:
    """One range's :class:`RawPoses` from what :meth:`PoseWorker.infer_range_stream` yields, each batch
    passed to ``on_poses`` as it comes."""
    poses: list[PoseFrame] = []
    for item in items:
        if isinstance(item, RawPoses):
            item.poses = poses
            return item
        poses += item
        if on_poses is not None:
            on_poses(item)
    raise RuntimeError("a chunk worker's stream ended without its range's summary")


def _timed(frames, events: list, warm_from_s: float, keep_from_s: float):
    """``frames``, noting in ``events`` when the first frame, the first warm-up frame and the first kept one came."""
    marks = [(-math.inf, "worker first frame decoded (after the seek)"), (warm_from_s, "worker warm-up starts"),
             (keep_from_s, "worker first kept frame")]
    for f in frames:
        while marks and f.timestamp_s >= marks[0][0]:
            events.append((f"{marks.pop(0)[1]} at {f.timestamp_s:.1f} s", time.perf_counter()))
        yield f


def _counting_skips(source, keep_from_s: float, skipped: list[int]):
    """``source``'s frames; ``skipped[0]`` = corrupt frames skipped since the first frame at ``keep_from_s``."""
    base = None
    for f in source:
        if base is None and f.timestamp_s >= keep_from_s:
            base = source.skipped_frames
        if base is not None:
            skipped[0] = source.skipped_frames - base
        yield f
    if base is not None:
        skipped[0] = source.skipped_frames - base


def remote_worker_class(ray):
    """``PoseWorker`` as a Ray actor class (one CPU each; restarted if its process dies)."""
    return ray.remote(num_cpus=1, max_restarts=2)(PoseWorker)

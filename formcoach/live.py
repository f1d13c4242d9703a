"""The live coach behind the webcam page: one object per stream, driven by streamlit-webrtc.

Threads: streamlit-webrtc calls :meth:`LiveCoach.__call__` from its worker thread (with
``async_processing=True`` it hands over only the newest frame and drops the rest, so no queue
can grow). The page's script thread only reads :meth:`LiveCoach.status` (a frozen snapshot
behind a lock) and calls :meth:`LiveCoach.finish` at stop. Nothing here touches ``st.*``.

* The model (a :class:`~formcoach.engine.CoachPipeline`) is built once, lazily, on the stream's
  first frame, and closed by :meth:`finish`.
* The pipeline always sees the camera image as captured; only the *display* is mirrored (a
  selfie view), with the skeleton mirrored to match. Left/right in the data stay the person's.
* Time: the frame's media time (``frame.time``, from its pts), never the wall clock, drives the
  checker. The wall clock is used only for the fps and latency figures.

Latency here is *frame-to-overlay inside the server*: the time from a frame's capture (its media
time, aligned on the best-delivered frame so far) to its annotated image being ready. A backlog
anywhere before the overlay shows up as this number growing.
"""

from __future__ import annotations

import json
import logging
import math
import os
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from exercises.base import Cue, ExerciseSummary, FrameVerdict
from exercises.pose import PoseFrame
from vision.annotate import CoachAnnotator, SkeletonAnnotator
from vision.pose import PoseOptions

from .people import SecondPersonPolicy

log = logging.getLogger(__name__)

ICE_ENV = "FORMCOACH_ICE_SERVERS"
FPS_WINDOW_S = 2.0
LATENCY_LOG_MAX = 30 * 60 * 20  # 20 minutes at 30 fps
LATENCY_WINDOW = 300  # frames kept for the latency figures


class ConfigError(Exception):
    """A setting is malformed (one-line message for the user)."""


def ice_servers_from_env(env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """ICE servers for WebRTC from ``FORMCOACH_ICE_SERVERS`` (JSON), default none.

    No ICE servers is right on localhost (and never reaches the network). For a phone or laptop on
    the LAN or the internet, set e.g. ``[{"urls": ["stun:stun.example.org:3478"]},
    {"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "p"}]`` and serve the
    page over HTTPS (browsers only give camera access to secure origins). See docs/app.md.
    """
    raw = (env if env is not None else os.environ).get(ICE_ENV, "").strip()
    if not raw:
        return []
    try:
        servers = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ConfigError(f"{ICE_ENV} is not valid JSON ({e.msg} at character {e.pos})") from None
    if isinstance(servers, dict):
        servers = [servers]
    if not isinstance(servers, list) or not all(isinstance(s, dict) and "urls" in s for s in servers):
        raise ConfigError(f'{ICE_ENV} must be a JSON list of objects with "urls", got {raw[:80]!r}')
    return servers


def rtc_configuration(env: dict[str, str] | None = None) -> dict[str, Any]:
    return {"iceServers": ice_servers_from_env(env)}


@dataclass(frozen=True)
class LiveStatus:
    """What the page shows; a snapshot, safe to read from any thread."""

    running: bool = False
    frames_in: int = 0
    frames_processed: int = 0
    fps: float = 0.0  # processed frames per second over the last ~2 s
    latency_ms: float = math.nan  # median frame-to-overlay latency (recent frames)
    latency_p90_ms: float = math.nan
    process_ms: float = math.nan  # median time inside the callback
    detected: bool = False
    verdict: FrameVerdict | None = None
    cue: Cue | None = None  # the cue shown now (one at a time), None between cues
    cue_seq: int = 0  # increases whenever a new cue starts: the page speaks it once
    elapsed_s: float = 0.0  # media time since the first frame
    error: str | None = None
    people_in_view: int = -1  # people found at the latest check (-1: not checked yet)
    unseen_s: float = 0.0  # seconds of the set no frame covered (the checker's count: exercises.common)

    @property
    def crowded(self) -> bool:
        """More than one person in view: the tracker may follow the wrong one."""
        return self.people_in_view >= 2


PipelineFactory = Callable[[], Any]  # -> object with process(image_bgr, t) -> (PoseFrame, FrameVerdict|None)


class LiveCoach:
    """Thread-safe per-stream coach; call it as the ``video_frame_callback``.

    Args:
        exercise: registry name.
        pose: landmarker options (default ``PoseOptions()``: the same model as ``analyze``, so live = upload).
        mirror: mirror the *display* like a selfie camera.
        pipeline_factory: builds the per-stream pipeline (tests inject a fake); default
            ``CoachPipeline(exercise, pose)``.
        clock: wall clock for fps/latency only.
        people_check_interval_s: media seconds between checks for a second person (one extra
            single-image inference each, in the worker thread); None = never.
        people_counter_factory: builds the counter (object with ``count(image_bgr) -> int``);
            default ``vision.pose.PeopleCounter`` on the same model.
        build_in_background: build the models in a thread started by the first frame, showing
            frames unanalysed until they are ready (the page: streamlit-webrtc gives up on a
            callback that takes over 10 s, and a model build on a busy machine can).
    """

    def __init__(self, exercise: str, pose: PoseOptions | None = None, *, mirror: bool = True,
                 pipeline_factory: PipelineFactory | None = None, timed: bool | None = None,
                 title: str = "", clock: Callable[[], float] = time.monotonic,
                 people_check_interval_s: float | None = 2.0,
                 people_counter_factory: Callable[[], Any] | None = None,
                 build_in_background: bool = False) -> None:
        self.exercise = exercise
        self.pose_options = pose or PoseOptions()
        self.mirror = mirror
        self._factory = pipeline_factory or self._default_factory
        self._clock = clock
        if timed is None or not title:
            from formcoach.engine import get_spec

            spec = get_spec(exercise)
            timed = spec.timed if timed is None else timed
            title = title or spec.display_name
        self.timed, self.title = timed, title
        self._skeleton, self._coach = SkeletonAnnotator(), CoachAnnotator()
        self._proc_lock = threading.Lock()  # pipeline + per-stream state (worker thread, finish)
        self._status_lock = threading.Lock()  # the snapshot only: readers never wait for the model
        self._pipeline: Any = None
        self.pipelines_built = 0
        self._finished = False
        self._summary: ExerciseSummary | None = None
        self._t_first: float | None = None
        self._t_last = -math.inf
        self._offset_min = math.inf  # min(wall arrival - media time): the best-delivered frame
        self._done_times: deque[float] = deque()
        self._latency: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self._proc: deque[float] = deque(maxlen=LATENCY_WINDOW)
        # (elapsed media s, latency ms) for benchmarks; bounded so a long session's memory stays flat
        self.latency_log: deque[tuple[float, float]] = deque(maxlen=LATENCY_LOG_MAX)
        self._last_cue_code: str | None = None
        self._status = LiveStatus()
        self.people_check_interval_s = people_check_interval_s
        self._people_factory = people_counter_factory or self._default_people_counter
        self._people_counter: Any = None
        self._next_people_check = 0.0
        self._people = -1
        self._people_policy = SecondPersonPolicy()
        self.build_in_background = build_in_background
        self._builder: threading.Thread | None = None
        self._build_error: str | None = None
        # Optional follower of the checker's results (e.g. a formcoach.guided.GuidedSet): an object with
        # feed(t_media_s, verdict), called in the worker thread after each analysed frame.
        self.guided: Any = None

    def _default_factory(self):
        from formcoach.engine import CoachPipeline

        return CoachPipeline(self.exercise, pose=self.pose_options)

    def _default_people_counter(self):
        from vision.pose import PeopleCounter

        return PeopleCounter(self.pose_options.model)

    def _build(self) -> None:
        """Builder thread: the pipeline and the people counter, handed over unless the stream ended."""
        pipe = counter = None
        try:
            pipe = self._factory()
            if self.people_check_interval_s is not None:
                counter = self._people_factory()
        except Exception as e:  # shown on the page and the frame
            log.exception("live model build failed")
            self._build_error = str(e).splitlines()[0] if str(e) else type(e).__name__
        with self._proc_lock:
            if not self._finished and pipe is not None:
                self._pipeline, self._people_counter = pipe, counter
                self.pipelines_built += 1
                return
        for obj in (pipe, counter):
            if obj is not None and hasattr(obj, "close"):
                obj.close()

    def _check_people(self, image_bgr: np.ndarray, t: float) -> None:
        """Every ``people_check_interval_s`` of media time, count the people in view (worker thread)."""
        if self.people_check_interval_s is None or t < self._next_people_check:
            return
        self._next_people_check = t + self.people_check_interval_s
        try:
            if self._people_counter is None:
                self._people_counter = self._people_factory()
            n = int(self._people_counter.count(image_bgr))
        except Exception:  # a failed count must not stop the coaching
            log.exception("people check failed")
            n = -1
        self._people = self._people_policy.observe(n)  # the one second-person policy (formcoach.people)

    # --- worker thread -----------------------------------------------------------------------
    def __call__(self, frame):
        """streamlit-webrtc ``video_frame_callback``: ``av.VideoFrame`` in, annotated frame out."""
        import av

        t_in = self._clock()
        img = frame.to_ndarray(format="bgr24")
        t_media = frame.time if frame.time is not None else t_in
        out = self.process_image(img, float(t_media), t_in)
        new = av.VideoFrame.from_ndarray(out, format="bgr24")
        new.pts, new.time_base = frame.pts, frame.time_base
        return new

    def process_image(self, image_bgr: np.ndarray, t_media: float, t_in: float | None = None) -> np.ndarray:
        """Analyse one camera image (as captured) and return the display image (mirrored, annotated)."""
        t_in = self._clock() if t_in is None else t_in
        image_bgr = np.ascontiguousarray(image_bgr)
        pose: PoseFrame | None = None
        verdict: FrameVerdict | None = None
        error: str | None = None
        with self._proc_lock:
            if self._finished:
                return self._display(image_bgr, None, None, "Session ended - press START for a new one")
            if self._pipeline is None and self.build_in_background:
                if self._builder is None:
                    self._builder = threading.Thread(target=self._build, name="formcoach-model-build", daemon=True)
                    self._builder.start()
                return self._display(image_bgr, None, None, self._build_error or "Starting the pose model...")
            if self._t_first is None:
                self._t_first = t_media
            t = max(t_media - self._t_first, self._t_last + 0.001 if self._t_last > -math.inf else 0.0)
            self._t_last = t
            self._offset_min = min(self._offset_min, t_in - t)
            try:
                if self._pipeline is None:
                    self._pipeline = self._factory()
                    self.pipelines_built += 1
                pose, verdict = self._pipeline.process(image_bgr, t)
                self._check_people(image_bgr, t)
                if self.guided is not None:
                    self.guided.feed(t, verdict)
            except Exception as e:  # shown on the page and on the frame; the stream keeps going
                log.exception("live frame failed")
                error = str(e).splitlines()[0] if str(e) else type(e).__name__
        out = self._display(image_bgr, pose, verdict, error)
        done = self._clock()
        self._record(t, t_in, done, pose, verdict, error)
        return out

    def _display(self, image_bgr: np.ndarray, pose: PoseFrame | None, verdict: FrameVerdict | None,
                 error: str | None) -> np.ndarray:
        shown = np.ascontiguousarray(image_bgr[:, ::-1]) if self.mirror else image_bgr.copy()
        shown_pose = (pose.mirrored() if self.mirror else pose) if pose is not None else None
        if shown_pose is not None:
            self._skeleton.annotate(shown, shown_pose)
        self._coach.annotate(shown, verdict, timed=self.timed, title=self.title, pose=shown_pose)
        if error:
            import cv2

            cv2.putText(shown, error[:70], (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 255), 2, cv2.LINE_AA)
        return shown

    def _record(self, t: float, t_in: float, done: float, pose: PoseFrame | None,
                verdict: FrameVerdict | None, error: str | None) -> None:
        latency_ms = (done - t - self._offset_min) * 1000.0
        self._latency.append(latency_ms)
        self._proc.append((done - t_in) * 1000.0)
        self.latency_log.append((t, latency_ms))
        self._done_times.append(done)
        while self._done_times and done - self._done_times[0] > FPS_WINDOW_S:
            self._done_times.popleft()
        span = self._done_times[-1] - self._done_times[0] if len(self._done_times) > 1 else 0.0
        fps = (len(self._done_times) - 1) / span if span > 0 else 0.0
        lat = sorted(self._latency)
        with self._status_lock:
            s = self._status
            seq = s.cue_seq
            cue = verdict.cue if verdict is not None else s.cue  # the cue on screen now (None: none)
            if cue is not None and cue.code != self._last_cue_code:
                seq += 1  # a new cue starts: spoken once
            if verdict is not None:
                self._last_cue_code = cue.code if cue is not None else None
            self._status = LiveStatus(
                running=True, frames_in=s.frames_in + 1,
                frames_processed=s.frames_processed + (1 if error is None else 0), fps=fps,
                latency_ms=statistics.median(lat), latency_p90_ms=lat[min(len(lat) - 1, int(0.9 * len(lat)))],
                process_ms=statistics.median(self._proc), detected=bool(pose is not None and pose.detected),
                verdict=verdict if verdict is not None else s.verdict, cue=cue, cue_seq=seq, elapsed_s=t,
                error=error, people_in_view=self._people,
                unseen_s=verdict.unseen_s if verdict is not None else s.unseen_s)

    # --- script thread -----------------------------------------------------------------------
    def status(self) -> LiveStatus:
        with self._status_lock:
            return self._status

    @property
    def started(self) -> bool:
        return self._t_first is not None

    @property
    def finished(self) -> bool:
        return self._finished

    def finish(self) -> ExerciseSummary | None:
        """End the stream: the summary of the set (None when no frame was analysed). Idempotent."""
        with self._proc_lock:
            if not self._finished:
                self._finished = True
                pipe, self._pipeline = self._pipeline, None
                if pipe is not None:
                    checker = getattr(pipe, "checker", None)
                    self._summary = checker.summary() if checker is not None else None
                    close = getattr(pipe, "close", None)
                    if close is not None:
                        close()
                counter, self._people_counter = self._people_counter, None
                if counter is not None and hasattr(counter, "close"):
                    counter.close()
            with self._status_lock:
                self._status = replace(self._status, running=False)
            return self._summary

    @property
    def duration_s(self) -> float:
        return max(0.0, self._t_last) if self._t_last > -math.inf else 0.0

    def latency_trend(self, window_s: float = 30.0) -> tuple[float, float]:
        """Median latency (ms) of the first and the last ``window_s`` of media time (benchmarks)."""
        log_ = list(self.latency_log)
        if not log_:
            return math.nan, math.nan
        end = log_[-1][0]
        first = [ms for t, ms in log_ if t <= window_s]
        last = [ms for t, ms in log_ if t >= end - window_s]
        return statistics.median(first), statistics.median(last)


__all__ = ["ICE_ENV", "ConfigError", "LiveCoach", "LiveStatus", "ice_servers_from_env", "rtc_configuration"]

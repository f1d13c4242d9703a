"""Frame sources: a video file, a webcam, or any iterable of arrays.

Every source yields :class:`Frame` objects with an upright BGR image (rotation metadata applied)
and a timestamp in seconds that strictly increases. Video files are decoded with PyAV, and their
timestamps come from the stream's presentation times, so variable-frame-rate clips keep real time.
"""

from __future__ import annotations

import math
import os
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MIN_STEP_S = 0.001  # MediaPipe VIDEO mode needs strictly increasing integer milliseconds
# Decode limits: an 8K frame peaked at 618 MB RSS and a 15000x15000 one at 2.3 GB (1080p: 340 MB),
# see benchmarks/bench_big_input_memory.py; a set is minutes long, and every frame's pose is kept.
MAX_SIDE_PX = 4096  # larger frames are refused before decoding (4K UHD and DCI 4K fit)
MAX_DURATION_S = 20 * 60.0
# FFmpeg's demuxers for single pictures ("png_pipe", "jpeg_pipe", ... and "image2"): not videos.
STILL_IMAGE_FORMATS = ("image2", "_pipe")


class VideoError(Exception):
    """A video cannot be opened or decoded. The message is one line meant for the user."""


@dataclass(frozen=True)
class VideoInfo:
    """What we know about a stream before decoding it.

    ``width``/``height`` are of the upright image (after rotation); ``rotation_deg`` is the
    clockwise rotation applied to the stored frames to make them upright (0, 90, 180, 270).
    ``frame_count`` is the count the container's header gives (0 when it gives none, as in MKV/WebM);
    ``duration_s`` is the stream's length from its header, start offset excluded (0 when unknown).
    ``timestamps`` is False for streams without presentation times (raw H.264): their frames are
    timed at ``fps``, which is then the stream's own declared rate or FFmpeg's 25 fps guess.
    """

    fps: float
    width: int
    height: int
    frame_count: int
    rotation_deg: int = 0
    duration_s: float = 0.0
    codec: str = ""
    timestamps: bool = True


@dataclass(frozen=True)
class Frame:
    image: np.ndarray  # (H, W, 3) uint8 BGR, C-contiguous, upright
    timestamp_s: float
    index: int


def _upright(img: np.ndarray, rotation_deg: int) -> np.ndarray:
    """Rotate ``img`` clockwise by ``rotation_deg`` (a multiple of 90)."""
    k = (rotation_deg // 90) % 4
    if k == 0:
        return img
    return np.ascontiguousarray(np.rot90(img, k=-k))


def _clockwise_rotation(display_rotation_ccw: float) -> int:
    """FFmpeg's display-matrix angle is counter-clockwise; return the clockwise fix, snapped to 90."""
    return int(round(-display_rotation_ccw / 90.0)) * 90 % 360


class VideoFileSource:
    """Decode a video file into upright BGR frames.

    Raises :class:`VideoError` with a one-line message for a missing path, a directory, an empty
    or non-video file, or a file without a video stream. Corrupt frames in the middle are skipped
    (decoding resumes at the next good packet); ``skipped_frames`` counts them.

    ``max_side_px`` scales larger frames down (aspect kept, even size) while decoding: the pose
    model looks at 256 px anyway, and a 4000x3000 clip would otherwise cost time and memory.
    Still images, frames over :data:`MAX_SIDE_PX` and streams over ``max_duration_s`` (default
    :data:`MAX_DURATION_S`) are refused with a :class:`VideoError`: the size and the header's
    duration before anything is decoded, a stream without a duration once it runs past the limit.

    With ``prefetch > 0`` a background thread decodes up to that many frames ahead, so decoding
    overlaps pose inference on the other core instead of adding to it.

    ``start_s > 0`` seeks to the last keyframe at or before that time (seconds from the first
    frame): frames then start there, with the same timestamps as a decode from the start, and
    ``index`` is -1 (unknown relative to the file).
    """

    def __init__(self, path: str | os.PathLike, prefetch: int = 4, max_side_px: int | None = None,
                 max_duration_s: float = MAX_DURATION_S, start_s: float = 0.0) -> None:
        import av  # local: PyAV is heavy and only file decoding needs it

        self.path = Path(path)
        self.start_s = start_s
        self.prefetch = prefetch
        self.max_duration_s = max_duration_s
        if max_side_px is not None and max_side_px < 16:
            raise ValueError(f"max_side_px must be >= 16, got {max_side_px!r}")
        self.max_side_px = max_side_px
        if not self.path.exists():
            raise VideoError(f"{self.path}: no such file")
        if self.path.is_dir():
            raise VideoError(f"{self.path}: is a directory, not a video file")
        if self.path.stat().st_size == 0:
            raise VideoError(f"{self.path}: file is empty (0 bytes)")
        try:
            # max_pixels: FFmpeg's probe decodes a first picture; a 15000x15000 one took 550 MB before
            # formcoach could refuse it (106 MB with this limit)
            self._container = av.open(str(self.path), mode="r", metadata_errors="ignore",
                                      options={"max_pixels": str(MAX_SIDE_PX * MAX_SIDE_PX)})
        except (av.FFmpegError, UnicodeDecodeError, OSError, ValueError) as e:
            raise VideoError(f"{self.path}: not a readable video file ({_short(e)})") from None
        if not self._container.streams.video:
            self._container.close()
            raise VideoError(f"{self.path}: contains no video stream")
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        self.skipped_frames = 0
        self._first: Frame | None = None
        self._frames_iter: Iterator[Frame] | None = None
        self.info = self._probe()

    def _refuse(self, message: str) -> None:
        self.close()
        raise VideoError(f"{self.path}: {message}")

    def _probe(self) -> VideoInfo:
        s, c = self._stream, self._container
        fmt = c.format.name or ""
        if fmt == "image2" or fmt.endswith("_pipe"):
            self._refuse(f"is a still image ({s.codec_context.name.upper()}), not a video; "
                         "formcoach needs a video of the exercise")
        w0, h0 = s.codec_context.width, s.codec_context.height
        if max(w0, h0) > MAX_SIDE_PX:
            self._refuse(f"{w0}x{h0} frames are larger than formcoach decodes (at most {MAX_SIDE_PX} pixels "
                         "a side, 4K); export the video at 4K or 1080p")
        duration = 0.0
        if s.duration is not None and s.time_base is not None:
            duration = float(s.duration * s.time_base)
        elif c.duration:  # MKV/WebM: the container's, which counts from its start time, not from 0
            duration = max(0.0, (c.duration - (c.start_time or 0)) / 1_000_000)
        if duration > self.max_duration_s:
            self._refuse(f"is {_span(duration)} long; formcoach checks videos up to "
                         f"{_span(self.max_duration_s)}: trim it to the set you want checked")
        # Decode the first frame now: it proves the file decodes and carries the rotation.
        self._frames_iter = self._decode()
        try:
            self._first = next(self._frames_iter)
        except StopIteration:
            self.close()
            raise VideoError(f"{self.path}: no decodable video frames") from None
        h, w = self._first.image.shape[:2]
        if self.start_s > 0:
            self._first = None
            self._frames_iter = self._decode(self.start_s)
        fps = self._untimed_fps if not self._timestamps else float(s.average_rate or s.guessed_rate or 0)
        if not fps or not math.isfinite(fps):
            fps = 30.0
        return VideoInfo(fps=fps, width=w, height=h, frame_count=int(s.frames or 0),
                         rotation_deg=self._rotation, duration_s=duration, codec=s.codec_context.name,
                         timestamps=self._timestamps)

    def _decode(self, start_s: float = 0.0) -> Iterator[Frame]:
        import av

        s = self._stream
        last_t = -math.inf
        index = 0
        t0 = None
        if start_s > 0:  # after the probe's decode: keep its t0, rotation and clock
            t0, index = self._t0, -1
            self._container.seek(int((t0 + start_s) / s.time_base), stream=s, backward=True, any_frame=False)
        else:
            self._rotation = 0
            self._timestamps = True
            # Without presentation times (raw H.264) the codec's declared rate is the best clock; the
            # demuxer's average_rate is then only FFmpeg's 25 fps default.
            rate = s.guessed_rate or s.average_rate
            self._untimed_fps = float(rate) if rate else 30.0
        packets = self._container.demux(s)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.FFmpegError:
                self.skipped_frames += 1
                continue
            try:
                frames = packet.decode()
            except av.FFmpegError:
                self.skipped_frames += 1
                continue
            for vf in frames:
                if index == 0 and t0 is None:
                    self._rotation = _clockwise_rotation(getattr(vf, "rotation", 0) or 0)
                try:
                    img = vf.to_ndarray(format="bgr24", **self._scaled_size(vf.width, vf.height))
                except (av.FFmpegError, ValueError):
                    self.skipped_frames += 1
                    continue
                t = vf.time
                if t is None:
                    self._timestamps = False
                    t = index / self._untimed_fps
                if t0 is None:
                    t0 = self._t0 = t
                t = max(float(t) - t0, last_t + MIN_STEP_S)  # start at 0, strictly increasing
                last_t = t
                if t > self.max_duration_s:
                    raise VideoError(f"{self.path}: longer than the {_span(self.max_duration_s)} formcoach "
                                     "checks; trim it to the set you want checked")
                yield Frame(_upright(np.ascontiguousarray(img), self._rotation), t, index)
                if index >= 0:
                    index += 1

    def _scaled_size(self, w: int, h: int) -> dict[str, int]:
        m = self.max_side_px
        if m is None or max(w, h) <= m:
            return {}
        k = m / max(w, h)
        return {"width": max(2, int(w * k) // 2 * 2), "height": max(2, int(h * k) // 2 * 2)}

    def __iter__(self) -> Iterator[Frame]:
        if self._frames_iter is None:
            raise VideoError(f"{self.path}: source already consumed")
        it, self._frames_iter = self._frames_iter, None
        first, self._first = self._first, None
        try:
            if first is not None:
                yield first
            if self.prefetch > 0:
                yield from prefetched(it, self.prefetch)
            else:
                yield from it
        finally:
            self.close()

    def close(self) -> None:
        c = getattr(self, "_container", None)
        if c is not None:
            c.close()
            self._container = None

    def __enter__(self) -> VideoFileSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class WebcamSource:
    """Frames from a local camera (OpenCV index); timestamps from a monotonic clock at capture."""

    def __init__(self, index: int = 0) -> None:
        import cv2

        self._cap = cv2.VideoCapture(index)
        if not self._cap.isOpened():
            raise VideoError(f"camera {index}: cannot be opened")
        fps = self._cap.get(cv2.CAP_PROP_FPS) or 30.0
        w = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        h = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.info = VideoInfo(fps=fps, width=w, height=h, frame_count=0)

    def __iter__(self) -> Iterator[Frame]:
        t0 = time.monotonic()
        last = -math.inf
        index = 0
        try:
            while True:
                ok, img = self._cap.read()
                if not ok:
                    break
                t = max(time.monotonic() - t0, last + MIN_STEP_S)
                last = t
                yield Frame(np.ascontiguousarray(img), t, index)
                index += 1
        finally:
            self._cap.release()


class ArraySource:
    """Frames from an iterable of BGR arrays at a fixed frame rate (tests, generated input)."""

    def __init__(self, images: Iterable[np.ndarray], fps: float = 30.0) -> None:
        if not fps > 0:
            raise ValueError(f"fps must be > 0, got {fps!r}")
        self._images = images
        self.fps = float(fps)
        self.info = VideoInfo(fps=self.fps, width=0, height=0, frame_count=0)

    def __iter__(self) -> Iterator[Frame]:
        for i, img in enumerate(self._images):
            yield Frame(np.ascontiguousarray(img), i / self.fps, i)


def prefetched(it: Iterator[Frame], depth: int) -> Iterator[Frame]:
    """Run ``it`` in a background thread, ``depth`` items ahead; errors re-raise in the consumer.

    Stopping early (``break``, ``close()``) stops the thread before this generator returns, so
    the underlying decoder is never used after its container is closed.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def work() -> None:
        try:
            for item in it:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as e:  # noqa: BLE001 - handed to the consumer
            q.put(e)

    t = threading.Thread(target=work, name="frame-prefetch", daemon=True)
    t.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while t.is_alive():
            try:
                q.get(timeout=0.05)
            except queue.Empty:
                pass
        t.join()


def open_source(video: str | os.PathLike | None = None, webcam: int | None = None):
    """A file source or a webcam source: exactly one of ``video`` and ``webcam``."""
    if (video is None) == (webcam is None):
        raise ValueError("give exactly one of video= and webcam=")
    return VideoFileSource(video) if video is not None else WebcamSource(webcam)


def _span(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


def _short(e: BaseException) -> str:
    reason = getattr(e, "strerror", None)
    if reason:
        return str(reason)[:120]
    msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    # FFmpeg errors repeat the path; keep the reason only.
    return msg.split(": '")[0][:120]

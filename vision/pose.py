"""MediaPipe PoseLandmarker (Tasks API, VIDEO mode) behind a small estimator class.

This is the only module that touches MediaPipe's result types: :func:`pose_frame_from_result`
converts them to the project's :class:`exercises.pose.PoseFrame` (normalised -> pixels).

One :class:`PoseEstimator` per stream: VIDEO mode keeps tracking state and needs strictly
increasing millisecond timestamps, so an instance must never be shared between users or videos.
Close it (``with`` block or ``close()``); mediapipe 1.2.2 raises at interpreter exit otherwise.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import cv2
import numpy as np

from exercises.pose import NUM_LANDMARKS, PoseFrame

from .models import DEFAULT_MODEL, ModelError, resolve_model
from .offline import keep_offline

os.environ.setdefault("GLOG_minloglevel", "2")  # quiet MediaPipe's W0000 log lines

# A gap longer than this between two frames restarts tracking (the next frame is a fresh detection).
# VIDEO mode otherwise keeps following the region found on the previous frame: a live stream's first
# WebRTC frame (a blurred low-bitrate key frame) followed by a 1.9 s gap locked the lite model onto a
# wrong pose for 13 s of the rendered clean dead bug, while the same frames from the file did not.
TRACKING_RESET_GAP_S = 0.5

# The tracked pose is checked against a fresh reading of the frame turned 180 degrees: on the first
# detection, after a tracking restart and then every ORIENTATION_PROBE_S media seconds. MediaPipe can
# read a person lying on the floor head-to-foot reversed and keep tracking that (a rendered knee plank
# filmed from 1.1 m up with a wide lens, both models, every frame: wrists drawn past the head, 1.5 torso
# lengths off), while the same frame turned 180 or 90 degrees is read right. Tracking moves to the turned
# frames only when the turned reading puts the limbs at least PROBE_REVERSED_TORSO from the tracked ones
# (a reversal: 1.1-1.9 there) and a reading turned 90 degrees agrees with it within PROBE_AGREE_TORSO (0.02-
# 0.04 there). Agreeing with each other is not enough: on a real bird-dog both turned readings collapsed the
# same wrong way, 0.6-0.7 from the right tracked pose (and from an end-on plank, 0.6). Distances: median over
# the 12 limb joints, in torso lengths; on the ten real clips a right pose and its turned reading differ by
# 0.01-0.11 (full) / 0.02-0.34 (lite). No other rendered corpus clip and no real clip turns.
ORIENTATION_PROBE_S = 10.0  # a reading costs 1.6 (full) - 2 (lite) tracked frames: 1-1.3 % of a 15 fps stream
PROBE_REVERSED_TORSO = 1.0
PROBE_AGREE_TORSO = 0.25
_LIMB_JOINTS = (11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)  # shoulders, elbows, wrists, hips, knees, ankles


@dataclass(frozen=True)
class PoseOptions:
    """Landmarker settings. ``model``: ``lite`` | ``full`` | ``heavy`` | path to a ``.task``.

    Confidences default to 0.3: the stack notes measured that 0.5 loses hard backlit stretches
    that the legacy pipeline kept. ``orientation_probe_s``: how often (media seconds) the tracked pose is
    checked against a reading of the frame turned 180 degrees (see ``ORIENTATION_PROBE_S``); None = never.
    """

    model: str = DEFAULT_MODEL
    min_pose_detection_confidence: float = 0.3
    min_pose_presence_confidence: float = 0.3
    min_tracking_confidence: float = 0.3
    num_poses: int = 1
    orientation_probe_s: float | None = ORIENTATION_PROBE_S

    def __post_init__(self) -> None:
        for name in ("min_pose_detection_confidence", "min_pose_presence_confidence",
                     "min_tracking_confidence"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {v!r}")
        if self.num_poses < 1:
            raise ValueError(f"num_poses must be >= 1, got {self.num_poses!r}")
        if self.orientation_probe_s is not None and not self.orientation_probe_s > 0:
            raise ValueError(f"orientation_probe_s must be > 0 or None, got {self.orientation_probe_s!r}")


def pose_frame_from_result(result, image_wh: tuple[int, int], timestamp_s: float,
                           person: int = 0) -> PoseFrame:
    """Convert a ``PoseLandmarkerResult`` to a :class:`PoseFrame` in pixels.

    Returns ``PoseFrame.empty`` when the result holds no person. ``visibility`` is MediaPipe's
    visibility (None -> 0). World landmarks, when present, are copied in metres.
    """
    poses = getattr(result, "pose_landmarks", None) or []
    if len(poses) <= person:
        return PoseFrame.empty(timestamp_s, image_wh)
    w, h = image_wh
    lms = poses[person]
    if len(lms) != NUM_LANDMARKS:
        return PoseFrame.empty(timestamp_s, image_wh)
    xy = np.array([[lm.x * w, lm.y * h] for lm in lms], dtype=np.float64)
    vis = np.array([lm.visibility if lm.visibility is not None else 0.0 for lm in lms], dtype=np.float64)
    world = None
    worlds = getattr(result, "pose_world_landmarks", None) or []
    if len(worlds) > person and len(worlds[person]) == NUM_LANDMARKS:
        world = np.array([[p.x, p.y, p.z] for p in worlds[person]], dtype=np.float64)
    return PoseFrame(xy=xy, visibility=vis, timestamp_s=timestamp_s, image_wh=(w, h), world_xyz=world)


def limb_disagreement(a: np.ndarray, b: np.ndarray) -> float:
    """How far apart two readings of one person are: the median distance of the 12 limb joints of two
    (33, 2) pixel poses, in torso lengths (the mean of both poses' shoulder-midpoint to hip-midpoint
    distance). NaN when a pose lacks those joints."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)

    def torso(xy: np.ndarray) -> float:
        return float(np.linalg.norm((xy[11] + xy[12]) / 2 - (xy[23] + xy[24]) / 2))

    scale = (torso(a) + torso(b)) / 2
    d = np.linalg.norm(a[list(_LIMB_JOINTS)] - b[list(_LIMB_JOINTS)], axis=1)
    if not (np.isfinite(scale) and scale > 0) or not np.isfinite(d).any():
        return math.nan
    return float(np.nanmedian(d) / scale)


def turn_pose_180(pose: PoseFrame) -> PoseFrame:
    """The pose read on a frame turned 180 degrees, in the unturned frame's pixels (x -> w - x, y -> h - y;
    world x and y change sign, z is kept). A turn is not a mirror: left stays left."""
    if not pose.detected:
        return pose
    w, h = pose.image_wh
    world = None if pose.world_xyz is None else pose.world_xyz * np.array([-1.0, -1.0, 1.0])
    return PoseFrame(xy=np.array([w, h], dtype=np.float64) - pose.xy, visibility=pose.visibility,
                     timestamp_s=pose.timestamp_s, image_wh=pose.image_wh, world_xyz=world)


def _open_landmarker(path, running_mode: str, **options):
    """A MediaPipe PoseLandmarker for ``path`` in ``running_mode`` (``VIDEO`` | ``IMAGE``).

    Raises :class:`ModelError` naming the path when the file cannot be loaded. MediaPipe's native usage
    logger is kept on this machine first (:mod:`vision.offline`)."""
    keep_offline()
    from mediapipe.tasks.python import BaseOptions
    from mediapipe.tasks.python import vision as mp_vision

    opts = mp_vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(path)),
                                           running_mode=getattr(mp_vision.RunningMode, running_mode), **options)
    try:
        return mp_vision.PoseLandmarker.create_from_options(opts)
    except (RuntimeError, ValueError) as e:
        raise ModelError(f"pose model {path}: cannot be loaded ({str(e).splitlines()[0]})") from None


class _Closing:
    """``with`` support and a last-resort close for the MediaPipe holders below (mediapipe 1.2.2 raises at
    interpreter exit on a landmarker left open). Subclasses define ``close``."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:  # last resort; prefer close()
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finaliser
            pass


class _ImageLandmarker(_Closing):
    """A PoseLandmarker in IMAGE mode (no tracking state): the base of the single-frame readers below."""

    def __init__(self, model: str, num_poses: int, min_detection: float, min_presence: float) -> None:
        self._landmarker = _open_landmarker(resolve_model(model), "IMAGE", num_poses=num_poses,
                                            min_pose_detection_confidence=min_detection,
                                            min_pose_presence_confidence=min_presence)

    def _detect(self, image_bgr: np.ndarray):
        import mediapipe as mp

        if self._landmarker is None:
            raise RuntimeError(f"{type(self).__name__} is closed")
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        return self._landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))

    def close(self) -> None:
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None



class StillReader(_ImageLandmarker):
    """One person's pose read from single frames (IMAGE mode: no tracking state), for the orientation probe.

    Stateless between calls, so one reader can serve many streams in turn (``formcoach.engine.PoseModels``
    keeps one per worker: building and freeing a graph per video grew a worker's memory).
    """

    def __init__(self, options: PoseOptions | None = None) -> None:
        options = options or PoseOptions()
        super().__init__(options.model, 1, options.min_pose_detection_confidence, options.min_pose_presence_confidence)

    def read(self, image_bgr: np.ndarray) -> PoseFrame:
        """The pose in ``image_bgr``'s pixels (timestamp 0; ``PoseFrame.empty`` when no one is found)."""
        h, w = image_bgr.shape[:2]
        return pose_frame_from_result(self._detect(image_bgr), (w, h), 0.0)


class PoseEstimator(_Closing):
    """Run PoseLandmarker on a stream of BGR frames.

    >>> with PoseEstimator(PoseOptions(model="lite")) as est:      # doctest: +SKIP
    ...     pose = est.process(frame_bgr, timestamp_s=0.033)

    ``people_seen`` is the number of people found in the latest frame (only meaningful with
    ``num_poses > 1``). The first person (MediaPipe's order) is returned. A gap of more than
    ``reset_gap_s`` media seconds between frames restarts tracking (``tracking_resets`` counts it),
    so a file and a live stream with dropped or stalled frames are tracked the same way. The orientation
    probe (``PoseOptions.orientation_probe_s``) may switch tracking to the frame turned 180 degrees
    (``orientation_turns`` counts switches); poses are always returned in the frame's own pixels. ``still``:
    a :class:`StillReader` for the probe, shared and closed by the caller (default: one of its own).
    """

    def __init__(self, options: PoseOptions | None = None, reset_gap_s: float = TRACKING_RESET_GAP_S,
                 still: StillReader | None = None) -> None:
        if not reset_gap_s > 0:
            raise ValueError(f"reset_gap_s must be > 0, got {reset_gap_s!r}")
        self.options = options or PoseOptions()
        self.model_path = resolve_model(self.options.model)
        self.reset_gap_s = reset_gap_s
        self._landmarker = self._open()
        # The probe's reader is opened with the tracker (~0.1 s), not inside the first probed frame.
        self._own_still = still is None and self.options.orientation_probe_s is not None
        self._still = StillReader(self.options) if self._own_still else still
        self._last_ms = -1
        self._last_t: float | None = None
        self._turned = False  # tracking runs on the frame turned 180 degrees
        self._next_probe_s = -math.inf
        self.people_seen = 0
        self.tracking_resets = 0
        self.orientation_turns = 0

    def _open(self):
        return _open_landmarker(
            self.model_path, "VIDEO", num_poses=self.options.num_poses,
            min_pose_detection_confidence=self.options.min_pose_detection_confidence,
            min_pose_presence_confidence=self.options.min_pose_presence_confidence,
            min_tracking_confidence=self.options.min_tracking_confidence)

    def detect(self, image_bgr: np.ndarray, timestamp_s: float):
        """Raw ``PoseLandmarkerResult`` for one frame (timestamps forced strictly increasing)."""
        import mediapipe as mp

        if self._landmarker is None:
            raise RuntimeError("PoseEstimator is closed")
        if self._last_t is not None and timestamp_s - self._last_t > self.reset_gap_s:
            self._landmarker.close()  # tracking state is stale after a gap: detect afresh
            self._landmarker = self._open()
            self.tracking_resets += 1
            self._next_probe_s = -math.inf
        self._last_t = timestamp_s if self._last_t is None else max(self._last_t, timestamp_s)
        ms = int(math.floor(timestamp_s * 1000.0))
        ms = max(ms, self._last_ms + 1)
        self._last_ms = ms
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)  # always a new C-contiguous array
        return self._landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), ms)

    def process(self, image_bgr: np.ndarray, timestamp_s: float) -> PoseFrame:
        h, w = image_bgr.shape[:2]
        work = cv2.rotate(image_bgr, cv2.ROTATE_180) if self._turned else image_bgr
        result = self.detect(work, timestamp_s)
        pose = pose_frame_from_result(result, (w, h), timestamp_s)
        if pose.detected and self._probe_due(timestamp_s) and self._reads_better_turned(work, pose):
            self._turned = not self._turned
            self.orientation_turns += 1
            self._landmarker.close()  # follow the person on the turned frames from a fresh detection
            self._landmarker = self._open()
            work = cv2.rotate(image_bgr, cv2.ROTATE_180) if self._turned else image_bgr
            result = self.detect(work, timestamp_s)
            pose = pose_frame_from_result(result, (w, h), timestamp_s)
        self.people_seen = len(result.pose_landmarks or [])
        return turn_pose_180(pose) if self._turned else pose

    def _probe_due(self, t: float) -> bool:
        """Probes fall on the first detected frame at or after each multiple of the interval (media time)."""
        every = self.options.orientation_probe_s
        if every is None or t < self._next_probe_s:
            return False
        self._next_probe_s = (math.floor(t / every) + 1) * every
        return True

    def _reads_better_turned(self, work: np.ndarray, pose: PoseFrame) -> bool:
        """True when the frame turned 180 degrees reads the body the other way round from the tracked ``pose``
        and a reading turned 90 degrees agrees with the turned one (all compared in ``work``'s pixels)."""
        if self._still is None:
            return False
        flipped = self._still.read(cv2.rotate(work, cv2.ROTATE_180))
        if not flipped.detected:
            return False
        flipped_xy = turn_pose_180(flipped).xy
        if not limb_disagreement(pose.xy, flipped_xy) >= PROBE_REVERSED_TORSO:
            return False
        side = self._still.read(cv2.rotate(work, cv2.ROTATE_90_CLOCKWISE))
        if not side.detected:
            return False
        h = work.shape[0]
        side_xy = np.stack([side.xy[:, 1], h - side.xy[:, 0]], axis=1)  # turned (x', y') = (h - y, x)
        return (limb_disagreement(pose.xy, side_xy) >= PROBE_REVERSED_TORSO
                and limb_disagreement(flipped_xy, side_xy) < PROBE_AGREE_TORSO)

    def close(self) -> None:
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None
        if self._own_still and self._still is not None:
            self._still.close()
        self._still = None



class PeopleCounter(_ImageLandmarker):
    """Count people in single frames (IMAGE mode, up to ``max_people``).

    The tracking estimator follows one person and cannot tell that someone else is in view, and
    asking it for two poses nearly doubles its cost. Sampling this counter every second or two
    costs about one extra inference per sample instead.
    """

    def __init__(self, model: str = DEFAULT_MODEL, max_people: int = 3, min_confidence: float = 0.5) -> None:
        super().__init__(model, max_people, min_confidence, min_confidence)

    def count(self, image_bgr: np.ndarray) -> int:
        return len(self._detect(image_bgr).pose_landmarks or [])

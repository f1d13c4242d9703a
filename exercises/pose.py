"""The pose-frame type every checker consumes, with named landmarks.

Conventions
-----------
* ``xy`` is in **pixels** of the analysed (upright) image; x points right, **y points down**.
* "left"/"right" are the *person's* left and right (MediaPipe's convention), not the viewer's.
  A mirrored webcam preview must mirror only the display, never the data.
* A landmark that was not detected has ``xy = NaN`` and ``visibility = 0``.
* ``world_xyz`` (optional) is MediaPipe's metric world frame: metres, origin at the hip centre,
  y points down, z points away from the camera (smaller z = closer to the camera).
* ``timestamp_s`` is media time in seconds (frame pts for files, capture time for webcams),
  never the wall clock, so files and webcams behave the same.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np

NUM_LANDMARKS = 33


class Landmark(enum.IntEnum):
    """BlazePose landmark indices (same values as MediaPipe's ``PoseLandmark``)."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


class Side(str, enum.Enum):
    """The person's body side."""

    LEFT = "left"
    RIGHT = "right"

    @property
    def other(self) -> Side:
        return Side.RIGHT if self is Side.LEFT else Side.LEFT


_SIDED = {
    "shoulder": (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    "elbow": (Landmark.LEFT_ELBOW, Landmark.RIGHT_ELBOW),
    "wrist": (Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST),
    "hip": (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    "knee": (Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE),
    "ankle": (Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE),
    "heel": (Landmark.LEFT_HEEL, Landmark.RIGHT_HEEL),
    "foot_index": (Landmark.LEFT_FOOT_INDEX, Landmark.RIGHT_FOOT_INDEX),
    "ear": (Landmark.LEFT_EAR, Landmark.RIGHT_EAR),
    "eye": (Landmark.LEFT_EYE, Landmark.RIGHT_EYE),
}


_SIDED_BY = {(joint, side): pair[0] if side is Side.LEFT else pair[1]
             for joint, pair in _SIDED.items() for side in Side}


def sided(joint: str, side: Side) -> Landmark:
    """``sided("hip", Side.LEFT) -> Landmark.LEFT_HIP``."""
    try:
        return _SIDED_BY[joint, side]
    except KeyError:
        raise ValueError(f"unknown joint {joint!r} or side {side!r}; expected one of {sorted(_SIDED)}") from None


# Skeleton edges used for drawing (body only, no face mesh).
SKELETON_EDGES: tuple[tuple[Landmark, Landmark], ...] = (
    (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_ELBOW),
    (Landmark.LEFT_ELBOW, Landmark.LEFT_WRIST),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_ELBOW),
    (Landmark.RIGHT_ELBOW, Landmark.RIGHT_WRIST),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP),
    (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    (Landmark.LEFT_HIP, Landmark.LEFT_KNEE),
    (Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE),
    (Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE),
    (Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE),
    (Landmark.LEFT_ANKLE, Landmark.LEFT_HEEL),
    (Landmark.LEFT_HEEL, Landmark.LEFT_FOOT_INDEX),
    (Landmark.LEFT_ANKLE, Landmark.LEFT_FOOT_INDEX),
    (Landmark.RIGHT_ANKLE, Landmark.RIGHT_HEEL),
    (Landmark.RIGHT_HEEL, Landmark.RIGHT_FOOT_INDEX),
    (Landmark.RIGHT_ANKLE, Landmark.RIGHT_FOOT_INDEX),
    (Landmark.NOSE, Landmark.LEFT_EAR),
    (Landmark.NOSE, Landmark.RIGHT_EAR),
)


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float64, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class PoseFrame:
    """One person's pose in one video frame.

    Attributes:
        xy: (33, 2) float pixels, image y down; NaN where not detected.
        visibility: (33,) in [0, 1]; 0 where not detected.
        timestamp_s: media time of the frame in seconds.
        image_wh: (width, height) of the analysed image in pixels.
        world_xyz: optional (33, 3) metres (MediaPipe world frame, hip-centred, y down).
    """

    xy: np.ndarray
    visibility: np.ndarray
    timestamp_s: float
    image_wh: tuple[int, int]
    world_xyz: np.ndarray | None = None
    detected: bool = field(default=True)

    def __post_init__(self) -> None:
        xy = np.asarray(self.xy, dtype=np.float64)
        vis = np.asarray(self.visibility, dtype=np.float64)
        if xy.shape != (NUM_LANDMARKS, 2):
            raise ValueError(f"xy must have shape ({NUM_LANDMARKS}, 2), got {xy.shape}")
        if vis.shape != (NUM_LANDMARKS,):
            raise ValueError(f"visibility must have shape ({NUM_LANDMARKS},), got {vis.shape}")
        vis = np.where(np.isfinite(vis), np.clip(vis, 0.0, 1.0), 0.0)
        # A landmark without finite coordinates is not visible, whatever the model said.
        vis = np.where(np.isfinite(xy).all(axis=1), vis, 0.0)
        object.__setattr__(self, "xy", _readonly(xy))
        object.__setattr__(self, "visibility", _readonly(vis))
        if self.world_xyz is not None:
            w = np.asarray(self.world_xyz, dtype=np.float64)
            if w.shape != (NUM_LANDMARKS, 3):
                raise ValueError(f"world_xyz must have shape ({NUM_LANDMARKS}, 3), got {w.shape}")
            object.__setattr__(self, "world_xyz", _readonly(w))
        t = float(self.timestamp_s)
        if not np.isfinite(t):
            raise ValueError(f"timestamp_s must be finite, got {self.timestamp_s!r}")
        object.__setattr__(self, "timestamp_s", t)
        w_px, h_px = (int(v) for v in self.image_wh)
        if w_px <= 0 or h_px <= 0:
            raise ValueError(f"image_wh must be positive, got {self.image_wh!r}")
        object.__setattr__(self, "image_wh", (w_px, h_px))

    @classmethod
    def empty(cls, timestamp_s: float, image_wh: tuple[int, int]) -> PoseFrame:
        """A frame in which no person was found (time still advances)."""
        return cls(
            xy=np.full((NUM_LANDMARKS, 2), np.nan),
            visibility=np.zeros(NUM_LANDMARKS),
            timestamp_s=timestamp_s,
            image_wh=image_wh,
            detected=False,
        )

    def point(self, lm: Landmark) -> np.ndarray:
        """Pixel (x, y) of one landmark (NaN if not detected)."""
        return self.xy[int(lm)]

    def vis(self, lm: Landmark) -> float:
        return self.visibility.item(lm)  # a Python float, without a NumPy scalar in between

    def midpoint(self, a: Landmark, b: Landmark) -> np.ndarray:
        return (self.xy[int(a)] + self.xy[int(b)]) / 2.0

    def world(self, lm: Landmark) -> np.ndarray | None:
        return None if self.world_xyz is None else self.world_xyz[int(lm)]

    def visible(self, *lms: Landmark, min_visibility: float = 0.5) -> bool:
        """True when every named landmark is detected with at least ``min_visibility``."""
        return all(self.visibility[int(lm)] >= min_visibility for lm in lms)

    def in_frame(self, lm: Landmark, margin_px: float = 0.0) -> bool:
        """True when the landmark lies inside the image (shrunk by ``margin_px``)."""
        x, y = self.xy[lm].tolist()
        w, h = self.image_wh
        return bool(margin_px <= x <= w - margin_px and margin_px <= y <= h - margin_px)

    def with_xy(self, xy: np.ndarray, world_xyz: np.ndarray | None = None) -> PoseFrame:
        """A copy with new coordinates (e.g. after smoothing)."""
        return PoseFrame(
            xy=xy,
            visibility=self.visibility,
            timestamp_s=self.timestamp_s,
            image_wh=self.image_wh,
            world_xyz=self.world_xyz if world_xyz is None else world_xyz,
            detected=self.detected,
        )

    def mirrored(self) -> PoseFrame:
        """The frame as seen in a horizontally flipped image (x -> w - x).

        Landmark identities are kept (the person's left stays LEFT); only pixels move.
        """
        xy = self.xy.copy()
        xy[:, 0] = self.image_wh[0] - xy[:, 0]
        return self.with_xy(xy)

"""Save and load pose-frame sequences as ``.npz`` (golden test data, ``formcoach analyze --landmarks``).

Arrays: ``t`` (N,) seconds; ``xy`` (N, 33, 2) pixels; ``vis`` (N, 33); ``world`` (N, 33, 3) metres
(NaN where absent); ``detected`` (N,) bool; ``image_wh`` (2,) int. ``meta`` is a JSON string.

``compact=True`` (the committed corpus caches) stores ``xy`` as uint16 fixed point of the image
width/height over -0.5..1.5 (``xy_q``: steps of 2/65535 of the side, 0.04 px at 1280; 65535 = NaN)
and ``vis`` / ``world`` as float16 (steps of 0.0005 near 1); about a third of the full size.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from exercises.pose import NUM_LANDMARKS, PoseFrame

from .atomic import atomic_path

_Q_MAX = 65535
_Q_LO, _Q_SPAN = -0.5, 2.0  # fixed-point range of xy / image side


def save_frames(path: str | os.PathLike, frames: Sequence[PoseFrame], meta: dict | None = None,
                compact: bool = False) -> Path:
    if not frames:
        raise ValueError("no frames to save")
    n = len(frames)
    world = np.full((n, NUM_LANDMARKS, 3), np.nan)
    for i, f in enumerate(frames):
        if f.world_xyz is not None:
            world[i] = f.world_xyz
    arrays = dict(
        t=np.array([f.timestamp_s for f in frames]),
        xy=np.stack([f.xy for f in frames]).astype(np.float32),
        vis=np.stack([f.visibility for f in frames]).astype(np.float32),
        world=world.astype(np.float32),
        detected=np.array([f.detected for f in frames]),
        image_wh=np.array(frames[0].image_wh),
        meta=np.array(json.dumps(meta or {})),
    )
    if compact:
        wh = np.array(frames[0].image_wh, dtype=float)
        q = np.round((arrays.pop("xy") / wh - _Q_LO) / _Q_SPAN * (_Q_MAX - 1))
        q = np.where(np.isfinite(q), np.clip(q, 0, _Q_MAX - 1), _Q_MAX)
        arrays["xy_q"] = q.astype(np.uint16)
        arrays["vis"] = arrays["vis"].astype(np.float16)
        arrays["world"] = arrays["world"].astype(np.float16)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    return Path(path)


def load_frames(path: str | os.PathLike) -> list[PoseFrame]:
    with np.load(path, allow_pickle=False) as z:
        t, vis, det = z["t"], z["vis"].astype(np.float32), z["detected"]
        world = z["world"].astype(np.float32)
        wh = tuple(int(v) for v in z["image_wh"])
        if "xy_q" in z:
            q = z["xy_q"]
            xy = ((q.astype(np.float64) / (_Q_MAX - 1)) * _Q_SPAN + _Q_LO) * np.array(wh, dtype=float)
            xy = np.where(q == _Q_MAX, np.nan, xy).astype(np.float32)
        else:
            xy = z["xy"]
    frames = []
    for i in range(len(t)):
        w = world[i] if np.isfinite(world[i]).all() else None
        if det[i]:
            frames.append(PoseFrame(xy=xy[i], visibility=vis[i], timestamp_s=float(t[i]), image_wh=wh, world_xyz=w))
        else:
            frames.append(PoseFrame.empty(float(t[i]), wh))
    return frames


def load_meta(path: str | os.PathLike) -> dict:
    with np.load(path, allow_pickle=False) as z:
        return json.loads(str(z["meta"]))

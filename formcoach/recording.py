"""Save and load pose-frame sequences as ``.npz`` (golden test data, ``formcoach analyze --landmarks``).

Arrays: ``t`` (N,) seconds; ``xy`` (N, 33, 2) pixels; ``vis`` (N, 33); ``world`` (N, 33, 3) metres
(NaN where absent); ``detected`` (N,) bool; ``image_wh`` (2,) int. ``meta`` is a JSON string.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from exercises.pose import NUM_LANDMARKS, PoseFrame

from .atomic import atomic_path


def save_frames(path: str | os.PathLike, frames: Sequence[PoseFrame], meta: dict | None = None) -> Path:
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
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    return Path(path)


def load_frames(path: str | os.PathLike) -> list[PoseFrame]:
    with np.load(path, allow_pickle=False) as z:
        t, xy, vis, world, det = z["t"], z["xy"], z["vis"], z["world"], z["detected"]
        wh = tuple(int(v) for v in z["image_wh"])
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

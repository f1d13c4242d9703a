"""Render clips (H.264 mp4 + ``formcoach.label/1`` JSON) from :class:`ClipSpec` s.

Usage (in the synth environment, see tools/synth/README.md)::

    python -m tools.synth.render --out sample_videos --jobs 2          # the whole sample set
    python -m tools.synth.render --out /tmp/x --only plank_sag         # some clips

Identical consecutive poses (a plank hold, the rests between reps) are posed and rendered
once and reused, so static stretches cost almost nothing.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

# torch/anny must be imported before pyrender/OSMesa (segfault otherwise)
from tools.synth.body import AnnyBody
from tools.synth.geometry import camera_pose, project
from tools.synth.poses import Poser
from tools.synth.samples import SAMPLES, by_name
from tools.synth.scene import H264Writer, Stage
from tools.synth.timeline import JOINT_NAMES, ClipSpec, build_label, pose_states, write_label

log = logging.getLogger("formcoach.synth")


def render_clip(spec: ClipSpec, out_dir: str | Path, crf: int = 20, label_dir: str | Path | None = None) -> dict:
    """Render one clip into ``out_dir`` (its label into ``label_dir``, default the same folder, written
    last); returns timing and framing statistics."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    label_dir = Path(label_dir) if label_dir is not None else out_dir
    label_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    body = AnnyBody(spec.body)
    poser = Poser(body)
    t_load = time.perf_counter() - t0

    states = pose_states(spec)
    keys = [s.key() for s in states]
    posed = {}
    t1 = time.perf_counter()
    for state, key in zip(states, keys):
        if key not in posed:
            posed[key] = poser(state)
    t_pose = time.perf_counter() - t1

    allv = np.concatenate([p.vertices for p in posed.values()])
    lo, hi = allv.min(0), allv.max(0)
    center = (lo + hi) / 2
    cam_pose = camera_pose(spec.camera, center)
    w, h, fov = spec.width, spec.height, spec.camera.yfov_deg

    joints_xy = {k: project(np.array([p.joints[n] for n in JOINT_NAMES]), cam_pose, fov, w, h)
                 for k, p in posed.items()}
    uv = np.concatenate([project(p.vertices[::7], cam_pose, fov, w, h) for p in posed.values()])
    bbox = [float(uv[:, 0].min()), float(uv[:, 1].min()), float(uv[:, 0].max()), float(uv[:, 1].max())]
    if bbox[0] < 0 or bbox[1] < 0 or bbox[2] > w or bbox[3] > h:
        log.warning("%s: body leaves the frame (bbox %s)", spec.name, np.round(bbox, 1))

    stage = Stage(w, h, fov, cam_pose, body.faces, body.colors, mat_center=center[:2],
                  mat_rgb=spec.body.color("mat"))
    t2 = time.perf_counter()
    images: dict = {}  # distinct pose -> image (the return half of a rep reuses the extension's)
    with H264Writer(out_dir / spec.file, spec.fps, w, h, crf=crf) as writer:
        for key in keys:
            if key not in images:
                images[key] = stage.render(posed[key].vertices)
            writer.write(images[key])
    t_render = time.perf_counter() - t2
    stage.close()

    label = build_label(spec, np.stack([joints_xy[k] for k in keys]))
    write_label(label_dir / f"{spec.name}.json", label)
    n_unique = len(posed)
    stats = {
        "clip": spec.name,
        "frames": spec.frames,
        "duration_s": round(spec.duration_s, 2),
        "unique_poses": n_unique,
        "load_s": round(t_load, 1),
        "pose_s_per_unique": round(t_pose / n_unique, 3),
        "render_s_per_unique": round(t_render / n_unique, 3),
        "wall_s": round(time.perf_counter() - t0, 1),
        "body_bbox_px": [round(x, 1) for x in bbox],
        "mp4_bytes": (out_dir / spec.file).stat().st_size,
    }
    log.info("%s", json.dumps(stats))
    return stats


def _cost(spec: ClipSpec) -> float:
    return spec.frames * (2.0 if spec.exercise == "bird_dog" else 1.0) * (0.2 if spec.exercise == "plank" else 1.0)


def split_jobs(specs: Sequence[ClipSpec], jobs: int) -> list[list[str]]:
    """Greedy split of clips into ``jobs`` groups of similar estimated cost."""
    groups: list[list[str]] = [[] for _ in range(jobs)]
    load = [0.0] * jobs
    for spec in sorted(specs, key=_cost, reverse=True):
        i = int(np.argmin(load))
        groups[i].append(spec.name)
        load[i] += _cost(spec)
    return [g for g in groups if g]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="sample_videos", help="output folder")
    ap.add_argument("--only", nargs="*", help="clip names from tools/synth/samples.py (default: all)")
    ap.add_argument("--jobs", type=int, default=1, help="render in this many processes")
    ap.add_argument("--crf", type=int, default=20, help="x264 quality (lower = larger files)")
    ap.add_argument("--stats", help="append per-clip statistics (JSON lines) to this file")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    specs = [by_name(n) for n in args.only] if args.only else list(SAMPLES)
    if args.jobs > 1 and len(specs) > 1:
        procs = []
        for group in split_jobs(specs, args.jobs):
            cmd = [sys.executable, "-m", "tools.synth.render", "--out", args.out, "--crf", str(args.crf), "--only",
                   *group]
            if args.stats:
                cmd += ["--stats", args.stats]
            procs.append(subprocess.Popen(cmd))
        return max(p.wait() for p in procs)
    for spec in specs:
        stats = render_clip(spec, args.out, crf=args.crf)
        if args.stats:
            with open(args.stats, "a") as fh:
                fh.write(json.dumps(stats) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""How well MediaPipe sees the synthetic clips: detection rate, landmark error, fault signals.

Runs in the project's main environment; never imports torch. The landmarks come from the product
pipeline (``formcoach analyze``'s model, confidences, One-Euro smoothing and scaling, through
``formcoach.evaluate.poses_for`` and its landmark cache)::

    python -m tools.synth.measure sample_videos --model full lite --out sample_videos/MEASUREMENTS.md

Per clip: frames where a pose was detected; mean pixel error of the 12 limb joints
(shoulders, elbows, wrists, hips, knees, ankles) against the ground truth, also as a fraction of
the ground-truth torso length (mid-shoulder to mid-hip), with and without tolerance for
left/right swaps; and for each injected fault, how much a simple 2D proxy changes between the
fault's full-magnitude interval and clean held frames, in the ground truth and in MediaPipe.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tools.synth.timeline import read_label

LIMBS = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
MP_INDEX = {"nose": 0, "left_eye": 2, "right_eye": 5, "left_ear": 7, "right_ear": 8, "left_shoulder": 11,
            "right_shoulder": 12, "left_elbow": 13, "right_elbow": 14, "left_wrist": 15, "right_wrist": 16,
            "left_hip": 23, "right_hip": 24, "left_knee": 25, "right_knee": 26, "left_ankle": 27,
            "right_ankle": 28, "left_heel": 29, "right_heel": 30, "left_foot_index": 31, "right_foot_index": 32}


def run_pipeline(video: Path, model: str) -> np.ndarray:
    """(frames, 33, 3) pixel x, y and visibility of the product pipeline's smoothed poses; NaN where
    no pose was found."""
    from formcoach.evaluate import poses_for

    out = []
    for p in poses_for(video, model):
        arr = np.full((33, 3), np.nan)
        if p.detected:
            arr = np.c_[np.asarray(p.xy, dtype=float), np.asarray(p.visibility, dtype=float)]
        out.append(arr)
    return np.stack(out)


def _angle_deg(v: np.ndarray) -> np.ndarray:
    """Elevation of 2D image vectors above the horizontal (image y points down), degrees."""
    return np.degrees(np.arctan2(-v[..., 1], np.abs(v[..., 0])))


def _signed_line_dev(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """180 - angle(a, b, c), positive when b lies below the line a-c in the image (a sag)."""
    u, w = a - b, c - b
    cos = np.sum(u * w, -1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(w, axis=-1))
    dev = 180.0 - np.degrees(np.arccos(np.clip(cos, -1, 1)))
    t = np.clip(np.sum((b - a) * (c - a), -1) / np.sum((c - a) ** 2, -1), 0, 1)
    below = (b - (a + t[..., None] * (c - a)))[..., 1] > 0
    return np.where(below, dev, -dev)


def _mid(p: np.ndarray, names: Sequence[str], key: str) -> np.ndarray:
    return (p[:, names.index("left_" + key)] + p[:, names.index("right_" + key)]) / 2


def fault_proxy(kind: str, p: np.ndarray, names: Sequence[str], moving_left: np.ndarray) -> np.ndarray:
    """A per-frame 2D proxy of fault ``kind`` from joints ``p`` (frames, n, 2); ``moving_left`` marks
    frames whose moving leg is the left one."""
    sh, hp = _mid(p, names, "shoulder"), _mid(p, names, "hip")
    if kind in ("hip_sag", "hip_pike"):
        return _signed_line_dev(sh, hp, _mid(p, names, "ankle"))
    if kind == "head_drop":  # bend at the shoulder of hip-shoulder-ear, + = ear below the trunk line
        return -_signed_line_dev(hp, sh, _mid(p, names, "ear"))
    if kind == "low_back_arch":  # supporting (non-moving) thigh against the trunk, + = toward the feet
        hip = np.where(moving_left[:, None], p[:, names.index("right_hip")], p[:, names.index("left_hip")])
        knee = np.where(moving_left[:, None], p[:, names.index("right_knee")], p[:, names.index("left_knee")])
        u, w = sh - hp, knee - hip
        cos = np.sum(u * w, -1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(w, axis=-1))
        return np.degrees(np.arccos(np.clip(cos, -1, 1)))
    if kind == "back_sag":
        return _angle_deg(sh - hp)  # torso inclination
    if kind == "hip_rotation":
        torso = np.linalg.norm(sh - hp, axis=-1)
        return np.abs(p[:, names.index("left_hip"), 1] - p[:, names.index("right_hip"), 1]) / torso
    if kind in ("leg_drop", "leg_too_high"):
        hip = np.where(moving_left[:, None], p[:, names.index("left_hip")], p[:, names.index("right_hip")])
        ank = np.where(moving_left[:, None], p[:, names.index("left_ankle")], p[:, names.index("right_ankle")])
        return _angle_deg(ank - hip)
    raise ValueError(f"no proxy for {kind!r}")


PROXY_UNIT = {"hip_sag": "deg", "hip_pike": "deg", "head_drop": "deg neck bend",
              "low_back_arch": "deg support thigh", "back_sag": "deg torso tilt",
              "hip_rotation": "hip gap/torso", "leg_drop": "deg leg elev.", "leg_too_high": "deg leg elev."}


def _settings_text() -> str:
    from formcoach.evaluate import pipeline_settings

    opts, _ = pipeline_settings("lite")
    p, sm = opts.pose, opts.smoothing
    conf = (f"detection / presence / tracking confidence {p.min_pose_detection_confidence} / "
            f"{p.min_pose_presence_confidence} / {p.min_tracking_confidence}")
    smooth = f"One-Euro {sm}" if sm is not None else "no smoothing"
    return f"{conf}; {smooth}; longer side scaled to <= {opts.max_side_px} px"


def measure_clip(label_path: Path, model: str) -> dict:
    label = read_label(label_path)
    names = label["joints_2d"]["names"]
    gt = np.asarray(label["joints_2d"]["xy"], dtype=float)
    fps, n = label["fps"], label["frames"]
    mp_all = run_pipeline(label_path.with_name(label["file"]), model)
    if len(mp_all) != n:
        raise ValueError(f"{label['file']}: {len(mp_all)} decoded frames, label says {n}")
    mp_xy = np.stack([mp_all[:, MP_INDEX[nm], :2] for nm in names], axis=1)
    found = ~np.isnan(mp_all[:, 0, 0])

    limb_names = [f"{s}_{k}" for k in LIMBS for s in ("left", "right")]
    li = [names.index(nm) for nm in limb_names]
    g, m = gt[found][:, li], mp_xy[found][:, li]
    torso = np.linalg.norm(_mid(gt, names, "shoulder") - _mid(gt, names, "hip"), axis=-1)[found]
    err = np.linalg.norm(m - g, axis=-1)  # (frames, 12), pairs are adjacent (left, right)
    swapped = np.linalg.norm(m[:, [i ^ 1 for i in range(len(li))]] - g, axis=-1)
    pair = np.minimum(err.reshape(len(err), -1, 2).sum(-1), swapped.reshape(len(err), -1, 2).sum(-1)) / 2
    swap_frames = (swapped.mean(1) < err.mean(1) * 0.7)

    t = np.arange(n) / fps
    holds = [(r["hold_start_s"], r["hold_end_s"], r["side"]) for r in label["reps"]] or [(0, label["duration_s"], None)]
    in_hold = np.zeros(n, bool)
    moving_left = np.zeros(n, bool)
    for a, b, side in holds:
        sel = (t >= a) & (t <= b)
        in_hold |= sel
        moving_left[sel] = side == "left"
    faulty = np.zeros(n, bool)
    for f in label["faults"]:
        faulty |= (t >= f["start_s"] - f["ramp_s"]) & (t <= f["end_s"] + f["ramp_s"])
    faults = []
    for f in label["faults"]:
        full = (t >= f["start_s"]) & (t <= f["end_s"])
        side = next((s for a, b, s in holds if a <= f["start_s"] <= b), None)
        clean = in_hold & ~faulty
        if side is not None and (clean & (moving_left == (side == "left"))).any():
            clean &= moving_left == (side == "left")
        gt_p = fault_proxy(f["type"], gt, names, moving_left)
        mp_p = fault_proxy(f["type"], mp_xy, names, moving_left)
        ok_f, ok_c = full & found, clean & found
        faults.append({
            "type": f["type"], "magnitude_deg": f["magnitude_deg"], "proxy": PROXY_UNIT[f["type"]],
            "gt_delta": float(np.mean(gt_p[full]) - np.mean(gt_p[clean])),
            "mp_delta": float(np.nanmean(mp_p[ok_f]) - np.nanmean(mp_p[ok_c])) if ok_f.any() and ok_c.any()
            else float("nan"),
        })
    return {
        "clip": label["file"], "exercise": label["exercise"], "view": label["view"],
        "frames": n, "duration_s": label["duration_s"],
        "detection_rate": float(found.mean()),
        "err_px": float(err.mean()) if found.any() else float("nan"),
        "err_torso": float((err.mean(1) / torso).mean()) if found.any() else float("nan"),
        "err_torso_swaptol": float((pair.mean(1) / torso).mean()) if found.any() else float("nan"),
        "p90_err_torso": float(np.percentile(err / torso[:, None], 90)) if found.any() else float("nan"),
        "swapped_frames": float(swap_frames.mean()) if found.any() else float("nan"),
        "torso_px": float(torso.mean()) if found.any() else float("nan"),
        "faults": faults,
    }


def to_markdown(results: dict[str, list[dict]], render: dict[str, dict], render_section: str = "") -> str:
    models = "--model " + " ".join(str(m) for m in results)
    out = [
        "# MediaPipe on the synthetic sample videos",
        "",
        "The product pipeline, as `formcoach analyze` runs it: MediaPipe Tasks in VIDEO mode with the app's",
        f"confidences, One-Euro smoothing and scaling ({_settings_text()}). Regenerate with",
        (f"`python -m tools.synth.measure sample_videos {models} [--render-stats FILE] "
        "--out sample_videos/MEASUREMENTS.md`"),
        "(`FILE` = the JSON lines written by `python -m tools.synth.render --stats FILE`; without it the",
        "render-time section of the existing file is kept).",
        "",
        "Error = mean distance of the 12 limb joints (shoulders, elbows, wrists, hips, knees, ankles) to the",
        "ground truth over detected frames, far-side (hidden) joints included; `/torso` divides by the",
        "ground-truth mid-shoulder to mid-hip length; `swap-tol.` forgives left/right swaps of a joint pair;",
        "`swapped` = frames where MediaPipe's left and right limbs are mostly exchanged.",
    ]
    for model, rows in results.items():
        out += [
            "",
            f"## {model}",
            "",
            "| clip | s | view | detected | err px | err /torso | p90 /torso | swap-tol. /torso | swapped |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            out.append(
                f"| {r['clip']} | {r['duration_s']:.1f} | {r['view']} | {100 * r['detection_rate']:.0f}% | "
                f"{r['err_px']:.1f} | {r['err_torso']:.3f} | {r['p90_err_torso']:.3f} | "
                f"{r['err_torso_swaptol']:.3f} | {100 * r['swapped_frames']:.0f}% |"
            )
        out += [
            "",
            f"### Fault signals ({model})",
            "",
            "Change of a simple 2D proxy between the fault's full-magnitude interval and clean held frames",
            "(same moving side where possible), from the ground-truth joints and from MediaPipe.",
            "Proxies: plank = signed 180 - shoulder-hip-ankle angle (+ = hip below the line), head drop = bend",
            "at the shoulder of hip-shoulder-ear (+ = ear below the trunk line); dead-bug arch =",
            "trunk to supporting-thigh angle (+ = thigh toward the feet); back sag = torso (hip to shoulder)",
            "elevation; hip rotation = vertical gap between the hips / torso length;",
            "leg drop / leg too high = moving leg (hip to ankle) elevation.",
            "",
            "| clip | fault | magnitude | proxy | ground truth change | MediaPipe change |",
            "|---|---|---|---|---|---|",
        ]
        for r in rows:
            for f in r["faults"]:
                out.append(f"| {r['clip']} | {f['type']} | {f['magnitude_deg']:.0f} deg | {f['proxy']} | "
                           f"{f['gt_delta']:+.2f} | {f['mp_delta']:+.2f} |")
    if render_section and not render:
        out += ["", render_section.rstrip("\n")]
    if render:
        out += [
            "",
            "## Render time",
            "",
            "Per distinct 640x480 frame (identical frames, e.g. a still plank or the rests, are posed and rendered",
            "once). Measured while rendering two clips at once on a shared 2-core machine, so the numbers are",
            "noisy and include one-off warm-up (context and shader set-up) in clips with few distinct poses.",
            "",
            "| clip | frames | distinct poses | pose s | render s | wall s |",
            "|---|---|---|---|---|---|",
        ]
        for name in sorted(render):
            st = render[name]
            out.append(f"| {name} | {st['frames']} | {st['unique_poses']} | {st['pose_s_per_unique']:.2f} | "
                       f"{st['render_s_per_unique']:.2f} | {st['wall_s']:.0f} |")
        many = [st for st in render.values() if st["unique_poses"] >= 30]
        frames = sum(st["frames"] for st in render.values())
        wall = sum(st["wall_s"] for st in render.values())
        out += [
            "",
            (f"Clips with >= 30 distinct poses: render {np.median([st['render_s_per_unique'] for st in many]):.2f} s "
            f"(median), posing {np.median([st['pose_s_per_unique'] for st in many if 'dead_bug' in st['clip']]):.2f} s "
            f"for the dead bug and "
            f"{np.median([st['pose_s_per_unique'] for st in many if 'bird_dog' in st['clip']]):.2f} s for the bird-dog "
            f"(its floor-contact search poses the body 10 times). The whole set ({frames} frames, "
            f"{frames / 15 / 60:.1f} min of video) took {wall / 60:.1f} process-minutes: "
            f"{wall / frames:.2f} s per written frame."),
        ]
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path, help="folder with <clip>.mp4 + <clip>.json")
    ap.add_argument("--model", nargs="+", default=["full", "lite"], help="lite | full | heavy | a .task path")
    ap.add_argument("--out", type=Path, help="write the Markdown table here")
    ap.add_argument("--json", type=Path, help="write the raw numbers here")
    ap.add_argument("--render-stats", type=Path, help="JSON lines written by tools.synth.render --stats")
    ap.add_argument("--only", nargs="*", help="clip names")
    args = ap.parse_args(argv)
    labels = sorted(p for p in args.folder.glob("*.json") if not args.only or p.stem in args.only)
    results: dict[str, list[dict]] = {}
    for model in args.model:
        rows = results.setdefault(model, [])
        for p in labels:
            row = measure_clip(p, model)
            print(model, json.dumps({k: v for k, v in row.items() if k != "faults"}), flush=True)
            rows.append(row)
    render = {}
    if args.render_stats and args.render_stats.exists():
        for line in args.render_stats.read_text().splitlines():
            s = json.loads(line)
            render[s["clip"]] = s
    keep = ""
    if args.out and args.out.is_file() and "## Render time" in args.out.read_text():
        keep = args.out.read_text()[args.out.read_text().index("## Render time"):]
    md = to_markdown(results, render, keep)
    if args.out:
        args.out.write_text(md)
    if args.json:
        args.json.write_text(json.dumps({str(m): r for m, r in results.items()}, indent=1))
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Per-frame cost of each pipeline stage as a ratio to raw PoseLandmarker inference, and memory over a long loop.

Raw inference and the project pipeline run on the *same frames in the same loop*, interleaved frame by
frame, so machine noise hits both alike. Ratios, not milliseconds, are the result (machines here are
shared and noisy).

    python benchmarks/bench_pipeline.py [--video CLIP] [--models lite full] [--loop-frames 3000]

Stages (mean ms/frame and ratio to raw inference):
  decode     PyAV decode + colour conversion to BGR (VideoFileSource)
  raw        PoseLandmarker.detect_for_video on a prepared mp.Image (the model alone)
  pose       PoseEstimator.process (BGR->RGB, timestamps, inference, conversion to PoseFrame)
  smoothing  One-Euro filter on all landmarks
  checker    the exercise checker's update()
  drawing    skeleton + cue/counter overlay
  encoding   H.264 encoding of the annotated frame (only for the annotated-video export)
  whole      decode + pose + smoothing + checker + drawing (what the live page and analysis do per frame)
Target: whole <= 1.15 x raw. Memory: RSS sampled every 500 frames while the live pipeline loops the clip.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from formcoach.engine import own_smoother  # noqa: E402
from vision.annotate import CoachAnnotator, SkeletonAnnotator  # noqa: E402
from vision.models import resolve_model  # noqa: E402
from vision.offline import keep_offline  # noqa: E402
from vision.pose import PoseEstimator, PoseOptions  # noqa: E402
from vision.smoothing import OneEuroConfig, PoseSmoother  # noqa: E402
from vision.source import VideoFileSource  # noqa: E402
from vision.writer import H264Writer  # noqa: E402


def default_video() -> Path:
    for p in (ROOT / "sample_videos" / "plank_clean.mp4", ROOT.parent / "shared" / "videos" / "gymnai_plank.mp4"):
        if p.is_file():
            return p
    raise SystemExit("no default clip: pass --video")


def make_checker(exercise: str | None):
    if not exercise:
        return None
    try:
        from exercises.registry import get_exercise
    except ImportError:
        return None
    return get_exercise(exercise).make_checker()


def raw_landmarker(model: str):
    keep_offline()  # MediaPipe's native usage logger stays on this machine (vision/offline.py)
    from mediapipe.tasks.python import BaseOptions
    from mediapipe.tasks.python import vision as mp_vision

    opts = mp_vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(resolve_model(model))),
        running_mode=mp_vision.RunningMode.VIDEO, num_poses=1,
        min_pose_detection_confidence=0.3, min_pose_presence_confidence=0.3, min_tracking_confidence=0.3)
    return mp_vision.PoseLandmarker.create_from_options(opts)


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def time_stages(video: Path, model: str, exercise: str | None, passes: int) -> dict[str, float]:
    import mediapipe as mp

    t = {k: [] for k in ("decode", "raw", "pose", "smoothing", "checker", "drawing", "encoding")}
    raw = raw_landmarker(model)
    est = PoseEstimator(PoseOptions(model=model))
    smoother, checker = PoseSmoother(), make_checker(exercise)
    own = own_smoother(exercise, OneEuroConfig()) if checker else None  # the plank judges its own smoothing
    skel, coach = SkeletonAnnotator(), CoachAnnotator()
    tmp = Path(tempfile.mkdtemp()) / "bench.mp4"
    writer = H264Writer(tmp)
    offset, raw_ms = 0.0, -1
    pc = time.perf_counter
    for _ in range(passes):
        it = iter(VideoFileSource(video))
        last_ts = 0.0
        while True:
            t0 = pc()
            frame = next(it, None)
            t1 = pc()
            if frame is None:
                break
            ts = offset + frame.timestamp_s
            last_ts = ts
            t["decode"].append(t1 - t0)
            rgb = np.ascontiguousarray(cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB))
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
            raw_ms = max(int(ts * 1000), raw_ms + 1)
            t0 = pc()
            raw.detect_for_video(image, raw_ms)
            t1 = pc()
            pose = est.process(frame.image, ts)
            t2 = pc()
            judged = own(pose) if own is not None else None
            pose = smoother(pose)
            t3 = pc()
            verdict = checker.update(judged if judged is not None else pose) if checker else None
            t4 = pc()
            img = frame.image.copy()
            skel.annotate(img, pose)
            coach.annotate(img, verdict)
            t5 = pc()
            writer.write(img, ts)
            t6 = pc()
            for k, a, b in (("raw", t0, t1), ("pose", t1, t2), ("smoothing", t2, t3), ("checker", t3, t4),
                            ("drawing", t4, t5), ("encoding", t5, t6)):
                t[k].append(b - a)
        offset = last_ts + 0.1
    writer.abort()
    raw.close()
    est.close()
    mean = {k: float(np.mean(v)) * 1000 for k, v in t.items()}
    mean["whole"] = sum(mean[k] for k in ("decode", "pose", "smoothing", "checker", "drawing"))
    mean["frames"] = len(t["raw"])
    return mean


def memory_loop(video: Path, model: str, exercise: str | None, frames: int) -> list[tuple[int, float]]:
    from formcoach.engine import CoachPipeline

    samples = [(0, rss_mb())]
    n, offset = 0, 0.0
    skel, coach = SkeletonAnnotator(), CoachAnnotator()
    with CoachPipeline(exercise if make_checker(exercise) else None, PoseOptions(model=model)) as pipe:
        while n < frames:
            last = 0.0
            for frame in VideoFileSource(video):
                pose, verdict = pipe.process(frame.image, offset + frame.timestamp_s)
                img = frame.image.copy()
                skel.annotate(img, pose)
                coach.annotate(img, verdict)
                last = offset + frame.timestamp_s
                n += 1
                if n % 500 == 0:
                    samples.append((n, rss_mb()))
                if n >= frames:
                    break
            offset = last + 0.1
    return samples


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--video", type=Path, default=None)
    ap.add_argument("--exercise", default="plank")
    ap.add_argument("--models", nargs="+", default=["lite", "full"])
    ap.add_argument("--passes", type=int, default=2, help="passes over the clip for the timing table")
    ap.add_argument("--loop-frames", type=int, default=3000, help="frames for the memory loop (lite); 0 = skip")
    args = ap.parse_args()
    video = args.video or default_video()
    print(f"clip: {video.name}   exercise: {args.exercise}   cores: {os.cpu_count()}")
    for model in args.models:
        m = time_stages(video, model, args.exercise, args.passes)
        raw = m["raw"]
        print(f"\nmodel {model}: {int(m['frames'])} frames, raw inference {raw:.1f} ms/frame (mean)")
        print(f"  {'stage':<10} {'ms/frame':>9} {'x raw':>7}")
        for k in ("decode", "raw", "pose", "smoothing", "checker", "drawing", "encoding", "whole"):
            print(f"  {k:<10} {m[k]:9.2f} {m[k] / raw:7.3f}")
        print(f"  whole pipeline / raw inference = {m['whole'] / raw:.3f}  (target <= 1.15)")
    if args.loop_frames:
        samples = memory_loop(video, "lite", args.exercise, args.loop_frames)
        print(f"\nmemory, live pipeline (lite) looping the clip for {samples[-1][0]} frames:")
        print("  frames " + " ".join(f"{n:>6}" for n, _ in samples))
        print("  RSS MB " + " ".join(f"{r:6.0f}" for _, r in samples))
        later = [r for n, r in samples if n >= 1000]
        if len(later) >= 2:
            slope = (later[-1] - later[0]) / max(samples[-1][0] - 1000, 1) * 1000
            print(f"  growth after warm-up: {slope:+.2f} MB per 1000 frames; peak RSS "
                  f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

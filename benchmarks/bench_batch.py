"""Batch and chunked analysis on Ray: ratios from one run (machines here are shared and noisy).

    python benchmarks/bench_batch.py [--videos 6] [--long-s 180] [--memory-videos 200]

Footage is made at run time from sample_videos/ (tools/concat_clips.py). Printed:
  throughput   videos/s of 2 workers vs 1 worker on the same short clips (target >= 1.8x); the workers
               are started and warmed first, so this is the steady rate a long batch runs at
  overhead     the 1-worker batch's wall time per video vs analyze_video + save_json of the same videos in
               one process (what `formcoach analyze --json` does after its start-up; target <= 5 %); each
               measured twice, interleaved, best of two
  long video   one --long-s video: analyze --workers 2 (chunked) vs sequential analyze_video (target
               >= 1.8x) and whether the reports agree (reps per side, holds within 0.2 s, fault types)
  memory       each worker process's resident memory over a --memory-videos batch of 2 s clips (target:
               flat); formcoach batch replaces a worker after RECYCLE_AFTER videos
  projection   videos/hour per core from the measured rate, and machines for 10,000 videos a night
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from formcoach.batch import RECYCLE_AFTER, _schedule, discover, file_sha256  # noqa: E402
from formcoach.chunked import analyze_chunked  # noqa: E402
from formcoach.engine import AnalysisOptions, analyze_video  # noqa: E402
from formcoach.workers import ray_session, remote_worker_class  # noqa: E402
from tools.concat_clips import concat_clips  # noqa: E402

SAMPLES = ROOT / "sample_videos"
SHORT = ["plank_knees.mp4", "plank_straight_arm.mp4", "plank_clean.mp4", "dead_bug_oblique.mp4",
         "plank_sag.mp4", "bird_dog_body_c.mp4"]


def timed_batch(ray, actors, jobs, out: Path, new_worker=None) -> tuple[float, list[dict]]:
    """Run ``jobs`` on ``actors`` (already warm) the way run_batch does, saving reports; wall time."""
    from formcoach.batch import _save, _settings

    opts = AnalysisOptions()
    todo = sorted([(j, file_sha256(j.path), _settings(opts, j, False)) for j in jobs], key=lambda t: -t[0].size)
    t0 = time.perf_counter()
    results = []
    for job, sha, settings, result in _schedule(ray, list(actors), todo, False, new_worker=new_worker):
        _save(out, job, sha, settings, result)
        results.append(result)
    return time.perf_counter() - t0, results


def agree(a: dict, b: dict) -> bool:
    return (a["reps_by_side"] == b["reps_by_side"] and [r["side"] for r in a["reps"]] == [r["side"] for r in b["reps"]]
            and all(abs(x["hold_s"] - y["hold_s"]) <= 0.2 for x, y in zip(a["reps"], b["reps"]))
            and abs(a["hold_s"] - b["hold_s"]) <= 0.2
            and sorted(f["type"] for f in a["faults"]) == sorted(f["type"] for f in b["faults"]))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--videos", type=int, default=6, help="short clips for the throughput runs")
    ap.add_argument("--long-s", type=float, default=180.0)
    ap.add_argument("--memory-videos", type=int, default=200)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        src = tmp / "short"
        src.mkdir()
        for i in range(args.videos):
            shutil.copy(SAMPLES / SHORT[i % len(SHORT)], src / f"{i:03d}-{SHORT[i % len(SHORT)]}")
        jobs = discover(src)
        frames, seconds_of_video = 0, 0.0
        print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; {len(jobs)} short clips")

        # Sequential reference, in one process: analyze_video + save_json per video.
        t0 = time.perf_counter()
        for j in jobs:
            r = analyze_video(j.path, AnalysisOptions())
            r.save_json(tmp / "seq.json")
            frames += r.frames
            seconds_of_video += r.video.duration_s
        t_seq = time.perf_counter() - t0
        cli_s = None
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "formcoach", "analyze", jobs[0].path, "-q", "--json",
                        str(tmp / "cli.json")], check=True, capture_output=True)
        cli_s = time.perf_counter() - t0

        with ray_session(workers=2) as ray:
            Worker = remote_worker_class(ray)
            actors = [Worker.remote(AnalysisOptions()) for _ in range(2)]
            ray.get([a.memory_mb.remote() for a in actors])  # started and models built
            # Interleaved (batch, sequential, batch), best of each, so load changes hit both alike.
            t1, _ = timed_batch(ray, actors[:1], jobs, tmp / "b1")
            t_seq2 = time.perf_counter()
            for j in jobs:
                analyze_video(j.path, AnalysisOptions()).save_json(tmp / "seq.json")
            t_seq = min(t_seq, time.perf_counter() - t_seq2)
            t1 = min(t1, timed_batch(ray, actors[:1], jobs, tmp / "b1b")[0])
            t2, _ = timed_batch(ray, actors, jobs, tmp / "b2")
            n = len(jobs)
            print(f"\nthroughput: 1 worker {n / t1:.3f} videos/s, 2 workers {n / t2:.3f} videos/s: "
                  f"ratio {t1 / t2:.2f}x (target >= 1.8x)")
            print(f"overhead: batch 1 worker {t1 / n:.2f} s/video vs in-process analyze {t_seq / n:.2f} s/video: "
                  f"{(t1 / t_seq - 1) * 100:+.1f} % (target <= 5 %); `formcoach analyze` as a command "
                  f"(start-up included) took {cli_s:.2f} s for {Path(jobs[0].path).name}")
            per_core_vph = n / t2 / 2 * 3600
            video_s = seconds_of_video / n

            # Memory over a long batch of 2 s clips.
            clip = concat_clips(tmp / "clip2s.mp4", [(SAMPLES / "plank_clean.mp4", 0.0, 2.0)])
            many = tmp / "many"
            many.mkdir()
            for i in range(args.memory_videos):
                os.link(clip, many / f"{i:04d}.mp4")
            mjobs = discover(many)
            rss: dict[str, list[float]] = {}
            tm, results = timed_batch(ray, actors, mjobs, tmp / "bm",
                                      new_worker=lambda: Worker.remote(AnalysisOptions()))
            for r in results:
                rss.setdefault(r["worker"], []).append(r["rss_mb"])
            print(f"\nmemory over {len(mjobs)} videos ({tm:.0f} s, {len(mjobs) / tm:.2f} videos/s; a worker is "
                  f"replaced after {RECYCLE_AFTER} videos, as in formcoach batch):")
            for w, v in rss.items():
                q = max(1, len(v) // 10)
                first, last = sum(v[:q]) / q, sum(v[-q:]) / q
                print(f"  worker {w}: {len(v)} videos, RSS first tenth {first:.0f} MB, last tenth {last:.0f} MB "
                      f"({(last / first - 1) * 100:+.1f} %), max {max(v):.0f} MB")
            for a in actors:
                ray.kill(a)  # (replaced ones were killed by _schedule; the last two end with the session)

            # One long video: chunked on 2 workers vs sequential.
            parts = [(SAMPLES / n_, 0.0, math.inf) for n_ in ("dead_bug_clean.mp4", "dead_bug_leg_drop.mp4",
                                                                "dead_bug_arch.mp4")]
            long = concat_clips(tmp / "long.mp4", parts, seconds=args.long_s)
            opts = AnalysisOptions(exercise="dead_bug")
            t0 = time.perf_counter()
            seq = analyze_video(long, opts)
            ts = time.perf_counter() - t0
            t0 = time.perf_counter()
            par = analyze_chunked(long, opts, workers=2)
            tc = time.perf_counter() - t0
            a, b = seq.to_dict(), par.to_dict()
            print(f"\nlong video ({seq.video.duration_s:.0f} s, {seq.frames} frames): sequential {ts:.1f} s, "
                  f"--workers 2 {tc:.1f} s: {ts / tc:.2f}x (target >= 1.8x; Ray already running, the chunk "
                  f"workers' start-up included)")
            worst = max((abs(x["hold_s"] - y["hold_s"]) for x, y in zip(a["reps"], b["reps"])), default=0.0)
            print(f"  reports agree: {agree(a, b)} (reps {a['reps_by_side']} vs {b['reps_by_side']}, hold "
                  f"{a['hold_s']} vs {b['hold_s']} s, largest per-rep hold difference {worst:.2f} s, faults "
                  f"{sorted(f['type'] for f in a['faults'])} vs {sorted(f['type'] for f in b['faults'])})")

        fps = frames / seconds_of_video
        print(f"\nprojection (from the measured 2-worker rate on {video_s:.0f} s clips, {fps:.0f} fps; not measured "
              f"on a cluster): {per_core_vph:.0f} videos/hour per core = {per_core_vph * video_s / 3600:.2f} "
              "video-hours per core-hour")
        for length_s in (video_s, 60.0, 180.0):
            per_core = per_core_vph * video_s / length_s  # cost scales with frames
            core_hours = 10_000 / per_core
            print(f"  10,000 videos of {length_s:.0f} s in an 8-hour night: {core_hours:.0f} core-hours = "
                  f"{math.ceil(core_hours / 8 / 2)} machines of 2 cores, or {math.ceil(core_hours / 8 / 16)} of 16")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Batch and chunked analysis on Ray: ratios from one run (machines here are shared and noisy).

    python benchmarks/bench_batch.py [--videos 6] [--long-s 180] [--memory-videos 200] [--quiet-wait 60]

Footage is made at run time from sample_videos/ (tools/concat_clips.py). Printed:
  throughput   videos/s of 2 workers vs 1 worker on the same short clips (target >= 1.8x); the workers
               are started and warmed first, so this is the steady rate a long batch runs at; each measured
               twice, interleaved, best of two. With it: the CPU seconds a worker spent per video, the cores
               the workers got, and the cores other processes on this (shared) machine took meanwhile
  overhead     the 1-worker batch's wall time per video vs analyze_video + save_json of the same videos in
               one process (what `formcoach analyze --json` does after its start-up; target <= 5 %); each
               measured twice, interleaved, best of two; and the same in CPU seconds per video
  long video   one --long-s video: analyze --workers 2 (chunked: this process and one Ray worker) vs
               sequential analyze_video (target >= 1.8x; each measured twice, interleaved, best of two)
               and whether the reports agree (reps per side, holds within 0.2 s, fault types)
  memory       each worker process's resident memory over a --memory-videos batch of 2 s clips, in the
               same two processes throughout (no worker replaced; target: flat)
  projection   videos/hour per core from the measured rate, and machines for 10,000 videos a night

Before each timed run it waits (up to --quiet-wait s) for other processes on the machine to go quiet,
and prints the cores they took during the run.
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

from formcoach.batch import _schedule, discover, file_sha256  # noqa: E402
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


HZ = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (its ended threads included); 0 if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    f = stat[stat.rfind(")") + 2:].split()
    return (int(f[11]) + int(f[12])) / HZ


def _ours() -> set[int]:
    """This process and its descendants (Ray's processes and workers)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                children.setdefault(int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]), []).append(int(d.name))
            except (OSError, IndexError, ValueError):
                continue
    out, todo = set(), [os.getpid()]
    while todo:
        p = todo.pop()
        out.add(p)
        todo += children.get(p, [])
    return out


def _machine_busy_s() -> tuple[float, float]:
    """CPU seconds the machine's cores were busy, and stolen (a virtual machine's cores taken by its host)."""
    v = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(v[:7]) - v[3] - v[4]) / HZ, v[7] / HZ


class Cpu:
    """CPU use during a ``with`` block: ``workers_s`` (CPU seconds of ``worker_pids``), ``others_cores``
    (cores used by processes that are not this benchmark, its Ray or its workers), ``steal_cores``
    (cores the virtual machine's host took), ``wall_s``. Ours are
    sampled every 0.5 s, so one that ends meanwhile (a chunk worker Ray kills) counts with its last
    sample (Ray reaps its workers without adding their time to its own)."""

    def __init__(self, worker_pids=()) -> None:
        self.worker_pids = list(worker_pids)

    def _sample(self) -> None:
        for p in _ours():
            self._last[p] = _cpu_s(p) or self._last.get(p, 0.0)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self._sample()

    def __enter__(self) -> Cpu:
        import threading

        self._last: dict[int, float] = {}
        self._sample()
        self._before = dict(self._last)
        self._workers = sum(_cpu_s(p) for p in self.worker_pids)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        (self._busy, self._steal), self._t0 = _machine_busy_s(), time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.wall_s = time.perf_counter() - self._t0
        busy, steal = _machine_busy_s()
        busy -= self._busy
        self._stop.set()
        self._thread.join()
        self._sample()
        self.ours_s = ours = sum(v - self._before.get(p, 0.0) for p, v in self._last.items())
        self.workers_s = sum(_cpu_s(p) for p in self.worker_pids) - self._workers
        self.others_cores = max(0.0, busy - ours) / self.wall_s
        self.steal_cores = (steal - self._steal) / self.wall_s


QUIET_CORES = 0.15  # other processes using less than this are "quiet"


def wait_quiet(max_s: float) -> float:
    """Wait (up to ``max_s``) for 2 s in which other processes use under QUIET_CORES; returns the wait."""
    t0 = time.perf_counter()
    while True:
        with Cpu() as cpu:
            time.sleep(2.0)
        if cpu.others_cores < QUIET_CORES or time.perf_counter() - t0 > max_s:
            return time.perf_counter() - t0


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
    ap.add_argument("--quiet-wait", type=float, default=60.0,
                    help="before each timed run, wait up to this long for other processes to go quiet")
    args = ap.parse_args()
    waited = [0.0]

    def quiet() -> None:
        waited[0] += wait_quiet(args.quiet_wait)

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
        def sequential() -> tuple[float, float]:
            nonlocal frames, seconds_of_video
            quiet()
            c0, t0 = time.process_time(), time.perf_counter()
            frames, seconds_of_video = 0, 0.0
            for j in jobs:
                r = analyze_video(j.path, AnalysisOptions())
                r.save_json(tmp / "seq.json")
                frames += r.frames
                seconds_of_video += r.video.duration_s
            return time.perf_counter() - t0, time.process_time() - c0

        t_seq, c_seq = sequential()
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "formcoach", "analyze", jobs[0].path, "-q", "--json",
                        str(tmp / "cli.json")], check=True, capture_output=True)
        cli_s = time.perf_counter() - t0

        with ray_session(workers=2) as ray:
            Worker = remote_worker_class(ray)
            actors = [Worker.remote(AnalysisOptions()) for _ in range(2)]
            ray.get([a.memory_mb.remote() for a in actors])  # started and models built
            pids = ray.get([a.__ray_call__.remote(lambda self: os.getpid()) for a in actors])

            def batch(k: int, out: str) -> Cpu:
                quiet()
                with Cpu(pids[:k]) as cpu:
                    _, results = timed_batch(ray, actors[:k], jobs, tmp / out)
                cpu.busy_s = sum(r["seconds"] for r in results)  # inside the workers' analyze calls
                return cpu

            # Interleaved (1, sequential, 1, 2, 2), best of each, so load changes hit all alike.
            one = [batch(1, "b1")]
            t, c = sequential()
            t_seq, c_seq = min(t_seq, t), min(c_seq, c)
            one.append(batch(1, "b1b"))
            two = [batch(2, "b2"), batch(2, "b2b")]
            b1, b2 = min(one, key=lambda x: x.wall_s), min(two, key=lambda x: x.wall_s)
            t1, t2 = b1.wall_s, b2.wall_s
            n = len(jobs)
            print(f"\nthroughput: 1 worker {n / t1:.3f} videos/s, 2 workers {n / t2:.3f} videos/s: "
                  f"ratio {t1 / t2:.2f}x (target >= 1.8x; load {os.getloadavg()[0]:.1f})")
            print(f"  CPU per video: {b1.workers_s / n:.2f} s with 1 worker, {b2.workers_s / n:.2f} s with 2; "
                  f"the workers got {b1.workers_s / t1:.2f} and {b2.workers_s / t2:.2f} cores; other processes "
                  f"on this machine took {b1.others_cores:.2f} and {b2.others_cores:.2f} of its "
                  f"{os.cpu_count()} cores meanwhile")
            print(f"overhead: batch 1 worker {t1 / n:.2f} s/video vs in-process analyze {t_seq / n:.2f} s/video: "
                  f"{(t1 / t_seq - 1) * 100:+.1f} % (target <= 5 %); CPU {b1.workers_s / n:.2f} vs "
                  f"{c_seq / n:.2f} s/video ({(b1.workers_s / c_seq - 1) * 100:+.1f} %); the worker was in analyze "
                  f"{b1.busy_s / t1 * 100:.1f} % of the wall time; `formcoach analyze` as a "
                  f"command (start-up included) took {cli_s:.2f} s for {Path(jobs[0].path).name}")
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
            quiet()
            tm, results = timed_batch(ray, actors, mjobs, tmp / "bm")  # no new_worker: never replaced
            for r in results:
                rss.setdefault(r["worker"], []).append(r["rss_mb"])
            print(f"\nmemory over {len(mjobs)} videos ({tm:.0f} s, {len(mjobs) / tm:.2f} videos/s; the same "
                  f"{len(rss)} worker processes throughout):")
            for w, v in rss.items():
                q = max(1, len(v) // 10)
                first, last = sum(v[:q]) / q, sum(v[-q:]) / q
                half = v[len(v) // 2:]
                slope = (sum(half[len(half) // 2:]) / max(1, len(half) - len(half) // 2)
                         - sum(half[:len(half) // 2]) / max(1, len(half) // 2)) / max(1, len(half) / 2)
                print(f"  worker {w}: {len(v)} videos, RSS first tenth {first:.0f} MB, last tenth {last:.0f} MB "
                      f"({(last / first - 1) * 100:+.1f} %), max {max(v):.0f} MB; second half "
                      f"{slope * 1000:+.0f} kB per video")
            for a in actors:
                ray.kill(a)

            # One long video: chunked on 2 workers vs sequential.
            parts = [(SAMPLES / n_, 0.0, math.inf) for n_ in ("dead_bug_clean.mp4", "dead_bug_leg_drop.mp4",
                                                                "dead_bug_arch.mp4")]
            long = concat_clips(tmp / "long.mp4", parts, seconds=args.long_s)
            opts = AnalysisOptions(exercise="dead_bug")

            def long_seq():
                quiet()
                with Cpu() as c:
                    c.report = analyze_video(long, opts)
                return c

            def long_par():
                quiet()
                c_ = Cpu()
                c_.used, c_.timeline = [], []
                with c_:
                    c_.report = analyze_chunked(long, opts, workers=2, ranges=c_.used, timeline=c_.timeline)
                return c_

            # Interleaved (sequential, chunked, sequential, chunked), best of each: this machine's speed
            # drifts by 10 % and more within minutes (other virtual machines on its host).
            runs = [long_seq(), long_par(), long_seq(), long_par()]
            c_s, c_c = min(runs[0::2], key=lambda x: x.wall_s), min(runs[1::2], key=lambda x: x.wall_s)
            seq, par, used, timeline = c_s.report, c_c.report, c_c.used, c_c.timeline
            ts, tc = c_s.wall_s, c_c.wall_s
            a, b = seq.to_dict(), par.to_dict()
            print(f"\nlong video ({seq.video.duration_s:.0f} s, {seq.frames} frames): sequential {ts:.1f} s, "
                  f"--workers 2 {tc:.1f} s: {ts / tc:.2f}x (target >= 1.8x; best of two each, interleaved; Ray already "
                  f"running, the chunk worker's start-up included; other processes took {c_s.others_cores:.2f} and "
                  f"{c_c.others_cores:.2f} cores, the host stole {c_s.steal_cores:.2f} and {c_c.steal_cores:.2f})")
            print("  each run: " + ", ".join(f"{k} {r.wall_s:.1f} s" for k, r in zip(
                ("sequential", "chunked", "sequential", "chunked"), runs))
                  + f"; pairwise {runs[0].wall_s / runs[1].wall_s:.2f}x and {runs[2].wall_s / runs[3].wall_s:.2f}x")
            print("  ranges: " + ", ".join(f"{lo:.1f}-{hi:.1f} s" for lo, hi in used)
                  + " (the first in this process)")
            print(f"  CPU: sequential {c_s.ours_s:.1f} s ({c_s.ours_s / ts:.2f} cores: decoding overlaps inference "
                  f"on the idle core), chunked {c_c.ours_s:.1f} s; even that spread perfectly over "
                  f"{os.cpu_count()} cores takes {c_c.ours_s / os.cpu_count():.1f} s, at most "
                  f"{ts / (c_c.ours_s / os.cpu_count()):.2f}x (all of this benchmark's and its Ray's processes)")
            print("  timeline (s since the call): " + "; ".join(f"{t:.2f} {what}" for t, what in timeline))
            worst = max((abs(x["hold_s"] - y["hold_s"]) for x, y in zip(a["reps"], b["reps"])), default=0.0)
            both = [agree(a, r.report.to_dict()) for r in runs[1::2]]
            for r, ok in zip(runs[1::2], both):
                if not ok:  # what differed, and where the boundary was
                    d = r.report.to_dict()
                    diff = [(x["start_s"], x["side"], x["hold_s"], y["side"], y["hold_s"])
                            for x, y in zip(a["reps"], d["reps"])
                            if x["side"] != y["side"] or abs(x["hold_s"] - y["hold_s"]) > 0.2]
                    print(f"  chunked run split at {r.used[0][1]:.2f} s: reps {d['reps_by_side']}, "
                          f"hold {d['hold_s']} s, "
                          f"faults {sorted(f['type'] for f in d['faults'])}; reps that differ (start, side, hold "
                          f"sequential, side, hold chunked): {diff}")
            print(f"  reports agree: {agree(a, b)}, each chunked run with the sequential one: {both}"
                  f"\n    (reps {a['reps_by_side']} vs {b['reps_by_side']}, hold "
                  f"{a['hold_s']} vs {b['hold_s']} s, largest per-rep hold difference {worst:.2f} s, faults "
                  f"{sorted(f['type'] for f in a['faults'])} vs {sorted(f['type'] for f in b['faults'])})")

        print(f"\n(waited {waited[0]:.0f} s in all for other processes to go quiet)")
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

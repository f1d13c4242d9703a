"""formcoach batch and chunked analysis on a real local Ray (2 worker processes).

The Ray tests share one local Ray (about 10-25 s to start on this machine). The multi-node test is in
test_batch_cluster.py (it needs its own Ray).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, sample_video

from formcoach.batch import BatchInputError, discover, run_batch
from formcoach.chunked import analyze_chunked, join_ranges, plan_chunks, split_rest
from formcoach.engine import AnalysisOptions, RawPoses, analyze_video
from tools.concat_clips import concat_clips

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

SHORT = ["plank_knees.mp4", "plank_straight_arm.mp4", "dead_bug_oblique.mp4"]  # 8-11 s each


# --- without Ray --------------------------------------------------------------------------------

def test_discover_finds_videos_recursively_and_reads_manifests(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    for rel in ("x.mp4", "a/y.MOV", "a/b/z.webm", "notes.txt", "a/.hidden.mp4"):
        (tmp_path / rel).write_bytes(b"0" * (len(rel) + 1))
    jobs = discover(tmp_path)
    assert sorted(j.name for j in jobs) == ["a__b__z.webm", "a__y.MOV", "x.mp4"]
    (tmp_path / "m.csv").write_text("path,exercise,patient_id\nx.mp4,plank,P1\na/y.MOV,,P2\n")
    m = discover(tmp_path / "m.csv", exercise="dead_bug")
    assert [(j.name, j.exercise, j.patient_id) for j in m] == [("x.mp4", "plank", "P1"), ("a__y.MOV", "dead_bug", "P2")]
    (tmp_path / "m.jsonl").write_text('{"path": "%s", "session_id": "S9"}\n\n' % (tmp_path / "x.mp4"))
    (j,) = discover(tmp_path / "m.jsonl")
    assert (j.path, j.session_id, j.exercise) == (str(tmp_path / "x.mp4"), "S9", None)
    (tmp_path / "bad.jsonl").write_text('{"path": "x.mp4"}\nnot json\n')
    with pytest.raises(BatchInputError, match="line 2 is not JSON"):
        discover(tmp_path / "bad.jsonl")
    with pytest.raises(BatchInputError, match="no such folder"):
        discover(tmp_path / "missing")


def test_chunks_cover_the_video_once_and_join_in_order():
    assert plan_chunks(100.0, 2) == [(0.0, 50.0), (50.0, math.inf)]
    assert plan_chunks(30.0, 2) == [(0.0, math.inf)]  # too short for two chunks of 20 s
    assert len(plan_chunks(1000.0, 4)) == 4
    from exercises.pose import PoseFrame

    a = RawPoses([PoseFrame.empty(t, (64, 48)) for t in (0.0, 0.1)], [(0.0, 1)], 1)
    b = RawPoses([PoseFrame.empty(t, (64, 48)) for t in (0.2, 0.3)], [(0.2, 2)], 0)
    j = join_ranges([a, b])
    assert [p.timestamp_s for p in j.poses] == [0.0, 0.1, 0.2, 0.3] and j.people == [(0.0, 1), (0.2, 2)]
    assert j.skipped_frames == 1
    with pytest.raises(RuntimeError, match="timestamps"):
        join_ranges([b, a])


def test_the_rest_is_split_so_this_process_and_the_workers_finish_together():
    # 10 s done here: 88 s left after a worker's 2 s warm-up, 44 s each; this process goes on to 56 s
    assert split_rest(10.0, 100.0, 1, warm_s=2.0, min_chunk_s=20.0) == (56.0, [(56.0, math.inf)])
    end, rest = split_rest(0.0, 302.0, 2, warm_s=2.0, min_chunk_s=20.0)
    assert (end, rest) == (102.0, [(102.0, 202.0), (202.0, math.inf)])
    # Fewer workers when three would get less than 20 s each; none when even one would
    assert split_rest(0.0, 50.0, 3, warm_s=2.0, min_chunk_s=20.0) == (26.0, [(26.0, math.inf)])
    assert split_rest(60.0, 100.0, 1, warm_s=2.0, min_chunk_s=20.0) is None


def test_this_process_keeps_less_video_by_the_report_it_builds_while_the_workers_finish():
    # It smooths and checks all 302 s (at 1 % of a frame's inference: 3.02 s of work) after its range
    end, rest = split_rest(0.0, 302.0, 2, warm_s=2.0, min_chunk_s=20.0, report_share=0.01)
    assert end < 102.0
    length = rest[0][1] - rest[0][0]
    assert rest[1][0] == pytest.approx(end + length) and rest[1][1] == math.inf
    assert end + 0.01 * 302.0 == pytest.approx(length + 2.0)  # the same work here and on each worker
    end1, _ = split_rest(10.0, 100.0, 1, warm_s=2.0, min_chunk_s=20.0, report_share=0.01)
    assert (end1 - 10.0) + 0.01 * 100.0 == pytest.approx(100.0 - end1 + 2.0)


# --- on a local Ray -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def local_ray():
    from formcoach.workers import ray_session

    with ray_session(workers=2) as ray:
        yield ray


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    out, todo = set(), [root]
    while todo:
        p = todo.pop()
        out.add(p)
        todo += children.get(p, [])
    return out


def _tcp_addresses(pids: set[int]) -> set[str]:
    """IP addresses (local and remote) of the TCP sockets the processes hold (Linux /proc)."""
    inodes = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:["):
                    inodes.add(link[8:-1])
        except OSError:
            continue
    addrs = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            f = line.split()
            if f[9] not in inodes:
                continue
            for hexaddr in (f[1], f[2]):
                ip = hexaddr.split(":")[0]
                b = bytes.fromhex(ip)
                if len(b) == 4:
                    addrs.add(".".join(str(x) for x in b[::-1]))
                else:  # IPv6: four little-endian 32-bit words
                    words = [b[i:i + 4][::-1] for i in range(0, 16, 4)]
                    addrs.add(b"".join(words).hex())
    return addrs


def _is_loopback(a: str) -> bool:
    return a.startswith("127.") or a in ("0" * 32, "0.0.0.0") or a == "0" * 31 + "1" or \
        (a.startswith("0" * 20 + "ffff") and a[24:26] == "7f")


@pytest.mark.slow
def test_batch_on_two_workers_equals_sequential_analyze_and_a_bad_file_is_one_error_row(local_ray, tmp_path):
    import pyarrow.parquet as pq

    src = tmp_path / "in"
    (src / "clinic").mkdir(parents=True)
    for name in SHORT:
        shutil.copy(sample_video(name), src / "clinic" / name)
    (src / "broken.mp4").write_bytes(b"this is not a video")
    out = tmp_path / "out"
    summary = run_batch(src, out, workers=2, progress=False)
    assert (summary.total, summary.analysed, summary.errors) == (4, 4, 1)
    rows = {r["video"]: r for r in summary.rows}
    assert rows["broken.mp4"]["status"] == "error" and "not a readable video" in rows["broken.mp4"]["error"]
    assert len({r["worker"] for r in summary.rows if r["status"] == "ok"}) == 2  # both workers took videos
    for name in SHORT:
        seq = analyze_video(src / "clinic" / name, AnalysisOptions())
        saved = (out / "reports" / f"clinic__{name}.json").read_text()
        assert saved == seq.to_json(), name  # byte for byte the report `formcoach analyze --json` writes
        r, d = rows[f"clinic__{name}"], seq.to_dict()
        assert (r["status"], r["reps_left"], r["reps_right"], r["hold_s"], r["exercise"]) == \
            ("ok", d["reps_by_side"].get("left", 0), d["reps_by_side"].get("right", 0), d["hold_s"], d["exercise"])
    table = pq.read_table(out / "results.parquet").to_pylist()
    assert sorted(t["video"] for t in table) == sorted(rows)
    assert (out / "results.csv").read_text().count("\n") == 5
    addrs = _tcp_addresses(_descendants(os.getpid()))
    assert addrs and all(_is_loopback(a) for a in addrs), addrs  # Ray talks on the loopback only
    again = run_batch(src, out, workers=2, progress=False)  # nothing changed: nothing re-done
    assert (again.analysed, again.skipped) == (0, 4)


@pytest.mark.slow
def test_resume_after_a_kill_redoes_only_the_unfinished(local_ray, tmp_path, monkeypatch):
    """The killed run is a `formcoach batch --address` process on the shared local Ray (a second Ray
    start costs 10-30 s here); killing it kills its workers, and the rerun goes on from its rows."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for i in range(4):
        shutil.copy(sample_video("plank_knees.mp4"), src / f"p{i}.mp4")
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "formcoach", "batch", str(src), "--out", str(out),
                             "--workers", "1", "-q", "--exercise", "plank",
                             "--address", local_ray.get_runtime_context().gcs_address], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "stderr.txt", "wb"))
    try:
        deadline = time.monotonic() + 300
        while not list((out / "rows").glob("*.json")) if (out / "rows").is_dir() else True:
            assert proc.poll() is None and time.monotonic() < deadline, \
                f"the batch ended before the kill: {(tmp_path / 'stderr.txt').read_text()[-2000:]}"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finished = {p.name: p.stat().st_mtime_ns for p in (out / "rows").glob("*.json")}
    assert 1 <= len(finished) < 4
    assert not (out / "results.parquet").exists()
    monkeypatch.setattr("formcoach.batch.RECYCLE_AFTER", 1)  # each worker process does one video, then is replaced
    summary = run_batch(src, out, AnalysisOptions(exercise="plank"), workers=2, progress=False)
    assert (summary.skipped, summary.analysed, summary.errors) == (len(finished), 4 - len(finished), 0)
    if summary.analysed == 3:  # two workers, three videos: one worker did two, in two processes
        assert len({r["worker"] for r in summary.rows if r["video"] + ".json" not in finished}) == 3
    assert {p.name: p.stat().st_mtime_ns for p in (out / "rows").glob("*.json") if p.name in finished} == finished
    reports = [json.loads(p.read_text()) for p in sorted((out / "reports").glob("*.json"))]
    for r in reports:
        r["video"].pop("file")
    assert len(reports) == 4 and len({json.dumps(r) for r in reports}) == 1  # four copies, one report
    # A changed input is analysed again: the hash no longer matches.
    shutil.copy(sample_video("plank_straight_arm.mp4"), src / "p0.mp4")
    third = run_batch(src, out, AnalysisOptions(exercise="plank"), workers=2, progress=False)
    assert (third.skipped, third.analysed) == (3, 1)



@pytest.fixture(scope="module")
def long_clip(tmp_path_factory):
    """25.8 s: the last 5 s of a leg-drop dead bug, then a clean one (the middle falls inside a hold),
    and its sequential report."""
    p = concat_clips(tmp_path_factory.mktemp("long") / "long.mp4",
                     [(sample_video("dead_bug_leg_drop.mp4"), 16.0, math.inf),
                      (sample_video("dead_bug_clean.mp4"), 0.0, math.inf)])
    return p, analyze_video(p, AnalysisOptions(exercise="dead_bug"))


def _assert_same_verdicts(a: dict, c: dict) -> None:
    """The issue's tolerance: same reps per side, holds within 0.2 s, same faults."""
    assert c["reps_by_side"] == a["reps_by_side"]
    assert [r["side"] for r in c["reps"]] == [r["side"] for r in a["reps"]]
    assert all(abs(x["hold_s"] - y["hold_s"]) <= 0.2 for x, y in zip(a["reps"], c["reps"]))
    assert abs(c["hold_s"] - a["hold_s"]) <= 0.2
    assert sorted(f["type"] for f in c["faults"]) == sorted(f["type"] for f in a["faults"])
    assert [r["verdict"] for r in c["reps"]] == [r["verdict"] for r in a["reps"]]
    assert c["warnings"] == a["warnings"] and c["frames"] == a["frames"]


@pytest.mark.slow
def test_chunked_analysis_of_a_long_clip_equals_sequential(local_ray, long_clip):
    """Landmarks of the first chunk are the sequential ones bit for bit; after the boundary the warmed-up
    tracker follows its own path (measured on this clip: median 0.28 px, p99 4 px, max 22 px on visible
    landmarks), and the checker, run once over the joined stream, gives the same verdicts."""
    path, seq = long_clip
    chunks, used = plan_chunks(seq.video.duration_s, 2, 5.0), []
    par = analyze_chunked(path, AnalysisOptions(exercise="dead_bug"), workers=2, chunks=chunks, ranges=used)
    assert used == chunks
    (_, _), (b, _) = chunks
    assert [p.timestamp_s for p in par.poses] == [p.timestamp_s for p in seq.poses]  # every frame once
    first = [i for i, p in enumerate(seq.poses) if p.timestamp_s < b]
    assert all(np.array_equal(seq.poses[i].xy, par.poses[i].xy, equal_nan=True) for i in first)
    a = seq.to_dict()
    assert any(r["start_s"] < b < r["end_s"] for r in a["reps"]), "no rep spans the chunk boundary"
    _assert_same_verdicts(a, par.to_dict())


@pytest.mark.slow
def test_a_worker_streams_its_range_in_batches_and_a_report_built_as_they_come_equals_analyze(long_clip):
    """A chunk worker sends its raw poses back as it goes (PoseWorker.infer_range_stream: the Ray call
    analyze_chunked makes), and analyze_chunked feeds them to a ReportBuilder batch by batch: over the
    whole video that gives exactly the report analyze_video gives."""
    from formcoach.engine import PoseModels, ReportBuilder
    from formcoach.workers import PoseWorker
    from vision.source import VideoFileSource

    path, seq = long_clip
    opts = AnalysisOptions(exercise="dead_bug")
    worker = PoseWorker(opts)
    try:
        *batches, tail = list(worker.infer_range_stream(str(path), 0.0, math.inf, 2.0, batch_frames=25))
    finally:
        worker.close()
    assert isinstance(tail, RawPoses) and tail.poses == []
    assert len(batches) > 2 and all(len(b) == 25 for b in batches[:-1]) and 0 < len(batches[-1]) <= 25
    with VideoFileSource(path, prefetch=0) as probe:
        info = probe.info
    builder = ReportBuilder(opts)
    for b in batches:
        builder.add(b)
    stepwise = builder.finish(path, info, tail.people, tail.skipped_frames, PoseModels.name_of(opts.pose))
    assert seq.summary.reps, "no rep in the clip: nothing compared"
    assert stepwise.to_dict() == seq.to_dict()
    assert all(np.array_equal(x.xy, y.xy, equal_nan=True) for x, y in zip(stepwise.poses, seq.poses, strict=True))


@pytest.mark.slow
def test_chunks_split_when_the_worker_is_ready_give_the_sequential_verdicts(local_ray, long_clip):
    """Without fixed chunks this process starts alone and hands the rest to the worker once it has
    started (where depends on how fast it started): the ranges still cover the video once, in order."""
    path, seq = long_clip
    used = []
    par = analyze_chunked(path, AnalysisOptions(exercise="dead_bug"), workers=2, min_chunk_s=5.0, ranges=used)
    assert used[0][0] == 0.0 and used[-1][1] == math.inf
    assert all(a[1] == b[0] for a, b in zip(used, used[1:])) and len(used) <= 2
    assert [p.timestamp_s for p in par.poses] == [p.timestamp_s for p in seq.poses]
    a, c = seq.to_dict(), par.to_dict()  # (holds: see test_chunked_analysis_of_a_long_clip_equals_sequential)
    assert (c["reps_by_side"], [r["side"] for r in c["reps"]]) == (a["reps_by_side"], [r["side"] for r in a["reps"]])
    assert sorted(f["type"] for f in c["faults"]) == sorted(f["type"] for f in a["faults"])


@pytest.mark.slow
def test_a_workers_memory_does_not_grow_from_video_to_video(local_ray, tmp_path):
    """Each video builds and frees a MediaPipe graph; glibc kept the freed memory in its arenas and a
    worker's resident memory rose 1-2.5 MB a video (600 -> 650 MB from the 10th to the 30th two-second
    clip) until the worker capped its arenas and gave the freed memory back after each video
    (workers.limit_heap_arenas, release_freed_heap). The wobbles are upward spikes of up to ~35 MB from one
    video to the next (transient allocations), so the floors are compared. With the orientation probe's
    reader (a second graph, kept for the worker's life) the floor settles later: +30-40 MB by video ~15, then
    flat (50 videos: the lowest RSS of videos 10-15 / 25-30 / 45-50 read 523 / 526 / 524 MB), so the
    windows start after it; videos 5-10 against 20-25 moved +13..+24 MB. A leak raises the floor (+50 MB)."""
    from formcoach.workers import remote_worker_class

    clip = concat_clips(tmp_path / "clip2s.mp4", [(sample_video("plank_clean.mp4"), 0.0, 2.0)])
    worker = remote_worker_class(local_ray).remote(AnalysisOptions(exercise="plank"))
    try:
        rss = []
        for _ in range(30):
            r = local_ray.get(worker.analyze.remote(str(clip), None, False))
            assert r["ok"], r
            rss.append(r["rss_mb"])
    finally:
        local_ray.kill(worker)
    # From videos 10-15 (the process's pools and caches filled) to videos 25-30: the lowest RSS of each
    early, late = min(rss[9:15]), min(rss[24:30])
    assert late - early < 20.0, [round(x) for x in rss]


@pytest.mark.slow
def test_the_apps_upload_analyses_a_long_video_in_chunks(local_ray, long_clip, monkeypatch):
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: uploads are analysed sequentially")
    import formcoach.chunked as chunked
    from formcoach.upload import analyse_upload

    calls = []
    real = chunked.analyze_chunked
    monkeypatch.setattr(chunked, "LONG_VIDEO_S", 20.0)
    monkeypatch.setattr(chunked, "MIN_CHUNK_S", 5.0)
    monkeypatch.setattr(chunked, "analyze_chunked", lambda *a, **k: calls.append(k) or real(*a, **k))
    path, seq = long_clip
    result = analyse_upload(path.read_bytes(), "long.mp4", "dead_bug")
    assert len(calls) == 1 and calls[0]["workers"] == os.cpu_count()
    _assert_same_verdicts(seq.to_dict(), result.report.to_dict())
    assert result.annotated_mp4[4:8] == b"ftyp"


def test_batch_without_ray_says_how_to_get_it(monkeypatch, tmp_path, capsys):
    import builtins

    from formcoach.cli import main

    real = builtins.__import__

    def no_ray(name, *a, **k):
        if name == "ray" or name.startswith("ray."):
            raise ImportError("No module named 'ray'")
        return real(name, *a, **k)

    (tmp_path / "v.mp4").write_bytes(b"x")
    monkeypatch.setenv("FORMCOACH_DEBUG", "1")  # keep stderr where capsys sees it
    monkeypatch.setattr(builtins, "__import__", no_ray)
    monkeypatch.delitem(sys.modules, "ray", raising=False)
    assert main(["batch", str(tmp_path), "--out", str(tmp_path / "o"), "-q"]) == 2
    assert "pip install 'formcoach[batch]'" in capsys.readouterr().err

"""A batch on a simulated two-node Ray cluster (ray.cluster_utils.Cluster: two raylets on this machine,
loopback only), reached the way `formcoach batch --address HOST:PORT` reaches one."""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import sample_video

from formcoach.batch import run_batch
from formcoach.engine import AnalysisOptions, analyze_video

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


@pytest.mark.slow
def test_a_batch_runs_on_a_two_node_cluster(tmp_path):
    from formcoach.workers import _local_only, _patient_node_start, import_ray

    ray = import_ray()
    if ray.is_initialized():
        ray.shutdown()
    _local_only(ray)
    from ray.cluster_utils import Cluster

    with _patient_node_start(ray):  # node start-up on a loaded machine
        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    try:
        with _patient_node_start(ray):
            cluster.add_node(num_cpus=1)
        src = tmp_path / "in"
        src.mkdir()
        for name in ("plank_knees.mp4", "plank_straight_arm.mp4"):
            shutil.copy(sample_video(name), src / name)
        summary = run_batch(src, tmp_path / "out", AnalysisOptions(exercise="plank"), workers=2,
                            address=cluster.address, progress=False)
        assert not ray.is_initialized()  # run_batch connected and disconnected
        assert (summary.analysed, summary.errors) == (2, 0)
        # Two one-CPU actors on two one-CPU nodes: one on each node.
        assert len({r["worker"] for r in summary.rows}) == 2
        for name in ("plank_knees.mp4", "plank_straight_arm.mp4"):
            seq = analyze_video(src / name, AnalysisOptions(exercise="plank"))
            assert (tmp_path / "out" / "reports" / f"{name}.json").read_text() == seq.to_json()
    finally:
        cluster.shutdown()

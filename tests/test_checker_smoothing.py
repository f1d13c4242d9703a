"""Each checker judges the raw poses smoothed as its exercise asks (``ExerciseSpec.landmark_smoothing``;
the plank's is lighter than the pipeline's), and does so the same way live, on an upload with the exercise
given, on one where it is recognised, and when stored poses are replayed (``formcoach eval``)."""

from __future__ import annotations

import numpy as np
import pytest

from exercises.pose import Landmark, PoseFrame
from exercises.registry import get_exercise
from formcoach.engine import (
    AnalysisOptions,
    CoachPipeline,
    RawPoses,
    build_report,
    checker_smoothing,
    poses_for_checker,
    run_checker,
)
from tests.synthetic import plank_frame, sequence
from vision.smoothing import OneEuroConfig
from vision.source import VideoInfo

FPS = 15.0


def _sag(t: float) -> float:  # a 14 deg sag on [5, 8] s, 0.4 s ramps
    return float(np.interp(t, [4.6, 5.0, 8.0, 8.4], [0.0, 14.0, 14.0, 0.0]))


def _raw() -> list[PoseFrame]:
    rng = np.random.default_rng(11)
    frames = sequence(lambda t: plank_frame(t, sag_deg=_sag(t)), 14.0, FPS)
    return [f.with_xy(f.xy + rng.normal(0, 0.8, f.xy.shape)) for f in frames]


def _first_sag_s(verdicts) -> float:
    return min(v.timestamp_s for v in verdicts if v is not None and "hip_sag" in v.active_faults)


def test_the_plank_asks_for_a_lighter_smoothing_and_the_rep_exercises_for_the_pipelines():
    pipeline = OneEuroConfig()
    plank = checker_smoothing("plank", pipeline)
    assert (plank.min_cutoff_hz, plank.beta) == get_exercise("plank").landmark_smoothing
    assert plank.min_cutoff_hz > pipeline.min_cutoff_hz and plank.max_gap_s == pipeline.max_gap_s
    assert checker_smoothing("dead_bug", pipeline) == pipeline == checker_smoothing(None, pipeline)
    assert checker_smoothing("plank", None) is None  # nothing smoothed: nothing to re-smooth
    stored = [f for f in _raw()]
    assert poses_for_checker(stored, "bird_dog", pipeline) is stored


def test_live_given_recognised_and_replayed_plank_judge_the_same_poses():
    raw = _raw()
    info = VideoInfo(fps=FPS, width=640, height=480, frame_count=len(raw), duration_s=len(raw) / FPS)
    given = build_report("plank.mp4", info, RawPoses(raw, [], 0), AnalysisOptions(exercise="plank"), "full")
    found = build_report("plank.mp4", info, RawPoses(raw, [], 0), AnalysisOptions(exercise=None), "full")
    assert found.exercise == "plank" and found.exercise_source == "recognised"
    assert given.summary.to_dict() == found.summary.to_dict()
    assert [v.active_faults for v in given.verdicts] == [v.active_faults for v in found.verdicts]

    pipe = CoachPipeline("plank", estimator=object())  # the live page's per-frame path (no model needed)
    live = [pipe.process_pose(p) for p in raw]
    assert [v.active_faults for _, v in live] == [v.active_faults for v in given.verdicts]
    assert all(np.array_equal(a.xy, b.xy, equal_nan=True) for (a, _), b in zip(live, given.poses, strict=True))

    replay, verdicts = run_checker(given.poses, "plank", smoothed_with=AnalysisOptions().smoothing)
    assert replay.to_dict() == given.summary.to_dict()

    # ... and it is the plank's smoothing they judge: the stored (pipeline-smoothed) poses judged as they are
    # find the sag later.
    as_stored = get_exercise("plank").make_checker()
    late = [as_stored.update(p) for p in given.poses]
    assert _first_sag_s(given.verdicts) < _first_sag_s(late)


def test_a_recognised_plank_is_judged_from_the_raw_poses_even_through_a_tracking_glitch():
    """The hips run off at 4 image heights a second for 6 frames and snap back: there the One-Euro filter maps
    several raw poses to one output, so re-smoothing stored poses could judge other poses. The recognised path
    judges the raw ones, as the given one does: the same angles on every frame."""
    fps = 30.0
    rng = np.random.default_rng(11)
    frames = sequence(lambda t: plank_frame(t, sag_deg=_sag(t)), 14.0, fps)
    raw = []
    for i, f in enumerate(frames):
        xy = f.xy + rng.normal(0, 0.8, f.xy.shape)
        if 0 <= i - 180 < 6:
            xy[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP], 0] += 4.0 * 480 / fps * (i - 179)
        raw.append(f.with_xy(xy))
    info = VideoInfo(fps=fps, width=640, height=480, frame_count=len(raw), duration_s=len(raw) / fps)
    given = build_report("plank.mp4", info, RawPoses(raw, [], 0), AnalysisOptions(exercise="plank"), "full")
    found = build_report("plank.mp4", info, RawPoses(raw, [], 0), AnalysisOptions(exercise=None), "full")
    assert found.exercise == "plank"
    assert [v.metrics["hip_deviation_deg"] for v in found.verdicts] == pytest.approx(
        [v.metrics["hip_deviation_deg"] for v in given.verdicts], abs=1e-9, nan_ok=True)
    assert given.summary.to_dict() == found.summary.to_dict()

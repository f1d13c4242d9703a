"""The real model on real footage: detection rate and plausible landmarks."""

import numpy as np
import pytest
from conftest import SAMPLE_VIDEOS, shared_video

from exercises.metrics import near_side
from exercises.pose import sided
from formcoach.engine import AnalysisOptions, analyze_video
from vision.pose import PoseOptions

pytestmark = pytest.mark.slow


def _between(a, b, c):
    return min(a, c) < b < max(a, c)


@pytest.mark.parametrize("clip", ["gymnai_plank.mp4", "foriris_elbow_plank.mp4", "treadtv_plank.mp4"])
def test_side_plank_hips_lie_between_shoulders_and_ankles(clip):
    report = analyze_video(shared_video(clip), AnalysisOptions(pose=PoseOptions(model="lite")))
    assert report.detection_rate >= 0.95
    ok = 0
    judged = 0
    for p in report.poses:
        side = near_side(p)
        if side is None:
            continue
        judged += 1
        sx, hx, ax = (p.point(sided(j, side))[0] for j in ("shoulder", "hip", "ankle"))
        sy, hy = p.point(sided("shoulder", side))[1], p.point(sided("hip", side))[1]
        ok += _between(sx, hx, ax) and abs(hy - sy) < 0.25 * p.image_wh[1]
    assert judged >= 0.8 * len(report.poses)
    assert ok >= 0.95 * judged
    # the body line of a good-form demo stays near straight
    line = np.array(report.series["body_line_deg"], dtype=float)
    assert np.nanmedian(np.abs(line)) < 12


def test_timestamps_follow_the_video_clock():
    report = analyze_video(shared_video("treadtv_plank.mp4"))  # a 12 fps clip
    t = np.array(report.series["t_s"])
    assert np.all(np.diff(t) > 0)
    assert np.median(np.diff(t)) == pytest.approx(1 / 12, rel=0.02)


def test_project_footage_is_detected():
    clips = sorted(SAMPLE_VIDEOS.glob("*.mp4"))
    if not clips:
        pytest.skip("sample_videos not rendered yet")
    for clip in clips[:3]:
        report = analyze_video(clip)
        assert report.detection_rate >= 0.9, clip.name

import numpy as np

from exercises.base import Cue, FrameVerdict, Severity
from exercises.pose import Landmark, PoseFrame
from vision.annotate import CoachAnnotator, SkeletonAnnotator


def _verdict(message="Lift your hips a little.", judgeable=True):
    return FrameVerdict(1.0, judgeable, {}, (), Cue("hip_sag", Severity.WARNING, message, 1.0),
                        {"left": 2, "right": 1}, 3.0, 2.0, "holding")


def test_long_cue_wraps_inside_the_frame():
    img = np.zeros((480, 640, 3), np.uint8)
    CoachAnnotator().annotate(img, _verdict("word " * 40))
    drawn_rows = np.flatnonzero(img[:, :, 2].max(axis=1) > 100)  # red text
    assert drawn_rows.size and drawn_rows.max() > 60     # it went onto more lines...
    assert img[:, 630:, 2].max() < 100                   # ...instead of running off the right edge


def test_skeleton_draws_only_visible_landmarks():
    xy = np.full((33, 2), np.nan)
    vis = np.zeros(33)
    xy[Landmark.LEFT_SHOULDER], xy[Landmark.LEFT_HIP] = (100, 100), (300, 100)
    vis[[Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP]] = 0.9
    pose = PoseFrame(xy=xy, visibility=vis, timestamp_s=0.0, image_wh=(400, 200))
    img = np.zeros((200, 400, 3), np.uint8)
    SkeletonAnnotator().annotate(img, pose)
    assert img[100, 200].any()          # the shoulder-hip edge
    assert not img[150:, :].any()        # nothing invented below it
    blank = np.zeros_like(img)
    SkeletonAnnotator().annotate(blank, PoseFrame.empty(0.0, (400, 200)))
    assert not blank.any()


def test_cant_judge_and_timed_counters_are_shown():
    a = np.zeros((480, 640, 3), np.uint8)
    b = a.copy()
    CoachAnnotator().annotate(a, _verdict(judgeable=True), timed=True)
    CoachAnnotator().annotate(b, _verdict(judgeable=False), timed=True)
    assert (a != b).any()  # the "can't judge" line adds text

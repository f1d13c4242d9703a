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


def _body(y0, y1, w=640, h=480):
    xy = np.full((33, 2), np.nan)
    vis = np.zeros(33)
    for i, lm in enumerate((Landmark.NOSE, Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP, Landmark.LEFT_ANKLE)):
        xy[lm] = (100 + 120 * i, y0 + (y1 - y0) * i / 3)
        vis[lm] = 0.9
    return PoseFrame(xy=xy, visibility=vis, timestamp_s=0.0, image_wh=(w, h))


def _text_rows(img):
    return np.flatnonzero(img.max(axis=(1, 2)) > 0)


def test_text_never_covers_the_person_and_is_large():
    for y0, y1 in ((200, 300), (60, 250), (250, 430)):
        img = np.zeros((480, 640, 3), np.uint8)
        img[:] = 255  # a white scene: the boxes darken it
        pose = _body(y0, y1)
        CoachAnnotator().annotate(img, _verdict("Keep your hips level as the leg goes back."), pose=pose,
                                  title="Bird-dog")
        touched = np.flatnonzero((img != 255).any(axis=(1, 2)))
        body = range(int(y0 - 0.04 * 480), int(y1 + 0.04 * 480) + 1)
        assert touched.size and not set(touched) & set(body), (y0, y1)
    # large: the cue's letters are at least 1/30 of the frame height, on a near-black box
    img = np.zeros((480, 640, 3), np.uint8)
    img[:] = 200
    CoachAnnotator().annotate(img, _verdict("HIPS"), pose=_body(300, 420))
    ink = np.flatnonzero((img[:, :, 1] > 210).any(axis=1))  # yellow warning text (G 220)
    assert ink.size and ink.max() - ink.min() + 1 >= 480 / 30
    box = img[ink.min():ink.max() + 1, 12:14]
    assert box.mean() < 60  # the box behind the text is dark: high contrast


def test_no_room_anywhere_shrinks_then_uses_the_larger_band():
    img = np.zeros((480, 640, 3), np.uint8)
    CoachAnnotator().annotate(img, _verdict("word " * 40), pose=_body(40, 400))
    assert _text_rows(img).size  # still shown

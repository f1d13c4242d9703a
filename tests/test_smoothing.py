import numpy as np

from exercises.pose import PoseFrame
from vision.smoothing import OneEuroConfig, OneEuroFilter, PoseSmoother


def test_still_point_jitter_is_reduced():
    rng = np.random.default_rng(0)
    f = OneEuroFilter(OneEuroConfig())
    raw, out = [], []
    for i in range(300):
        x = np.array([[0.5, 0.5]]) + rng.normal(0, 0.004, (1, 2))
        raw.append(x)
        out.append(f(x, i / 30))
    assert np.std(np.array(out)[30:]) < 0.5 * np.std(np.array(raw)[30:])


def test_fast_move_is_followed_within_a_few_frames():
    f = OneEuroFilter(OneEuroConfig())
    for i in range(30):
        f(np.array([[0.2, 0.5]]), i / 30)
    ys = [f(np.array([[0.6, 0.5]]), (30 + i) / 30)[0, 0] for i in range(6)]
    assert ys[-1] > 0.55  # within 0.2 s it is most of the way there


def test_nan_rows_stay_nan_and_restart_cleanly():
    f = OneEuroFilter()
    f(np.array([[0.1, 0.1], [0.2, 0.2]]), 0.0)
    out = f(np.array([[np.nan, np.nan], [0.2, 0.2]]), 1 / 30)
    assert np.isnan(out[0]).all() and np.isfinite(out[1]).all()
    out = f(np.array([[0.9, 0.9], [0.2, 0.2]]), 2 / 30)
    np.testing.assert_allclose(out[0], (0.9, 0.9))  # no pull toward the stale value


def test_gap_resets_filter():
    f = OneEuroFilter(OneEuroConfig(max_gap_s=0.5))
    f(np.array([[0.0, 0.0]]), 0.0)
    np.testing.assert_allclose(f(np.array([[1.0, 1.0]]), 2.0), [[1.0, 1.0]])


def test_pose_smoother_passes_empty_frames_and_keeps_visibility():
    s = PoseSmoother()
    xy = np.full((33, 2), 100.0)
    a = PoseFrame(xy=xy, visibility=np.full(33, 0.8), timestamp_s=0.0, image_wh=(640, 480))
    b = PoseFrame(xy=xy + 10, visibility=np.full(33, 0.7), timestamp_s=0.033, image_wh=(640, 480))
    s(a)
    out = s(b)
    assert (out.xy < 110).all() and (out.xy > 100).all()
    np.testing.assert_allclose(out.visibility, 0.7)
    e = PoseFrame.empty(0.066, (640, 480))
    assert s(e) is e

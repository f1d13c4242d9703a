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


def test_invert_gives_back_the_raw_stream_so_stored_poses_can_be_smoothed_again():
    """Restarts (first frame, a gap, a NaN row coming back) and moving, jittery points included."""
    rng = np.random.default_rng(3)
    made_with, other = OneEuroConfig(), OneEuroConfig(min_cutoff_hz=3.0, beta=0.2)
    t, raw = 0.0, []
    for i in range(120):
        t += 1 / 15 if i != 60 else 0.8  # a gap longer than max_gap_s
        x = np.array([[0.3 + 0.002 * i, 0.5], [0.6, 0.4 - 0.001 * i], [0.1, 0.2]]) + rng.normal(0, 0.003, (3, 2))
        if 40 <= i < 43:
            x[2] = np.nan
        raw.append((x, t))
    fwd, inv, direct, re = (OneEuroFilter(made_with), OneEuroFilter(made_with), OneEuroFilter(other),
                            OneEuroFilter(other))
    for x, ts in raw:
        y = fwd(x, ts)
        back = inv.invert(y, ts)
        np.testing.assert_allclose(back, x, atol=1e-9)  # NaN rows stay NaN (assert_allclose matches NaN)
        np.testing.assert_allclose(re(back, ts), direct(x, ts), atol=1e-9)
    assert not np.allclose(fwd(raw[-1][0], raw[-1][1] + 1 / 15), raw[-1][0])  # the smoothing was not a no-op


def test_resmooth_poses_equals_smoothing_the_raw_poses_with_the_other_config():
    from vision.smoothing import resmooth

    rng = np.random.default_rng(4)
    raw = []
    for i in range(40):
        xy = np.full((33, 2), 200.0) + i * 2.0 + rng.normal(0, 1.5, (33, 2))
        world = np.zeros((33, 3)) + 0.01 * i + rng.normal(0, 0.004, (33, 3))
        raw.append(PoseFrame(xy=xy, visibility=np.full(33, 0.9), timestamp_s=i / 30, image_wh=(640, 480),
                             world_xyz=world) if i != 20 else PoseFrame.empty(i / 30, (640, 480)))
    made_with, other = OneEuroConfig(), OneEuroConfig(min_cutoff_hz=2.0, beta=0.5)
    s = PoseSmoother(made_with)
    smoothed = [s(f) for f in raw]
    s2 = PoseSmoother(other)
    want = [s2(f) for f in raw]
    got = resmooth(smoothed, made_with, other)
    unsmoothed = resmooth(smoothed, made_with, None)
    assert all(a is b for a, b in zip(resmooth(raw, None, None), raw, strict=True))  # nothing to undo or redo
    from_raw = resmooth(raw, None, other)
    np.testing.assert_allclose(from_raw[5].xy, want[5].xy)
    for g, w, u, r in zip(got, want, unsmoothed, raw, strict=True):
        assert g.detected == w.detected
        if r.detected:
            np.testing.assert_allclose(g.xy, w.xy, atol=1e-6)
            np.testing.assert_allclose(g.world_xyz, w.world_xyz, atol=1e-9)
            np.testing.assert_allclose(u.xy, r.xy, atol=1e-6)

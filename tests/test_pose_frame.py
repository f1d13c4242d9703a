import numpy as np
import pytest

from exercises.pose import NUM_LANDMARKS, Landmark, PoseFrame, Side, sided


def frame(**kw):
    args = dict(xy=np.zeros((33, 2)), visibility=np.ones(33), timestamp_s=1.0, image_wh=(640, 480))
    args.update(kw)
    return PoseFrame(**args)


@pytest.mark.parametrize("kw,msg", [
    (dict(xy=np.zeros((17, 2))), r"xy must have shape \(33, 2\), got \(17, 2\)"),
    (dict(visibility=np.ones(32)), r"visibility must have shape \(33,\), got \(32,\)"),
    (dict(world_xyz=np.zeros((33, 2))), r"world_xyz must have shape \(33, 3\)"),
    (dict(timestamp_s=float("nan")), "timestamp_s must be finite"),
    (dict(image_wh=(0, 480)), "image_wh must be positive"),
])
def test_invalid_frames_raise_with_expected_and_actual(kw, msg):
    with pytest.raises(ValueError, match=msg):
        frame(**kw)


def test_frame_is_frozen_and_arrays_read_only():
    f = frame()
    with pytest.raises(AttributeError):
        f.timestamp_s = 2.0
    with pytest.raises(ValueError):
        f.xy[0, 0] = 5.0


def test_nan_landmark_is_not_visible():
    xy = np.zeros((33, 2))
    xy[Landmark.LEFT_HIP] = np.nan
    vis = np.ones(33)
    vis[Landmark.NOSE] = np.nan
    f = frame(xy=xy, visibility=vis)
    assert f.vis(Landmark.LEFT_HIP) == 0.0
    assert f.vis(Landmark.NOSE) == 0.0
    assert not f.visible(Landmark.LEFT_HIP)
    assert f.visible(Landmark.RIGHT_HIP)


def test_empty_frame_keeps_time_and_has_no_landmarks():
    f = PoseFrame.empty(3.5, (320, 240))
    assert not f.detected and f.timestamp_s == 3.5
    assert np.isnan(f.xy).all() and (f.visibility == 0).all()


def test_mirrored_moves_pixels_not_identities():
    xy = np.zeros((NUM_LANDMARKS, 2))
    xy[Landmark.LEFT_WRIST] = (100, 50)
    m = frame(xy=xy).mirrored()
    np.testing.assert_allclose(m.point(Landmark.LEFT_WRIST), (540, 50))


def test_sided_and_in_frame():
    assert sided("knee", Side.RIGHT) is Landmark.RIGHT_KNEE
    assert Side.LEFT.other is Side.RIGHT
    with pytest.raises(ValueError, match="unknown joint 'tail'"):
        sided("tail", Side.LEFT)
    xy = np.full((33, 2), 10.0)
    xy[Landmark.LEFT_ANKLE] = (700, 100)
    f = frame(xy=xy)
    assert f.in_frame(Landmark.NOSE) and not f.in_frame(Landmark.LEFT_ANKLE)


def test_landmark_values_match_mediapipe():
    mp_vision = pytest.importorskip("mediapipe.tasks.python.vision")
    for lm in mp_vision.PoseLandmark:
        assert Landmark[lm.name] == int(lm)

"""MediaPipe result -> PoseFrame conversion at the one edge (vision/pose.py)."""

from types import SimpleNamespace

import numpy as np
import pytest

from exercises.pose import Landmark
from vision.pose import pose_frame_from_result


def _lm(x, y, z=0.0, vis=0.9):
    return SimpleNamespace(x=x, y=y, z=z, visibility=vis, presence=0.9)


def _result(n_people=1, world=True):
    people = [[_lm(i / 40, i / 80, vis=0.5 + i / 100) for i in range(33)] for _ in range(n_people)]
    worlds = [[_lm(i * 0.01, -i * 0.02, 0.1) for i in range(33)] for _ in range(n_people)] if world else []
    return SimpleNamespace(pose_landmarks=people, pose_world_landmarks=worlds)


def test_normalised_to_pixels_on_non_square_frame():
    f = pose_frame_from_result(_result(), (640, 360), 1.25)
    assert f.detected and f.timestamp_s == 1.25 and f.image_wh == (640, 360)
    i = int(Landmark.LEFT_HIP)
    np.testing.assert_allclose(f.point(Landmark.LEFT_HIP), (i / 40 * 640, i / 80 * 360))
    assert f.vis(Landmark.LEFT_HIP) == pytest.approx(0.5 + i / 100)
    np.testing.assert_allclose(f.world(Landmark.LEFT_HIP), (i * 0.01, -i * 0.02, 0.1))


def test_no_person_gives_empty_frame():
    f = pose_frame_from_result(SimpleNamespace(pose_landmarks=[], pose_world_landmarks=[]), (640, 480), 2.0)
    assert not f.detected and f.timestamp_s == 2.0


def test_missing_world_and_none_visibility():
    r = _result(world=False)
    r.pose_landmarks[0][0] = _lm(0.5, 0.5, vis=None)
    f = pose_frame_from_result(r, (100, 100), 0.0)
    assert f.world_xyz is None
    assert f.vis(Landmark.NOSE) == 0.0

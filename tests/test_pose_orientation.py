"""The orientation probe: a person MediaPipe reads head-to-foot reversed is found by reading the frame turned.

Footage: ``tests/data/plank_knees_high_wide_camera.mp4`` is the rendered validation clip
``plank_knees_sag_12_pike_20__v0_v02_k04`` (camera 1.1 m up, 2.1 m away, 62 degree lens; 75 KB), its
ground-truth joints in that clip's committed label. The misreading is fragile: a re-encoded copy of the
clip is read right without the probe, so the file is the renderer's own (the test reads its first 2 s).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import ROOT, sample_frames, shared_video, two_people_frames

from exercises.pose import Landmark, PoseFrame
from vision.pose import PoseEstimator, PoseOptions, limb_disagreement, turn_pose_180
from vision.source import VideoFileSource

CLIP = ROOT / "tests" / "data" / "plank_knees_high_wide_camera.mp4"
LABEL = ROOT / "corpus" / "labels" / "plank_knees_sag_12_pike_20__v0_v02_k04.json"
FRAMES = 30
JOINTS = ("left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
          "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle")


def _errors_to_truth(model: str, probe_s: float | None) -> tuple[np.ndarray, int]:
    """Per frame: median limb-joint distance to the rendered body's joints, in torso lengths; and the turns."""
    label = json.loads(LABEL.read_text())
    names, truth = label["joints_2d"]["names"], np.array(label["joints_2d"]["xy"], dtype=float)
    torso = np.median(np.linalg.norm((truth[:, 5] + truth[:, 6]) / 2 - (truth[:, 11] + truth[:, 12]) / 2, axis=1))
    errors = []
    with PoseEstimator(PoseOptions(model=model, orientation_probe_s=probe_s)) as est, VideoFileSource(CLIP) as src:
        for i, frame in enumerate(src):
            if i >= FRAMES:
                break
            pose = est.process(frame.image, frame.timestamp_s)
            assert pose.detected
            errors.append(np.median([np.linalg.norm(pose.xy[Landmark[n.upper()]] - truth[i, names.index(n)])
                                     for n in JOINTS]) / torso)
        return np.array(errors), est.orientation_turns


@pytest.mark.parametrize("model", ["full", "lite"])
def test_a_person_read_head_to_foot_reversed_is_read_right_from_the_first_frame(model):
    errors, turns = _errors_to_truth(model, probe_s=2.0)
    assert turns == 1
    assert errors.max() < 0.2  # 0.07 (full) / 0.10 (lite) measured
    unprobed, turns = _errors_to_truth(model, probe_s=None)
    assert turns == 0
    assert np.median(unprobed) > 1.0  # what the pose model alone reads: 1.5-1.8 torso lengths off


def test_a_pose_read_right_is_left_as_it_is():
    frames, fps = sample_frames("plank_knees.mp4", 45)
    with PoseEstimator(PoseOptions(orientation_probe_s=1.0)) as probed, \
            PoseEstimator(PoseOptions(orientation_probe_s=None)) as plain:
        for i, image in enumerate(frames):
            a, b = probed.process(image, i / fps), plain.process(image, i / fps)
            np.testing.assert_array_equal(a.xy, b.xy)
        assert probed.orientation_turns == 0


def test_turned_readings_that_agree_on_a_wrong_pose_do_not_turn_a_right_one():
    """Real bird-dog, 2-5 s: turned 180 and 90 degrees, the frame is read the same wrong way (the torso
    collapsed onto the shoulders, 0.6-0.7 torso lengths from the right tracked pose): not a reversal."""
    path = shared_video("gymnai_bird_dog.mp4")
    with PoseEstimator(PoseOptions(orientation_probe_s=2.0)) as probed, \
            PoseEstimator(PoseOptions(orientation_probe_s=None)) as plain, \
            VideoFileSource(path) as src:
        for frame in src:
            if frame.timestamp_s > 5.0:
                break
            a, b = probed.process(frame.image, frame.timestamp_s), plain.process(frame.image, frame.timestamp_s)
            np.testing.assert_array_equal(a.xy, b.xy)
        assert probed.orientation_turns == 0


def test_a_second_person_in_view_does_not_turn_tracking():
    """Two people: tracking and the turned readings (one pose each) must stay on one of them. In this
    footage all three readings find the same person (limbs 0.01-0.03 torso lengths apart)."""
    two, _, fps = two_people_frames(60)
    with PoseEstimator(PoseOptions(orientation_probe_s=1.0)) as probed, \
            PoseEstimator(PoseOptions(orientation_probe_s=None)) as plain:
        for i, image in enumerate(two):
            np.testing.assert_array_equal(probed.process(image, i / fps).xy, plain.process(image, i / fps).xy)
        assert probed.orientation_turns == 0


def test_turning_a_pose_back_keeps_left_and_right_and_flips_world_x_and_y():
    xy = np.tile([[100.0, 50.0]], (33, 1))
    xy[Landmark.LEFT_WRIST] = (10.0, 20.0)
    world = np.zeros((33, 3))
    world[Landmark.LEFT_WRIST] = (0.1, -0.2, 0.3)
    pose = PoseFrame(xy=xy, visibility=np.ones(33), timestamp_s=1.5, image_wh=(640, 480), world_xyz=world)
    back = turn_pose_180(pose)
    assert tuple(back.xy[Landmark.LEFT_WRIST]) == (630.0, 460.0)
    assert tuple(back.world_xyz[Landmark.LEFT_WRIST]) == pytest.approx((-0.1, 0.2, 0.3))
    assert back.timestamp_s == 1.5 and back.image_wh == (640, 480)
    np.testing.assert_array_equal(turn_pose_180(back).xy, pose.xy)
    empty = PoseFrame.empty(2.0, (640, 480))
    assert turn_pose_180(empty) is empty


def test_disagreement_is_in_torso_lengths_and_ignores_a_few_wrong_joints():
    rng = np.random.default_rng(0)
    a = rng.uniform(100, 300, size=(33, 2))
    a[[11, 12]], a[[23, 24]] = (200.0, 100.0), (200.0, 200.0)  # torso 100 px
    b = a.copy()
    b[[15, 16, 27]] += 500.0  # a hidden far wrist and ankle drawn elsewhere: 3 of 12 joints
    assert limb_disagreement(a, b) == pytest.approx(0.0)
    assert limb_disagreement(a, a + (30.0, 40.0)) == pytest.approx(0.5)
    assert np.isnan(limb_disagreement(a, np.full((33, 2), np.nan)))


def test_orientation_probe_interval_must_be_positive():
    with pytest.raises(ValueError, match="orientation_probe_s"):
        PoseOptions(orientation_probe_s=0.0)

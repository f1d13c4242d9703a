"""Render one synthetic frame and check MediaPipe finds the person near the ground truth.

Runs only where the ``synth`` extra (torch, anny, pyrender + OSMesa) and mediapipe are installed,
e.g. ``.venv-synth/bin/python -m pytest tests/test_synth_render.py``. The first anny load in a
fresh ``ANNY_CACHE_DIR`` takes minutes.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")  # before anything imports OpenGL
pytest.importorskip("torch")
pytest.importorskip("anny")  # must be imported before pyrender/OSMesa
pytest.importorskip("pyrender")
mp = pytest.importorskip("mediapipe")

MODEL = Path(__file__).resolve().parents[1] / "vision" / "models" / "pose_landmarker_full.task"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rendered():
    from tools.synth.body import AnnyBody
    from tools.synth.geometry import camera_pose, project
    from tools.synth.poses import Poser
    from tools.synth.samples import BODY_A, SIDE
    from tools.synth.scene import Stage
    from tools.synth.timeline import JOINT_NAMES, PoseState

    body = AnnyBody(BODY_A)
    posed = Poser(body)(PoseState("bird_dog", "standard", "left", 1.0, (("hip_rotation", 10.0),)))
    center = (posed.vertices.min(0) + posed.vertices.max(0)) / 2
    pose = camera_pose(SIDE, center)
    stage = Stage(640, 480, SIDE.yfov_deg, pose, body.faces, body.colors, mat_center=center[:2])
    try:
        img = stage.render(posed.vertices)
    finally:
        stage.close()
    gt = project(np.array([posed.joints[n] for n in JOINT_NAMES]), pose, SIDE.yfov_deg, 640, 480)
    return img, dict(zip(JOINT_NAMES, gt))


def test_frame_is_an_image_of_a_person(rendered):
    img, gt = rendered
    assert img.shape == (480, 640, 3) and img.dtype == np.uint8
    assert img.std() > 10
    xy = np.array(list(gt.values()))
    assert (xy[:, 0] > 0).all() and (xy[:, 0] < 640).all() and (xy[:, 1] > 0).all() and (xy[:, 1] < 480).all()


@pytest.mark.skipif(not MODEL.exists(), reason="pose model not built")
def test_mediapipe_finds_the_person(rendered):
    from mediapipe.tasks.python import BaseOptions
    from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions, RunningMode

    img, gt = rendered
    opts = PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(MODEL)),
                                 running_mode=RunningMode.IMAGE)
    with PoseLandmarker.create_from_options(opts) as lm:
        res = lm.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(img)))
    assert res.pose_landmarks, "MediaPipe found no person"
    pts = res.pose_landmarks[0]
    torso = np.linalg.norm((gt["left_shoulder"] + gt["right_shoulder"]) / 2 - (gt["left_hip"] + gt["right_hip"]) / 2)
    # the near (right) side faces the camera: its joints must be close to the ground truth
    for name, idx in (("right_shoulder", 12), ("right_hip", 24), ("right_wrist", 16)):
        err = np.hypot(pts[idx].x * 640 - gt[name][0], pts[idx].y * 480 - gt[name][1])
        assert err < 0.3 * torso, f"{name}: {err:.1f} px off (torso {torso:.1f} px)"

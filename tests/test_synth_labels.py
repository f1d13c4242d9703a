"""Label writing, the sample-set definitions and camera maths of the renderer (pure)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from exercises.pose import Landmark
from tools.synth.geometry import apply, camera_pose, level_contacts, look_at, project, rot
from tools.synth.samples import SAMPLES, by_name
from tools.synth.timeline import (
    FAULT_TYPES,
    JOINT_NAMES,
    SCHEMA,
    Camera,
    ClipSpec,
    Fault,
    Tempo,
    build_label,
    check_faults_in_holds,
    read_label,
    reps_of,
    write_label,
)

TOP_KEYS = ["schema", "file", "exercise", "variant", "view", "source", "fps", "width", "height", "frames",
            "duration_s", "camera", "body", "tempo", "reps", "reps_by_side", "hold_s", "good_form_s", "faults",
            "joints_2d"]


def bird_dog_spec() -> ClipSpec:
    return ClipSpec(name="bd", exercise="bird_dog", sides=("left", "right"),
                    tempo=Tempo(1.0, 3.0, 1.0, 0.5), lead_in_s=1.0, tail_s=0.5,
                    faults=(Fault("hip_rotation", 15.0, 2.5, 4.5, 0.4),))


def fake_joints(spec: ClipSpec) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.uniform(0, 480, size=(spec.frames, len(JOINT_NAMES), 2))


def test_joint_names_are_project_landmarks():
    for name in JOINT_NAMES:
        assert Landmark[name.upper()].name.lower() == name


def test_label_has_exact_schema():
    spec = bird_dog_spec()
    label = build_label(spec, fake_joints(spec))
    assert list(label) == TOP_KEYS
    assert label["schema"] == SCHEMA and label["source"] == "synthetic"
    assert label["file"] == "bd.mp4" and label["view"] == "side" and label["variant"] == "standard"
    assert label["frames"] == spec.frames and label["duration_s"] == pytest.approx(spec.duration_s, abs=1e-4)
    assert set(label["camera"]) == {"distance_m", "height_m", "azimuth_deg", "yfov_deg"}
    assert set(label["body"]) == {"phenotype", "colors"}
    assert label["tempo"] == {"extend_s": 1.0, "hold_s": 3.0, "return_s": 1.0, "rest_s": 0.5}
    assert label["reps"][0] == {"side": "left", "start_s": 1.0, "end_s": 6.0, "hold_start_s": 2.0,
                                "hold_end_s": 5.0, "hold_s": 3.0}
    assert label["reps_by_side"] == {"left": 1, "right": 1}
    assert label["hold_s"] == pytest.approx(6.0)
    assert label["good_form_s"] == pytest.approx(6.0 - 2.8)
    assert label["faults"] == [{"type": "hip_rotation", "magnitude_deg": 15.0, "start_s": 2.5, "end_s": 4.5,
                                "ramp_s": 0.4}]
    xy = np.asarray(label["joints_2d"]["xy"])
    assert label["joints_2d"]["names"] == list(JOINT_NAMES)
    assert xy.shape == (spec.frames, len(JOINT_NAMES), 2)


def test_plank_label_has_no_reps():
    spec = ClipSpec(name="p", exercise="plank", variant="forearm", plank_s=2.0)
    label = build_label(spec, fake_joints(spec))
    assert label["tempo"] is None and label["reps"] == []
    assert label["reps_by_side"] == {"left": 0, "right": 0}
    assert label["hold_s"] == 2.0 and label["good_form_s"] == 2.0


def test_build_label_checks_joint_shape():
    spec = bird_dog_spec()
    with pytest.raises(ValueError, match="shape"):
        build_label(spec, np.zeros((spec.frames - 1, len(JOINT_NAMES), 2)))


def test_fault_outside_hold_is_rejected():
    spec = ClipSpec(name="bd", exercise="bird_dog", sides=("left",), tempo=Tempo(1.0, 2.0, 1.0, 0.5),
                    lead_in_s=1.0, faults=(Fault("back_sag", 10.0, 1.0, 2.5, 0.4),))
    with pytest.raises(ValueError, match="not inside a hold"):
        check_faults_in_holds(spec)


def test_write_read_roundtrip(tmp_path):
    spec = bird_dog_spec()
    label = build_label(spec, fake_joints(spec))
    path = write_label(tmp_path / "bd.json", label)
    back = read_label(path)
    assert back == json.loads(json.dumps(label))
    # one frame of joints per line keeps the files diff-able
    assert len(path.read_text().splitlines()) > spec.frames


def test_read_label_rejects_other_schema(tmp_path):
    p = tmp_path / "x.json"
    p.write_text(json.dumps({"schema": "other/1"}))
    with pytest.raises(ValueError, match="schema"):
        read_label(p)


def test_sample_set_covers_every_fault_and_exercise():
    names = [s.name for s in SAMPLES]
    assert len(names) == len(set(names))
    for exercise, kinds in FAULT_TYPES.items():
        specs = [s for s in SAMPLES if s.exercise == exercise]
        assert any(not s.faults for s in specs), f"no clean {exercise} clip"
        covered = {f.type for s in specs for f in s.faults}
        assert covered == set(kinds)
    for spec in SAMPLES:
        check_faults_in_holds(spec)
        reps = reps_of(spec)
        for f in spec.faults:
            if reps:  # the faulty rep's side must also appear as a clean rep
                faulty = next(r for r in reps if r.hold_start_s <= f.start_s <= r.hold_end_s)
                clean = [r for r in reps if r is not faulty and not any(
                    r.start_s <= g.start_s <= r.end_s for g in spec.faults)]
                assert faulty.side in {r.side for r in clean}, spec.name
                assert {"left", "right"} <= {r.side for r in clean} | {faulty.side}, spec.name
        assert 6.0 <= spec.duration_s <= 25.0
        assert spec.fps == 15 and (spec.width, spec.height) == (640, 480)
    assert by_name("plank_clean").exercise == "plank"
    with pytest.raises(ValueError, match="valid"):
        by_name("nope")


def test_side_camera_projection():
    cam = Camera(distance_m=3.0, height_m=0.5, azimuth_deg=0.0, yfov_deg=45.0)
    pose = camera_pose(cam, (0.0, 0.0, 0.5))
    uv = project(np.array([[0.0, 0.0, 0.5], [1.0, 0.0, 0.5], [0.0, 0.0, 1.0]]), pose, 45.0, 640, 480)
    assert uv[0] == pytest.approx([320.0, 240.0])
    assert uv[1][0] > 320.0  # +x (the head) is on the right of a side view from -y
    assert uv[2][1] < 240.0  # higher is up in the image (y down)
    f = 240 / np.tan(np.deg2rad(22.5))
    assert uv[1][0] - 320.0 == pytest.approx(f / 3.0)


def test_project_rejects_points_behind_camera():
    pose = look_at([0, -3, 1], [0, 0, 1])
    with pytest.raises(ValueError, match="behind"):
        project(np.array([[0.0, -4.0, 1.0]]), pose, 45.0, 640, 480)


def test_level_contacts_levels_and_keeps_shape():
    pts = np.array([[1.0, 0, 0.3], [-1.0, 0, 0.0], [0.0, 0, 0.5]])
    a = np.array([True, False, False])
    b = np.array([False, True, False])
    out = apply(level_contacts(pts, a, b), pts)
    assert out[0, 2] == pytest.approx(out[1, 2], abs=1e-9)
    assert np.linalg.norm(out[0] - out[1]) == pytest.approx(np.linalg.norm(pts[0] - pts[1]))
    # the smallest rotation: never flips the body over when the contacts are in the other order
    out2 = apply(level_contacts(pts, b, a), pts)
    assert np.allclose(out, out2)


def test_rot_is_right_handed():
    assert rot([0, 0, 1], 90) @ np.array([1.0, 0, 0]) == pytest.approx([0.0, 1.0, 0.0])

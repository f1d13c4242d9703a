"""The calibration corpus spec (tools/synth/corpus.py): split disjointness and the spread the issue asks for.

Pure (numpy + stdlib): runs everywhere, renders nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from tools.synth.corpus import BODIES, CAMERAS, COPIES, CORPUS, SCRIPTS, SPLITS, SUPPLEMENT, render_order
from tools.synth.geometry import camera_pose, project
from tools.synth.timeline import FAULT_TYPES, JOINT_NAMES, build_label, check_faults_in_holds, reps_of

CAM = {c.id: c for c in CAMERAS}
BODY = {b.id: b for b in BODIES}


def clips(split: str | None = None):
    return [s for s in CORPUS if split is None or s.split == split]


def test_every_clip_is_in_one_split_and_names_are_unique():
    assert len(CORPUS) >= 90
    assert {s.split for s in CORPUS} == set(SPLITS)
    assert len({s.name for s in CORPUS}) == len(CORPUS)


def test_split_is_disjoint_in_bodies_and_cameras():
    used = {split: ({s.body_id for s in clips(split)}, {s.camera_id for s in clips(split)}) for split in SPLITS}
    assert not used["train"][0] & used["validation"][0]
    assert not used["train"][1] & used["validation"][1]
    for s in CORPUS:  # the clip really uses the body and camera its ids name, of its own split
        assert BODY[s.body_id].split == s.split and s.body == BODY[s.body_id].body
        assert CAM[s.camera_id].split == s.split and s.camera == CAM[s.camera_id].camera
        assert (s.width, s.height, s.fps) == (CAM[s.camera_id].width, CAM[s.camera_id].height, CAM[s.camera_id].fps)


def test_bodies_span_the_phenotype_range():
    assert len({s.body_id for s in CORPUS}) >= 10
    for split in SPLITS:
        assert len({s.body_id for s in clips(split)}) >= 4
    for key in ("gender", "age", "weight", "height", "muscle", "proportions"):
        values = [b.body.phenotype[key] for b in BODIES]
        assert min(values) <= 0.4 and max(values) >= 0.6, key
    for key in ("weight", "height"):  # thin to heavy, short to tall
        assert min(b.body.phenotype[key] for b in BODIES) <= 0.15
        assert max(b.body.phenotype[key] for b in BODIES) >= 0.9
    adult = [b.body.phenotype["age"] for b in BODIES]
    assert min(adult) >= 0.35  # anny age 0.35 ~ 18 years
    for part in ("skin", "shirt", "mat"):
        assert len({tuple(b.body.color(part)) for b in BODIES}) >= 8, part


def test_cameras_span_placements_lenses_and_video_modes():
    assert len({s.camera_id for s in CORPUS}) >= 6
    for split in SPLITS:
        cams = [CAM[i] for i in {s.camera_id for s in clips(split)}]
        az = [c.camera.azimuth_deg for c in cams]
        assert min(az) <= -20 and max(az) >= 20 and any(abs(a) <= 5 for a in az), split  # both oblique ends
        assert {(c.width, c.height) for c in cams} == {(640, 480), (1280, 720)}, split
        assert {c.fps for c in cams} == {15, 30}, split
    az = [c.camera.azimuth_deg for c in CAMERAS]
    assert min(az) <= -35 and max(az) >= 35
    heights = [c.camera.height_m for c in CAMERAS]
    assert min(heights) <= 0.3 and max(heights) >= 1.2
    dist = [c.camera.distance_m for c in CAMERAS]
    assert min(dist) <= 2.2 and max(dist) >= 3.5
    fov = [c.camera.yfov_deg for c in CAMERAS]
    assert min(fov) <= 36 and max(fov) >= 58


def test_each_camera_frames_a_long_body():
    """A 2.6 m x 0.6 m x 0.95 m box (a tall bird-dog fully extended) stays inside every camera's image."""
    corners = np.array([[x, y, z] for x in (-1.3, 1.3) for y in (-0.3, 0.3) for z in (0.0, 0.95)])
    for c in CAMERAS:
        uv = project(corners, camera_pose(c.camera, [0.0, 0.0, 0.475]), c.camera.yfov_deg, c.width, c.height)
        assert uv[:, 0].min() >= 0 and uv[:, 0].max() <= c.width, c.id
        assert uv[:, 1].min() >= 0 and uv[:, 1].max() <= c.height, c.id


def test_each_fault_at_several_magnitudes_in_both_splits():
    for split in SPLITS:
        mags = defaultdict(set)
        for s in clips(split):
            for f in s.faults:
                mags[(s.exercise, f.type)].add(f.magnitude_deg)
        wanted = [(ex, t) for ex, types in FAULT_TYPES.items() for t in types if t != "leg_drop"]
        for key in wanted:
            m = mags[key]
            assert len(m) >= 3 and min(m) < 10 and max(m) >= 20, (split, key, sorted(m))
        assert ("dead_bug", "leg_drop") not in mags  # a low leg with a flat back is correct form


def test_faulty_reps_have_a_clean_rep_of_the_same_side_and_sit_in_holds():
    for s in CORPUS:
        check_faults_in_holds(s)
        if s.exercise == "plank" or not s.faults:
            continue
        reps = reps_of(s)
        faulty = [r for r in reps if any(r.hold_start_s <= f.start_s and f.end_s <= r.hold_end_s for f in s.faults)]
        clean_sides = {r.side for r in reps if r not in faulty}
        assert any(r.side in clean_sides for r in faulty), s.name


def test_far_side_bird_dog_leg_faults_in_both_splits():
    """Prone clips show the right side, so a left rep's raised leg is the far one."""
    for split in SPLITS:
        sides = Counter()
        for s in clips(split):
            if s.exercise != "bird_dog":
                continue
            for f in s.faults:
                if f.type == "leg_too_high":
                    rep = next(r for r in reps_of(s) if r.hold_start_s <= f.start_s <= r.hold_end_s)
                    sides[rep.side] += 1
        assert sides["left"] >= 2 and sides["right"] >= 2, (split, sides)


def test_tempos_and_low_legs():
    for split in SPLITS:
        db = [s for s in clips(split) if s.exercise == "dead_bug"]
        bd = [s for s in clips(split) if s.exercise == "bird_dog"]
        db_holds = {s.tempo.hold_s for s in db}
        bd_holds = {s.tempo.hold_s for s in bd}
        assert min(db_holds) <= 1.0 and max(db_holds) >= 4.0
        assert min(bd_holds) <= 2.0 and max(bd_holds) >= 10.0
        assert any("rushed" in s.tags for s in db) and any("rushed" in s.tags for s in bd)
        low = [s for s in db if s.leg_target_deg <= 15]
        assert any(not s.faults for s in low), split  # clean: the low leg is correct form
    assert len({s.variant for s in CORPUS if s.exercise == "plank"}) == 3


def test_label_carries_split_body_and_camera():
    s = CORPUS[0]
    label = build_label(s, np.zeros((s.frames, len(JOINT_NAMES), 2)))
    assert label["split"] == s.split and label["body_id"] == s.body_id and label["camera_id"] == s.camera_id
    assert label["script"] in {sc.name for sc in SCRIPTS}


def test_render_order_interleaves_exercises_and_splits():
    order = render_order()
    assert sorted(s.name for s in order) == sorted(s.name for s in CORPUS)
    first = order[: len(order) // 4]
    assert {(s.exercise, s.split) for s in first} == {(e, sp) for e in FAULT_TYPES for sp in SPLITS}


def test_supplement_clips_sit_where_they_say_and_leave_the_round_robin_alone():
    """Clips added by hand (SUPPLEMENT) take the body and camera they name; every other clip comes from the
    round robin, on cameras in rotation only, so adding a supplement moves no earlier clip."""
    placed = CORPUS[len(CORPUS) - len(SUPPLEMENT):]  # build_corpus appends them after the round robin
    assert [(s.script, s.split, s.body_id, s.camera_id) for s in placed] == [
        (script, split, body, cam) for script, split, _, body, cam in SUPPLEMENT]
    rotation = CORPUS[: len(CORPUS) - len(SUPPLEMENT)]
    assert len(rotation) == len(SCRIPTS) * sum(COPIES.values())
    assert all(CAM[s.camera_id].in_rotation for s in rotation)
    assert {c.id for c in CAMERAS if not c.in_rotation} <= {cam for *_, cam in SUPPLEMENT}

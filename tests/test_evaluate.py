"""formcoach eval: label loading and scoring (synthetic poses, no video, no model)."""

from __future__ import annotations

import json

import pytest

from formcoach import evaluate
from tests.synthetic import plank_frame, sequence


def _write_clip_label(tmp_path, **over):
    d = {"schema": "formcoach.label/1", "file": "plank_sag.mp4", "exercise": "plank", "variant": "forearm",
         "view": "side", "fps": 30, "reps": [], "reps_by_side": {}, "hold_s": 12.0, "good_form_s": 8.0,
         "faults": [{"type": "hip_sag", "magnitude_deg": 15.0, "start_s": 4.0, "end_s": 8.0, "ramp_s": 0.0}]}
    d.update(over)
    p = tmp_path / "plank_sag.json"
    p.write_text(json.dumps(d))
    return p


def test_load_labels_from_folder_file_and_list(tmp_path):
    _write_clip_label(tmp_path)
    (tmp_path / "labels.json").write_text(json.dumps([
        {"file": "x_bird_dog.mp4", "exercise": "bird_dog", "reps": {"left": None, "right": None,
                                                                   "total_extensions": 3}, "faults": []}]))
    (tmp_path / "notes.json").write_text(json.dumps({"unrelated": True}))
    labels = evaluate.load_labels(str(tmp_path))
    assert {lab.name for lab in labels} == {"plank_sag", "x_bird_dog"}
    real = next(lab for lab in labels if lab.source == "real")
    assert real.total_reps == 3 and real.video == tmp_path / "x_bird_dog.mp4"
    with pytest.raises(ValueError, match="not found"):
        evaluate.load_labels(str(tmp_path / "missing"))


def test_score_clip_recall_onset_and_false_cues(tmp_path):
    (label,) = evaluate.load_labels(str(_write_clip_label(tmp_path)))
    poses = sequence(lambda t: plank_frame(t, sag_deg=15.0 if 4.0 <= t < 8.0 else 0.0), 12.0)
    r = evaluate.score_clip(label, poses)
    assert r["recognised"] == "plank"
    assert r["hold_error_s"] == pytest.approx(0.0, abs=0.1) and r["hold_ok"]
    (f,) = r["faults"]
    assert f["recall"] >= 0.95 and f["onset_s"] <= 0.5
    assert r["false_cue_s"] == 0.0
    assert r["pass"]
    table = evaluate.format_table([r])
    assert "plank_sag" in table and "hip_sag 1.00" in table or "hip_sag 0.9" in table
    assert evaluate.aggregate([r])["min_fault_recall"] >= 0.95


def test_unlabelled_fault_counts_as_false_cue(tmp_path):
    (label,) = evaluate.load_labels(str(_write_clip_label(tmp_path, faults=[])))
    poses = sequence(lambda t: plank_frame(t, sag_deg=15.0 if 4.0 <= t < 8.0 else 0.0), 12.0)
    r = evaluate.score_clip(label, poses)
    assert r["false_cue_s"] == pytest.approx(4.3, abs=0.4)
    assert r["false_cue_types"] == {"hip_sag": pytest.approx(r["false_cue_s"])}
    assert not r["pass"]

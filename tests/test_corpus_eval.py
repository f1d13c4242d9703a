"""Corpus scoring from landmark caches (formcoach/corpus.py) and the compact cache format.

Synthetic stick-figure poses stand in for the cached MediaPipe poses, so these run without
video, renderer or MediaPipe.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from exercises.pose import PoseFrame
from formcoach import corpus
from formcoach.recording import load_frames, save_frames
from tests.synthetic import plank_frame, sequence
from vision.models import DEFAULT_MODEL

FPS = 15.0


def _sag_at(t: float) -> float:
    # labelled 15 deg sag at full magnitude on [4, 6] s with 0.4 s ramps
    if 4.0 <= t <= 6.0:
        return 15.0
    if 3.6 < t < 4.0:
        return 15.0 * (t - 3.6) / 0.4
    if 6.0 < t < 6.4:
        return 15.0 * (6.4 - t) / 0.4
    return 0.0


def _label(name: str, split: str, faults: list[dict], body: str = "b01", camera: str = "c01") -> dict:
    return {"schema": "formcoach.label/1", "file": f"{name}.mp4", "exercise": "plank", "variant": "forearm",
            "view": "side", "fps": 15, "width": 640, "height": 480, "frames": 150, "duration_s": 10.0,
            "camera": {"distance_m": 2.8, "height_m": 0.6, "azimuth_deg": 0.0 if camera == "c01" else 30.0,
                       "yfov_deg": 45.0},
            "body": {}, "tempo": None, "reps": [], "reps_by_side": {"left": 0, "right": 0}, "hold_s": 10.0,
            "good_form_s": 10.0 - sum(f["end_s"] - f["start_s"] + 2 * f["ramp_s"] for f in faults),
            "faults": faults, "split": split, "body_id": body, "camera_id": camera, "script": name, "tags": []}


@pytest.fixture
def tiny_corpus(tmp_path):
    root = tmp_path / "corpus"
    (root / "labels").mkdir(parents=True)
    clips = {
        "sag_train": ("train", [{"type": "hip_sag", "magnitude_deg": 15.0, "start_s": 4.0, "end_s": 6.0,
                                 "ramp_s": 0.4}], lambda t: plank_frame(t, sag_deg=_sag_at(t)), "b01", "c01"),
        "clean_train": ("train", [], lambda t: plank_frame(t), "b02", "c02"),
        "sag_val": ("validation", [{"type": "hip_sag", "magnitude_deg": 15.0, "start_s": 4.0, "end_s": 6.0,
                                    "ramp_s": 0.4}], lambda t: plank_frame(t, sag_deg=_sag_at(t)), "v01", "k01"),
    }
    for name, (split, faults, fn, body, cam) in clips.items():
        (root / "labels" / f"{name}.json").write_text(json.dumps(_label(name, split, faults, body, cam)))
        save_frames(corpus.cache_path(root, DEFAULT_MODEL, name), sequence(fn, 10.0, FPS), {"model": DEFAULT_MODEL},
                    compact=True)  # the model `formcoach eval` scores by default
    return root


def test_compact_cache_round_trip_is_close(tmp_path):
    frames = sequence(lambda t: plank_frame(t, sag_deg=5.0), 2.0, FPS)
    frames.insert(3, PoseFrame.empty(frames[3].timestamp_s + 0.01, frames[0].image_wh))
    full, compact = tmp_path / "full.npz", tmp_path / "compact.npz"
    save_frames(full, frames)
    save_frames(compact, frames, compact=True)
    assert compact.stat().st_size < full.stat().st_size
    for a, b in zip(load_frames(full), load_frames(compact), strict=True):
        assert a.detected == b.detected and a.timestamp_s == b.timestamp_s
        if a.detected:
            np.testing.assert_allclose(b.xy, a.xy, atol=0.05)  # 2/65535 of 640 px = 0.02 px steps
            np.testing.assert_allclose(b.visibility, a.visibility, atol=1e-3)


def test_split_scores_only_its_clips_and_finds_the_sag(tiny_corpus):
    ev = corpus.evaluate(tiny_corpus, "train", DEFAULT_MODEL)
    assert sorted(r["clip"] for r in ev["clips"]) == ["clean_train", "sag_train"]
    sag = next(r for r in ev["clips"] if r["clip"] == "sag_train")["faults"][0]
    assert sag["recall"] > 0.9 and sag["onset_s"] is not None and sag["onset_s"] < 0.5
    row = next(f for f in ev["tables"]["faults"] if f["fault"] == "hip_sag")
    assert row["by_magnitude"]["15.0"]["n"] == 1 and row["recall_90_from_deg"] == 15.0
    assert set(ev["tables"]["by_camera"]) == {"c01", "c02"} and set(ev["tables"]["by_body"]) == {"b01", "b02"}
    assert ev["tables"]["exercises"]["plank"]["false_cue_pct"] == 0.0
    val = corpus.evaluate(tiny_corpus, "validation", DEFAULT_MODEL)
    assert [r["clip"] for r in val["clips"]] == ["sag_val"]
    assert len(corpus.evaluate(tiny_corpus, "all", DEFAULT_MODEL)["clips"]) == 3


def test_a_fault_the_checker_never_flags_is_a_miss_not_a_catch(tiny_corpus):
    label = json.loads((tiny_corpus / "labels" / "clean_train.json").read_text())
    label["name"] = "clean_train"
    label["faults"] = [{"type": "hip_pike", "magnitude_deg": 20.0, "start_s": 4.0, "end_s": 6.0, "ramp_s": 0.4}]
    res = corpus.score_corpus_clip(label, load_frames(corpus.cache_path(tiny_corpus, DEFAULT_MODEL, "clean_train")))
    assert res["faults"][0]["recall"] == 0.0 and res["faults"][0]["onset_s"] is None
    tab = corpus.tables([res])["faults"][0]
    assert tab["recall_90_from_deg"] is None and tab["missed_from_10_deg"] == 1


def test_m90_needs_every_larger_magnitude():
    pools = {5.0: {"recall": 0.95}, 10.0: {"recall": 0.5}, 15.0: {"recall": 0.92}, 20.0: {"recall": 1.0}}
    assert corpus._m90(pools) == 15.0
    assert corpus._m90({10.0: {"recall": 0.95}, 20.0: {"recall": 0.8}}) is None


def test_cli_eval_runs_from_caches_without_mediapipe(tiny_corpus, tmp_path):
    out = tmp_path / "ev.json"
    code = ("import sys; from formcoach.cli import main; rc = main(['eval', sys.argv[1], '--split', 'validation', "
            "'--json', sys.argv[2]]); assert 'mediapipe' not in sys.modules, 'mediapipe imported'; sys.exit(rc)")
    p = subprocess.run([sys.executable, "-c", code, str(tiny_corpus), str(out)], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    assert "Recall against magnitude" in p.stdout and "By camera" in p.stdout and "By body" in p.stdout
    data = json.loads(out.read_text())
    assert data["split"] == "validation" and [c["clip"] for c in data["clips"]] == ["sag_val"]


def test_compare_puts_train_and_validation_side_by_side(tiny_corpus, capsys, tmp_path):
    from formcoach.cli import main

    assert main(["eval", str(tiny_corpus), "--compare", "--json", str(tmp_path / "c.json")]) == 0
    out = capsys.readouterr().out
    assert "train 2 clips, validation 1 clips" in out
    row = next(line for line in out.splitlines() if "hip_sag" in line)
    assert "15 / 15" in row  # 90 % reached from the 15 deg sag in both splits
    assert set(json.loads((tmp_path / "c.json").read_text())) == {"train", "validation"}


def test_split_flag_needs_a_corpus(tmp_path):
    from formcoach.cli import main

    (tmp_path / "x.json").write_text("[]")
    assert main(["eval", str(tmp_path / "x.json"), "--split", "train"]) == 2


def test_smoothing_flag_scores_the_poses_as_another_smoothing_would_have_made_them(tmp_path):
    """`formcoach eval corpus --smoothing` inverts the pipeline's smoothing baked into the caches and smooths
    again: the same scores as caches made with that smoothing. Stale caches are refused, not mis-inverted."""
    from formcoach.engine import checker_smoothing
    from formcoach.evaluate import pipeline_settings
    from vision.smoothing import OneEuroConfig, PoseSmoother

    rng = np.random.default_rng(5)
    root = tmp_path / "corpus"
    (root / "labels").mkdir(parents=True)
    fault = [{"type": "hip_sag", "magnitude_deg": 15.0, "start_s": 4.0, "end_s": 6.0, "ramp_s": 0.4}]
    (root / "labels" / "sag.json").write_text(json.dumps(_label("sag", "train", fault)))
    raw = [f.with_xy(f.xy + rng.normal(0, 2.0, f.xy.shape)) for f in
           sequence(lambda t: plank_frame(t, sag_deg=_sag_at(t)), 10.0, FPS)]
    opts, settings = pipeline_settings(DEFAULT_MODEL)
    other = OneEuroConfig(min_cutoff_hz=4.0, beta=0.2)
    pipe, alt = PoseSmoother(opts.smoothing), PoseSmoother(other)
    pipeline_poses, other_poses = [pipe(f) for f in raw], [alt(f) for f in raw]
    save_frames(corpus.cache_path(root, DEFAULT_MODEL, "sag"), pipeline_poses, {"settings": settings})

    label = {**json.loads((root / "labels" / "sag.json").read_text()), "name": "sag"}
    # By default each checker judges the poses as the product does: the plank its own lighter smoothing.
    as_judged = corpus.evaluate(root, "train", DEFAULT_MODEL)["clips"][0]
    plank = PoseSmoother(checker_smoothing("plank", opts.smoothing))
    assert as_judged == corpus.score_corpus_clip(label, [plank(f) for f in raw])
    as_cached = corpus.evaluate(root, "train", DEFAULT_MODEL, opts.smoothing)["clips"][0]
    assert as_cached == corpus.score_corpus_clip(label, pipeline_poses)  # the inversion round trip
    resmoothed = corpus.evaluate(root, "train", DEFAULT_MODEL, other)
    want = corpus.score_corpus_clip(label, other_poses)
    assert resmoothed["clips"][0] == want and resmoothed["smoothing"]["min_cutoff_hz"] == 4.0
    assert want["faults"][0]["onset_s"] != as_cached["faults"][0]["onset_s"]  # the smoothing changes the score

    save_frames(corpus.cache_path(root, DEFAULT_MODEL, "sag"), pipeline_poses, {"settings": "made otherwise"})
    with pytest.raises(ValueError, match="re-smoothing needs today's caches"):
        corpus.evaluate(root, "train", DEFAULT_MODEL, other)
    stale = corpus.evaluate(root, "train", DEFAULT_MODEL)  # not undone with a smoothing it may not have had:
    assert stale["stale"] == ["sag"] and stale["clips"][0] == corpus.score_corpus_clip(label, pipeline_poses)


def test_smoothing_flag_is_parsed_or_refused_in_one_line(tmp_path, capfd):
    from formcoach.cli import main

    assert corpus.parse_smoothing("none") is None
    c = corpus.parse_smoothing("2,0.5")
    assert (c.min_cutoff_hz, c.beta) == (2.0, 0.5)
    with pytest.raises(ValueError, match="MIN_CUTOFF_HZ,BETA"):
        corpus.parse_smoothing("fast")
    (tmp_path / "x.json").write_text("[]")
    assert main(["eval", str(tmp_path / "x.json"), "--smoothing", "2,0.5"]) == 2
    assert "need a corpus folder" in capfd.readouterr().err

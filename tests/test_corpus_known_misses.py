"""Golden: what today's checkers make of chosen corpus `train` clips, known misses included.

Each labelled fault of these clips is pinned as ``caught`` / ``missed`` / ``not_checked`` (see
:func:`formcoach.corpus.status`) from the committed lite landmark caches, and the false cues on
clean clips with their least seconds. A checker change that catches a pinned miss fails here: update
the pin in the same commit, with the eval numbers in its message. Deleting a case is not a fix:
``test_every_hard_fault_keeps_a_pin`` keeps one pin per fault the issue names as hard.
Only `train` clips are pinned, so nothing here is tuned on `validation`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from formcoach.corpus import cache_path, score_corpus_clip, status
from formcoach.engine import AnalysisOptions, poses_for_checker
from formcoach.recording import load_frames

ROOT = Path(__file__).resolve().parents[1] / "corpus"

# clip -> [(fault type, magnitude deg, status today)]
PINNED = {
    # The hip-roll proxy is not trusted (clean holds read -20..+12 deg, rolls of 10-25 deg -28..+18; 9.8 %
    # of clean train time cued): hip rotation is reported not checked. So is back sag (found none).
    "bird_dog_hip_roll_8_20__t0_b08_c04": [("hip_rotation", 8.0, "not_checked"), ("hip_rotation", 20.0, "not_checked")],
    "bird_dog_hip_roll_10_25__t0_b01_c05": [("hip_rotation", 25.0, "not_checked"),
                                            ("hip_rotation", 10.0, "not_checked")],
    # camera c06 is 35 deg off side-on: the near 10 deg lift falls in frames the gate calls oblique. The far
    # 25 deg lift used to be missed because the trunk read 34-38 deg on screen, past the on-all-fours limit
    # (35): no rep was armed. The limit is 45 now and it is caught.
    "bird_dog_leg_high_far_25_near_10__t0_b02_c06": [("leg_too_high", 25.0, "caught"),
                                                     ("leg_too_high", 10.0, "not_checked")],
    "bird_dog_leg_high_near_20_far_8__t0_b04_c01": [("leg_too_high", 20.0, "caught"),
                                                    ("leg_too_high", 8.0, "not_checked")],
    "bird_dog_back_sag_10_20__t0_b06_c03": [("back_sag", 10.0, "not_checked"), ("back_sag", 20.0, "not_checked")],
    # The arch proxy is not trusted (11.6 s of false cues on validation clean time, cues on real clean dead
    # bugs): every rep reports the lower back as not checked.
    "dead_bug_arch_5_15__t0_b07_c02": [("low_back_arch", 5.0, "not_checked"), ("low_back_arch", 15.0, "not_checked")],
    "dead_bug_arch_8_20__t0_b08_c03": [("low_back_arch", 8.0, "not_checked"), ("low_back_arch", 20.0, "not_checked")],
    "plank_head_drop_8_15__t0_b04_c05": [("head_drop", 8.0, "missed"), ("head_drop", 15.0, "missed")],
    # A deep sag used to drop the plank to "not in position"; the knees still off the floor now keep it a plank.
    "plank_sag_15_20__t0_b05_c05": [("hip_sag", 15.0, "caught"), ("hip_sag", 20.0, "caught")],
    # From a high oblique camera (c03: 0.9 m, 30 deg off side-on) the gate calls the view oblique: not checked
    # from this view (the 25 deg sag also tilts the trunk past the in-position limit on screen).
    "plank_sag_8_25__t1_b05_c03": [("hip_sag", 8.0, "not_checked"), ("hip_sag", 25.0, "not_checked")],
    "plank_pike_15_25__t0_b01_c02": [("hip_pike", 15.0, "caught"), ("hip_pike", 25.0, "caught")],
}
# clean clips (correct form) -> {fault the checker cues anyway: at least this many seconds}
FALSE_CUES: dict[str, dict[str, float]] = {}
# clean clips that must stay free of any posture cue (they were cued before the fault was redefined)
NO_CUES = ("dead_bug_low_leg_10__t0_b01_c03",  # a low leg with a flat back is correct form, not leg_drop
           "dead_bug_low_leg_15_slow__t0_b02_c04")
HARD = {"hip_rotation", "leg_too_high", "low_back_arch", "back_sag", "head_drop", "hip_sag"}


def _score(clip: str) -> dict:
    label = json.loads((ROOT / "labels" / f"{clip}.json").read_text())
    label["name"] = clip
    assert label["split"] == "train"
    poses = load_frames(cache_path(ROOT, "lite", clip))
    return score_corpus_clip(label, list(poses_for_checker(poses, label["exercise"], AnalysisOptions().smoothing)))


@pytest.mark.parametrize("clip", sorted(PINNED))
def test_pinned_fault_statuses(clip):
    got = [(f["type"], f["magnitude_deg"], status(f)) for f in _score(clip)["faults"]]
    assert got == PINNED[clip]


@pytest.mark.parametrize("clip", sorted(FALSE_CUES))
def test_pinned_false_cues_on_correct_form(clip):
    res = _score(clip)
    assert not res["faults"]
    for kind, least_s in FALSE_CUES[clip].items():
        assert res["false_cue_types"].get(kind, 0.0) >= least_s, res["false_cue_types"]


@pytest.mark.parametrize("clip", NO_CUES)
def test_correct_low_leg_dead_bugs_get_no_cue(clip):
    res = _score(clip)
    assert not res["faults"] and not res["false_cue_types"], res["false_cue_types"]


def test_every_hard_fault_keeps_a_pin():
    misses = {kind for pins in PINNED.values() for kind, _, st in pins if st != "caught"}
    assert HARD <= misses | {kind for pins in PINNED.values() for kind, _, _ in pins}
    assert any(st == "not_checked" for pins in PINNED.values() for _, _, st in pins)


def test_real_corpus_caches_score_without_mediapipe():
    import subprocess
    import sys

    clips = ["plank_pike_15_25__t0_b01_c02", "dead_bug_arch_8_20__t0_b08_c03"]
    code = ("import sys, json; from pathlib import Path; from formcoach.corpus import evaluate, status; "
            "ev = evaluate(Path(sys.argv[1]), 'train', 'lite'); "
            "assert 'mediapipe' not in sys.modules, 'mediapipe imported'; "
            "print(json.dumps({r['clip']: [status(f) for f in r['faults']] for r in ev['clips']}))")
    p = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    from tools.synth.corpus import CORPUS

    assert sorted(got) == sorted(s.name for s in CORPUS if s.split == "train")  # every train clip, no other
    for clip in clips:
        assert got[clip] == [st for _, _, st in PINNED[clip]]

"""The calibration corpus (``corpus/``), as data. Pure: numpy + stdlib only.

Twelve bodies over anny's phenotype range and twelve camera set-ups (placement, lens, frame size,
frame rate) are split into ``train`` and ``validation``: a validation clip uses only validation
bodies and cameras, so a threshold tuned on ``train`` meets both new people and new placements
there. Every movement script (tempo, sides, faults and their magnitudes) is rendered twice in
``train`` and once in ``validation``, each time on another body and camera of that split.

Movement: clean sets at several tempos (dead bug 1-4 s holds, bird-dog 2-10 s holds, rushed sets),
dead-bug sets with the leg lowered close to the floor with a flat back (correct form, no fault),
and each fault at several magnitudes (5-35 deg) next to clean reps of the same side. Fault
magnitudes below 10 deg are recorded as faults too; the eval reports recall against magnitude.

Cost: the renderer poses and renders each distinct pose once, so holds and rests are nearly free;
:func:`estimate_render_s` prices a clip by its distinct poses. Tempo phases are multiples of
1/15 s so a rep's return reuses the images of its extension.

Render with ``python -m tools.synth.corpus_build render`` (see ``corpus/README.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tools.synth.timeline import Body, Camera, ClipSpec, Fault, Tempo, pose_states, reps_of

SPLITS = ("train", "validation")


@dataclass(frozen=True)
class CorpusBody:
    id: str
    split: str
    body: Body
    note: str


@dataclass(frozen=True)
class CorpusCamera:
    """A camera set-up: placement and lens plus the video mode (frame size and rate)."""

    id: str
    split: str
    camera: Camera
    width: int = 640
    height: int = 480
    fps: int = 15
    note: str = ""
    in_rotation: bool = True  # False: used only by the SUPPLEMENT clips that name it


def _body(id_, split, note, g, a, m, w, h, p, skin, shirt, shorts, shoes, hair, mat) -> CorpusBody:
    return CorpusBody(id_, split, Body(
        phenotype={"gender": g, "age": a, "muscle": m, "weight": w, "height": h, "proportions": p},
        colors={"skin": skin, "shirt": shirt, "shorts": shorts, "shoes": shoes, "hair": hair, "mat": mat}), note)


# anny phenotype values are 0..1 (gender 0 = female, 1 = male; age 0.35 ~ 18 y, 0.5 = 25 y, 1 = 90 y).
BODIES: tuple[CorpusBody, ...] = (
    _body("b01", "train", "young tall lean muscular man", 1.0, 0.40, 0.75, 0.35, 0.80, 0.60,
          (0.87, 0.68, 0.55), (0.15, 0.35, 0.75), (0.18, 0.18, 0.20), (0.92, 0.92, 0.92), (0.18, 0.11, 0.06),
          (0.30, 0.55, 0.45)),
    _body("b02", "train", "thin short young woman", 0.0, 0.45, 0.30, 0.15, 0.25, 0.40,
          (0.45, 0.30, 0.20), (0.85, 0.80, 0.20), (0.10, 0.10, 0.12), (0.95, 0.40, 0.50), (0.05, 0.04, 0.03),
          (0.20, 0.20, 0.22)),
    _body("b03", "train", "older heavy man", 0.85, 0.85, 0.30, 0.90, 0.55, 0.50,
          (0.93, 0.78, 0.68), (0.35, 0.35, 0.38), (0.15, 0.25, 0.45), (0.30, 0.30, 0.30), (0.70, 0.70, 0.70),
          (0.60, 0.20, 0.20)),
    _body("b04", "train", "middle-aged heavier woman", 0.15, 0.70, 0.50, 0.70, 0.60, 0.70,
          (0.62, 0.45, 0.33), (0.10, 0.55, 0.55), (0.30, 0.15, 0.35), (0.90, 0.90, 0.85), (0.25, 0.15, 0.08),
          (0.25, 0.30, 0.55)),
    _body("b05", "train", "average build, androgynous", 0.50, 0.55, 0.50, 0.50, 0.50, 0.50,
          (0.78, 0.57, 0.42), (0.95, 0.95, 0.95), (0.20, 0.35, 0.20), (0.15, 0.15, 0.15), (0.40, 0.25, 0.12),
          (0.55, 0.35, 0.60)),
    _body("b06", "train", "very tall muscular man", 1.0, 0.60, 0.95, 0.60, 0.95, 0.30,
          (0.35, 0.24, 0.17), (0.70, 0.15, 0.15), (0.85, 0.85, 0.80), (0.20, 0.20, 0.60), (0.03, 0.03, 0.03),
          (0.35, 0.60, 0.30)),
    _body("b07", "train", "elderly short woman", 0.0, 0.95, 0.20, 0.55, 0.10, 0.50,
          (0.95, 0.82, 0.74), (0.60, 0.45, 0.75), (0.40, 0.40, 0.45), (0.95, 0.95, 0.95), (0.85, 0.85, 0.85),
          (0.70, 0.60, 0.35)),
    _body("b08", "train", "thin young person, long-legged proportions", 0.60, 0.38, 0.40, 0.05, 0.45, 0.85,
          (0.70, 0.52, 0.38), (0.20, 0.20, 0.22), (0.75, 0.30, 0.10), (0.85, 0.20, 0.20), (0.55, 0.30, 0.10),
          (0.15, 0.40, 0.65)),
    _body("v01", "validation", "heavy short man", 0.90, 0.50, 0.50, 0.98, 0.30, 0.50,
          (0.55, 0.38, 0.26), (0.25, 0.45, 0.25), (0.12, 0.12, 0.30), (0.92, 0.92, 0.92), (0.10, 0.07, 0.05),
          (0.45, 0.45, 0.48)),
    _body("v02", "validation", "tall woman", 0.05, 0.60, 0.60, 0.40, 0.90, 0.35,
          (0.90, 0.72, 0.60), (0.90, 0.50, 0.10), (0.20, 0.20, 0.20), (0.35, 0.35, 0.70), (0.60, 0.35, 0.15),
          (0.20, 0.45, 0.40)),
    _body("v03", "validation", "older heavier person", 0.40, 0.90, 0.35, 0.80, 0.50, 0.60,
          (0.40, 0.27, 0.18), (0.55, 0.10, 0.35), (0.35, 0.30, 0.25), (0.20, 0.20, 0.20), (0.75, 0.75, 0.75),
          (0.30, 0.55, 0.45)),
    _body("v04", "validation", "young lean muscular man", 0.75, 0.42, 0.85, 0.25, 0.65, 0.45,
          (0.82, 0.62, 0.48), (0.12, 0.12, 0.14), (0.60, 0.60, 0.65), (0.95, 0.80, 0.20), (0.30, 0.18, 0.08),
          (0.65, 0.30, 0.50)),
)

# Azimuth 0 = side-on, positive = towards the head end, negative = towards the feet end.
CAMERAS: tuple[CorpusCamera, ...] = (
    CorpusCamera("c01", "train", Camera(distance_m=2.8, height_m=0.6, azimuth_deg=0.0, yfov_deg=45.0),
                 note="side-on, knee height"),
    CorpusCamera("c02", "train", Camera(distance_m=3.0, height_m=0.8, azimuth_deg=30.0, yfov_deg=45.0),
                 note="oblique from the head end"),
    CorpusCamera("c03", "train", Camera(distance_m=3.0, height_m=0.9, azimuth_deg=-30.0, yfov_deg=45.0),
                 note="oblique from the feet end"),
    CorpusCamera("c04", "train", Camera(distance_m=2.3, height_m=0.3, azimuth_deg=10.0, yfov_deg=58.0),
                 fps=30, note="near the floor, wide lens, 30 fps"),
    CorpusCamera("c05", "train", Camera(distance_m=3.4, height_m=1.2, azimuth_deg=-15.0, yfov_deg=34.0),
                 width=1280, height=720, note="on a shelf, narrow lens, 1280x720"),
    CorpusCamera("c06", "train", Camera(distance_m=3.5, height_m=0.5, azimuth_deg=35.0, yfov_deg=36.0),
                 note="far, oblique from the head end, narrow lens"),
    CorpusCamera("c07", "train", Camera(distance_m=2.2, height_m=1.0, azimuth_deg=-10.0, yfov_deg=60.0),
                 note="close on a chair, wide lens (supplement only)", in_rotation=False),
    CorpusCamera("k01", "validation", Camera(distance_m=2.6, height_m=0.7, azimuth_deg=-5.0, yfov_deg=50.0),
                 note="near side-on"),
    CorpusCamera("k02", "validation", Camera(distance_m=3.2, height_m=1.0, azimuth_deg=25.0, yfov_deg=40.0),
                 note="oblique from the head end, table height"),
    CorpusCamera("k03", "validation", Camera(distance_m=2.8, height_m=0.45, azimuth_deg=-35.0, yfov_deg=48.0),
                 note="low, oblique from the feet end"),
    CorpusCamera("k04", "validation", Camera(distance_m=2.1, height_m=1.1, azimuth_deg=15.0, yfov_deg=62.0),
                 width=1280, height=720, note="close on a table, wide lens, 1280x720"),
    CorpusCamera("k05", "validation", Camera(distance_m=3.5, height_m=0.35, azimuth_deg=-20.0, yfov_deg=38.0),
                 fps=30, note="far and low, narrow lens, 30 fps"),
)


@dataclass(frozen=True)
class Script:
    """One movement script, independent of body and camera.

    ``faults`` are (rep index, type, degrees) for rep exercises (full magnitude inside that rep's
    hold, ``margin_s`` from its ends) and (start_s, end_s, type, degrees) for planks.
    """

    name: str
    exercise: str
    variant: str = "standard"
    sides: tuple[str, ...] = ()
    tempo: Tempo | None = None
    plank_s: float = 10.0
    faults: tuple[tuple, ...] = ()
    leg_target_deg: float = 30.0
    tags: tuple[str, ...] = ()
    margin_s: float = 0.4
    ramp_s: float = 0.4


L, R = "left", "right"
# Tempo phases are multiples of 1/15 s (frame-aligned at 15 and 30 fps).
DB_SEED = Tempo(extend_s=1.2, hold_s=2.0, return_s=1.2, rest_s=0.6)
DB_FAULT = Tempo(extend_s=1.2, hold_s=3.0, return_s=1.2, rest_s=0.6)
DB_SLOW = Tempo(extend_s=2.0, hold_s=4.0, return_s=2.0, rest_s=0.8)
DB_QUICK_HOLD = Tempo(extend_s=1.0, hold_s=1.0, return_s=1.0, rest_s=0.4)
DB_RUSHED = Tempo(extend_s=0.6, hold_s=0.4, return_s=0.6, rest_s=0.2)
BD_SEED = Tempo(extend_s=1.2, hold_s=2.6, return_s=1.2, rest_s=0.6)
BD_FAULT = Tempo(extend_s=1.0, hold_s=3.4, return_s=1.0, rest_s=0.6)
BD_SHORT = Tempo(extend_s=1.0, hold_s=2.0, return_s=1.0, rest_s=0.4)
BD_LONG = Tempo(extend_s=1.6, hold_s=10.0, return_s=1.6, rest_s=0.8)
BD_RUSHED = Tempo(extend_s=0.6, hold_s=0.6, return_s=0.6, rest_s=0.2)

SCRIPTS: tuple[Script, ...] = (
    # --- plank: fault windows of 2.4 s, two per clip, 3 s apart ----------------------------------
    Script("plank_clean", "plank", "forearm", plank_s=10.0),
    Script("plank_knees_clean", "plank", "knees", plank_s=8.0),
    Script("plank_straight_clean", "plank", "straight_arm", plank_s=8.0),
    Script("plank_sag_5_10", "plank", "forearm", plank_s=12.0, faults=((3.0, 5.4, "hip_sag", 5.0),
                                                                        (8.4, 10.8, "hip_sag", 10.0))),
    Script("plank_sag_15_20", "plank", "forearm", plank_s=12.0, faults=((3.0, 5.4, "hip_sag", 15.0),
                                                                         (8.4, 10.8, "hip_sag", 20.0))),
    Script("plank_sag_8_25", "plank", "straight_arm", plank_s=12.0, faults=((3.0, 5.4, "hip_sag", 8.0),
                                                                             (8.4, 10.8, "hip_sag", 25.0))),
    Script("plank_pike_5_10", "plank", "forearm", plank_s=12.0, faults=((3.0, 5.4, "hip_pike", 5.0),
                                                                         (8.4, 10.8, "hip_pike", 10.0))),
    Script("plank_pike_15_25", "plank", "forearm", plank_s=12.0, faults=((3.0, 5.4, "hip_pike", 15.0),
                                                                          (8.4, 10.8, "hip_pike", 25.0))),
    Script("plank_knees_sag_12_pike_20", "plank", "knees", plank_s=12.0,
           faults=((3.0, 5.4, "hip_sag", 12.0), (8.4, 10.8, "hip_pike", 20.0))),
    Script("plank_straight_pike_8_sag_18", "plank", "straight_arm", plank_s=12.0,
           faults=((3.0, 5.4, "hip_pike", 8.0), (8.4, 10.8, "hip_sag", 18.0))),
    Script("plank_head_drop_8_15", "plank", "forearm", plank_s=12.0, faults=((3.0, 5.4, "head_drop", 8.0),
                                                                              (8.4, 10.8, "head_drop", 15.0))),
    Script("plank_head_drop_20_35", "plank", "forearm", plank_s=12.0, faults=((3.0, 5.4, "head_drop", 20.0),
                                                                               (8.4, 10.8, "head_drop", 35.0))),
    Script("plank_head_drop_10_25", "plank", "straight_arm", plank_s=12.0,
           faults=((3.0, 5.4, "head_drop", 10.0), (8.4, 10.8, "head_drop", 25.0))),
    # --- dead bug -------------------------------------------------------------------------------
    Script("dead_bug_clean", "dead_bug", sides=(L, R, L, R), tempo=DB_SEED),
    Script("dead_bug_low_leg_10", "dead_bug", sides=(L, R, L, R), tempo=DB_SEED, leg_target_deg=10.0,
           tags=("low_leg",)),
    Script("dead_bug_low_leg_15_slow", "dead_bug", sides=(R, L), tempo=DB_SLOW, leg_target_deg=15.0,
           tags=("low_leg", "slow")),
    Script("dead_bug_high_leg_45_slow", "dead_bug", sides=(L, R), tempo=DB_SLOW, leg_target_deg=45.0,
           tags=("slow",)),
    Script("dead_bug_quick_holds", "dead_bug", sides=(R, L, R, L), tempo=DB_QUICK_HOLD, leg_target_deg=25.0,
           tags=("short_hold",)),
    Script("dead_bug_rushed", "dead_bug", sides=(L, R, L, R, L, R), tempo=DB_RUSHED, tags=("rushed",)),
    Script("dead_bug_arch_5_15", "dead_bug", sides=(L, R, L, R), tempo=DB_FAULT,
           faults=((0, "low_back_arch", 5.0), (3, "low_back_arch", 15.0))),
    Script("dead_bug_arch_8_20", "dead_bug", sides=(R, L, R, L), tempo=DB_FAULT,
           faults=((0, "low_back_arch", 8.0), (3, "low_back_arch", 20.0))),
    Script("dead_bug_arch_10_25", "dead_bug", sides=(L, R, L, R), tempo=DB_FAULT,
           faults=((1, "low_back_arch", 10.0), (2, "low_back_arch", 25.0))),
    Script("dead_bug_low_leg_arch_12_18", "dead_bug", sides=(R, L, R, L), tempo=DB_FAULT, leg_target_deg=15.0,
           faults=((1, "low_back_arch", 12.0), (2, "low_back_arch", 18.0)), tags=("low_leg",)),
    # --- bird-dog (prone: the camera sees the right side, a left rep's leg is the far leg) ------
    Script("bird_dog_clean", "bird_dog", sides=(L, R, L, R), tempo=BD_SEED),
    Script("bird_dog_long_holds", "bird_dog", sides=(L, R), tempo=BD_LONG, tags=("long_hold",)),
    Script("bird_dog_rushed", "bird_dog", sides=(L, R, L, R), tempo=BD_RUSHED, tags=("rushed",)),
    Script("bird_dog_hip_roll_5_15", "bird_dog", sides=(L, R, L), tempo=BD_FAULT,
           faults=((1, "hip_rotation", 5.0), (2, "hip_rotation", 15.0))),
    Script("bird_dog_hip_roll_8_20", "bird_dog", sides=(R, L, R), tempo=BD_FAULT,
           faults=((1, "hip_rotation", 8.0), (2, "hip_rotation", 20.0))),
    Script("bird_dog_hip_roll_10_25", "bird_dog", sides=(L, R, L), tempo=BD_FAULT,
           faults=((1, "hip_rotation", 25.0), (2, "hip_rotation", 10.0))),
    Script("bird_dog_leg_high_far_25_near_10", "bird_dog", sides=(R, L, R), tempo=BD_FAULT,
           faults=((1, "leg_too_high", 25.0), (2, "leg_too_high", 10.0))),
    Script("bird_dog_leg_high_near_20_far_8", "bird_dog", sides=(L, R, L), tempo=BD_FAULT,
           faults=((1, "leg_too_high", 20.0), (2, "leg_too_high", 8.0))),
    Script("bird_dog_back_sag_5_15", "bird_dog", sides=(R, L, R), tempo=BD_FAULT,
           faults=((1, "back_sag", 5.0), (2, "back_sag", 15.0))),
    Script("bird_dog_back_sag_10_20", "bird_dog", sides=(L, R, L), tempo=BD_FAULT,
           faults=((1, "back_sag", 10.0), (2, "back_sag", 20.0))),
)

#: How many times each script is rendered in each split (on different bodies and cameras).
COPIES = {"train": 2, "validation": 1}

# Scripts added after the round-robin corpus was rendered, each placed by hand on a body and camera of a split
# (appending them to SCRIPTS would move every later clip to another body and camera). 6 Dec 2026: knee planks
# sagging, from cameras that read the knees line straight or piked at the start. Train had its two knee sags only
# on cameras that read it 5-6 deg sagged; validation's close, high, wide-angle k04 reads it -1.6 and -0.8. c07
# gives train a camera of that kind (close, 1 m up, wide lens) on its own bodies.
SUPPLEMENT_SCRIPTS: tuple[Script, ...] = (
    Script("plank_knees_sag_10_15", "plank", "knees", plank_s=12.0,
           faults=((3.0, 5.4, "hip_sag", 10.0), (8.4, 10.8, "hip_sag", 15.0))),
)
#: (script, split, copy, body id, camera id)
SUPPLEMENT: tuple[tuple[str, str, int, str, str], ...] = (
    ("plank_knees_sag_10_15", "train", 0, "b07", "c05"),
    ("plank_knees_sag_10_15", "train", 1, "b04", "c01"),
    ("plank_knees_sag_10_15", "train", 2, "b06", "c07"),
    ("plank_knees_clean", "train", 2, "b01", "c07"),
    ("plank_knees_sag_10_15", "validation", 0, "v04", "k04"),
)


def bodies(split: str) -> list[CorpusBody]:
    return [b for b in BODIES if b.split == split]


def cameras(split: str) -> list[CorpusCamera]:
    """The cameras of ``split`` that the round-robin assignment uses."""
    return [c for c in CAMERAS if c.split == split and c.in_rotation]


def _faults(script: Script, lead_in_s: float) -> tuple[Fault, ...]:
    if script.exercise == "plank":
        return tuple(Fault(kind, deg, a, b, script.ramp_s) for a, b, kind, deg in script.faults)
    probe = ClipSpec("probe", script.exercise, sides=script.sides, tempo=script.tempo, lead_in_s=lead_in_s)
    reps = reps_of(probe)
    out = []
    for rep, kind, deg in script.faults:
        r = reps[rep]
        out.append(Fault(kind, deg, round(r.hold_start_s + script.margin_s + script.ramp_s, 4),
                         round(r.hold_end_s - script.margin_s - script.ramp_s, 4), script.ramp_s))
    return tuple(out)


def _clip(script: Script, split: str, copy: int, body: CorpusBody, cam: CorpusCamera) -> ClipSpec:
    lead_in = 0.8
    rep = script.exercise != "plank"
    return ClipSpec(
        name=f"{script.name}__{split[0]}{copy}_{body.id}_{cam.id}", exercise=script.exercise,
        variant=script.variant, sides=script.sides if rep else (), tempo=script.tempo if rep else None,
        plank_s=script.plank_s, lead_in_s=lead_in, tail_s=0.4 if rep else 0.4,
        faults=_faults(script, lead_in), camera=cam.camera, body=body.body, fps=cam.fps, width=cam.width,
        height=cam.height, leg_target_deg=script.leg_target_deg, split=split, body_id=body.id, camera_id=cam.id,
        script=script.name, tags=script.tags)


def build_corpus() -> tuple[ClipSpec, ...]:
    """All corpus clips. Cameras are assigned round-robin within each split and bodies
    round-robin shifted by one after each cycle of cameras, so bodies and cameras pair up in
    many combinations; then the ``SUPPLEMENT`` clips, on the body and camera each names."""
    out = []
    for split in SPLITS:
        bs, cs = bodies(split), cameras(split)
        k = 0
        for copy in range(COPIES[split]):
            for script in SCRIPTS:
                cam = cs[k % len(cs)]
                body = bs[(k + k // len(cs)) % len(bs)]
                out.append(_clip(script, split, copy, body, cam))
                k += 1
    scripts = {s.name: s for s in SCRIPTS + SUPPLEMENT_SCRIPTS}
    body_of, cam_of = {b.id: b for b in BODIES}, {c.id: c for c in CAMERAS}
    for name, split, copy, body_id, cam_id in SUPPLEMENT:
        out.append(_clip(scripts[name], split, copy, body_of[body_id], cam_of[cam_id]))
    return tuple(out)


CORPUS: tuple[ClipSpec, ...] = build_corpus()


def by_name(name: str) -> ClipSpec:
    for spec in CORPUS:
        if spec.name == name:
            return spec
    raise ValueError(f"Unknown corpus clip {name!r}")


def render_order(specs: Sequence[ClipSpec] = CORPUS) -> list[ClipSpec]:
    """Interleave (exercise, split) groups so a partly rendered corpus covers all of them evenly."""
    groups: dict[tuple[str, str], list[ClipSpec]] = {}
    for s in specs:
        groups.setdefault((s.exercise, s.split or ""), []).append(s)
    keyed = []
    for members in groups.values():
        # within a group alternate scripts with and without faults, spreading copies apart
        members = sorted(members, key=lambda s: (SCRIPT_INDEX[s.script] % 2, SCRIPT_INDEX[s.script], s.name))
        members = members[0::2] + members[1::2]
        n = len(members)
        keyed += [((i + 0.5) / n, s.name, s) for i, s in enumerate(members)]
    return [s for _, _, s in sorted(keyed, key=lambda x: (x[0], x[1]))]


SCRIPT_INDEX = {s.name: i for i, s in enumerate(SCRIPTS + SUPPLEMENT_SCRIPTS)}

# --- cost ------------------------------------------------------------------------------------
#: seconds per distinct pose (posing + rendering at 640x480) and per clip (body build, encoder).
POSE_S = {"plank": 0.35, "dead_bug": 0.05, "bird_dog": 0.55}
RENDER_S_640 = 0.40
CLIP_OVERHEAD_S = 6.0


def distinct_poses(spec: ClipSpec) -> int:
    return len({s.key() for s in pose_states(spec)})


def estimate_render_s(spec: ClipSpec) -> float:
    """Rough single-process seconds to render a clip (one run's measurements of the renderer)."""
    px = spec.width * spec.height / (640 * 480)
    return CLIP_OVERHEAD_S + distinct_poses(spec) * (POSE_S[spec.exercise] + RENDER_S_640 * (0.4 + 0.6 * px))


if __name__ == "__main__":
    from collections import Counter

    total = sum(estimate_render_s(s) for s in CORPUS)
    frames = sum(s.frames for s in CORPUS)
    uniq = sum(distinct_poses(s) for s in CORPUS)
    print(f"{len(CORPUS)} clips, {frames} frames, {uniq} distinct poses")
    print("by split/exercise:", dict(Counter((s.split, s.exercise) for s in CORPUS)))
    for ex in ("plank", "dead_bug", "bird_dog"):
        print(ex, round(sum(estimate_render_s(s) for s in CORPUS if s.exercise == ex) / 60, 1), "min (1 job)")
    print(f"estimate: {total / 60:.1f} min in one process, {total / 120:.1f} min with --jobs 2")
    print(f"frames x 0.4 s / 2 (no pose reuse): {frames * 0.4 / 2 / 60:.1f} min")

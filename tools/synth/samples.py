"""The committed sample set (``sample_videos/``), as data. Pure: numpy + stdlib only.

Each fault clip has three reps with the fault in one hold, and the faulty rep's side also appears
clean, so a checker that merely reacts to one side (or to the view of one side) can't score.

Regenerate with ``python -m tools.synth.render --out sample_videos --jobs 2``.
"""

from __future__ import annotations

from tools.synth.timeline import Body, Camera, ClipSpec, Fault, Tempo, reps_of

BODY_A = Body(
    phenotype={"gender": 1.0, "age": 0.5, "muscle": 0.5, "weight": 0.5, "height": 0.5, "proportions": 0.5},
    colors={"shirt": (0.15, 0.35, 0.75), "shorts": (0.18, 0.18, 0.20), "shoes": (0.92, 0.92, 0.92),
            "mat": (0.30, 0.55, 0.45)},
)
BODY_B = Body(
    phenotype={"gender": 0.0, "age": 0.6, "muscle": 0.4, "weight": 0.65, "height": 0.4, "proportions": 0.5},
    colors={"shirt": (0.80, 0.25, 0.30), "shorts": (0.10, 0.12, 0.30), "shoes": (0.25, 0.25, 0.28),
            "hair": (0.35, 0.22, 0.10), "skin": (0.62, 0.45, 0.33), "mat": (0.55, 0.35, 0.60)},
)
BODY_C = Body(
    phenotype={"gender": 0.7, "age": 0.8, "muscle": 0.3, "weight": 0.75, "height": 0.6, "proportions": 0.5},
    colors={"shirt": (0.20, 0.55, 0.30), "shorts": (0.30, 0.30, 0.32), "shoes": (0.85, 0.85, 0.80),
            "hair": (0.55, 0.55, 0.55), "skin": (0.93, 0.78, 0.68), "mat": (0.25, 0.30, 0.45)},
)

SIDE = Camera(distance_m=2.8, height_m=0.6)
REP_TEMPO = Tempo(extend_s=1.5, hold_s=3.0, return_s=1.5, rest_s=0.6)
CLEAN_TEMPO_DB = Tempo(extend_s=1.2, hold_s=2.0, return_s=1.2, rest_s=0.5)
CLEAN_TEMPO_BD = Tempo(extend_s=1.2, hold_s=2.5, return_s=1.2, rest_s=0.5)


def in_hold(exercise: str, sides: tuple[str, ...], tempo: Tempo, rep: int, kind: str, deg: float,
            lead_in_s: float = 0.8, margin_s: float = 0.5, ramp_s: float = 0.4) -> Fault:
    """A fault at full magnitude inside the hold of rep number ``rep`` (0-based), ``margin_s`` from its ends."""
    probe = ClipSpec(name="probe", exercise=exercise, sides=sides, tempo=tempo, lead_in_s=lead_in_s)
    r = reps_of(probe)[rep]
    return Fault(kind, deg, round(r.hold_start_s + margin_s, 3), round(r.hold_end_s - margin_s, 3), ramp_s)


LR = ("left", "right")
LRL = ("left", "right", "left")
RLR = ("right", "left", "right")
LRLR = ("left", "right", "left", "right")

SAMPLES: tuple[ClipSpec, ...] = (
    # --- plank -----------------------------------------------------------------------------
    ClipSpec("plank_clean", "plank", "forearm", plank_s=10.0, camera=SIDE, body=BODY_A),
    ClipSpec("plank_sag", "plank", "forearm", plank_s=12.0, camera=SIDE, body=BODY_A,
             faults=(Fault("hip_sag", 15.0, 4.0, 8.0, 0.4),)),
    ClipSpec("plank_pike", "plank", "forearm", plank_s=12.0, camera=SIDE, body=BODY_A,
             faults=(Fault("hip_pike", 15.0, 4.0, 8.0, 0.4),)),
    ClipSpec("plank_head_drop", "plank", "forearm", plank_s=12.0, camera=SIDE, body=BODY_C,
             faults=(Fault("head_drop", 35.0, 4.0, 8.0, 0.4),)),
    ClipSpec("plank_knees", "plank", "knees", plank_s=8.0, camera=SIDE, body=BODY_B),
    ClipSpec("plank_straight_arm", "plank", "straight_arm", plank_s=8.0, camera=SIDE, body=BODY_C),
    ClipSpec("plank_oblique_sag", "plank", "forearm", plank_s=12.0, body=BODY_B,
             camera=Camera(distance_m=3.0, height_m=0.8, azimuth_deg=35.0),
             faults=(Fault("hip_sag", 12.0, 6.0, 9.0, 0.4),)),
    # --- dead bug ----------------------------------------------------------------------------
    ClipSpec("dead_bug_clean", "dead_bug", sides=LRLR, tempo=CLEAN_TEMPO_DB, camera=SIDE, body=BODY_A),
    ClipSpec("dead_bug_arch", "dead_bug", sides=LRL, tempo=REP_TEMPO, camera=SIDE, body=BODY_A,
             faults=(in_hold("dead_bug", LRL, REP_TEMPO, 2, "low_back_arch", 15.0),)),
    ClipSpec("dead_bug_arch_10", "dead_bug", sides=RLR, tempo=REP_TEMPO, camera=SIDE, body=BODY_B,
             faults=(in_hold("dead_bug", RLR, REP_TEMPO, 0, "low_back_arch", 10.0),)),
    ClipSpec("dead_bug_leg_drop", "dead_bug", sides=RLR, tempo=REP_TEMPO, camera=SIDE, body=BODY_A,
             faults=(in_hold("dead_bug", RLR, REP_TEMPO, 0, "leg_drop", 15.0),)),
    ClipSpec("dead_bug_body_c", "dead_bug", sides=LRLR, tempo=CLEAN_TEMPO_DB, body=BODY_C,
             camera=Camera(distance_m=3.0, height_m=0.7, azimuth_deg=10.0)),
    ClipSpec("dead_bug_oblique", "dead_bug", sides=LR, tempo=CLEAN_TEMPO_DB, body=BODY_B,
             camera=Camera(distance_m=3.0, height_m=0.9, azimuth_deg=-30.0)),
    # --- bird-dog ----------------------------------------------------------------------------
    ClipSpec("bird_dog_clean", "bird_dog", sides=LRLR, tempo=CLEAN_TEMPO_BD, camera=SIDE, body=BODY_A),
    ClipSpec("bird_dog_hip_roll", "bird_dog", sides=LRL, tempo=REP_TEMPO, camera=SIDE, body=BODY_A,
             faults=(in_hold("bird_dog", LRL, REP_TEMPO, 0, "hip_rotation", 15.0),)),
    ClipSpec("bird_dog_hip_roll_25", "bird_dog", sides=RLR, tempo=REP_TEMPO, camera=SIDE, body=BODY_B,
             faults=(in_hold("bird_dog", RLR, REP_TEMPO, 2, "hip_rotation", 25.0),)),
    ClipSpec("bird_dog_leg_high", "bird_dog", sides=RLR, tempo=REP_TEMPO, camera=SIDE, body=BODY_A,
             faults=(in_hold("bird_dog", RLR, REP_TEMPO, 2, "leg_too_high", 20.0),)),
    ClipSpec("bird_dog_back_sag", "bird_dog", sides=LRL, tempo=REP_TEMPO, camera=SIDE, body=BODY_A,
             faults=(in_hold("bird_dog", LRL, REP_TEMPO, 2, "back_sag", 15.0),)),
    ClipSpec("bird_dog_body_c", "bird_dog", sides=LR, tempo=CLEAN_TEMPO_BD, body=BODY_C,
             camera=Camera(distance_m=3.1, height_m=0.9, azimuth_deg=20.0)),
)


def by_name(name: str) -> ClipSpec:
    for spec in SAMPLES:
        if spec.name == name:
            return spec
    raise ValueError(f"Unknown sample {name!r}; valid: {[s.name for s in SAMPLES]}")

"""The exercise registry: name -> ``ExerciseSpec`` (checker factory, config, guide text)."""

from __future__ import annotations

from .base import SAFETY_MESSAGE, ExerciseSpec
from .bird_dog import BirdDogChecker, BirdDogConfig
from .dead_bug import DeadBugChecker, DeadBugConfig
from .plank import PlankChecker, PlankConfig

_FEEDBACK_NOTE = "formcoach gives feedback on movement; it does not diagnose. " + SAFETY_MESSAGE.split(". ")[0] + "."
_SIDE_SETUP = ("Place the camera side-on at hip height, 2-3 m away, so your whole body from head to feet is in "
               "view. Good light, a plain background, fitted clothes. Not high up and close (a table, a wide "
               "lens): from there the pose model can read a body on the floor back to front.")
_VIEWS = ("Side-on (up to about 30 degrees towards the head or feet end): {side} Oblique (30-55 degrees): reps, "
          "holds and time in position still count, form is not judged, and formcoach asks you to turn side-on. "
          "End-on (head or feet towards the camera) or joints out of frame: it can't judge and says how to set up.")

EXERCISES: dict[str, ExerciseSpec] = {
    "plank": ExerciseSpec(
        name="plank", display_name="Plank", make_checker=lambda config=None: PlankChecker(config),
        default_config=PlankConfig(),
        key_metrics=("hip_deviation_deg", "head_drop_deg"), timed=True,
        # Lighter than the pipeline's (1.2 Hz, beta 1): a hold has no tempo to time, and faults are found sooner.
        # Corpus train (full, `formcoach eval corpus --split train --smoothing 3,0.5`): recall >= 10 deg sag
        # 0.969 -> 0.988, pike 0.988 -> 0.998, head drop 0.963 -> 0.978, false cues 0.16 -> 0 % of clean time;
        # 2 Hz gave 0.981 / 0.993 / 0.975, 4-10 Hz no more than 3. The real clips all still pass. (For the rep
        # exercises 2-3 Hz moved the tempo calls: corpus/README.md.)
        landmark_smoothing=(3.0, 0.5),
        guide={
            "views": _VIEWS.format(side="hip sag, piked hips and head drop are judged."),
            "setup": _SIDE_SETUP,
            "checks": ("Hip line: the bend at the hips from the shoulder-ankle line (shoulder-knee on your knees); "
                       "sagging (+) or piked (-) hips. Neck: the head dropping toward the floor from where it "
                       "was when you got into position (held for more than a moment), judged while the hip line is "
                       "straight (the hips come first). A deep sag with your knees still off the floor is a sag, "
                       "not the end of the hold. Forearm, "
                       "straight-arm and knees-down planks are recognised. Time in position and time with good form."),
            "targets": ("One straight line from shoulders to heels, neck long, breathe steadily. Build up from "
                        "15-30 s on the knees to 45 s, then 60 s; progress by no more than about 10 % a week. "
                        + _FEEDBACK_NOTE),
            "limits": ("Judged side-on only. The pose model sees your shoulders, hips and ankles as points, so it "
                       "measures the hip line, not the curve of your lower back."),
        }),
    "dead_bug": ExerciseSpec(
        name="dead_bug", display_name="Dead bug", make_checker=lambda config=None: DeadBugChecker(config),
        default_config=DeadBugConfig(),
        key_metrics=("extension_frac", "arch_deg", "leg_elevation_deg"), timed=False,
        guide={
            "views": _VIEWS.format(side="reps per side, holds, rushing and your lowest leg angle; the lower-back "
                                        "arch and holding the breath are not checked from any view."),
            "setup": _SIDE_SETUP + " Lie on your back with hips and knees at 90 degrees and arms to the ceiling.",
            "checks": ("Reps per side (named by the moving leg): opposite arm and leg reach out and return, "
                       "alternating sides (when the pose model draws the arm and leg of one side both reaching, the "
                       "rep is counted for the side after the previous rep's). The hold "
                       "(the time the limbs stay still at full reach), rushing, and reaches that stop short. "
                       "Each rep records your lowest controlled "
                       "leg angle as progress: a low leg with a flat back is correct, harder form, never a fault. "
                       "Lower-back arching and holding the breath are NOT checked (see below)."),
            "targets": ("Slow: about 4 s out, hold 2 s, 4 s back. Keep the lower back gently on the floor and stop "
                        "before it arches. 10 per side, breathing steadily. " + _FEEDBACK_NOTE),
            "limits": ("Lower-back arch: not checked from any camera placement. The pose model has no points along "
                       "your spine, and the thigh-angle proxy for an arch gave false alarms on new bodies, camera "
                       "placements and real clean dead bugs, so the report lists it as not checked rather than "
                       "guess. A hand under your lower back is the check: stop lowering before it lifts. Holding "
                       "the breath: not checked either (the pose model sees joints, not breathing); breathe out as "
                       "you reach, in as you come back."),
        }),
    "bird_dog": ExerciseSpec(
        name="bird_dog", display_name="Bird-dog", make_checker=lambda config=None: BirdDogChecker(config),
        default_config=BirdDogConfig(),
        key_metrics=("extension_frac", "hip_roll_deg", "leg_elevation_deg", "back_bend_deg"), timed=False,
        guide={
            "views": _VIEWS.format(side="reps per side, holds, rushing and the near leg above hip level; a hidden "
                                        "far leg's height is listed as not checked. Hips level and back sag are "
                                        "not checked from any view."),
            "setup": _SIDE_SETUP + " Start on hands and knees, hands under shoulders, knees under hips.",
            "checks": ("Reps per side (named by the moving leg): opposite arm and leg reach to a straight line and "
                       "return, alternating sides (when the pose model draws the arm and leg of one side both "
                       "reaching, the rep is counted for the side after the previous rep's). Hold time at full "
                       "reach, the leg lifted above hip level, reaches that stop short, and rushing. Hips level "
                       "and back sag are NOT checked (see below)."),
            "targets": ("Reach to one long line with hips level, hold 5-10 s, 10-12 per side, breathing steadily. "
                        + _FEEDBACK_NOTE),
            "limits": ("Hips level (no rotation): not checked from any camera placement. From the side your far "
                       "hip is hidden and the pose model guesses where it is; that guess gave false alarms on new "
                       "bodies and camera placements and missed real rotations, so the report lists it as not "
                       "checked rather than guess. A sagging lower back moves no point the model sees: it shows "
                       "only as the leg rising above hip level (checked). A mirror, or someone watching from behind "
                       "your feet, checks that your hips stay level. When the leg away from the camera is hidden, "
                       "that rep says its leg height was not checked: film the other side for those reps."),
        }),
}


def get_exercise(name: str) -> ExerciseSpec:
    """The spec for ``name``; ValueError listing the valid names otherwise."""
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return EXERCISES[key]
    except KeyError:
        raise ValueError(f"unknown exercise {name!r}; valid: {sorted(EXERCISES)}") from None


def exercise_names() -> list[str]:
    return list(EXERCISES)

"""The contract between checkers and everything that drives them (engine, live page, tests).

A checker is a small state machine: ``update(frame) -> FrameVerdict`` once per frame, in
timestamp order; ``summary()`` at any time; ``reset()`` to start a new set. Time comes only
from ``PoseFrame.timestamp_s``.

Sides are the person's own left/right (see ``exercises.pose``). For dead bug and bird-dog a
rep's side is named by the **moving leg** (a "left" rep extends the left leg and the right arm).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .pose import PoseFrame

SAFETY_MESSAGE = (
    "Stop if you feel sharp, shooting or radiating pain, and see a clinician. "
    "formcoach gives feedback on movement; it does not diagnose."
)


class FaultCode(enum.StrEnum):
    """Stable codes of the faults a checker can record (posture faults and the two rep-quality ones).

    A ``StrEnum``: members compare and hash equal to their value, so reports, history and JSON carry the
    plain string (``"hip_sag"``); code that builds a fault or a rule must name a member, so a typo fails
    at import instead of silently disabling a fault."""

    HIP_SAG = "hip_sag"  # plank
    HIP_PIKE = "hip_pike"
    HEAD_DROP = "head_drop"
    LOW_BACK_ARCH = "low_back_arch"  # dead bug
    BREATH_HOLDING = "breath_holding"  # dead bug; never measured (no pose landmark shows breathing)
    HIP_ROTATION = "hip_rotation"  # bird-dog
    LEG_TOO_HIGH = "leg_too_high"
    BACK_SAG = "back_sag"
    BACK_ARCH = "back_arch"
    RUSHING = "rushing"  # rep quality (dead bug, bird-dog), not posture
    INCOMPLETE_EXTENSION = "incomplete_extension"


#: rep-quality codes: recorded per rep, never a posture fault
REP_QUALITY = frozenset({FaultCode.RUSHING, FaultCode.INCOMPLETE_EXTENSION})


class CueCode(enum.StrEnum):
    """Stable codes of the cues that are not faults (set-up, safety, coaching, praise)."""

    SAFETY = "safety"
    NO_PERSON = "no_person"
    TURN_SIDE_ON = "turn_side_on"
    STEP_BACK = "step_back"
    LANDMARKS_HIDDEN = "landmarks_hidden"
    GET_IN_POSITION = "get_in_position"
    GOOD_FORM = "good_form"
    BREATHE = "breathe"
    GOAL_REACHED = "goal_reached"
    REP_FAULT = "rep_fault"  # the finished rep's coaching line
    REP_INCOMPLETE = "rep_incomplete"


class Phase(enum.StrEnum):
    """A checker's state in one frame (``FrameVerdict.phase``)."""

    CANT_JUDGE = "cant_judge"  # view or visibility does not allow judging
    SETUP = "setup"  # seen, not in the exercise's position
    HOLDING = "holding"  # plank: in position, form judged; reps: the limb still at full reach
    HOLDING_UNJUDGED = "holding_unjudged"  # plank in position, view too oblique to judge form
    REST = "rest"  # reps: in the start position
    EXTENDING = "extending"  # reps: reaching out, no hold yet
    RETURNING = "returning"  # reps: held, now not (coming back)


class Severity(enum.IntEnum):
    """How urgent a cue is; higher wins when several compete for the one display slot."""

    POSITIVE = 0  # "Good line - keep breathing"
    INFO = 1  # tempo, count, breathing reminders
    SETUP = 2  # camera / visibility set-up ("turn side-on to the camera")
    WARNING = 3  # a form fault that loads the spine
    STOP = 4  # safety


@dataclass(frozen=True)
class Cue:
    """One spoken/displayed coaching line. ``code`` is stable (e.g. ``"hip_sag"``)."""

    code: FaultCode | CueCode
    severity: Severity
    message: str
    t_s: float

    def to_dict(self) -> dict[str, Any]:
        return {"t_s": round(self.t_s, 3), "code": str(self.code), "severity": self.severity.name.lower(),
                "message": self.message}


@dataclass(frozen=True)
class Fault:
    """A fault interval. ``magnitude_deg`` is the worst value seen (degrees, always >= 0)."""

    type: FaultCode
    magnitude_deg: float
    start_s: float
    end_s: float

    def to_dict(self) -> dict[str, Any]:
        return {"type": str(self.type), "magnitude_deg": round(self.magnitude_deg, 2),
                "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3)}


class RepVerdict(str, enum.Enum):
    GOOD = "good"
    FAULT = "fault"  # completed, with at least one form fault
    INCOMPLETE = "incomplete"  # did not reach full extension / too short a hold


@dataclass(frozen=True)
class RepRecord:
    """One completed rep (dead bug, bird-dog)."""

    side: str  # "left" | "right", named by the moving leg
    start_s: float
    end_s: float
    hold_s: float  # time held at full extension
    faults: tuple[Fault, ...]
    verdict: RepVerdict
    coaching: str  # one line for the user about this rep
    unchecked: tuple[FaultCode, ...] = ()  # faults not judged in this rep (limb hidden, or never checked)
    lowest_leg_deg: float | None = None  # dead bug: lowest controlled leg angle above the floor in the hold
    #   (deg; a progress measure, lower = harder; never a fault by itself). None: not measured

    def to_dict(self) -> dict[str, Any]:
        return {"side": self.side, "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
                "hold_s": round(self.hold_s, 3), "faults": [f.to_dict() for f in self.faults],
                "verdict": self.verdict.value, "coaching": self.coaching, "unchecked": [str(c) for c in self.unchecked],
                "lowest_leg_deg": self.lowest_leg_deg}


@dataclass(frozen=True)
class FrameVerdict:
    """What a checker concluded from one frame.

    ``metrics`` holds the key angles for this frame (degrees, NaN when not measurable); their
    names and signs are documented by each checker. ``cue`` is the single cue to show now
    (or None). ``judgeable`` is False when the view or visibility does not allow judging; then
    no counts or faults change and ``cue`` usually carries set-up guidance.
    """

    timestamp_s: float
    judgeable: bool
    metrics: Mapping[str, float]
    active_faults: tuple[FaultCode, ...]
    cue: Cue | None
    reps_by_side: Mapping[str, int]
    hold_s: float  # current hold: time in position (plank) or at full extension (this rep)
    good_form_s: float  # total good-form time so far
    phase: Phase
    rep_completed: RepRecord | None = None
    form_view: bool = True  # the camera view lets form be judged (side-on enough, joints seen); False:
    #   posture faults are "not checked from this view" in this frame, whatever the phase
    unseen_s: float = 0.0  # seconds of the set so far that no frame covered (gaps in the stream)


@dataclass(frozen=True)
class ExerciseSummary:
    """Totals for a set, for reports and history."""

    exercise: str
    reps: tuple[RepRecord, ...]
    reps_by_side: Mapping[str, int]
    hold_s: float  # plank: time in position; rep exercises: total time held at extension
    good_form_s: float
    seconds_lost_by_fault: Mapping[str, float]
    faults: tuple[Fault, ...]
    cues: tuple[Cue, ...]
    cant_judge_s: float
    extra: Mapping[str, Any] = field(default_factory=dict)  # e.g. {"variant": "knees"}
    unseen_s: float = 0.0  # seconds of the set no frame covered (gaps in the stream; see exercises.common)

    def to_dict(self) -> dict[str, Any]:
        """The one JSON record of a summary (report, history, eval): seconds rounded to ms, non-finite
        numbers as None (JSON has no NaN), enum codes as their strings."""
        return {
            "exercise": self.exercise,
            "reps": [r.to_dict() for r in self.reps],
            "reps_by_side": {str(k): int(v) for k, v in self.reps_by_side.items()},
            "hold_s": json_round(self.hold_s),
            "good_form_s": json_round(self.good_form_s),
            "seconds_lost_by_fault": {str(k): json_round(v) for k, v in self.seconds_lost_by_fault.items()},
            "faults": [f.to_dict() for f in self.faults],
            "cues": [c.to_dict() for c in self.cues],
            "cant_judge_s": json_round(self.cant_judge_s),
            "unseen_s": json_round(self.unseen_s),
            "extra": _jsonable(dict(self.extra)),
        }


def json_round(v: Any, nd: int = 3) -> float | None:
    """Round for JSON; None, NaN and inf become None."""
    if v is None:
        return None
    v = float(v)
    return round(v, nd) if math.isfinite(v) else None


def _jsonable(o: Any) -> Any:
    """Plain JSON types: dict keys as strings, floats rounded (non-finite -> None), enums as values."""
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_jsonable(v) for v in o]
    if isinstance(o, enum.Enum):
        return o.value
    if isinstance(o, bool) or o is None or isinstance(o, int):
        return o
    if isinstance(o, float):
        return json_round(o)
    if isinstance(o, str):
        return str(o)
    return str(o)


class Checker(Protocol):
    """Structural type every exercise checker satisfies."""

    name: str

    def update(self, frame: PoseFrame) -> FrameVerdict: ...

    def summary(self) -> ExerciseSummary: ...

    def reset(self) -> None: ...


@dataclass(frozen=True)
class ExerciseSpec:
    """A registry entry: how to build a checker and what to tell the user."""

    name: str  # "plank" | "dead_bug" | "bird_dog"
    display_name: str
    make_checker: Callable[..., Checker]  # make_checker(config=None) -> Checker
    default_config: Any
    key_metrics: tuple[str, ...]  # metric names to chart, most important first
    timed: bool  # True for holds (plank), False for rep exercises
    guide: Mapping[str, str] = field(default_factory=dict)  # "setup", "checks", "targets"
    # One-Euro landmark smoothing (min_cutoff_hz, beta) of the poses this checker judges, when it differs from
    # the pipeline's (None: the pipeline's); see formcoach.engine.checker_smoothing.
    landmark_smoothing: tuple[float, float] | None = None

"""Pure description of a synthetic clip: specs, rep timeline, fault schedule, labels.

This module imports only numpy and the standard library, so it can be unit-tested (and
used by ``formcoach eval``'s authors as the reference for the label schema) without
torch, anny or pyrender.

Conventions
-----------
* Time ``t`` is media time in seconds; frame ``i`` is shown at ``t = i / fps``.
* The side of a dead-bug / bird-dog rep is the side of the **moving leg** (a "left" rep
  extends the left leg and the right arm).
* Fault magnitudes are in degrees (see :data:`FAULT_TYPES`). A fault is at full magnitude on
  ``[start_s, end_s]`` and ramps linearly in over ``ramp_s`` before ``start_s`` and out over
  ``ramp_s`` after ``end_s``.
* Ground-truth 2D joints are image pixels of the written (upright) video, x right, y down,
  named with MediaPipe BlazePose names in lower case and the person's own left/right.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

SCHEMA = "formcoach.label/1"

EXERCISES = ("plank", "dead_bug", "bird_dog")
VARIANTS = {
    "plank": ("forearm", "straight_arm", "knees"),
    "dead_bug": ("standard",),
    "bird_dog": ("standard",),
}
FAULT_TYPES = {
    # 180 - shoulder-hip-ankle angle; hips below (sag) or above (pike) the shoulder-ankle line;
    # neck flexion from the trunk line (head hanging toward the floor).
    "plank": ("hip_sag", "hip_pike", "head_drop"),
    # lumbar extension between pelvis and chest segments; extended leg below its target line.
    "dead_bug": ("low_back_arch", "leg_drop"),
    # pelvis roll about the long axis; extended leg above horizontal; lumbar sag.
    "bird_dog": ("hip_rotation", "leg_too_high", "back_sag"),
}
SIDES = ("left", "right")
VIEWS = ("side", "oblique")

#: Ground-truth joint names, in the order written to ``joints_2d.names``.
JOINT_NAMES = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)


@dataclass(frozen=True)
class Tempo:
    """Seconds of one rep's phases; ``rest_s`` is the pause in the start position after it."""

    extend_s: float = 1.5
    hold_s: float = 2.0
    return_s: float = 1.5
    rest_s: float = 1.0

    def __post_init__(self) -> None:
        for name in ("extend_s", "hold_s", "return_s", "rest_s"):
            value = getattr(self, name)
            if not value >= 0:
                raise ValueError(f"Tempo.{name} must be >= 0, got {value!r}")
        if self.extend_s <= 0 or self.return_s <= 0:
            raise ValueError(f"Tempo extend_s and return_s must be > 0, got {self.extend_s!r}, {self.return_s!r}")

    @property
    def rep_s(self) -> float:
        return self.extend_s + self.hold_s + self.return_s

    def as_dict(self) -> dict[str, float]:
        return {"extend_s": self.extend_s, "hold_s": self.hold_s, "return_s": self.return_s, "rest_s": self.rest_s}


@dataclass(frozen=True)
class Fault:
    """One injected fault: full ``magnitude_deg`` on [start_s, end_s], linear ramps of ``ramp_s``."""

    type: str
    magnitude_deg: float
    start_s: float
    end_s: float
    ramp_s: float = 0.4

    def __post_init__(self) -> None:
        if not self.magnitude_deg > 0:
            raise ValueError(f"Fault.magnitude_deg must be > 0, got {self.magnitude_deg!r}")
        if not self.end_s >= self.start_s:
            raise ValueError(f"Fault end_s ({self.end_s!r}) must be >= start_s ({self.start_s!r})")
        if not self.ramp_s >= 0:
            raise ValueError(f"Fault.ramp_s must be >= 0, got {self.ramp_s!r}")
        if self.start_s - self.ramp_s < 0:
            raise ValueError(f"Fault ramp starts before t=0: start_s={self.start_s!r}, ramp_s={self.ramp_s!r}")

    @property
    def present(self) -> tuple[float, float]:
        """The interval where the fault is non-zero, ramps included."""
        return (self.start_s - self.ramp_s, self.end_s + self.ramp_s)

    def level(self, t: float) -> float:
        """Fraction of the magnitude present at time ``t`` (0..1)."""
        if self.start_s <= t <= self.end_s:
            return 1.0
        if self.ramp_s <= 0:
            return 0.0
        if self.start_s - self.ramp_s < t < self.start_s:
            return (t - (self.start_s - self.ramp_s)) / self.ramp_s
        if self.end_s < t < self.end_s + self.ramp_s:
            return ((self.end_s + self.ramp_s) - t) / self.ramp_s
        return 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "magnitude_deg": float(self.magnitude_deg),
            "start_s": _r(self.start_s),
            "end_s": _r(self.end_s),
            "ramp_s": _r(self.ramp_s),
        }


@dataclass(frozen=True)
class Camera:
    """A fixed camera aimed at the body's centre. Azimuth 0 = exactly side-on; positive moves
    the camera towards the person's head."""

    distance_m: float = 2.8
    height_m: float = 0.6
    azimuth_deg: float = 0.0
    yfov_deg: float = 45.0
    #: height of the aim point above the floor; None = middle of the body's height over the clip.
    target_height_m: float | None = None

    def __post_init__(self) -> None:
        if not self.distance_m > 0:
            raise ValueError(f"Camera.distance_m must be > 0, got {self.distance_m!r}")
        if not 10 <= self.yfov_deg <= 120:
            raise ValueError(f"Camera.yfov_deg must be in [10, 120], got {self.yfov_deg!r}")

    @property
    def view(self) -> str:
        return "side" if abs(self.azimuth_deg) < 15 else "oblique"

    def as_dict(self) -> dict[str, float]:
        return {
            "distance_m": self.distance_m,
            "height_m": self.height_m,
            "azimuth_deg": self.azimuth_deg,
            "yfov_deg": self.yfov_deg,
        }


DEFAULT_COLORS: Mapping[str, tuple[float, float, float]] = {
    "skin": (0.87, 0.68, 0.55),
    "shirt": (0.15, 0.35, 0.75),
    "shorts": (0.18, 0.18, 0.20),
    "shoes": (0.92, 0.92, 0.92),
    "hair": (0.18, 0.11, 0.06),
    "mat": (0.30, 0.55, 0.45),
}


@dataclass(frozen=True)
class Body:
    """Anny phenotype keyword arguments (unset labels default to 0.5) and clothing colours (RGB 0..1)."""

    phenotype: Mapping[str, float] = field(default_factory=dict)
    colors: Mapping[str, Sequence[float]] = field(default_factory=lambda: dict(DEFAULT_COLORS))

    def __post_init__(self) -> None:
        for k, v in self.phenotype.items():
            if not 0.0 <= float(v) <= 1.0:
                raise ValueError(f"Body.phenotype[{k!r}] must be in [0, 1], got {v!r}")
        unknown = set(self.colors) - set(DEFAULT_COLORS)
        if unknown:
            raise ValueError(f"Unknown Body.colors keys {sorted(unknown)}; valid: {sorted(DEFAULT_COLORS)}")

    def color(self, part: str) -> tuple[float, float, float]:
        c = self.colors.get(part, DEFAULT_COLORS[part])
        return (float(c[0]), float(c[1]), float(c[2]))

    def as_dict(self) -> dict[str, Any]:
        return {
            "phenotype": {k: float(v) for k, v in sorted(self.phenotype.items())},
            "colors": {k: [round(x, 3) for x in self.color(k)] for k in DEFAULT_COLORS},
        }


@dataclass(frozen=True)
class ClipSpec:
    """Everything needed to render one clip.

    Plank: the person holds the position for ``plank_s`` seconds (the whole clip).
    Rep exercises: ``lead_in_s`` in the start position, then one rep per entry of ``sides``
    (each followed by ``tempo.rest_s``), then ``tail_s``.
    """

    name: str
    exercise: str
    variant: str = "standard"
    sides: tuple[str, ...] = ()
    tempo: Tempo | None = None
    plank_s: float = 10.0
    lead_in_s: float = 0.8
    tail_s: float = 0.4
    faults: tuple[Fault, ...] = ()
    camera: Camera = field(default_factory=Camera)
    body: Body = field(default_factory=Body)
    fps: int = 15
    width: int = 640
    height: int = 480
    #: dead bug: elevation of the extended leg above the floor line when done well (degrees).
    leg_target_deg: float = 30.0
    #: corpus clips: ``train`` / ``validation``, body and camera ids, movement script, tags
    #: (written to the label only when ``split`` is set).
    split: str | None = None
    body_id: str | None = None
    camera_id: str | None = None
    script: str | None = None
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.exercise not in EXERCISES:
            raise ValueError(f"Unknown exercise {self.exercise!r}; valid: {list(EXERCISES)}")
        if self.variant not in VARIANTS[self.exercise]:
            raise ValueError(
                f"Unknown variant {self.variant!r} for {self.exercise}; valid: {list(VARIANTS[self.exercise])}"
            )
        if self.width % 2 or self.height % 2:
            raise ValueError(f"H.264 yuv420p needs even dimensions, got {self.width}x{self.height}")
        if self.fps <= 0:
            raise ValueError(f"fps must be > 0, got {self.fps!r}")
        if self.split is not None and self.split not in ("train", "validation"):
            raise ValueError(f"split must be 'train' or 'validation', got {self.split!r}")
        bad = [s for s in self.sides if s not in SIDES]
        if bad:
            raise ValueError(f"Unknown sides {bad}; valid: {list(SIDES)}")
        if self.exercise == "plank":
            if self.sides or self.tempo is not None:
                raise ValueError("plank takes no sides or tempo")
        elif self.tempo is None or not self.sides:
            raise ValueError(f"{self.exercise} needs a tempo and at least one side")
        for f in self.faults:
            if f.type not in FAULT_TYPES[self.exercise]:
                raise ValueError(
                    f"Fault {f.type!r} does not apply to {self.exercise}; valid: {list(FAULT_TYPES[self.exercise])}"
                )
            if f.present[1] > self.duration_s + 1e-9:
                raise ValueError(f"Fault {f.type!r} ends at {f.present[1]} s, after the clip ({self.duration_s} s)")

    @property
    def file(self) -> str:
        return f"{self.name}.mp4"

    @property
    def frames(self) -> int:
        if self.exercise == "plank":
            raw = self.plank_s
        else:
            assert self.tempo is not None
            raw = self.lead_in_s + len(self.sides) * (self.tempo.rep_s + self.tempo.rest_s) + self.tail_s
        return math.ceil(raw * self.fps - 1e-6)  # cover the whole timeline

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps

    def times(self) -> np.ndarray:
        return np.arange(self.frames) / self.fps


@dataclass(frozen=True)
class Rep:
    side: str
    start_s: float
    hold_start_s: float
    hold_end_s: float
    end_s: float

    @property
    def hold_s(self) -> float:
        return self.hold_end_s - self.hold_start_s

    def as_dict(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "start_s": _r(self.start_s),
            "end_s": _r(self.end_s),
            "hold_start_s": _r(self.hold_start_s),
            "hold_end_s": _r(self.hold_end_s),
            "hold_s": _r(self.hold_s),
        }


def schedule_reps(sides: Sequence[str], tempo: Tempo, lead_in_s: float) -> list[Rep]:
    """Lay the reps out back to back: extend, hold, return, rest."""
    reps = []
    t = lead_in_s
    for side in sides:
        hold_start = t + tempo.extend_s
        hold_end = hold_start + tempo.hold_s
        end = hold_end + tempo.return_s
        reps.append(Rep(side, t, hold_start, hold_end, end))
        t = end + tempo.rest_s
    return reps


def reps_of(spec: ClipSpec) -> list[Rep]:
    if spec.exercise == "plank":
        return []
    assert spec.tempo is not None
    return schedule_reps(spec.sides, spec.tempo, spec.lead_in_s)


def smoothstep(x: float) -> float:
    """Cosine ease 0 -> 1 on x in [0, 1] (zero velocity at both ends)."""
    x = min(max(x, 0.0), 1.0)
    return 0.5 - 0.5 * math.cos(math.pi * x)


def extension_at(reps: Sequence[Rep], t: float) -> tuple[str | None, float]:
    """(side, extension 0..1) at time t; side is None between reps."""
    for rep in reps:
        if rep.start_s <= t <= rep.end_s:
            if t < rep.hold_start_s:
                return rep.side, smoothstep((t - rep.start_s) / (rep.hold_start_s - rep.start_s))
            if t <= rep.hold_end_s:
                return rep.side, 1.0
            return rep.side, 1.0 - smoothstep((t - rep.hold_end_s) / (rep.end_s - rep.hold_end_s))
    return None, 0.0


def fault_levels_at(faults: Sequence[Fault], t: float) -> dict[str, float]:
    """Degrees of each fault type present at time t (types absent or at zero are omitted)."""
    out: dict[str, float] = {}
    for f in faults:
        deg = f.magnitude_deg * f.level(t)
        if deg > 0:
            out[f.type] = out.get(f.type, 0.0) + deg
    return out


@dataclass(frozen=True)
class PoseState:
    """What the body does in one frame. Hashable, so identical frames can share a render."""

    exercise: str
    variant: str
    side: str | None  # moving leg of the current rep (rep exercises), else None
    extension: float  # 0 = start position, 1 = fully extended
    faults: tuple[tuple[str, float], ...]  # (type, degrees), sorted by type
    leg_target_deg: float = 30.0

    def fault(self, kind: str) -> float:
        return dict(self.faults).get(kind, 0.0)

    def key(self, decimals: int = 3) -> tuple:
        return (
            self.exercise,
            self.variant,
            self.side if self.extension > 0 else None,
            round(self.extension, decimals),
            tuple((k, round(v, decimals)) for k, v in self.faults),
            self.leg_target_deg,
        )


def pose_states(spec: ClipSpec) -> list[PoseState]:
    """One PoseState per frame of the clip."""
    reps = reps_of(spec)
    states = []
    for t in spec.times():
        side, ext = extension_at(reps, float(t))
        levels = fault_levels_at(spec.faults, float(t))
        states.append(
            PoseState(
                exercise=spec.exercise,
                variant=spec.variant,
                side=side,
                extension=ext,
                faults=tuple(sorted(levels.items())),
                leg_target_deg=spec.leg_target_deg,
            )
        )
    return states


def hold_intervals(spec: ClipSpec) -> list[tuple[float, float]]:
    """Intervals in the held position: the whole clip for a plank, each rep's hold otherwise."""
    if spec.exercise == "plank":
        return [(0.0, spec.duration_s)]
    return [(r.hold_start_s, r.hold_end_s) for r in reps_of(spec)]


def _union(intervals: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[list[float]] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def overlap_s(a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]]) -> float:
    """Total length of the intersection of two interval sets (each merged first)."""
    total = 0.0
    for a0, a1 in _union(a):
        for b0, b1 in _union(b):
            total += max(0.0, min(a1, b1) - max(a0, b0))
    return total


def hold_seconds(spec: ClipSpec) -> float:
    return sum(b - a for a, b in hold_intervals(spec))


def good_form_seconds(spec: ClipSpec) -> float:
    """Hold seconds minus the held time during which any fault is present (ramps included)."""
    faulty = overlap_s(hold_intervals(spec), [f.present for f in spec.faults])
    return hold_seconds(spec) - faulty


def check_faults_in_holds(spec: ClipSpec) -> None:
    """Rep exercises: each fault (with ramps) must sit inside one rep's hold."""
    if spec.exercise == "plank":
        return
    holds = hold_intervals(spec)
    for f in spec.faults:
        a, b = f.present
        if not any(h0 - 1e-9 <= a and b <= h1 + 1e-9 for h0, h1 in holds):
            raise ValueError(f"Fault {f.type!r} present on [{a}, {b}] s is not inside a hold: {holds}")


def _r(x: float) -> float:
    return round(float(x), 4)


def build_label(spec: ClipSpec, joints_xy: np.ndarray, joint_names: Sequence[str] = JOINT_NAMES) -> dict[str, Any]:
    """The ``formcoach.label/1`` dict for a clip.

    Args:
        joints_xy: (frames, len(joint_names), 2) ground-truth pixel coordinates.
    """
    joints_xy = np.asarray(joints_xy, dtype=float)
    expected = (spec.frames, len(joint_names), 2)
    if joints_xy.shape != expected:
        raise ValueError(f"joints_xy must have shape {expected}, got {joints_xy.shape}")
    check_faults_in_holds(spec)
    reps = reps_of(spec)
    by_side = {s: sum(r.side == s for r in reps) for s in SIDES}
    return {
        "schema": SCHEMA,
        "file": spec.file,
        "exercise": spec.exercise,
        "variant": spec.variant,
        "view": spec.camera.view,
        "source": "synthetic",
        "fps": spec.fps,
        "width": spec.width,
        "height": spec.height,
        "frames": spec.frames,
        "duration_s": _r(spec.duration_s),
        "camera": spec.camera.as_dict(),
        "body": spec.body.as_dict(),
        "tempo": spec.tempo.as_dict() if spec.tempo is not None else None,
        "reps": [r.as_dict() for r in reps],
        "reps_by_side": by_side,
        "hold_s": _r(hold_seconds(spec)),
        "good_form_s": _r(good_form_seconds(spec)),
        "faults": [f.as_dict() for f in spec.faults],
        **_corpus_fields(spec),
        "joints_2d": {
            "names": list(joint_names),
            "xy": np.round(joints_xy, 2).tolist(),
        },
    }


def _corpus_fields(spec: ClipSpec) -> dict[str, Any]:
    if spec.split is None:
        return {}
    return {"split": spec.split, "body_id": spec.body_id, "camera_id": spec.camera_id, "script": spec.script,
            "tags": list(spec.tags), "leg_target_deg": spec.leg_target_deg if spec.exercise == "dead_bug" else None}


def write_label(path: str | Path, label: Mapping[str, Any]) -> Path:
    """Write a label as JSON: header fields indented, one frame of joints per line."""
    path = Path(path)
    head = {k: v for k, v in label.items() if k != "joints_2d"}
    text = json.dumps(head, indent=2)
    joints = label["joints_2d"]
    frames = ",\n      ".join(json.dumps(fr, separators=(",", ":")) for fr in joints["xy"])
    jtext = (
        '{\n    "names": ' + json.dumps(joints["names"]) + ',\n    "xy": [\n      ' + frames + "\n    ]\n  }"
    )
    text = text[: text.rfind("}")].rstrip() + ',\n  "joints_2d": ' + jtext + "\n}\n"
    path.write_text(text)
    return path


def read_label(path: str | Path) -> dict[str, Any]:
    label = json.loads(Path(path).read_text())
    if label.get("schema") != SCHEMA:
        raise ValueError(f"{path}: schema must be {SCHEMA!r}, got {label.get('schema')!r}")
    return label

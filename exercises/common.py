"""Plumbing shared by the checkers: frame time, gate, fault tracks, cue scheduling, summary parts."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from .base import Cue, Fault, FaultCode
from .counting import FaultTrack, Hysteresis, HysteresisConfig, frame_dt
from .cues import SAFETY, CueScheduler, CueSchedulerConfig, CueSpec
from .gate import GateConfig, GateResult, ViewGate
from .pose import PoseFrame, Side, sided

# A frame stands for at most this much time (a gap in the stream is not time held) ...
MAX_FRAME_STEP_S = 0.25
# ... unless the stream itself is slower than 4 fps: then a frame stands for up to 1.5 of its usual
# intervals, at most this long, so a 2 fps hold counts its real time instead of half of it. Below
# 1 fps the engine refuses the video (holds would be undercounted, faults unseen).
LOW_RATE_MAX_STEP_S = 1.0
STEP_HISTORY = 9  # intervals the usual frame interval is the median of
# Time between frames beyond what a frame stands for is *unseen*: nothing done then is counted. From this
# much in a set, the user is told (a stalled camera, connection or computer, or a file with gaps).
UNSEEN_NOTE_S = 1.0


def unseen_note(unseen_s: float) -> str | None:
    """The one-line note for ``unseen_s`` seconds of a set that no frame covered; None below
    :data:`UNSEEN_NOTE_S`. The one wording for the live page, the saved session and upload warnings."""
    if not unseen_s >= UNSEEN_NOTE_S:
        return None
    return (f"{unseen_s:.0f} s with no video (the camera, the connection or the computer stalled, or the file "
            "has gaps): reps, holds and faults in that time were not seen or counted")


@dataclass(frozen=True)
class FaultRule:
    """How one fault is switched: on at ``on_deg``, off below ``off_deg``, debounced."""

    cue: CueSpec
    on_deg: float
    off_deg: float
    min_on_s: float = 0.15
    min_off_s: float = 0.3

    def __post_init__(self) -> None:
        if not isinstance(self.cue.code, FaultCode):
            raise TypeError(f"a fault rule's cue must carry a FaultCode, got {self.cue.code!r}")
        if not (math.isfinite(self.on_deg) and math.isfinite(self.off_deg)) or self.off_deg > self.on_deg:
            raise ValueError(f"fault {self.cue.code!r}: need finite off_deg <= on_deg, got "
                             f"on_deg={self.on_deg!r} off_deg={self.off_deg!r}")
        if not (self.min_on_s >= 0 and self.min_off_s >= 0):
            raise ValueError(f"fault {self.cue.code!r}: min_on_s/min_off_s must be >= 0, got "
                             f"{self.min_on_s!r}/{self.min_off_s!r}")

    def track(self) -> FaultTrack:
        return FaultTrack(self.cue.code, Hysteresis(HysteresisConfig(
            self.on_deg, self.off_deg, self.min_on_s, self.min_off_s, rising=True)))


class CheckerCore:
    """The parts every checker has; the exercise class adds its own state machine."""

    def __init__(self, rules: tuple[FaultRule, ...], gate: GateConfig, cues: CueSchedulerConfig,
                 positive: CueSpec, required: tuple[str, ...], produced: frozenset[str] | None = None) -> None:
        """``produced``: the fault magnitudes the checker's ``measure`` can emit; a rule for any other code
        would never fire (a typo silently disabling a fault), so it is refused here."""
        if produced is not None:
            unknown = sorted(r.cue.code for r in rules if r.cue.code not in produced)
            if unknown:
                raise ValueError(f"fault rule(s) {unknown} have no measured magnitude (measured: {sorted(produced)})")
        self.rules = rules
        self.required = required
        self.gate = ViewGate(gate)
        self.scheduler = CueScheduler(cues, positive)
        self.reset()

    def reset(self) -> None:
        self.gate.reset()
        self.scheduler.reset()
        self.tracks = {r.cue.code: r.track() for r in self.rules}
        self.prev_t: float | None = None
        self.t = 0.0
        self.dt = 0.0
        self._steps: deque[float] = deque(maxlen=STEP_HISTORY)
        self.cant_judge_s = 0.0
        self.unseen_s = 0.0  # seconds between frames that no frame stood for (see max_step_s)
        self.good_run_s = 0.0
        self._started = False

    def begin_frame(self, frame: PoseFrame) -> GateResult:
        # The checker's clock never runs backwards: a frame stamped earlier than one already seen
        # (a camera glitch, a bad container) is judged at the latest time, with no time passing.
        self.t = frame.timestamp_s if self.prev_t is None else max(self.prev_t, frame.timestamp_s)
        if self.prev_t is not None and self.t > self.prev_t:
            self._steps.append(self.t - self.prev_t)
        self.dt = frame_dt(self.prev_t, self.t, self.max_step_s())
        if self.prev_t is not None and self.t <= self.prev_t:
            self.dt = 0.0
        if self.prev_t is not None:
            self.unseen_s += max(0.0, self.t - self.prev_t - self.dt)
        self.prev_t = self.t
        if not self._started:
            self._started = True
            self.scheduler.announce_once(SAFETY, self.t)
        g = self.gate.check(frame, self.required)
        if not g.form_ok:
            self.cant_judge_s += self.dt  # form could not be judged (position may still be tracked)
        return g

    def max_step_s(self) -> float:
        """The most time one frame may stand for: :data:`MAX_FRAME_STEP_S`, or 1.5 usual frame intervals
        for streams slower than 4 fps (up to :data:`LOW_RATE_MAX_STEP_S`)."""
        if not self._steps:
            return MAX_FRAME_STEP_S
        usual = sorted(self._steps)[len(self._steps) // 2]
        return min(max(MAX_FRAME_STEP_S, 1.5 * usual), LOW_RATE_MAX_STEP_S)

    def update_faults(self, magnitudes: dict[str, float], judging: bool) -> tuple[str, ...]:
        """Feed this frame's fault magnitudes (degrees, larger = worse); returns active codes."""
        active = []
        for code, track in self.tracks.items():
            if not judging or code not in magnitudes:
                track.stop(self.t)  # not judged now (wrong phase / view): the fault ends
                continue
            if track.update(magnitudes.get(code, float("nan")), self.t, self.dt):
                active.append(code)
        return tuple(active)

    def stop_faults(self) -> None:
        for track in self.tracks.values():
            track.stop(self.t)

    def pick_cue(self, candidates: list[CueSpec], good_now: bool) -> Cue | None:
        self.good_run_s = self.good_run_s + self.dt if good_now else 0.0
        return self.scheduler.update(self.t, candidates, self.good_run_s)

    def all_faults(self) -> tuple[Fault, ...]:
        out = [f for track in self.tracks.values() for f in track.snapshot()]
        return tuple(sorted(out, key=lambda f: (f.start_s, f.type)))

    def seconds_lost(self) -> dict[str, float]:
        return {code: float(track.seconds_s) for code, track in self.tracks.items()}


def near_point(frame: PoseFrame, joint: str, near: Side) -> np.ndarray:
    return frame.point(sided(joint, near))


def best_of_sides(frame: PoseFrame, joint: str, near: Side, min_visibility: float) -> np.ndarray:
    """The near side's landmark, or the far side's when the near one is not visible."""
    p = frame.point(sided(joint, near))
    if frame.vis(sided(joint, near)) >= min_visibility:
        return p
    q = frame.point(sided(joint, near.other))
    if frame.vis(sided(joint, near.other)) >= min_visibility:
        return q
    return p

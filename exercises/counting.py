"""Shared counting parts: hysteresis switches, timestamp-driven hold timers, fault bookkeeping.

Everything here is driven by ``PoseFrame.timestamp_s`` (media time), never the wall clock, so a
video file and a webcam behave the same. NaN inputs never change a state: a missing landmark is
"don't know", not "no".
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from dataclasses import dataclass, field

from .base import Fault, FaultCode, Phase

_TIME_EPS_S = 1e-6  # timestamps are floats: 0.3 - 0.1 must count as 0.2


@dataclass(frozen=True)
class HysteresisConfig:
    """A two-threshold switch: turns on at ``on_at`` and off at ``off_at``.

    With ``rising=True`` the switch is on for large values (on when value >= on_at, off when
    value < off_at, so on_at >= off_at). With ``rising=False`` it is on for small values.
    ``min_on_s`` / ``min_off_s``: how long the new condition must persist before the state flips.
    """

    on_at: float
    off_at: float
    min_on_s: float = 0.0
    min_off_s: float = 0.0
    rising: bool = True

    def __post_init__(self) -> None:
        for name in ("on_at", "off_at"):
            v = getattr(self, name)
            if not math.isfinite(v):
                raise ValueError(f"HysteresisConfig.{name} must be finite, got {v!r}")
        if self.rising and self.off_at > self.on_at:
            raise ValueError(f"rising switch needs off_at <= on_at, got on_at={self.on_at!r} off_at={self.off_at!r}")
        if not self.rising and self.off_at < self.on_at:
            raise ValueError(f"falling switch needs off_at >= on_at, got on_at={self.on_at!r} off_at={self.off_at!r}")
        for name in ("min_on_s", "min_off_s"):
            v = getattr(self, name)
            if not v >= 0:
                raise ValueError(f"HysteresisConfig.{name} must be >= 0, got {v!r}")


class Hysteresis:
    """A debounced two-threshold switch. ``update(value, t_s) -> bool`` (the current state).

    ``since_s`` is the time the current state's condition first held (the debounce start), so
    intervals can be back-dated to when the value actually crossed the threshold; ``changed_s`` is the
    time of the switch itself (the debounce end).
    """

    def __init__(self, config: HysteresisConfig) -> None:
        self.config = config
        self.reset()

    def reset(self) -> None:
        self.on = False
        self.since_s: float | None = None
        self.changed_s: float | None = None
        self._pending_since: float | None = None

    def _wants_on(self, value: float) -> bool:
        c = self.config
        return value >= c.on_at if c.rising else value <= c.on_at

    def _wants_off(self, value: float) -> bool:
        c = self.config
        return value < c.off_at if c.rising else value > c.off_at

    def update(self, value: float, t_s: float) -> bool:
        if value is None or not math.isfinite(value):
            self._pending_since = None
            return self.on
        flip = self._wants_off(value) if self.on else self._wants_on(value)
        if not flip:
            self._pending_since = None
            return self.on
        if self._pending_since is None:
            self._pending_since = t_s
        need = self.config.min_off_s if self.on else self.config.min_on_s
        if t_s - self._pending_since >= need - _TIME_EPS_S:
            self.on = not self.on
            self.since_s = self._pending_since
            self.changed_s = t_s
            self._pending_since = None
        return self.on

    def force_off(self) -> None:
        self.on = False
        self._pending_since = None



def frame_dt(prev_t: float | None, t_s: float, max_step_s: float) -> float:
    """Seconds a frame stands for: time since the previous frame, capped; 0 for the first."""
    if prev_t is None or not t_s > prev_t:
        return 0.0
    return min(t_s - prev_t, max_step_s)


@dataclass
class FaultTrack:
    """Bookkeeping for one fault type: debounced on/off, intervals with worst magnitude."""

    type: FaultCode
    switch: Hysteresis
    intervals: list[Fault] = field(default_factory=list)
    _start: float | None = None
    _worst: float = 0.0
    _last_t: float = 0.0
    seconds_s: float = 0.0

    def update(self, magnitude: float, t_s: float, dt: float) -> bool:
        was = self.switch.on
        on = self.switch.update(magnitude, t_s)
        if on and not was:
            self._start = self.switch.since_s if self.switch.since_s is not None else t_s
            self._worst = 0.0
        if on:
            if math.isfinite(magnitude):
                self._worst = max(self._worst, abs(magnitude))
            self.seconds_s += dt
            self._last_t = t_s
        if was and not on:
            self._close(t_s)
        return on

    def _close(self, end_s: float) -> None:
        if self._start is not None:
            self.intervals.append(Fault(self.type, float(self._worst), float(self._start), float(end_s)))
        self._start = None

    @property
    def active(self) -> bool:
        return self.switch.on

    @property
    def open_start_s(self) -> float | None:
        return self._start if self.switch.on else None

    def stop(self, t_s: float) -> None:
        """Close an open interval (the view was lost or the set ended)."""
        if self.switch.on:
            self._close(t_s)
        self.switch.force_off()

    def snapshot(self) -> list[Fault]:
        """Closed intervals plus the open one (ending at the last active frame)."""
        out = list(self.intervals)
        if self.switch.on and self._start is not None:
            out.append(Fault(self.type, float(self._worst), float(self._start), float(self._last_t)))
        return out

    def faults_between(self, start_s: float, end_s: float) -> list[Fault]:
        """Fault intervals overlapping [start_s, end_s], clipped to it."""
        out = []
        for f in self.snapshot():
            a, b = max(f.start_s, start_s), min(f.end_s, end_s)
            if b >= a:
                out.append(Fault(f.type, f.magnitude_deg, a, b))
        return out


class BaselineTracker:
    """Mean of a metric over the first ``window_s`` seconds of judged start-position frames."""

    def __init__(self, window_s: float) -> None:
        if not window_s > 0:
            raise ValueError(f"window_s must be > 0, got {window_s!r}")
        self.window_s = window_s
        self.reset()

    def reset(self) -> None:
        self._sum = 0.0
        self._n = 0
        self._t0: float | None = None
        self._frozen = False

    def add(self, value: float, t_s: float) -> None:
        if self._frozen or not math.isfinite(value):
            return
        if self._t0 is None:
            self._t0 = t_s
        self._sum += value
        self._n += 1
        if t_s - self._t0 >= self.window_s:
            self._frozen = True

    @property
    def ready(self) -> bool:
        return self._n > 0

    @property
    def value(self) -> float:
        return self._sum / self._n if self._n else float("nan")


@dataclass(frozen=True)
class RepConfig:
    """Thresholds of the extension rep machine, on an extension fraction (0 = start, 1 = full).

    A rep starts when the extension rises past ``start_frac`` (back-dated to the last frame at
    ``rest_frac`` or below), reaches full at ``full_frac`` (stays full down to ``full_exit_frac``),
    and ends when it falls back to ``rest_frac`` (or near that side's own resting level, if higher: see
    ``side_floor_margin_frac``). Attempts that peak between ``min_attempt_frac``
    and ``full_frac`` are recorded as incomplete. The hold is the time the limb is **still** out at full
    reach: extension at least ``full_exit_frac`` (in a rep that reached ``full_frac``) and changing by
    at most ``hold_max_speed_frac_s`` (extension per second) over the last ``hold_window_s``. One
    definition, causal, for the live timer and the rep record alike.
    """

    start_frac: float = 0.4
    full_frac: float = 0.8
    full_exit_frac: float = 0.7
    rest_frac: float = 0.25
    min_attempt_frac: float = 0.5
    hold_window_s: float = 0.3
    hold_max_speed_frac_s: float = 0.2  # corpus train: reaching and returning move 0.25-1+ /s, a held
    #   limb drifts (MediaPipe noise, slow settling) 0.1-0.2 /s. Dead-bug holds within 0.5 s of the
    #   label: 59 % with the earlier peak-relative hold, 87 % with this; bird-dog 89 -> 95 %
    min_rep_s: float = 0.8
    min_rest_s: float = 0.2  # back at rest this long (a brief dip mid-rep does not end it)
    min_phase_s: float = 0.35  # reaching (rest -> hold) or returning faster than this: rushing
    max_tempo_step_s: float = 0.15  # tempo (rushing) is judged only with frames this close (median in the rep),
    #   ~7 fps and up. Corpus train, 15 fps clips taking every k-th frame: at 7.5 fps rushing is called as at 15
    #   (rushed reps 20/20 caught, clean 3/118 called); at 5 fps 9/20 rushed reps are caught, at 3.75 fps
    #   24/104 clean reps are called rushing
    max_tempo_gap_s: float = 0.25  # ... and no interval in the rep longer than this (a stall hides a phase)
    floor_window_s: float = 3.0  # people rest with limbs not quite plumb: thresholds ride on the
    max_floor_frac: float = 0.35  #   lowest resting extension of the last few seconds (capped)
    floor_rest_margin_frac: float = 0.15
    floor_start_margin_frac: float = 0.3
    side_floor_margin_frac: float = 0.08  # a rep ends back within this of its own side's resting floor (when
    #   that sits above rest_level): the 99th percentile of a resting side's reading over its 3 s floor on corpus
    #   train (full 0.081, lite 0.066). 0.15 shortened the measured return of slow reps into "rushing"

    def __post_init__(self) -> None:
        if not (0 <= self.rest_frac < self.start_frac <= self.min_attempt_frac <= self.full_exit_frac
                <= self.full_frac <= 1.5):
            raise ValueError(
                "RepConfig needs 0 <= rest_frac < start_frac <= min_attempt_frac <= full_exit_frac <= full_frac "
                f"<= 1.5, got rest={self.rest_frac!r} start={self.start_frac!r} attempt={self.min_attempt_frac!r} "
                f"full_exit={self.full_exit_frac!r} full={self.full_frac!r}")
        for name in ("hold_window_s", "hold_max_speed_frac_s", "min_rep_s", "min_rest_s", "min_phase_s",
                     "max_tempo_step_s", "max_tempo_gap_s",
                     "floor_window_s", "max_floor_frac",
                     "floor_rest_margin_frac", "floor_start_margin_frac", "side_floor_margin_frac"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"RepConfig.{name} must be >= 0, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class RepEvent:
    """A finished extension: times in media seconds."""

    side: str
    start_s: float
    full_s: float | None  # reached the hold (full extension) (None: never did)
    leave_full_s: float | None  # left the hold
    end_s: float
    hold_s: float
    peak_frac: float
    complete: bool
    frame_step_s: float = math.nan  # the rep's median interval between frames
    longest_step_s: float = math.nan  # its longest (a stall in the stream mid-rep)

    def tempo_seen(self, config: RepConfig) -> bool:
        """Frames close enough, and no stall, for the rep's phases (and so rushing) to be timed."""
        return not (self.frame_step_s > config.max_tempo_step_s or self.longest_step_s > config.max_tempo_gap_s)


class RepMachine:
    """Extension rep state machine with hysteresis, side votes and a peak-relative hold.

    ``update(t_s, dt, ext_frac, side, armed)``: ``side`` names the moving leg this frame (or None);
    ``armed``: the body is in the start position (a rep may only begin from it). Returns a
    ``RepEvent`` on the frame a rep (or an incomplete attempt) ends, else None. NaN extension
    leaves the state unchanged.
    """

    def __init__(self, config: RepConfig | None = None) -> None:
        self.config = config or RepConfig()
        self.reset()

    def reset(self) -> None:
        self.phase = Phase.REST  # REST | EXTENDING | HOLDING (extension >= full) | RETURNING (internal)
        self._armed_seen = False
        self._last_rest_t: float | None = None
        self._start = 0.0
        self._full: float | None = None
        self._leave: float | None = None
        self._peak = 0.0
        self._trace: list[tuple[float, float]] = []
        self._votes: dict[str, float] = {}
        self._rest_vals: deque[tuple[float, float]] = deque()
        self._side_rest_vals: dict[str, deque[tuple[float, float]]] = {}  # side -> its extension while resting
        self._side_floor: dict[str, float] = {}  # side -> its resting floor, as it was when the rep began
        self._floor = 0.0
        self._times: list[float] = []  # the trace's times (for the stillness window)
        self._live_hold = 0.0
        self._at_hold = False
        self._hold_first: float | None = None
        self._hold_last: float | None = None
        self._back_at: float | None = None
        self.held_dt = 0.0  # seconds the last update added to the hold

    @property
    def floor(self) -> float:
        """Lowest resting extension of the last ``floor_window_s`` (0 if none), capped."""
        return self._floor

    def _floor_of(self, vals: deque[tuple[float, float]]) -> float:
        """The lowest resting extension in ``vals``, clamped to [0, ``max_floor_frac``]; 0 if none."""
        return 0.0 if not vals else min(self.config.max_floor_frac, max(0.0, min(v for _, v in vals)))

    def _update_floor(self) -> None:
        self._floor = self._floor_of(self._rest_vals)

    @property
    def rest_level(self) -> float:
        return max(self.config.rest_frac, self.floor + self.config.floor_rest_margin_frac)

    def _return_level(self) -> float:
        """Back at rest in a rep: ``rest_level``, or ``side_floor_margin_frac`` over the rep's side's own
        resting floor (its lowest extension over the ``floor_window_s`` of rest before the rep) when higher: a far
        leg drawn half-raised at rest (corpus validation: 0.28-0.31) never came back to the near side's
        floor, so its rep did not end."""
        floor = self._side_floor.get(self.leading_side or "")
        if floor is None:
            return self.rest_level
        return max(self.rest_level, floor + self.config.side_floor_margin_frac)

    @property
    def start_level(self) -> float:
        return max(self.config.start_frac, self.floor + self.config.floor_start_margin_frac)

    @property
    def in_rep(self) -> bool:
        return self.phase is not Phase.REST

    @property
    def live_hold_s(self) -> float:
        """Hold so far in the current rep (seconds still at full reach); the rep record's hold is this
        same sum at the rep's end."""
        return self._live_hold if self.in_rep else 0.0

    @property
    def hold_phase(self) -> Phase:
        """The rep's phase by that same hold definition: ``rest``, ``extending`` (no hold yet), ``holding``
        (still at full reach now), ``returning`` (held, now not)."""
        if not self.in_rep:
            return Phase.REST
        if self._at_hold:
            return Phase.HOLDING
        return Phase.RETURNING if self._live_hold > 0 else Phase.EXTENDING

    @property
    def leading_side(self) -> str | None:
        return max(self._votes, key=self._votes.get) if self._votes else None

    def _still(self, t_s: float, ext: float) -> bool:
        """Held this frame: out at full reach and barely moving over the last ``hold_window_s``."""
        c = self.config
        if self._peak < c.full_frac or ext < c.full_exit_frac:
            return False
        i = max(0, bisect.bisect_left(self._times, t_s - c.hold_window_s) - 1)
        t0, e0 = self._trace[i]
        if t_s - t0 < 0.5 * c.hold_window_s:  # too little history to tell
            return False
        return abs(ext - e0) / (t_s - t0) <= c.hold_max_speed_frac_s

    def update(self, t_s: float, dt: float, ext: float, side: str | None, armed: bool,
               side_ext: float | None = None, ext_by_side: dict[str, float] | None = None) -> RepEvent | None:
        """``ext_by_side``: each side's extension this frame (optional); at rest it sets each side's own
        resting floor, which a rep on that side must return to (see ``_return_level``)."""
        c = self.config
        self.held_dt = 0.0
        if ext is None or not math.isfinite(ext):
            return None
        if self.phase is Phase.REST:
            self._rest_vals.append((t_s, ext))
            for s, v in (ext_by_side or {}).items():
                if math.isfinite(v):
                    self._side_rest_vals.setdefault(s, deque()).append((t_s, v))
            for vals in (self._rest_vals, *self._side_rest_vals.values()):
                while vals and vals[0][0] < t_s - c.floor_window_s:
                    vals.popleft()
            self._update_floor()
            if ext <= self.rest_level:
                self._last_rest_t = t_s
                if armed:
                    self._armed_seen = True
            if ext >= min(self.start_level, c.full_frac) and self._armed_seen:
                self.phase = Phase.EXTENDING
                self._side_floor = {s: self._floor_of(vals) for s, vals in self._side_rest_vals.items() if vals}
                self._start = self._last_rest_t if self._last_rest_t is not None else t_s
                self._full = self._leave = None
                self._peak = ext
                self._trace = [(t_s, ext)]
                self._times = [t_s]
                self._votes = {}
                self._live_hold = 0.0
                self._at_hold = False
                self._hold_first = self._hold_last = None
            return None
        if self._at_hold:  # the previous frame was held: the time since it counts
            self.held_dt = t_s - self._trace[-1][0]
            self._live_hold += self.held_dt
            self._hold_last = t_s
        self._trace.append((t_s, ext))
        self._times.append(t_s)
        self._peak = max(self._peak, ext)
        self._at_hold = self._still(t_s, ext)
        if self._at_hold and self._hold_first is None:
            self._hold_first = t_s
        if side is not None:
            w = side_ext if side_ext is not None and math.isfinite(side_ext) else ext
            self._votes[side] = self._votes.get(side, 0.0) + max(dt, 1e-6) * w
        if self.phase is Phase.EXTENDING and ext >= c.full_frac:
            self.phase = Phase.HOLDING
            if self._full is None:
                self._full = t_s
        elif self.phase is Phase.HOLDING and ext < c.full_exit_frac:
            self.phase = Phase.RETURNING
            self._leave = t_s
        elif self.phase is Phase.RETURNING and ext >= c.full_frac:
            self.phase = Phase.HOLDING
        if ext <= self._return_level():
            if self._back_at is None:
                self._back_at = t_s
            if t_s - self._back_at >= c.min_rest_s - _TIME_EPS_S:
                return self._finish(self._back_at)
        else:
            self._back_at = None
        return None

    def pending(self) -> RepEvent | None:
        """The rep that is back at rest but not yet confirmed (end of stream), without changing state."""
        if self.phase is Phase.REST or self._back_at is None:
            return None
        return self._event(self._back_at)

    def confirm_pending(self) -> RepEvent | None:
        """End the rep that is back at rest but not yet confirmed (the view was lost just after the limb
        came back): the return already happened, so the rep counts now rather than at the end of the set."""
        if self.phase is Phase.REST or self._back_at is None:
            return None
        return self._finish(self._back_at)

    def _finish(self, t_s: float) -> RepEvent | None:
        ev = self._event(t_s)
        self._back_at = None
        self.phase = Phase.REST
        self._at_hold = False
        self._last_rest_t = t_s
        self._trace, self._times, self._votes = [], [], {}
        return ev

    def _event(self, t_s: float) -> RepEvent | None:
        c = self.config
        peak = max((e for t, e in self._trace if t <= t_s), default=self._peak)
        side = self.leading_side
        start = self._start
        full, leave = self._full, self._leave
        if side is None or peak < c.min_attempt_frac or t_s - start < c.min_rep_s:
            return None
        complete = peak >= c.full_frac
        # Phases for tempo: rest -> held and held -> rest (the full-extension crossings if never held).
        first = self._hold_first if complete and self._hold_first is not None else full
        last = self._hold_last if complete and self._hold_last is not None else leave
        steps = sorted(b - a for a, b in zip(self._times, self._times[1:]) if a <= t_s)
        step, gap = (steps[len(steps) // 2], steps[-1]) if steps else (math.nan, math.nan)
        return RepEvent(side, start, first, last, t_s, self._live_hold if complete else 0.0, peak, complete, step, gap)

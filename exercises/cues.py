"""Cues as data, and the scheduler that picks the one cue to show.

A checker proposes candidate cues every frame (``CueSpec`` + whether its condition holds). The
scheduler shows one at a time: the highest severity wins; a shown cue stays up for at least
``min_show_s`` unless something more severe arrives; the same code is not *announced* again
within ``cooldown_s``; after ``positive_after_s`` of judged good form a positive cue is announced
(at most every ``positive_every_s``). Announcements are recorded in ``history`` for the report.
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import SAFETY_MESSAGE, Cue, CueCode, FaultCode, Severity


@dataclass(frozen=True)
class CueSpec:
    """A cue template: stable code (a :class:`FaultCode` or :class:`CueCode` member), severity and the line
    to say."""

    code: FaultCode | CueCode
    severity: Severity
    message: str

    def __post_init__(self) -> None:
        if not isinstance(self.code, (FaultCode, CueCode)):
            raise TypeError(f"CueSpec code must be a FaultCode or CueCode member, got {self.code!r}")

    def at(self, t_s: float) -> Cue:
        return Cue(self.code, self.severity, self.message, float(t_s))


# Set-up / gate cues shared by all exercises.
NO_PERSON = CueSpec(CueCode.NO_PERSON, Severity.SETUP, "Step into view of the camera.")
TURN_SIDE_ON = CueSpec(CueCode.TURN_SIDE_ON, Severity.SETUP,
                       "Turn side-on to the camera so your whole side is in view.")
STEP_BACK = CueSpec(CueCode.STEP_BACK, Severity.SETUP, "Step back so your feet are in view.")
LANDMARKS_HIDDEN = CueSpec(CueCode.LANDMARKS_HIDDEN, Severity.SETUP,
                           "The camera cannot see your hips and legs clearly - adjust the camera or lighting.")
SAFETY = CueSpec(CueCode.SAFETY, Severity.STOP, SAFETY_MESSAGE)
RUSHING = CueSpec(FaultCode.RUSHING, Severity.INFO, "Slow down: about 4 s out, a pause, 4 s back.")
BREATHE = CueSpec(CueCode.BREATHE, Severity.INFO, "Keep breathing steadily - don't hold your breath.")


@dataclass(frozen=True)
class CueSchedulerConfig:
    min_show_s: float = 1.5
    cooldown_s: float = 5.0
    positive_after_s: float = 4.0
    positive_every_s: float = 15.0

    def __post_init__(self) -> None:
        for name in ("min_show_s", "cooldown_s", "positive_after_s", "positive_every_s"):
            v = getattr(self, name)
            if not v >= 0:
                raise ValueError(f"CueSchedulerConfig.{name} must be >= 0, got {v!r}")


class CueScheduler:
    """One cue at a time, by priority, with minimum show time and per-code cooldown."""

    def __init__(self, config: CueSchedulerConfig | None = None, positive: CueSpec | None = None) -> None:
        self.config = config or CueSchedulerConfig()
        self.positive = positive
        self.reset()

    def reset(self) -> None:
        self.history: list[Cue] = []
        self.current: Cue | None = None
        self._shown_since = 0.0
        self._last_announced: dict[str, float] = {}
        self._last_positive: float | None = None

    def _announce(self, spec: CueSpec, t_s: float) -> Cue:
        cue = spec.at(t_s)
        last = self._last_announced.get(spec.code)
        if last is None or t_s - last >= self.config.cooldown_s:
            self.history.append(cue)
            self._last_announced[spec.code] = t_s
        return cue

    def announce_once(self, spec: CueSpec, t_s: float) -> Cue:
        """An event cue (rep done, goal reached): record it and show it now if nothing outranks it."""
        cue = spec.at(t_s)
        self.history.append(cue)
        self._last_announced[spec.code] = t_s
        if self.current is None or spec.severity >= self.current.severity:
            self.current, self._shown_since = cue, t_s
        return cue

    def update(self, t_s: float, candidates: list[CueSpec], good_form_run_s: float = 0.0) -> Cue | None:
        """Pick the cue to show at ``t_s``.

        ``candidates``: cues whose condition holds now. ``good_form_run_s``: how long form has
        been judged good without a break (drives the positive cue).
        """
        c = self.config
        best = max(candidates, key=lambda s: s.severity) if candidates else None
        cur = self.current
        if cur is not None:
            still = any(s.code == cur.code for s in candidates)
            shown = t_s - self._shown_since
            if best is not None and best.severity > cur.severity:
                self.current, self._shown_since = self._announce(best, t_s), t_s
            elif still:
                pass  # keep showing a cue whose condition still holds
            elif shown < c.min_show_s:
                pass  # let it be read
            else:
                self.current = None
        if self.current is None and best is not None:
            self.current, self._shown_since = self._announce(best, t_s), t_s
        due = self._last_positive is None or t_s - self._last_positive >= c.positive_every_s
        if self.current is None and self.positive is not None and good_form_run_s >= c.positive_after_s and due:
            self._last_positive = t_s
            self.current, self._shown_since = self._announce(self.positive, t_s), t_s
        return self.current

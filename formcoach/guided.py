"""A guided set: get into position -> countdown -> reps or hold -> set complete -> rest -> next set.

:class:`GuidedSet` is a pure state machine fed one checker result per frame (``feed(t_s, verdict)``,
``t_s`` in media seconds, never the wall clock). It keeps the targets, decides what the coach says
(:class:`Utterance`, numbered so a speaker says each one once) and writes one :class:`SetSummary`
per finished set. The live page reads :meth:`GuidedSet.status` (a frozen snapshot behind a lock)
from its script thread; the webcam worker thread calls :meth:`feed`.

Counting (as Physitrack counts holds only in correct posture):

* rep exercises: a rep counts toward the set only when its checker verdict is ``good``; faulty
  and incomplete reps are said ("not counted") and listed in the summary, but do not count. The
  faults are the checker's own (the checker owns what a fault is, hold length included); the set's
  ``hold_s`` is the target shown and counted down;
* plank: the set's hold clock runs only while the checker credits good-form time.

Speech policy: counts and the countdown are always said; one form correction at a time, at most
every ``correction_cooldown_s``; praise at most every ``praise_every`` good reps; "keep breathing"
every ``breathe_every_s`` of a hold; hold seconds remaining near the end of each hold.
Targets default to the clinical prescriptions (:data:`PRESCRIPTIONS`) and are editable.
"""

from __future__ import annotations

import enum
import math
import threading
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from typing import Any

from exercises.base import ExerciseSummary, FrameVerdict, RepRecord, RepVerdict, Severity

SIDES = ("left", "right")


class Phase(str, enum.Enum):
    POSITION = "position"  # waiting until the coach can see the person in the start position
    COUNTDOWN = "countdown"  # 3-2-1-go
    ACTIVE = "active"  # reps or hold
    SET_COMPLETE = "set_complete"  # the set's summary is shown and said
    REST = "rest"  # rest timer before the next set
    DONE = "done"  # all sets done
    STOPPED = "stopped"  # the user stopped


PHASE_TITLES = {Phase.POSITION: "Get into position", Phase.COUNTDOWN: "Get ready", Phase.ACTIVE: "Go",
                Phase.SET_COMPLETE: "Set complete", Phase.REST: "Rest", Phase.DONE: "Session complete",
                Phase.STOPPED: "Stopped"}

FAULT_WORDS = {
    "hip_sag": "hips sagging", "hip_pike": "hips piked up", "head_drop": "head dropping",
    "low_back_arch": "lower back arching", "leg_drop": "leg dropping too low", "rushing": "moving too fast",
    "incomplete_extension": "reach not complete", "hip_rotation": "hips rotating",
    "leg_too_high": "leg above hip level", "back_sag": "back sagging", "back_arch": "back rounding",
    "breath_holding": "holding the breath",
}

WORK_ON = {  # the one thing to work on next time, by the fault seen most often
    "hip_sag": "Keep your hips up in one straight line from shoulders to heels.",
    "hip_pike": "Lower your hips into one straight line.",
    "head_drop": "Keep your neck long: look at the floor just ahead of your hands.",
    "low_back_arch": "Reach only as far as your lower back stays on the floor.",
    "leg_drop": "Keep the reaching leg a little higher, just before your back begins to arch.",
    "rushing": "Go slower: about 4 seconds out, a pause, 4 seconds back.",
    "incomplete_extension": "Reach all the way out to a long line before you come back.",
    "hip_rotation": "Keep your hips level as the leg goes back.",
    "leg_too_high": "Lift the leg only to hip height.",
    "back_sag": "Gently draw your belly button in so your back does not sag.",
    "back_arch": "Keep your back flat - don't round it up.",
}


def fault_words(code: str) -> str:
    """A fault code in words (``"hip_sag"`` -> ``"hips sagging"``)."""
    return FAULT_WORDS.get(code, code.replace("_", " "))


@dataclass(frozen=True)
class PlankLevel:
    key: str
    label: str
    hold_s: float


# The seed progression: 15-30 s on the knees -> 45 s -> full plank -> 60 s.
PLANK_LEVELS = (PlankLevel("knees_15", "On the knees, 15 s", 15.0),
                PlankLevel("knees_30", "On the knees, 30 s", 30.0),
                PlankLevel("knees_45", "On the knees, 45 s", 45.0),
                PlankLevel("full_45", "Full plank, 45 s", 45.0),
                PlankLevel("full_60", "Full plank, 60 s", 60.0))


@dataclass(frozen=True)
class SetTarget:
    """What one guided session asks for. Times in seconds; ``reps_per_side`` 0 means a timed hold."""

    exercise: str
    sets: int = 2
    reps_per_side: int = 10
    hold_s: float = 2.0  # rep exercises: hold per rep; plank: the set's good-form hold
    rest_s: float = 60.0
    countdown_s: int = 3
    level: str = ""  # plank level key (PLANK_LEVELS)

    def __post_init__(self) -> None:
        if self.sets < 1 or self.reps_per_side < 0 or self.countdown_s < 0:
            raise ValueError(f"sets >= 1, reps_per_side >= 0, countdown_s >= 0 (got {self})")
        for name in ("hold_s", "rest_s"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"SetTarget.{name} must be a finite number >= 0, got {v!r}")
        if self.timed and self.hold_s <= 0:
            raise ValueError("a timed set needs hold_s > 0")

    @property
    def timed(self) -> bool:
        return self.reps_per_side == 0

    def describe(self) -> str:
        sets = f"{self.sets} set{'s' if self.sets > 1 else ''}"
        if self.timed:
            return f"{sets} of a {self.hold_s:.0f} s hold, {self.rest_s:.0f} s rest"
        return (f"{sets} of {self.reps_per_side} per side, hold {self.hold_s:g} s, "
                f"{self.rest_s:.0f} s rest")


# The seed prescriptions (dead bug 10/side with ~2 s holds; bird-dog 10-12/side with 5-10 s holds;
# plank by level). Sets and rest are not in the seeds: 2 sets and 60 s rest, editable on the page.
PRESCRIPTIONS: dict[str, SetTarget] = {
    "dead_bug": SetTarget("dead_bug", reps_per_side=10, hold_s=2.0),
    "bird_dog": SetTarget("bird_dog", reps_per_side=10, hold_s=5.0),
    "plank": SetTarget("plank", reps_per_side=0, hold_s=15.0, level="knees_15"),
}


def prescription(exercise: str, plank_level: str | None = None) -> SetTarget:
    t = PRESCRIPTIONS[exercise]
    if exercise == "plank" and plank_level:
        lv = next((lv for lv in PLANK_LEVELS if lv.key == plank_level), None)
        if lv is None:
            raise ValueError(f"unknown plank level {plank_level!r}; valid: {[x.key for x in PLANK_LEVELS]}")
        t = replace(t, hold_s=lv.hold_s, level=lv.key)
    return t


@dataclass(frozen=True)
class Utterance:
    """One thing to say. ``id`` increases by one per utterance; ``kind`` lets a speaker drop stale
    low-value lines (``droppable``) rather than let speech lag behind the set."""

    id: int
    text: str
    kind: str  # countdown | count | correction | praise | hold | breathe | setup | summary | rest | info
    t_s: float

    @property
    def droppable(self) -> bool:
        return self.kind in ("praise", "hold", "breathe", "setup", "correction")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "kind": self.kind, "droppable": self.droppable}


@dataclass(frozen=True)
class SetSummary:
    """One set. Reps are the set's completed reps (all verdicts); ``reps_by_side`` counts good ones."""

    index: int  # 1-based
    start_s: float
    end_s: float
    complete: bool  # target met (False: stopped early)
    reps_by_side: dict[str, int]  # good reps counted toward the target
    attempts_by_side: dict[str, int]  # all completed reps
    best_hold_s: float
    avg_hold_s: float
    good_hold_s: float  # plank: good-form seconds in the set; rep exercises: 0
    faults: dict[str, int]  # fault code -> reps with it (rep exercises) or times it began (plank)
    work_on: str
    rest_s: float = 0.0  # rest taken after this set (filled in when the rest ends)
    not_checked: tuple[str, ...] = ()  # fault codes some rep of the set could not judge ("no faults" is not
    #   "good form" for them)

    @property
    def duration_s(self) -> float:
        return max(0.0, self.end_s - self.start_s)

    def to_dict(self) -> dict[str, Any]:
        return {"set": self.index, "start_s": round(self.start_s, 2), "end_s": round(self.end_s, 2),
                "complete": self.complete, "reps_by_side": dict(self.reps_by_side),
                "attempts_by_side": dict(self.attempts_by_side), "best_hold_s": round(self.best_hold_s, 1),
                "avg_hold_s": round(self.avg_hold_s, 1), "good_hold_s": round(self.good_hold_s, 1),
                "faults": dict(self.faults), "work_on": self.work_on, "rest_s": round(self.rest_s, 1),
                "not_checked": list(self.not_checked)}

    def spoken(self, timed: bool) -> str:
        head = f"Set {self.index} {'complete' if self.complete else 'stopped'}."
        if timed:
            body = f" {self.good_hold_s:.0f} seconds with good form."
        else:
            r = self.reps_by_side
            body = f" {r.get('left', 0)} left, {r.get('right', 0)} right."
            if self.avg_hold_s > 0:
                body += f" Average hold {self.avg_hold_s:.0f} seconds." if self.avg_hold_s >= 1.5 else \
                    f" Average hold {self.avg_hold_s:.1f} seconds."
        return head + body + (f" Next time: {self.work_on}" if self.work_on else "")


@dataclass(frozen=True)
class GuidedStatus:
    """What the page shows; a snapshot safe to read from any thread."""

    phase: Phase = Phase.POSITION
    target: SetTarget | None = None
    set_index: int = 1  # 1-based, the set in progress (or just finished)
    reps_by_side: dict[str, int] = field(default_factory=dict)  # good reps this set
    attempts_by_side: dict[str, int] = field(default_factory=dict)
    hold_s: float = 0.0  # the hold now (rep) or the set's good-form hold (plank)
    hold_target_s: float = 0.0
    countdown_left: int = 0
    rest_left_s: float = 0.0
    headline: str = "Get into position"  # the big line: what to do now
    cue: str = ""  # the checker's current cue (or the coach's)
    cue_severity: int = int(Severity.INFO)
    utterances: tuple[Utterance, ...] = ()  # the newest ones (ids increase)
    sets: tuple[SetSummary, ...] = ()
    t_s: float = 0.0
    history: tuple[Phase, ...] = ()  # the phases entered, in order (the last KEEP_HISTORY)

    @property
    def finished(self) -> bool:
        return self.phase in (Phase.DONE, Phase.STOPPED)


@dataclass(frozen=True)
class VoicePolicy:
    correction_cooldown_s: float = 8.0
    praise_every: int = 3  # praise at most every Nth good rep
    breathe_every_s: float = 15.0
    plank_remaining_at_s: tuple[int, ...] = (30, 20, 10, 5, 3, 2, 1)
    rep_remaining_from_s: int = 3  # say 3, 2, 1 in holds of at least 4 s
    set_complete_s: float = 5.0  # the summary stays before the rest timer starts
    ready_s: float = 1.0  # seen in the start position this long before the countdown
    lost_s: float = 1.5  # out of view this long in the countdown -> back to position


KEEP_UTTERANCES = 20
KEEP_HISTORY = 50  # phases kept for the status (a person stepping in and out of view adds two each time)


class GuidedSet:
    """The guided-set state machine (see the module docstring). Thread-safe."""

    def __init__(self, target: SetTarget, policy: VoicePolicy | None = None) -> None:
        self.target = target
        self.policy = policy or VoicePolicy()
        self.key = uuid.uuid4().hex[:12]  # names this session's utterance ids for a speaker
        self._lock = threading.Lock()
        self._phase = Phase.POSITION
        self._history: deque[Phase] = deque([Phase.POSITION], maxlen=KEEP_HISTORY)
        self._phase_t: float | None = None
        self._t = 0.0
        self._set = 1
        self._next_id = 1
        self._utter: deque[Utterance] = deque(maxlen=KEEP_UTTERANCES)
        # The status's tuples, rebuilt only when they change (not on every frame):
        self._utter_t: tuple[Utterance, ...] = ()
        self._history_t: tuple[Phase, ...] = tuple(self._history)
        self._sets: list[SetSummary] = []
        self._windows: list[tuple[float, float]] = []  # (start, end) media s of each set's active part
        self._ready_since: float | None = None
        self._lost_since: float | None = None
        self._said_count = -1
        self._cue, self._cue_sev = "", int(Severity.INFO)
        self._last_correction_t = -math.inf
        self._last_cue_code: str | None = None
        self._cue_msgs: dict[str, str] = {}
        self._reset_set_counters()
        self._status = GuidedStatus(target=target, hold_target_s=target.hold_s)
        self._say(f"Get into position for {target.describe()}.", "info", 0.0)
        self._publish()

    # --- helpers -----------------------------------------------------------------------------
    def _reset_set_counters(self) -> None:
        self._good = Counter()
        self._attempts = Counter()
        self._holds: list[float] = []
        self._fault_counts: Counter[str] = Counter()
        self._unchecked: dict[str, None] = {}  # faults some rep of the set could not judge, in order
        self._plank_good_s = 0.0
        self._last_good_form_s: float | None = None
        self._hold_now = 0.0
        self._said_hold: set[int] = set()
        self._active_faults: set[str] = set()
        self._good_since_praise = 0
        self._last_breathe_t: float | None = None
        self._set_start = 0.0

    def _say(self, text: str, kind: str, t: float) -> None:
        self._utter.append(Utterance(self._next_id, text, kind, t))
        self._next_id += 1
        self._utter_t = tuple(self._utter)

    def _enter(self, phase: Phase, t: float) -> None:
        self._phase, self._phase_t = phase, t
        self._history.append(phase)
        self._history_t = tuple(self._history)

    def _since(self, t: float) -> float:
        return t - (self._phase_t if self._phase_t is not None else t)

    # --- input (worker thread) ---------------------------------------------------------------
    def feed(self, t_s: float, verdict: FrameVerdict | None) -> None:
        """One frame's checker result (None: no analysis for this frame) at media time ``t_s``."""
        with self._lock:
            if self._phase in (Phase.DONE, Phase.STOPPED):
                return
            t = max(float(t_s), self._t)  # media time never runs backwards here
            self._t = t
            if self._phase_t is None:
                self._phase_t = t
            self._track_cue(t, verdict)
            step = {Phase.POSITION: self._position, Phase.COUNTDOWN: self._countdown, Phase.ACTIVE: self._active,
                    Phase.SET_COMPLETE: self._set_complete, Phase.REST: self._rest}[self._phase]
            step(t, verdict)
            self._publish()

    def _in_start_position(self, v: FrameVerdict | None) -> bool:
        return v is not None and v.judgeable and v.phase not in ("setup", "cant_judge")

    def _track_cue(self, t: float, v: FrameVerdict | None) -> None:
        cue = v.cue if v is not None else None
        if cue is None:
            if v is not None:  # the checker shows no cue now
                self._cue, self._last_cue_code = "", None
            return
        self._cue, self._cue_sev = cue.message, int(cue.severity)
        self._cue_msgs[cue.code] = cue.message
        new = cue.code != self._last_cue_code
        self._last_cue_code = cue.code
        if not new:
            return
        if cue.severity == Severity.SETUP and self._phase in (Phase.POSITION, Phase.COUNTDOWN):
            self._say(cue.message, "setup", t)  # what to change to be seen
        elif cue.severity >= Severity.WARNING and self._phase == Phase.ACTIVE:
            if t - self._last_correction_t >= self.policy.correction_cooldown_s:
                self._last_correction_t = t
                self._say(cue.message, "correction", t)

    def _position(self, t: float, v: FrameVerdict | None) -> None:
        if self._in_start_position(v):
            if self._ready_since is None:
                self._ready_since = t
            if t - self._ready_since >= self.policy.ready_s:
                self._ready_since = None
                self._said_count = -1
                self._enter(Phase.COUNTDOWN, t)
                self._countdown(t, v)
        else:
            self._ready_since = None

    def _countdown(self, t: float, v: FrameVerdict | None) -> None:
        if self._in_start_position(v):
            self._lost_since = None
        else:
            self._lost_since = t if self._lost_since is None else self._lost_since
            if t - self._lost_since >= self.policy.lost_s:
                self._lost_since = None
                self._say("I can't see you in position. Get back into position.", "info", t)
                self._enter(Phase.POSITION, t)
                return
        n = self.target.countdown_s
        left = n - int(self._since(t))
        if left > 0 and left != self._said_count:
            self._said_count = left
            self._say(str(left), "countdown", t)
        if left <= 0:
            self._say("Go!", "countdown", t)
            self._reset_set_counters()
            self._set_start = t
            self._last_good_form_s = v.good_form_s if v is not None else None
            self._enter(Phase.ACTIVE, t)

    def _active(self, t: float, v: FrameVerdict | None) -> None:
        if v is None:
            return
        tg, p = self.target, self.policy
        if tg.timed:
            if self._last_good_form_s is not None:
                self._plank_good_s += max(0.0, v.good_form_s - self._last_good_form_s)
            self._last_good_form_s = v.good_form_s
            for code in set(v.active_faults) - self._active_faults:
                self._fault_counts[code] += 1
            self._active_faults = set(v.active_faults)
            self._hold_now = self._plank_good_s
            left = tg.hold_s - self._plank_good_s
            for mark in p.plank_remaining_at_s:
                if mark < tg.hold_s and left <= mark and mark not in self._said_hold:
                    self._said_hold.add(mark)
                    if left > mark - 1:  # not when a long pause skipped past it
                        self._say(f"{mark} seconds left" if mark >= 5 else str(mark), "hold", t)
            self._breathe(t, v.phase == "holding")
            if self._plank_good_s >= tg.hold_s:
                self._finish_set(t, complete=True)
            return
        rec = v.rep_completed
        if rec is not None:
            self._rep(t, rec)
        in_hold = v.phase == "holding"
        self._hold_now = v.hold_s if in_hold else 0.0
        if in_hold:
            if not self._said_hold:
                self._said_hold.add(-1)
            left = tg.hold_s - v.hold_s
            if tg.hold_s >= p.rep_remaining_from_s + 1:
                for mark in range(p.rep_remaining_from_s, 0, -1):
                    if left <= mark and mark not in self._said_hold:
                        self._said_hold.add(mark)
                        if left > mark - 1:
                            self._say(str(mark), "hold", t)
            self._breathe(t, True)
        else:
            self._said_hold = set()
            self._last_breathe_t = None if v.phase == "rest" else self._last_breathe_t
        if all(self._good[s] >= tg.reps_per_side for s in SIDES):
            self._finish_set(t, complete=True)

    def _breathe(self, t: float, holding: bool) -> None:
        if not holding:
            return
        if self._last_breathe_t is None:
            self._last_breathe_t = t
        elif t - self._last_breathe_t >= self.policy.breathe_every_s:
            self._last_breathe_t = t
            self._say("Keep breathing.", "breathe", t)

    def _rep(self, t: float, rec: RepRecord) -> None:
        if rec.start_s < self._set_start - 0.25:
            return  # begun before "go": not part of the set
        self._attempts[rec.side] += 1
        self._holds.append(rec.hold_s)
        for f in {f.type for f in rec.faults}:
            self._fault_counts[f] += 1
        self._unchecked.update(dict.fromkeys(str(c) for c in rec.unchecked))
        if rec.verdict == RepVerdict.GOOD:
            self._good[rec.side] += 1
            self._good_since_praise += 1
            text = f"{self._good[rec.side]} {rec.side}."
            if self._good_since_praise >= self.policy.praise_every:
                self._good_since_praise = 0
                text += " Good."
            self._say(text, "count", t)
        else:
            self._good_since_praise = 0
            why = ", ".join(fault_words(f.type) for f in rec.faults) or "reach and hold in full"
            self._say(f"Not counted: {why}.", "count", t)

    def _finish_set(self, t: float, complete: bool) -> None:
        holds = self._holds
        top = self._fault_counts.most_common(1)
        work_on = WORK_ON.get(top[0][0], self._cue_msgs.get(top[0][0], "")) if top else ""
        s = SetSummary(
            index=self._set, start_s=self._set_start, end_s=t, complete=complete,
            reps_by_side={k: self._good[k] for k in SIDES} if not self.target.timed else {},
            attempts_by_side={k: self._attempts[k] for k in SIDES} if not self.target.timed else {},
            best_hold_s=max(holds, default=self._plank_good_s if self.target.timed else 0.0),
            avg_hold_s=sum(holds) / len(holds) if holds else (self._plank_good_s if self.target.timed else 0.0),
            good_hold_s=self._plank_good_s, faults=dict(self._fault_counts.most_common()),
            work_on=work_on or ("Keep it up." if complete else ""), not_checked=tuple(self._unchecked))
        self._sets.append(s)
        self._windows.append((self._set_start, t))
        self._say(s.spoken(self.target.timed), "summary", t)
        if not complete:
            return
        self._enter(Phase.SET_COMPLETE, t)

    def _set_complete(self, t: float, v: FrameVerdict | None) -> None:
        if self._since(t) < self.policy.set_complete_s:
            return
        if self._set >= self.target.sets:
            self._say("That's the whole session. Well done.", "info", t)
            self._enter(Phase.DONE, t)
            return
        self._enter(Phase.REST, t)
        self._said_count = -1
        self._say(f"Rest for {self.target.rest_s:.0f} seconds.", "rest", t)

    def _rest(self, t: float, v: FrameVerdict | None) -> None:
        left = self.target.rest_s - self._since(t)
        if 0 < left <= 10 and self._said_count != 10 and self.target.rest_s > 10:
            self._said_count = 10
            self._say("10 seconds of rest left.", "rest", t)
        if left <= 0:
            self._sets[-1] = replace(self._sets[-1], rest_s=self._since(t))
            self._set += 1
            self._reset_set_counters()
            self._say(f"Set {self._set}. Get into position.", "rest", t)
            self._enter(Phase.POSITION, t)

    # --- control (script thread) -------------------------------------------------------------
    def stop(self) -> None:
        """Stop now; a set in progress is summarised as stopped. Idempotent."""
        with self._lock:
            if self._phase in (Phase.DONE, Phase.STOPPED):
                return
            t = self._t
            if self._phase == Phase.ACTIVE:
                self._finish_set(t, complete=False)
            elif self._phase == Phase.REST and self._sets:
                self._sets[-1] = replace(self._sets[-1], rest_s=self._since(t))
            self._say("Stopped.", "info", t)
            self._enter(Phase.STOPPED, t)
            self._publish()

    def _publish(self) -> None:
        ph, tg, t = self._phase, self.target, self._t
        headline = PHASE_TITLES[ph]
        countdown_left = 0
        rest_left = 0.0
        if ph == Phase.COUNTDOWN:
            countdown_left = max(1, tg.countdown_s - int(self._since(t)))
            headline = "Get ready"
        elif ph == Phase.ACTIVE:
            headline = f"Set {self._set} of {tg.sets}" + (
                f": {max(0.0, tg.hold_s - self._plank_good_s):.0f} s to go" if tg.timed else "")
        elif ph == Phase.REST:
            rest_left = max(0.0, tg.rest_s - self._since(t))
            headline = f"Next: set {self._set + 1} of {tg.sets}"
        elif ph == Phase.SET_COMPLETE:
            headline = f"Set {self._set} of {tg.sets} complete" + (
                f" · next: {tg.rest_s:.0f} s rest" if self._set < tg.sets else "")
        elif ph == Phase.POSITION and self._set > 1:
            headline = f"Set {self._set} of {tg.sets}: get into position"
        self._status = GuidedStatus(
            phase=ph, target=tg, set_index=self._set,
            reps_by_side={k: self._good[k] for k in SIDES}, attempts_by_side={k: self._attempts[k] for k in SIDES},
            hold_s=self._hold_now, hold_target_s=tg.hold_s, countdown_left=countdown_left, rest_left_s=rest_left,
            headline=headline, cue=self._cue if ph in (Phase.POSITION, Phase.COUNTDOWN, Phase.ACTIVE) else "",
            cue_severity=self._cue_sev, utterances=self._utter_t, sets=tuple(self._sets), t_s=t,
            history=self._history_t)

    def status(self) -> GuidedStatus:
        with self._lock:
            return self._status

    def windows(self) -> list[tuple[float, float]]:
        """(start, end) media seconds of each set's counted part."""
        with self._lock:
            return list(self._windows)

    def session_summary(self, summary: ExerciseSummary) -> ExerciseSummary:
        """``summary`` (the whole stream's) cut to the reps and faults inside the sets, for history.

        Hold and good-form totals stay the stream's (the checker keeps only totals)."""
        wins = self.windows()

        def inside(a: float, b: float) -> bool:
            return any(a < w1 and b > w0 for w0, w1 in wins)

        reps = tuple(r for r in summary.reps if inside(r.start_s, r.end_s))
        by_side = dict(Counter(r.side for r in reps)) if not self.target.timed else dict(summary.reps_by_side)
        faults = tuple(f for f in summary.faults if inside(f.start_s, f.end_s))
        return replace(summary, reps=reps, reps_by_side=by_side, faults=faults)

    def details(self) -> dict[str, Any]:
        """The set structure for history (JSON-able)."""
        st = self.status()
        tg = self.target
        return {"guided": {
            "target": {"sets": tg.sets, "reps_per_side": tg.reps_per_side, "hold_s": tg.hold_s,
                       "rest_s": tg.rest_s, "level": tg.level},
            "outcome": st.phase.value, "sets": [s.to_dict() for s in st.sets]}}


__all__ = ["FAULT_WORDS", "PLANK_LEVELS", "PRESCRIPTIONS", "GuidedSet", "GuidedStatus", "Phase", "SetSummary",
           "SetTarget", "Utterance", "VoicePolicy", "fault_words", "prescription"]

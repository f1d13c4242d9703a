"""The page's state: one typed object kept in ``st.session_state[SESSION_KEY]``.

Nothing here imports Streamlit, so the state logic is testable on its own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from exercises.base import ExerciseSummary

from .live import LiveCoach
from .upload import UploadResult

SESSION_KEY = "formcoach"


class LiveSlot:
    """Holds the current stream's :class:`LiveCoach`; the webrtc callback goes through it.

    The callback object handed to streamlit-webrtc stays the same across reruns, and a new
    stream (START after STOP, or another exercise) gets a new coach, hence a new model.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._coach: LiveCoach | None = None

    @property
    def coach(self) -> LiveCoach | None:
        with self._lock:
            return self._coach

    def ensure(self, exercise: str, factory=LiveCoach) -> LiveCoach:
        """The coach for ``exercise``; a fresh one if none, finished, or unused for another exercise."""
        with self._lock:
            c = self._coach
            if c is None or c.finished or (c.exercise != exercise and not c.started):
                c = self._coach = factory(exercise)
            return c

    def __call__(self, frame):
        coach = self.coach
        if coach is None:
            return frame
        return coach(frame)


@dataclass
class LiveOutcome:
    exercise: str
    summary: ExerciseSummary | None
    duration_s: float
    session_id: int | None
    error: str | None = None
    guided: Any = None  # the formcoach.guided.GuidedStatus at the end, when the session was a guided one


@dataclass
class UploadOutcome:
    file_key: str
    exercise: str
    result: UploadResult
    session_id: int | None
    save_error: str | None = None


@dataclass
class CoachSession:
    """Everything the page remembers between reruns for one browser tab."""

    db_path: str
    live: LiveSlot = field(default_factory=LiveSlot)
    last_live: LiveOutcome | None = None
    upload: UploadOutcome | None = None
    upload_error: str | None = None
    pain_saved: dict[int, str | None] = field(default_factory=dict)  # session id -> stop advice shown

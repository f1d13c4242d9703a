"""The analysis report: what ``formcoach analyze --json`` writes and the app and history read.

Schema ``formcoach.report/1`` (documented in docs/report-schema.md). Times are seconds from the
start of the video; angles are degrees; sides are the person's own ``left``/``right``.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exercises.base import SAFETY_MESSAGE, ExerciseSummary, FrameVerdict, json_round
from exercises.pose import PoseFrame

from .atomic import write_text_atomic

SCHEMA = "formcoach.report/1"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class VideoMeta:
    file: str
    fps: float
    width: int
    height: int
    frames: int
    duration_s: float
    rotation_deg: int = 0
    skipped_frames: int = 0


@dataclass
class Report:
    """Result of analysing one video (or one live session).

    ``poses`` and ``verdicts`` are kept in memory for drawing and charts; they are not serialised
    (``--landmarks`` saves the poses separately).
    """

    video: VideoMeta
    model: str
    exercise: str | None
    exercise_source: str  # "given" | "recognised" | "none"
    frames: int
    detected_frames: int
    series: dict[str, list[float]]
    summary: ExerciseSummary | None = None
    warnings: list[str] = field(default_factory=list)
    poses: list[PoseFrame] = field(default_factory=list, repr=False)
    verdicts: list[FrameVerdict | None] = field(default_factory=list, repr=False)

    @property
    def detection_rate(self) -> float:
        return self.detected_frames / self.frames if self.frames else 0.0

    def to_dict(self) -> dict[str, Any]:
        s = self.summary.to_dict() if self.summary is not None else None  # the one summary record
        d: dict[str, Any] = {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "video": vars(self.video).copy(),
            "model": self.model,
            "exercise": self.exercise,
            "exercise_source": self.exercise_source,
            "frames": self.frames,
            "detected_frames": self.detected_frames,
            "detection_rate": round(self.detection_rate, 4),
            "reps": s["reps"] if s else [],
            "reps_by_side": s["reps_by_side"] if s else {"left": 0, "right": 0},
            "hold_s": s["hold_s"] if s else 0.0,
            "good_form_s": s["good_form_s"] if s else 0.0,
            "seconds_lost_by_fault": s["seconds_lost_by_fault"] if s else {},
            "faults": s["faults"] if s else [],
            "cues": s["cues"] if s else [],
            "cant_judge_s": s["cant_judge_s"] if s else 0.0,
            "extra": s["extra"] if s else {},
            "warnings": list(self.warnings),
            "safety": SAFETY_MESSAGE,
            "series": {k: [json_round(v, 2) for v in vals] for k, vals in self.series.items()},
        }
        return d

    def history_details(self, max_points: int = 600) -> dict[str, Any]:
        """What history keeps of the report: everything but ``series``, plus ``chart_series``, the
        time and key-angle series thinned to at most ``max_points`` samples (for the report's chart)."""
        d = self.to_dict()
        series = d.pop("series")
        keep = ["t_s", *[k for k in series if k.endswith("_deg")]]
        n = len(series.get("t_s", []))
        step = max(1, math.ceil(n / max_points)) if n else 1
        d["chart_series"] = {k: series[k][::step] for k in keep if k in series}
        return d

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def save_json(self, path: str | os.PathLike) -> Path:
        return write_text_atomic(path, self.to_json())




"""Draw the skeleton, the current cue and the counters onto a BGR frame.

Annotators keep their style in ``__init__`` and draw with ``annotate(scene, ...) -> scene``
(the scene is modified in place and returned). For a mirrored selfie view, flip the image first
and pass ``pose.mirrored()``; text is never mirrored.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from exercises.base import FrameVerdict, Severity
from exercises.pose import SKELETON_EDGES, Landmark, PoseFrame

BGR = tuple[int, int, int]

SEVERITY_COLOURS: dict[Severity, BGR] = {
    Severity.POSITIVE: (80, 200, 80),
    Severity.INFO: (230, 200, 60),
    Severity.SETUP: (0, 200, 255),
    Severity.WARNING: (40, 40, 230),
    Severity.STOP: (0, 0, 200),
}

_BODY = tuple(lm for lm in Landmark if lm >= Landmark.LEFT_SHOULDER) + (Landmark.NOSE,)


def _ascii(text: str) -> str:
    """OpenCV's Hershey fonts draw ASCII only."""
    return text.replace("\u2013", "-").replace("\u2014", "-").replace("\u00b0", " deg").encode(
        "ascii", "replace").decode()


@dataclass
class SkeletonAnnotator:
    """Skeleton edges and joints; landmarks under ``min_visibility`` are drawn faint or skipped."""

    colour: BGR = (255, 255, 255)
    left_colour: BGR = (255, 170, 60)  # person's left: blue-ish
    right_colour: BGR = (60, 200, 255)  # person's right: amber
    thickness: int = 0  # 0 = scale with image size
    min_visibility: float = 0.3

    def annotate(self, scene: np.ndarray, pose: PoseFrame) -> np.ndarray:
        if not pose.detected:
            return scene
        h, w = scene.shape[:2]
        t = self.thickness or max(2, round(min(w, h) / 160))
        xy = pose.xy
        ok = (pose.visibility >= self.min_visibility) & np.isfinite(xy).all(axis=1)
        for a, b in SKELETON_EDGES:
            if ok[a] and ok[b]:
                name = a.name + b.name
                col = self.left_colour if name.count("LEFT") == 2 else (
                    self.right_colour if name.count("RIGHT") == 2 else self.colour)
                cv2.line(scene, _pt(xy[a]), _pt(xy[b]), col, t, cv2.LINE_AA)
        for lm in _BODY:
            if ok[lm]:
                cv2.circle(scene, _pt(xy[lm]), t + 1, (30, 30, 30), -1, cv2.LINE_AA)
                cv2.circle(scene, _pt(xy[lm]), t, self.colour, -1, cv2.LINE_AA)
        return scene


@dataclass
class CoachAnnotator:
    """Cue banner (top), counters and hold timer (bottom-left), "can't judge" state."""

    font_scale: float = 0.0  # 0 = scale with image width

    def annotate(self, scene: np.ndarray, verdict: FrameVerdict | None, *, timed: bool = False,
                 title: str = "") -> np.ndarray:
        h, w = scene.shape[:2]
        fs = self.font_scale or max(0.45, w / 1100)
        th = max(1, round(fs * 2))
        if verdict is not None and verdict.cue is not None:
            col = SEVERITY_COLOURS.get(verdict.cue.severity, (255, 255, 255))
            y = 10
            for line in _wrap(_ascii(verdict.cue.message), fs * 1.1, th, w - 36)[:3]:
                y = self._banner(scene, line, (10, y), fs * 1.1, th, col)
        lines = []
        if title:
            lines.append(title)
        if verdict is not None:
            if not verdict.judgeable:
                lines.append("Can't judge from this view")
            if timed:
                lines.append(f"Hold {verdict.hold_s:5.1f} s   good form {verdict.good_form_s:5.1f} s")
            else:
                r = verdict.reps_by_side
                lines.append(f"Reps  L {r.get('left', 0)}   R {r.get('right', 0)}")
                if verdict.hold_s > 0:
                    lines.append(f"Hold {verdict.hold_s:4.1f} s")
        y = h - 12
        for line in reversed(lines):
            (_, lh), _ = cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, fs, th)
            self._banner(scene, _ascii(line), (10, y - lh - 10), fs, th, (255, 255, 255))
            y -= lh + 22
        return scene

    @staticmethod
    def _banner(scene: np.ndarray, text: str, org: tuple[int, int], fs: float, th: int, colour: BGR) -> int:
        """Draw ``text`` on a darkened box at ``org``; return the y just below the box."""
        (tw, tht), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, fs, th)
        x, y = org
        x2, y2 = min(scene.shape[1] - 1, x + tw + 16), y + tht + base + 12
        roi = scene[y:y2, x:x2]
        if roi.size:
            roi[:] = (roi * 0.35).astype(scene.dtype)  # darkened box behind the text
        cv2.putText(scene, text, (x + 8, y + tht + 6), cv2.FONT_HERSHEY_SIMPLEX, fs, colour, th, cv2.LINE_AA)
        return y2


@functools.lru_cache(maxsize=256)  # the same few cues are drawn on every frame
def _wrap(text: str, fs: float, th: int, max_width_px: int) -> tuple[str, ...]:
    """Split ``text`` into lines no wider than ``max_width_px`` (a single long word stays whole)."""
    lines: list[str] = []
    for word in text.split():
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and cv2.getTextSize(trial, cv2.FONT_HERSHEY_SIMPLEX, fs, th)[0][0] <= max_width_px:
            lines[-1] = trial
        else:
            lines.append(word)
    return tuple(lines)


def _pt(p: np.ndarray) -> tuple[int, int]:
    return int(round(p[0])), int(round(p[1]))

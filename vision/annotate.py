"""Draw the skeleton, the current cue and the counters onto a BGR frame.

Annotators keep their style in ``__init__`` and draw with ``annotate(scene, ...) -> scene``
(the scene is modified in place and returned). For a mirrored selfie view, flip the image first
and pass ``pose.mirrored()``; text is never mirrored.
"""

from __future__ import annotations

import functools
import math
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


CUE_TEXT_COLOURS: dict[Severity, BGR] = {  # on a near-black box: all high contrast
    Severity.POSITIVE: (110, 235, 110),
    Severity.INFO: (255, 255, 255),
    Severity.SETUP: (255, 235, 120),
    Severity.WARNING: (0, 220, 255),
    Severity.STOP: (90, 90, 255),
}


@dataclass
class CoachAnnotator:
    """The cue (large, wrapped, up to 3 lines) and the counters/hold timer, on opaque dark boxes.

    Text never covers the person: with ``pose`` given, the cue and the counters go in the free band
    above or below the body (the cue in the larger one), shrinking the type if a band is too small;
    only when no band can hold them even at the smallest size do they overlap (in the larger band).
    """

    font_scale: float = 0.0  # 0 = scale with image width (0.9 at 640 px wide)
    min_font_scale: float = 0.45
    box_alpha: float = 0.82  # how dark the box behind the text is (1 = black)

    def annotate(self, scene: np.ndarray, verdict: FrameVerdict | None, *, timed: bool = False,
                 title: str = "", pose: PoseFrame | None = None) -> np.ndarray:
        h, w = scene.shape[:2]
        cue = verdict.cue if verdict is not None else None
        counters = _ascii("   ".join(self._counter_lines(verdict, timed, title)))
        body = _body_rows(pose, h)
        top_free = h if body is None else body[0]
        bottom_free = h if body is None else h - body[1]
        fs = self.font_scale or max(self.min_font_scale, 0.9 * w / 640)
        plan = None
        while plan is None:
            th = max(2, round(fs * 2.2))
            cue_lines = _wrap(_ascii(cue.message), fs, th, w - 36)[:3] if cue is not None else ()
            count_lines = _wrap(counters, fs * 0.8, max(1, th - 1), w - 36)[:2] if counters else ()
            ch = _block_height(cue_lines, fs, th)
            kh = _block_height(count_lines, fs * 0.8, max(1, th - 1))
            options = [("top", "bottom"), ("bottom", "top")] if top_free >= bottom_free else \
                [("bottom", "top"), ("top", "bottom")]
            room = {"top": top_free, "bottom": bottom_free}
            for c_band, k_band in options:
                if ch <= room[c_band] and kh <= room[k_band]:
                    plan = (c_band, k_band)
                    break
            else:
                big = options[0][0]
                if ch + kh <= room[big]:
                    plan = (big, big)
                elif fs * 0.85 >= self.min_font_scale:
                    fs *= 0.85
                else:
                    plan = (big, big)  # nothing fits: the larger band, overlapping as little as possible
        c_band, k_band = plan
        colour = CUE_TEXT_COLOURS.get(cue.severity, (255, 255, 255)) if cue is not None else (255, 255, 255)
        if c_band == k_band:  # one band: the cue nearest the frame's edge, the counters inside it
            blocks = [(cue_lines, fs, th, colour), (count_lines, fs * 0.8, max(1, th - 1), (255, 255, 255))]
            if c_band == "bottom":
                blocks.reverse()
            self._stack(scene, blocks, c_band)
        else:
            self._stack(scene, [(cue_lines, fs, th, colour)], c_band)
            self._stack(scene, [(count_lines, fs * 0.8, max(1, th - 1), (255, 255, 255))], k_band)
        return scene

    @staticmethod
    def _counter_lines(verdict: FrameVerdict | None, timed: bool, title: str) -> list[str]:
        lines = [title] if title else []
        if verdict is not None:
            if not verdict.judgeable:
                lines.append("Can't judge from this view")
            if timed:
                lines.append(f"Hold {verdict.hold_s:.1f} s  good form {verdict.good_form_s:.1f} s")
            else:
                r = verdict.reps_by_side
                lines.append(f"Reps L {r.get('left', 0)}  R {r.get('right', 0)}")
                if verdict.hold_s > 0:
                    lines.append(f"Hold {verdict.hold_s:.1f} s")
        return lines

    def _stack(self, scene: np.ndarray, blocks, band: str) -> None:
        h = scene.shape[0]
        y = 4 if band == "top" else h - 4 - sum(_block_height(b[0], b[1], b[2]) for b in blocks)
        for lines, fs, th, colour in blocks:
            for line in lines:
                y = self._banner(scene, line, (10, y), fs, th, colour)

    def _banner(self, scene: np.ndarray, text: str, org: tuple[int, int], fs: float, th: int, colour: BGR) -> int:
        """Draw ``text`` on a dark box at ``org``; return the y just below the box."""
        (tw, tht), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, fs, th)
        x, y = org
        x2, y2 = min(scene.shape[1] - 1, x + tw + 16), y + _line_height(fs, th)
        roi = scene[max(0, y):y2, x:x2]
        if roi.size:
            roi[:] = (roi * (1.0 - self.box_alpha)).astype(scene.dtype)
        cv2.putText(scene, text, (x + 8, y + tht + 7), cv2.FONT_HERSHEY_SIMPLEX, fs, colour, th, cv2.LINE_AA)
        return y2


@functools.lru_cache(maxsize=64)
def _line_height(fs: float, th: int) -> int:
    (_, tht), base = cv2.getTextSize("Ag", cv2.FONT_HERSHEY_SIMPLEX, fs, th)
    return tht + base + 14


def _block_height(lines, fs: float, th: int) -> int:
    return len(lines) * _line_height(fs, th) + (6 if lines else 0)


def _body_rows(pose: PoseFrame | None, h: int, min_visibility: float = 0.3) -> tuple[int, int] | None:
    """The rows the person covers (visible landmarks, padded by 4 % of the height), or None."""
    if pose is None or not pose.detected:
        return None
    y = pose.xy[:, 1]
    ok = (pose.visibility >= min_visibility) & np.isfinite(y)
    if not ok.any():
        return None
    pad = 0.04 * h
    return max(0, int(y[ok].min() - pad)), min(h, int(math.ceil(y[ok].max() + pad)))


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

"""Key frames of an analysed video, for the physiotherapist's report: small annotated JPEG stills.

* **fault**: for each fault type, the frame where its angle strayed furthest from the set's typical
  value while the fault was active (the middle of its longest interval when its angle is not
  among the frame metrics);
* **best**: rep exercises, the middle of the good rep with the longest hold (the frame of fullest
  reach); plank, the furthest-in frame of the hold with good form.

They are taken when the video is analysed (upload page, ``formcoach analyze --save``) and stored in
the history file (about 20-40 kB each, at most one per fault type plus one), so the report works
after the video itself is deleted. Live sessions keep no pictures, so their reports have none.
Frame pictures are BGR; the skeleton and the cue of that moment are drawn on them.
"""

from __future__ import annotations

import math
import os
import statistics
from dataclasses import dataclass

import cv2
import numpy as np

from exercises.base import RepVerdict
from vision.annotate import CoachAnnotator, SkeletonAnnotator
from vision.source import VideoFileSource

from .history import KeyFrame
from .report import Report

# fault code -> the frame metric whose deviation shows it (names from the checkers' FrameVerdict.metrics)
FAULT_METRIC = {
    "hip_sag": "hip_deviation_deg", "hip_pike": "hip_deviation_deg", "head_drop": "head_drop_deg",
    "low_back_arch": "arch_deg", "leg_drop": "leg_elevation_deg",
    "hip_rotation": "hip_roll_deg", "leg_too_high": "leg_elevation_deg", "back_sag": "back_bend_deg",
    "back_arch": "back_bend_deg",
}
MAX_WIDTH_PX = 480
JPEG_QUALITY = 80


@dataclass(frozen=True)
class Pick:
    frame: int
    kind: str  # "fault" | "best"
    label: str

    def t_s(self, report: Report) -> float:
        return report.poses[self.frame].timestamp_s


def _metric(report: Report, i: int, name: str) -> float:
    v = report.verdicts[i] if i < len(report.verdicts) else None
    x = v.metrics.get(name, math.nan) if v is not None else math.nan
    return float(x)


def pick_frames(report: Report) -> list[Pick]:
    """Which frames to keep (see the module docstring). Empty without a summary or poses."""
    s = report.summary
    n = min(len(report.poses), len(report.verdicts))
    if s is None or n == 0:
        return []
    times = [p.timestamp_s for p in report.poses[:n]]
    picks: list[Pick] = []
    for ftype in dict.fromkeys(f.type for f in s.faults):
        ivs = [f for f in s.faults if f.type == ftype]
        worst_deg = max(f.magnitude_deg for f in ivs)
        active = [i for i in range(n) if report.verdicts[i] is not None and ftype in report.verdicts[i].active_faults]
        name = FAULT_METRIC.get(ftype)
        best_i = None
        if name and active:
            vals = [_metric(report, i, name) for i in range(n)]
            finite = [v for v in vals if math.isfinite(v)]
            if finite:
                typical = statistics.median(finite)
                scored = [(abs(vals[i] - typical), i) for i in active if math.isfinite(vals[i])]
                if scored:
                    best_i = max(scored)[1]
        if best_i is None:
            longest = max(ivs, key=lambda f: f.end_s - f.start_s)
            mid = (longest.start_s + longest.end_s) / 2
            best_i = min(range(n), key=lambda i: abs(times[i] - mid))
        picks.append(Pick(best_i, "fault", f"{ftype.replace('_', ' ')} (worst {worst_deg:.0f} deg) "
                                           f"at {times[best_i]:.1f} s"))
    good = [r for r in s.reps if r.verdict is RepVerdict.GOOD]
    if good:
        rep = max(good, key=lambda r: r.hold_s)
        inside = [i for i in range(n) if rep.start_s <= times[i] <= rep.end_s]
        if inside:
            ext = [(_metric(report, i, "extension_frac"), i) for i in inside]
            ext = [(v, i) for v, i in ext if math.isfinite(v)]
            i = max(ext)[1] if ext else inside[len(inside) // 2]
            picks.append(Pick(i, "best", f"best rep: {rep.side}, held {rep.hold_s:.1f} s at {times[i]:.1f} s"))
    elif not s.reps:
        clean = [i for i in range(n) if report.verdicts[i] is not None and report.verdicts[i].judgeable
                 and not report.verdicts[i].active_faults and report.verdicts[i].hold_s > 0]
        if clean:
            i = max(clean, key=lambda i: report.verdicts[i].hold_s)
            picks.append(Pick(i, "best", f"good line, {report.verdicts[i].hold_s:.0f} s into the hold "
                                         f"at {times[i]:.1f} s"))
    return picks


def render(image_bgr: np.ndarray, report: Report, i: int) -> bytes:
    """Draw the skeleton and the cue of frame ``i``, shrink to MAX_WIDTH_PX, encode as JPEG."""
    img = image_bgr.copy()
    SkeletonAnnotator().annotate(img, report.poses[i])
    CoachAnnotator().annotate(img, report.verdicts[i], timed=not (report.summary and report.summary.reps),
                              pose=report.poses[i])  # the cue is placed off the body
    h, w = img.shape[:2]
    if w > MAX_WIDTH_PX:
        img = cv2.resize(img, (MAX_WIDTH_PX, round(h * MAX_WIDTH_PX / w)), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("could not encode a key frame")
    return buf.tobytes()


def extract(video_path: str | os.PathLike, report: Report) -> tuple[KeyFrame, ...]:
    """Decode ``video_path`` once, up to the last picked frame, and return the key frames."""
    picks = pick_frames(report)
    if not picks:
        return ()
    want: dict[int, list[Pick]] = {}
    for p in picks:
        want.setdefault(p.frame, []).append(p)
    got: dict[int, bytes] = {}
    last = max(want)
    source = VideoFileSource(video_path, max_side_px=max(report.video.width, report.video.height))
    with source:
        for frame in source:
            if frame.index in want:
                got[frame.index] = render(frame.image, report, frame.index)
            if frame.index >= last:
                break
    return tuple(KeyFrame(p.kind, p.label, round(p.t_s(report), 3), got[p.frame]) for p in picks if p.frame in got)

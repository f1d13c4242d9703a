"""Analyse one uploaded video for the page: validation, a private temp dir, cleanup, downloads.

Privacy rules kept here (and tested):

* the uploaded file's *name* is only ever displayed; every path is chosen by formcoach
  (``upload<suffix>`` in a fresh temporary directory; kept videos get a random name);
* the temporary directory is always deleted, and the video is kept only when the caller passes
  ``keep_dir`` (the user ticked "keep the video");
* a process killed mid-upload (SIGKILL, power cut) cannot delete its folder, so each folder records
  its owner (pid and process start time) and :func:`clean_stale_uploads` removes the folders of owners
  that are gone: when this module is first imported (the app's start) and before each upload.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import shutil
import stat
import tempfile
import time
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from exercises.base import ExerciseSummary
from vision.source import VideoError  # noqa: F401 - re-exported for callers

from .chunked import analyze_upload_video
from .engine import USER_ERRORS, AnalysisError, AnalysisOptions, write_annotated_video
from .guided import fault_words
from .history import History, KeyFrame
from .keyframes import extract as extract_keyframes
from .report import Report

MAX_UPLOAD_MB = 200  # keep equal to server.maxUploadSize in .streamlit/config.toml
UPLOAD_PREFIX = "formcoach-upload-"  # the temporary folders' names: $TMPDIR/formcoach-upload-<random>
OWNER_FILE = "owner"  # in each folder: "<pid> <process start time>" of the process using it
OWNERLESS_STALE_S = 3600.0  # a folder without an owner file (older formcoach) is stale after an hour
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi")
Progress = Callable[[float, str], None]


class UploadError(Exception):
    """The upload cannot be analysed (one-line message for the user)."""


@dataclass(frozen=True)
class UploadResult:
    display_name: str  # the user's file name, cleaned, for display only
    report: Report
    annotated_mp4: bytes
    kept_video: Path | None
    keyframes: tuple[KeyFrame, ...] = ()  # annotated stills for the session report (formcoach.keyframes)

    @property
    def report_json(self) -> str:
        return self.report.to_json()

    @property
    def table_csv(self) -> str:
        """Reps (dead bug, bird-dog), else the fault intervals (plank); header only when there are none."""
        s = self.report.summary
        return rows_to_csv(rep_rows(s)) or rows_to_csv(fault_rows(s)) or "no reps or faults found\n"


def display_name(name: str | None, max_len: int = 80) -> str:
    """The last path component of a browser-supplied name, printable, shortened. Display only."""
    name = name or "video"
    base = PureWindowsPath(PurePosixPath(name).name).name  # strip both kinds of directories
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C")
    base = base.strip().strip(".") or "video"
    if len(base) <= max_len:
        return base
    suffix = Path(base).suffix
    suffix = suffix if len(suffix) <= 8 else ""  # the type stays visible (and checkable) when shortened
    return base[: max_len - 1 - len(suffix)] + "\u2026" + suffix


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^&\"'])")


def markdown_literal(text: str) -> str:
    """``text`` for a Markdown element (``st.error``, ``st.subheader``) so that it shows as typed: every
    ASCII punctuation mark that Markdown, HTML, LaTeX (``$``) or Streamlit's ``:colour[...]`` and
    ``:emoji:`` directives could read is backslash-escaped (CommonMark shows ``\\x`` as ``x``)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def check_upload(name: str | None, size: int, max_mb: int = MAX_UPLOAD_MB) -> str:
    """Validate name and size; return the suffix formcoach will use for its own temp file."""
    shown = display_name(name)
    if size <= 0:
        raise UploadError(f"{shown}: the file is empty")
    if size > max_mb * 1024 * 1024:
        raise UploadError(f"{shown}: {size / 1048576:.0f} MB is over the {max_mb} MB limit; "
                          "trim the video to the set you want checked")
    suffix = Path(shown).suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        raise UploadError(f"{shown}: not a video file formcoach reads (use {', '.join(VIDEO_SUFFIXES)})")
    return suffix


def analyse_upload(data: bytes, name: str | None, exercise: str, *, keep_dir: Path | None = None,
                   progress: Progress | None = None, options: AnalysisOptions | None = None) -> UploadResult:
    """Analyse ``data`` (the uploaded bytes) and draw the annotated H.264 video.

    Raises :class:`UploadError` with a one-line message for anything the user can fix.
    """
    suffix = check_upload(name, len(data))
    shown = display_name(name)
    report_progress = progress or (lambda f, s: None)
    options = options or AnalysisOptions(exercise=exercise)
    clean_stale_uploads()
    with tempfile.TemporaryDirectory(prefix=UPLOAD_PREFIX) as td:
        (Path(td) / OWNER_FILE).write_text(_owner_id(os.getpid()))
        src = Path(td) / f"upload{suffix}"
        src.write_bytes(data)
        try:
            report = analyze_upload_video(src, options, progress=lambda f, s: report_progress(0.75 * f, s))
            out = write_annotated_video(src, report, Path(td) / "annotated.mp4",
                                        progress=lambda f, s: report_progress(0.75 + 0.22 * f, s))
            report_progress(0.97, "Key frames for the report")
            stills = extract_keyframes(src, report)
        except (*USER_ERRORS, AnalysisError) as e:
            msg = str(e).replace(str(src), shown).replace(src.name, shown)
            raise UploadError(msg.splitlines()[0] if msg else f"{shown}: cannot be analysed") from None
        annotated = out.read_bytes()
        kept = None
        if keep_dir is not None:
            keep_dir = Path(keep_dir)
            keep_dir.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            kept = keep_dir / f"{stamp}-{uuid.uuid4().hex[:8]}-annotated.mp4"
            kept.write_bytes(annotated)
    report_progress(1.0, "Done")
    return UploadResult(shown, report, annotated, kept, stills)


# --- leftovers of killed processes ------------------------------------------------------------

def kept_videos_dir(db_path: str | os.PathLike) -> Path:
    """Where kept (annotated) upload videos live: ``videos/`` beside the history file."""
    return Path(db_path).parent / "videos"


def delete_session(history: History, session_id: int, db_path: str | os.PathLike) -> bool:
    """Delete a session from ``history`` and its kept video. Returns False when the session did not exist.

    The video is removed only when it is formcoach's own: a regular file directly inside
    :func:`kept_videos_dir` (a path in a damaged or edited history file never deletes anything else).
    """
    row = history.get(session_id)
    if row is None or not history.delete_session(session_id):
        return False
    if row.video_path:
        video = Path(row.video_path)
        try:
            own = (video.parent.resolve() == kept_videos_dir(db_path).resolve()
                   and stat.S_ISREG(video.lstat().st_mode))
        except OSError:  # already gone
            own = False
        if own:
            video.unlink(missing_ok=True)
    return True


def _owner_id(pid: int) -> str:
    """``"<pid> <start time>"``: the start time (Linux /proc, clock ticks since boot) tells a reused pid
    from the process that made the folder; "-" where /proc is unavailable."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
        start = stat_line[stat_line.rindex(")") + 2:].split()[19]
    except (OSError, ValueError, IndexError):
        start = "-"
    return f"{pid} {start}"


def _owner_alive(owner: str) -> bool:
    try:
        pid = int(owner.split()[0])
    except (ValueError, IndexError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        pass
    started = owner.split()[1] if len(owner.split()) > 1 else "-"
    return started == "-" or _owner_id(pid) == owner


def clean_stale_uploads(tmp_dir: str | os.PathLike | None = None) -> list[Path]:
    """Delete formcoach's own upload folders whose process is gone; return the ones deleted.

    Only real folders (not symlinks) named ``formcoach-upload-*`` and owned by this user are looked at.
    A folder is stale when its owner process no longer runs, or, without an owner file, when it is
    older than :data:`OWNERLESS_STALE_S`. Errors are ignored: cleaning never stops an upload.
    """
    root = Path(tmp_dir if tmp_dir is not None else tempfile.gettempdir())
    removed = []
    try:
        candidates = list(root.glob(UPLOAD_PREFIX + "*"))
    except OSError:
        return removed
    for d in candidates:
        try:
            st = d.lstat()
            if not stat.S_ISDIR(st.st_mode) or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
                continue
            owner_file = d / OWNER_FILE
            if owner_file.is_file():
                stale = not _owner_alive(owner_file.read_text())
            else:
                stale = time.time() - st.st_mtime > OWNERLESS_STALE_S
        except OSError:
            continue
        if stale:
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed


# --- tables ------------------------------------------------------------------------------------

def rep_rows(summary: ExerciseSummary | None) -> list[dict[str, Any]]:
    """One row per rep: side, duration, hold, faults, faults it could not check, verdict, coaching
    (seconds, 1 decimal)."""
    if summary is None:
        return []
    return [{"rep": i + 1, "side": r.side, "start_s": round(r.start_s, 1),
             "duration_s": round(r.end_s - r.start_s, 1), "hold_s": round(r.hold_s, 1),
             "faults": ", ".join(sorted({fault_words(f.type) for f in r.faults})) or "-",
             "not_checked": ", ".join(fault_words(c) for c in r.unchecked) or "-",
             **({"lowest_leg_deg": r.lowest_leg_deg} if summary.exercise == "dead_bug" else {}),
             "verdict": r.verdict.value, "coaching": r.coaching}
            for i, r in enumerate(summary.reps)]


def fault_rows(summary: ExerciseSummary | None) -> list[dict[str, Any]]:
    if summary is None:
        return []
    return [{"fault": fault_words(f.type), "from_s": round(f.start_s, 1), "to_s": round(f.end_s, 1),
             "seconds": round(f.end_s - f.start_s, 1), "worst_deg": round(f.magnitude_deg, 1)}
            for f in summary.faults]


def rows_to_csv(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()})
    return buf.getvalue()


clean_stale_uploads()  # at start: the raw videos of uploads a killed process left behind

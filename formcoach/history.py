"""Session history in one SQLite file: crash-safe, versioned, local.

* Where: ``FORMCOACH_DB`` if set, else ``<user data dir>/formcoach/history.sqlite3``
  (platformdirs), or any path the caller passes (the page has a setting).
* Crash safety: WAL journal, ``synchronous=FULL``, and every session (its row, its reps and its
  faults) is written in **one** ``BEGIN IMMEDIATE`` transaction. A process killed at any moment
  leaves each session either complete or absent; ``sessions.rep_count``/``fault_count`` let a
  reader (and the tests) verify that nothing is partial.
* Schema version in ``PRAGMA user_version``; :data:`MIGRATIONS` step it up one version at a
  time, each step in its own transaction. A file newer than this code is refused, not touched.

Times are UTC ISO-8601 strings; durations are seconds; sides are the person's own left/right.
"""

from __future__ import annotations

import functools
import json
import math
import os
import sqlite3
import statistics
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from exercises.base import ExerciseSummary, RepVerdict

DB_ENV = "FORMCOACH_DB"
DB_FILENAME = "history.sqlite3"
PAIN_MIN, PAIN_MAX = 0, 10


class HistoryError(Exception):
    """The history file cannot be used (one-line message for the user)."""


def default_db_path() -> Path:
    """``FORMCOACH_DB`` if set, else the platform's per-user data directory."""
    env = os.environ.get(DB_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("formcoach", appauthor=False)) / DB_FILENAME


# --- schema ------------------------------------------------------------------------------------

def _v1(con: sqlite3.Connection) -> None:
    con.execute("""
        CREATE TABLE sessions (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at    TEXT NOT NULL,
            exercise      TEXT NOT NULL,
            source        TEXT NOT NULL CHECK (source IN ('live', 'upload')),
            duration_s    REAL NOT NULL,
            reps_left     INTEGER NOT NULL,
            reps_right    INTEGER NOT NULL,
            hold_s        REAL NOT NULL,
            good_form_s   REAL NOT NULL,
            cant_judge_s  REAL NOT NULL,
            rep_count     INTEGER NOT NULL,
            details_json  TEXT NOT NULL
        )""")
    con.execute("""
        CREATE TABLE reps (
            session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            idx         INTEGER NOT NULL,
            side        TEXT NOT NULL,
            start_s     REAL NOT NULL,
            end_s       REAL NOT NULL,
            hold_s      REAL NOT NULL,
            verdict     TEXT NOT NULL,
            faults      TEXT NOT NULL,
            coaching    TEXT NOT NULL,
            PRIMARY KEY (session_id, idx)
        )""")
    con.execute("CREATE INDEX sessions_created ON sessions(created_at)")


def _v2(con: sqlite3.Connection) -> None:
    """Pain before/after (0-10) with sharp/radiating flags; fault intervals; kept-video path."""
    for col in ("pain_before INTEGER", "pain_after INTEGER", "pain_sharp INTEGER NOT NULL DEFAULT 0",
                "pain_radiating INTEGER NOT NULL DEFAULT 0", "fault_count INTEGER NOT NULL DEFAULT 0",
                "fault_rate REAL", "video_path TEXT"):
        con.execute(f"ALTER TABLE sessions ADD COLUMN {col}")
    con.execute("""
        CREATE TABLE faults (
            session_id    INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            idx           INTEGER NOT NULL,
            type          TEXT NOT NULL,
            magnitude_deg REAL NOT NULL,
            start_s       REAL NOT NULL,
            end_s         REAL NOT NULL,
            PRIMARY KEY (session_id, idx)
        )""")
    # v1 sessions had no fault table: their rate is derived from the reps they have.
    con.execute("""
        UPDATE sessions SET fault_rate = (
            SELECT CAST(SUM(r.verdict = 'fault') AS REAL) / COUNT(*) FROM reps r WHERE r.session_id = sessions.id)
        WHERE rep_count > 0""")


def _v3(con: sqlite3.Connection) -> None:
    """Plans (each import kept; the newest is in force), 24-hour check-ins, and key frames (JPEG) per session."""
    con.execute("""
        CREATE TABLE plans (
            id           INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at   TEXT NOT NULL,
            origin       TEXT NOT NULL,
            plan_json    TEXT NOT NULL
        )""")
    con.execute("""
        CREATE TABLE checkins (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            day             TEXT NOT NULL,
            created_at      TEXT NOT NULL,
            answer          TEXT NOT NULL CHECK (answer IN ('worse', 'same', 'better')),
            seen_clinician  INTEGER NOT NULL DEFAULT 0
        )""")
    con.execute("CREATE INDEX checkins_day ON checkins(day)")
    con.execute("""
        CREATE TABLE keyframes (
            session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            idx         INTEGER NOT NULL,
            kind        TEXT NOT NULL CHECK (kind IN ('fault', 'best')),
            label       TEXT NOT NULL,
            t_s         REAL NOT NULL,
            jpeg        BLOB NOT NULL,
            PRIMARY KEY (session_id, idx)
        )""")


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_v1, _v2, _v3)  # MIGRATIONS[i]: i -> i+1
SCHEMA_VERSION = len(MIGRATIONS)


# --- records -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class KeyFrame:
    """A small annotated still of a session: the worst frame of a fault, or the best rep/hold."""

    kind: str  # "fault" | "best"
    label: str  # e.g. "hip sag (worst 14 deg)" or "best rep: left, 3.1 s hold"
    t_s: float  # seconds from the start of the video
    jpeg: bytes


@dataclass(frozen=True)
class NewSession:
    """A finished set, ready to store. Build it with :meth:`from_summary`."""

    exercise: str
    source: str  # "live" | "upload"
    duration_s: float
    summary: ExerciseSummary
    details: Mapping[str, Any] = field(default_factory=dict)  # JSON-able (report without series)
    pain_before: int | None = None
    created_at: datetime | None = None
    video_path: str | None = None
    keyframes: tuple[KeyFrame, ...] = ()

    @classmethod
    def from_summary(cls, summary: ExerciseSummary, *, source: str, duration_s: float,
                     details: Mapping[str, Any] | None = None, pain_before: int | None = None,
                     created_at: datetime | None = None, video_path: str | None = None,
                     keyframes: Sequence[KeyFrame] = ()) -> NewSession:
        return cls(summary.exercise, source, float(duration_s), summary, details or {}, pain_before,
                   created_at, video_path, tuple(keyframes))


@dataclass(frozen=True)
class SessionRow:
    id: int
    created_at: datetime
    exercise: str
    source: str
    duration_s: float
    reps_left: int
    reps_right: int
    hold_s: float
    good_form_s: float
    cant_judge_s: float
    rep_count: int
    fault_count: int
    fault_rate: float | None
    pain_before: int | None
    pain_after: int | None
    pain_sharp: bool
    pain_radiating: bool
    video_path: str | None

    @property
    def reps(self) -> int:
        return self.reps_left + self.reps_right


@dataclass(frozen=True)
class RepRow:
    idx: int
    side: str
    start_s: float
    end_s: float
    hold_s: float
    verdict: str
    faults: tuple[str, ...]
    coaching: str

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def fault_rate(summary: ExerciseSummary) -> float | None:
    """Share of reps with a fault (rep exercises) or of in-position time lost to faults (holds)."""
    if summary.reps:
        return sum(r.verdict is RepVerdict.FAULT for r in summary.reps) / len(summary.reps)
    if summary.hold_s > 0:
        return min(1.0, max(0.0, 1.0 - summary.good_form_s / summary.hold_s))
    return None


def _check_pain(name: str, v: int | None) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool) or int(v) != v or not PAIN_MIN <= v <= PAIN_MAX:
        raise ValueError(f"{name} must be an integer {PAIN_MIN}-{PAIN_MAX} or None, got {v!r}")
    return int(v)


def _finite(v: float) -> float:
    v = float(v)
    return v if math.isfinite(v) else 0.0


def _utc(dt: datetime | None) -> str:
    dt = dt or datetime.now(timezone.utc)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds")


# --- the store ---------------------------------------------------------------------------------

class History:
    """One history file. Cheap to open; open one per thread (sqlite3 connections are per thread).

    >>> with History(tmp_path / "h.sqlite3") as h:          # doctest: +SKIP
    ...     sid = h.save_session(NewSession.from_summary(summary, source="upload", duration_s=31.0))
    """

    def __init__(self, path: str | os.PathLike | None = None, *, timeout_s: float = 10.0) -> None:
        self.path = Path(path).expanduser() if path is not None else default_db_path()
        if self.path.is_dir():
            raise HistoryError(f"{self.path}: is a directory, not a history file")
        foreign = _foreign_tables(self.path)  # read-only look first: another program's file stays untouched
        if foreign is not None:
            raise HistoryError(f"{self.path}: is another program's SQLite database (tables: {foreign}), not a "
                               "formcoach history file; formcoach left it untouched: choose another file")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise HistoryError(f"{self.path.parent}: cannot create the history folder ({e.strerror})") from None
        read_only = _read_only(self.path)
        if read_only:
            raise HistoryError(read_only)
        try:
            self._con = sqlite3.connect(self.path, timeout=timeout_s, isolation_level=None)
        except (OSError, sqlite3.Error) as e:
            raise HistoryError(f"{self.path}: cannot open history ({e})") from None
        self._con.row_factory = sqlite3.Row
        try:
            self._con.execute("PRAGMA journal_mode=WAL")
            self._con.execute("PRAGMA synchronous=FULL")
            self._con.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as e:
            self._con.close()
            raise HistoryError(_problem(self.path, e) or f"{self.path}: not a formcoach history file ({e})") from None

    # connection plumbing
    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        con = self._con
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    @property
    def schema_version(self) -> int:
        return int(self._con.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self, target: int = SCHEMA_VERSION) -> None:
        v = self.schema_version
        if v > SCHEMA_VERSION:
            raise HistoryError(f"{self.path}: written by a newer formcoach (schema {v} > {SCHEMA_VERSION}); "
                               "update formcoach to read it")
        while v < target:
            with self._tx() as con:
                # re-read inside the write lock: another process may have migrated meanwhile
                v = int(con.execute("PRAGMA user_version").fetchone()[0])
                if v >= target:
                    break
                MIGRATIONS[v](con)
                con.execute(f"PRAGMA user_version = {v + 1}")
            v += 1

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # writing
    def save_session(self, s: NewSession) -> int:
        """Store one session with its reps and faults in one transaction; return its id."""
        if s.source not in ("live", "upload"):
            raise ValueError(f"source must be 'live' or 'upload', got {s.source!r}")
        pain_before = _check_pain("pain_before", s.pain_before)
        sm = s.summary
        details = json.dumps(s.details, allow_nan=False, default=str)
        with self._tx() as con:
            cur = con.execute(
                """INSERT INTO sessions (created_at, exercise, source, duration_s, reps_left, reps_right,
                       hold_s, good_form_s, cant_judge_s, rep_count, details_json, pain_before,
                       fault_count, fault_rate, video_path)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (_utc(s.created_at), s.exercise, s.source, _finite(s.duration_s),
                 int(sm.reps_by_side.get("left", 0)), int(sm.reps_by_side.get("right", 0)),
                 _finite(sm.hold_s), _finite(sm.good_form_s), _finite(sm.cant_judge_s), len(sm.reps), details,
                 pain_before, len(sm.faults), fault_rate(sm), s.video_path))
            sid = int(cur.lastrowid)
            con.executemany(
                "INSERT INTO reps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(sid, i, r.side, _finite(r.start_s), _finite(r.end_s), _finite(r.hold_s), r.verdict.value,
                  json.dumps(sorted({f.type for f in r.faults})), r.coaching) for i, r in enumerate(sm.reps)])
            con.executemany(
                "INSERT INTO faults VALUES (?, ?, ?, ?, ?, ?)",
                [(sid, i, f.type, _finite(f.magnitude_deg), _finite(f.start_s), _finite(f.end_s))
                 for i, f in enumerate(sm.faults)])
            con.executemany(
                "INSERT INTO keyframes VALUES (?, ?, ?, ?, ?, ?)",
                [(sid, i, k.kind, k.label, _finite(k.t_s), bytes(k.jpeg)) for i, k in enumerate(s.keyframes)])
        return sid

    def set_pain(self, session_id: int, *, before: int | None = None, after: int | None = None,
                 sharp: bool = False, radiating: bool = False) -> None:
        """Record pain ratings for a session (``before`` None keeps the stored value)."""
        before, after = _check_pain("before", before), _check_pain("after", after)
        with self._tx() as con:
            n = con.execute(
                """UPDATE sessions SET pain_before = COALESCE(?, pain_before), pain_after = ?,
                       pain_sharp = ?, pain_radiating = ? WHERE id = ?""",
                (before, after, int(bool(sharp)), int(bool(radiating)), int(session_id))).rowcount
        if n == 0:
            raise KeyError(f"no session {session_id}")

    def delete_session(self, session_id: int) -> bool:
        """Delete a session with its reps and faults. Returns False when it did not exist."""
        with self._tx() as con:
            return con.execute("DELETE FROM sessions WHERE id = ?", (int(session_id),)).rowcount > 0

    # reading
    def sessions(self, exercise: str | None = None, limit: int | None = None) -> list[SessionRow]:
        """Newest first."""
        q = ("SELECT * FROM sessions" + (" WHERE exercise = ?" if exercise else "")
             + " ORDER BY created_at DESC, id DESC")
        args: list[Any] = [exercise] if exercise else []
        if limit is not None:
            q += " LIMIT ?"
            args.append(int(limit))
        return [_session_row(r) for r in self._con.execute(q, args)]

    def get(self, session_id: int) -> SessionRow | None:
        r = self._con.execute("SELECT * FROM sessions WHERE id = ?", (int(session_id),)).fetchone()
        return _session_row(r) if r else None

    def reps(self, session_id: int) -> list[RepRow]:
        rows = self._con.execute("SELECT * FROM reps WHERE session_id = ? ORDER BY idx", (int(session_id),))
        return [RepRow(r["idx"], r["side"], r["start_s"], r["end_s"], r["hold_s"], r["verdict"],
                       tuple(json.loads(r["faults"])), r["coaching"]) for r in rows]

    def faults(self, session_id: int) -> list[dict[str, Any]]:
        rows = self._con.execute("SELECT type, magnitude_deg, start_s, end_s FROM faults WHERE session_id = ? "
                                 "ORDER BY idx", (int(session_id),))
        return [dict(r) for r in rows]

    def details(self, session_id: int) -> dict[str, Any]:
        r = self._con.execute("SELECT details_json FROM sessions WHERE id = ?", (int(session_id),)).fetchone()
        return json.loads(r[0]) if r else {}

    def keyframes(self, session_id: int) -> list[KeyFrame]:
        rows = self._con.execute("SELECT kind, label, t_s, jpeg FROM keyframes WHERE session_id = ? ORDER BY idx",
                                 (int(session_id),))
        return [KeyFrame(r["kind"], r["label"], r["t_s"], bytes(r["jpeg"])) for r in rows]

    # plans and check-ins (the plan file format and the rules live in formcoach.plan / formcoach.progression)
    def save_plan(self, plan_json: str, origin: str) -> int:
        """Store a plan (already validated by the caller) as the one in force; earlier plans are kept."""
        json.loads(plan_json)  # never store a half-written or non-JSON plan
        with self._tx() as con:
            return int(con.execute("INSERT INTO plans (created_at, origin, plan_json) VALUES (?, ?, ?)",
                                   (_utc(None), str(origin), plan_json)).lastrowid)

    def current_plan_json(self) -> str | None:
        r = self._con.execute("SELECT plan_json FROM plans ORDER BY id DESC LIMIT 1").fetchone()
        return r[0] if r else None

    def plan_count(self) -> int:
        return int(self._con.execute("SELECT COUNT(*) FROM plans").fetchone()[0])

    def plan_origins(self) -> list[str]:
        """Where each stored plan came from, oldest first: ``"default"`` or ``"import:<file name>"``."""
        return [r[0] for r in self._con.execute("SELECT origin FROM plans ORDER BY id")]

    def save_checkin(self, day: str, answer: str, seen_clinician: bool = False,
                     created_at: datetime | None = None) -> int:
        """Record a 24-hour check-in for ``day`` (ISO date). A later answer for the same day wins."""
        if answer not in ("worse", "same", "better"):
            raise ValueError(f"answer must be worse, same or better, got {answer!r}")
        date.fromisoformat(day)
        with self._tx() as con:
            return int(con.execute(
                "INSERT INTO checkins (day, created_at, answer, seen_clinician) VALUES (?, ?, ?, ?)",
                (day, _utc(created_at), answer, int(bool(seen_clinician)))).lastrowid)

    def checkins(self) -> list[dict[str, Any]]:
        """One per day (the latest answer), oldest first."""
        rows = self._con.execute("""
            SELECT day, answer, seen_clinician FROM checkins c WHERE id = (
                SELECT MAX(id) FROM checkins WHERE day = c.day) ORDER BY day""")
        return [{"day": r["day"], "answer": r["answer"], "seen_clinician": bool(r["seen_clinician"])} for r in rows]

    def rep_hold_medians(self) -> dict[int, float]:
        """Session id -> median hold at full reach over its reps (seconds); sessions without reps are absent."""
        out: dict[int, list[float]] = {}
        for r in self._con.execute("SELECT session_id, hold_s FROM reps ORDER BY session_id, idx"):
            out.setdefault(r[0], []).append(float(r[1]))
        return {k: statistics.median(v) for k, v in out.items()}

    def daily_progress(self) -> list[dict[str, Any]]:
        """Per exercise and UTC day: sessions, reps, good-form seconds, hold seconds, mean fault rate."""
        rows = self._con.execute("""
            SELECT exercise, substr(created_at, 1, 10) AS day, COUNT(*) AS sessions,
                   SUM(reps_left + reps_right) AS reps, SUM(good_form_s) AS good_form_s,
                   SUM(hold_s) AS hold_s, AVG(fault_rate) AS fault_rate
            FROM sessions GROUP BY exercise, day ORDER BY day, exercise""")
        return [dict(r) for r in rows]

    def check(self) -> list[str]:
        """Integrity problems (empty when healthy): SQLite's own check plus partial sessions."""
        problems = [r[0] for r in self._con.execute("PRAGMA integrity_check") if r[0] != "ok"]
        for r in self._con.execute("""
                SELECT s.id, s.rep_count, s.fault_count,
                       (SELECT COUNT(*) FROM reps WHERE session_id = s.id) AS nr,
                       (SELECT COUNT(*) FROM faults WHERE session_id = s.id) AS nf
                FROM sessions s"""):
            if r["rep_count"] != r["nr"] or r["fault_count"] != r["nf"]:
                problems.append(f"session {r['id']}: {r['nr']}/{r['rep_count']} reps, "
                                f"{r['nf']}/{r['fault_count']} faults")
        return problems


# SQLite primary result codes (sqlite3.SQLITE_* from Python 3.11 on)
_BUSY, _LOCKED, _READONLY, _CORRUPT = 5, 6, 8, 11


def _problem(path: Path, e: sqlite3.Error) -> str | None:
    """One line for a failure the user has to act on (damaged, read-only, busy file); None otherwise."""
    code = getattr(e, "sqlite_errorcode", None)
    code = code & 0xFF if code is not None else None
    text = str(e)
    if code == _CORRUPT or "malformed" in text:
        return (f"{path}: the history file is damaged ({text}); formcoach changed nothing in it: keep a copy, "
                "then restore a backup or set FORMCOACH_DB to a new file")
    if code == _READONLY or "readonly" in text:
        return _read_only(path) or f"{path}: the history file is read-only; formcoach cannot save sessions in it"
    if code in (_BUSY, _LOCKED):
        return f"{path}: the history file is busy (another formcoach is writing to it); try again"
    return None


def _read_only(path: Path) -> str | None:
    """Why formcoach cannot write ``path`` (its folder or the file is read-only), or None."""
    folder = path.parent
    if not os.access(folder, os.W_OK):
        return (f"{folder}: the history folder is read-only, so formcoach cannot save sessions there; make it "
                "writable or set FORMCOACH_DB to a file in a writable folder")
    if path.exists() and not os.access(path, os.W_OK):
        return f"{path}: the history file is read-only; make it writable or set FORMCOACH_DB to another file"
    return None


def _foreign_tables(path: Path) -> str | None:
    """The tables of a SQLite file that is not formcoach's, read without writing, else None.

    Not formcoach's: schema 0 with tables, or a known schema without a ``sessions`` table (a newer
    schema is for :meth:`History._migrate` to refuse). None also for an empty or missing file, or one
    SQLite cannot read (the normal open reports that).
    """
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return None
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except (OSError, sqlite3.Error):
        return None
    try:
        version = int(con.execute("PRAGMA user_version").fetchone()[0])
        tables = sorted(r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
    except sqlite3.Error:
        return None
    finally:
        con.close()
    if (version == 0 and tables) or (0 < version <= SCHEMA_VERSION and "sessions" not in tables):
        return ", ".join(tables[:6]) + (", ..." if len(tables) > 6 else "") or "none"
    return None


def _guarded(method: Callable) -> Callable:
    """Turn a damaged / read-only / busy file into a :class:`HistoryError` with one line for the user."""

    @functools.wraps(method)
    def call(self: History, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as e:
            msg = _problem(self.path, e)
            if msg is None:
                raise
            raise HistoryError(msg) from None

    return call


# Every public method: a file damaged after it was opened (zeroed pages behind an intact header) must
# give one clear message on whichever call first reads the damage, not a traceback.
for _name, _method in list(vars(History).items()):
    if not _name.startswith("_") and callable(_method) and _name != "close":
        setattr(History, _name, _guarded(_method))


def _session_row(r: sqlite3.Row) -> SessionRow:
    return SessionRow(
        id=r["id"], created_at=datetime.fromisoformat(r["created_at"]), exercise=r["exercise"], source=r["source"],
        duration_s=r["duration_s"], reps_left=r["reps_left"], reps_right=r["reps_right"], hold_s=r["hold_s"],
        good_form_s=r["good_form_s"], cant_judge_s=r["cant_judge_s"], rep_count=r["rep_count"],
        fault_count=r["fault_count"], fault_rate=r["fault_rate"], pain_before=r["pain_before"],
        pain_after=r["pain_after"], pain_sharp=bool(r["pain_sharp"]), pain_radiating=bool(r["pain_radiating"]),
        video_path=r["video_path"])


# --- the pain stop rule ------------------------------------------------------------------------

STOP_ADVICE = ("Stop this exercise for today and see a clinician (your physiotherapist or doctor) "
               "before you continue.")


def pain_advice(before: int | None, after: int | None, *, sharp: bool = False,
                radiating: bool = False) -> str | None:
    """The stop rule: pain rising over a session, or sharp or radiating pain, means stop.

    Returns the advice to show, or None when nothing in the ratings calls for stopping.
    """
    before, after = _check_pain("before", before), _check_pain("after", after)
    reasons: list[str] = []
    if sharp:
        reasons.append("you felt sharp or shooting pain")
    if radiating:
        reasons.append("pain spread (radiated) into your buttock or leg")
    if before is not None and after is not None and after > before:
        reasons.append(f"your pain rose from {before} to {after} out of 10")
    if not reasons:
        return None
    return "Because " + " and ".join(reasons) + ": " + STOP_ADVICE


def not_checked_notes(details: Mapping[str, Any]) -> list[str]:
    """What a saved session's checker never judged, each note with why and what to do instead (from
    ``details["extra"]["not_checked"]``, kept by uploads and live sessions alike); [] when none is recorded."""
    extra = details.get("extra") if isinstance(details, Mapping) else None
    notes = extra.get("not_checked") if isinstance(extra, Mapping) else None
    return [str(v) for v in notes.values()] if isinstance(notes, Mapping) else []


def summary_details(summary: ExerciseSummary) -> dict[str, Any]:
    """A JSON-able record of a summary (for ``NewSession.details`` of live sessions): the summary's own
    record (:meth:`ExerciseSummary.to_dict`, the same as in a report)."""
    return summary.to_dict()


__all__: Sequence[str] = (
    "DB_ENV",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "STOP_ADVICE",
    "History",
    "HistoryError",
    "KeyFrame",
    "NewSession",
    "RepRow",
    "SessionRow",
    "default_db_path",
    "fault_rate",
    "not_checked_notes",
    "pain_advice",
    "summary_details",
)

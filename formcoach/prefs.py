"""Per-user preferences kept beside the history file (``prefs.json``): for now the voice mute switch.

A missing or damaged file reads as the defaults (the page says so once, nothing is lost); writes
are atomic, so a crash leaves the old file or the new one.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from .atomic import write_text_atomic

PREFS_FILENAME = "prefs.json"


@dataclass(frozen=True)
class Prefs:
    voice_muted: bool = False  # the live coach speaks unless the user muted it


def prefs_path(db_path: str | os.PathLike) -> Path:
    return Path(db_path).expanduser().parent / PREFS_FILENAME


def load_prefs(path: str | os.PathLike) -> tuple[Prefs, str | None]:
    """The saved prefs and None, or the defaults and a one-line reason when the file is unreadable."""
    p = Path(path)
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Prefs(), None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        return Prefs(), f"preferences file {p} is unreadable ({type(e).__name__}); using the defaults"
    if not isinstance(raw, dict):
        return Prefs(), f"preferences file {p} is not a JSON object; using the defaults"
    kw = {f.name: raw[f.name] for f in fields(Prefs) if isinstance(raw.get(f.name), type(getattr(Prefs(), f.name)))}
    return Prefs(**kw), None


def save_prefs(path: str | os.PathLike, prefs: Prefs) -> None:
    write_text_atomic(path, json.dumps(asdict(prefs), indent=1) + "\n")

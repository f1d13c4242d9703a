"""Where the PoseLandmarker ``.task`` bundle comes from, fully offline.

Resolution order for ``resolve_model(spec)``:

1. ``spec`` is a path to an existing file -> that file.
2. ``FORMCOACH_POSE_MODEL`` environment variable (a path) -> that file.
3. ``spec`` is a variant name (``lite``, ``full``, ``heavy``):
   a. the user cache ``<user cache dir>/formcoach/models/pose_landmarker_<variant>.task``
      (e.g. Google's official bundle that an online user dropped there), then
   b. the bundle shipped inside this package (``lite`` and ``full``).

Nothing is ever downloaded. A missing or corrupt file raises :class:`ModelError` naming the path.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

ENV_VAR = "FORMCOACH_POSE_MODEL"
VARIANTS = ("lite", "full", "heavy")
DEFAULT_MODEL = "full"  # the one default for analyze, batch, eval and the live page (live = upload). On the
#   calibration corpus validation split it found, when chosen (README has today's figures), plank sags >= 10 deg
#   over 0.81 of their time (lite 0.36), head drops 0.64 (0.33), bird-dog leg lifts 1.00 (0.75); it costs ~22 ms
#   a frame here against lite's ~18, and the live page still keeps 30 fps at 28-29 ms latency on 2 cores
#   (benchmarks/bench_live.py, quiet samples)
BUNDLED_DIR = Path(__file__).resolve().parent / "models"
_REQUIRED_MEMBERS = {"pose_detector.tflite", "pose_landmarks_detector.tflite"}


class ModelError(Exception):
    """The pose model cannot be found or is not a valid bundle (one-line message)."""


def user_cache_dir() -> Path:
    from platformdirs import user_cache_dir as _ucd

    return Path(_ucd("formcoach")) / "models"


def bundled_sha256() -> dict[str, str]:
    """``{file name: sha256}`` of the shipped bundles, from ``models/SHA256SUMS``."""
    sums = {}
    for line in (BUNDLED_DIR / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        sums[name] = digest
    return sums


def _check_bundle(path: Path) -> Path:
    if not path.is_file():
        raise ModelError(f"pose model {path}: no such file")
    if path.stat().st_size == 0:
        raise ModelError(f"pose model {path}: file is empty")
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError):
        raise ModelError(f"pose model {path}: not a valid .task bundle (corrupt or wrong file)") from None
    missing = _REQUIRED_MEMBERS - names
    if missing:
        raise ModelError(f"pose model {path}: bundle lacks {', '.join(sorted(missing))}")
    return path


def verify_bundled(path: Path) -> None:
    """Raise ModelError if a shipped bundle does not match its recorded sha256."""
    want = bundled_sha256().get(path.name)
    if want is None:
        return
    h = hashlib.sha256(path.read_bytes()).hexdigest()
    if h != want:
        raise ModelError(f"pose model {path}: sha256 {h[:12]}... does not match SHA256SUMS (corrupt file?)")


def resolve_model(spec: str | os.PathLike | None = DEFAULT_MODEL) -> Path:
    """Return the path of a usable ``.task`` bundle for ``spec`` (variant name or path)."""
    spec = DEFAULT_MODEL if spec is None else spec
    if str(spec) not in VARIANTS:
        return _check_bundle(Path(spec).expanduser())
    env = os.environ.get(ENV_VAR)
    if env:
        return _check_bundle(Path(env).expanduser())
    name = f"pose_landmarker_{spec}.task"
    cached = user_cache_dir() / name
    if cached.is_file():
        return _check_bundle(cached)
    bundled = BUNDLED_DIR / name
    if bundled.is_file():
        _check_bundle(bundled)
        verify_bundled(bundled)
        return bundled
    raise ModelError(
        f"pose model {spec!r}: not shipped with formcoach; put {name} in {user_cache_dir()} "
        f"or pass a path (--model PATH or {ENV_VAR})"
    )

"""Installs are pinned: constraints.txt pins every dependency, and the installed mediapipe is the one the golden
landmarks and the eval numbers were recorded with (tests/data/recorded_with.json)."""

import re
from importlib.metadata import version
from pathlib import Path

import tomllib

from tests.golden import RECORDED_WITH

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = PIN.match(line.strip())
        assert m, f"constraints.txt: not an exact pin: {line!r}"
        assert _norm(m[1]) not in pins, f"constraints.txt pins {m[1]} twice"
        pins[_norm(m[1])] = m[2]
    return pins


def _requirement_names(reqs: list[str]) -> list[str]:
    return [_norm(re.match(r"[A-Za-z0-9._-]+", r)[0]) for r in reqs]


def test_installed_mediapipe_is_the_recorded_one():
    assert version("mediapipe") == RECORDED_WITH["mediapipe"], (
        f"mediapipe {version('mediapipe')} is installed, but the golden landmarks and eval numbers were recorded "
        f"with {RECORDED_WITH['mediapipe']}: install with `pip install -c constraints.txt -e .`")


def test_constraints_pin_the_recorded_mediapipe():
    assert _pins()["mediapipe"] == RECORDED_WITH["mediapipe"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert f"mediapipe=={RECORDED_WITH['mediapipe']}" in project["dependencies"]


def test_every_dependency_is_pinned():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = _requirement_names(project["dependencies"])
    for extra, reqs in project.get("optional-dependencies", {}).items():
        if extra != "synth":  # the renderer's torch stack is installed by hand (tools/synth/README.md)
            names += _requirement_names(reqs)
    own = {project["name"]}  # an extra that pulls another extra ("formcoach[batch]") is not a dependency
    missing = sorted(set(names) - set(_pins()) - own)
    assert not missing, f"add exact pins for {missing} to constraints.txt (see its header)"


def test_eval_landmark_cache_is_keyed_by_the_mediapipe_release(tmp_path, monkeypatch):
    from types import SimpleNamespace

    import formcoach.engine
    from exercises.pose import PoseFrame
    from formcoach import evaluate

    runs = []

    def fake_analyze(video, opts):
        runs.append(video)
        return SimpleNamespace(poses=[PoseFrame.empty(0.0, (64, 48))])

    video = tmp_path / "v.mp4"
    video.write_bytes(b"not decoded: the engine is replaced")
    monkeypatch.setattr(formcoach.engine, "analyze_video", fake_analyze)
    monkeypatch.setattr(evaluate, "_cache_dir", lambda: tmp_path / "cache")
    for release in ("1.2.2", "1.2.2", "9.9.9"):
        monkeypatch.setattr(evaluate, "_mediapipe_version", lambda r=release: r)
        evaluate.poses_for(video, "lite")
    assert len(runs) == 2  # the second call was served from the cache, the other release was not

import hashlib

import pytest

from vision import models
from vision.models import ModelError, resolve_model


@pytest.fixture
def no_cache(tmp_path, monkeypatch):
    monkeypatch.delenv(models.ENV_VAR, raising=False)
    monkeypatch.setattr(models, "user_cache_dir", lambda: tmp_path / "cache")
    return tmp_path / "cache"


def test_bundled_models_match_recorded_sha256(no_cache):
    sums = models.bundled_sha256()
    assert set(sums) == {"pose_landmarker_lite.task", "pose_landmarker_full.task"}
    for variant in ("lite", "full"):
        p = resolve_model(variant)
        assert p.parent == models.BUNDLED_DIR
        assert hashlib.sha256(p.read_bytes()).hexdigest() == sums[p.name]
    assert (models.BUNDLED_DIR / "LICENSE").read_text().startswith(" " * 10) or "Apache" in (
        models.BUNDLED_DIR / "LICENSE").read_text()
    assert "Apache" in (models.BUNDLED_DIR / "NOTICE").read_text()


def test_resolution_order_path_env_cache_bundled(no_cache, tmp_path, monkeypatch):
    bundled = resolve_model("lite")
    cached = no_cache / "pose_landmarker_lite.task"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(bundled.read_bytes())
    assert resolve_model("lite") == cached                     # user cache beats bundled
    env = tmp_path / "env.task"
    env.write_bytes(bundled.read_bytes())
    monkeypatch.setenv(models.ENV_VAR, str(env))
    assert resolve_model("lite") == env                        # env var beats cache
    explicit = tmp_path / "mine.task"
    explicit.write_bytes(bundled.read_bytes())
    assert resolve_model(str(explicit)) == explicit            # explicit path beats all


@pytest.mark.parametrize("content,reason", [
    (None, "no such file"),
    (b"", "file is empty"),
    (b"this is not a zip", "not a valid .task bundle"),
])
def test_missing_or_corrupt_model_names_the_path(no_cache, tmp_path, content, reason):
    p = tmp_path / "broken.task"
    if content is not None:
        p.write_bytes(content)
    with pytest.raises(ModelError, match=reason) as e:
        resolve_model(str(p))
    assert str(p) in str(e.value)


def test_corrupt_bundled_file_is_caught_by_sha(no_cache, tmp_path, monkeypatch):
    fake_dir = tmp_path / "bundled"
    fake_dir.mkdir()
    real = resolve_model("lite")
    data = bytearray(real.read_bytes())
    data[len(data) // 2] ^= 0xFF  # flip a byte inside a model's payload
    (fake_dir / real.name).write_bytes(bytes(data))
    (fake_dir / "SHA256SUMS").write_text((models.BUNDLED_DIR / "SHA256SUMS").read_text())
    monkeypatch.setattr(models, "BUNDLED_DIR", fake_dir)
    with pytest.raises(ModelError, match="sha256"):
        resolve_model("lite")


def test_heavy_is_not_shipped_and_says_where_to_put_it(no_cache):
    with pytest.raises(ModelError, match="pose_landmarker_heavy.task"):
        resolve_model("heavy")


def test_corrupt_model_fails_to_load_with_clear_error(tmp_path, no_cache):
    import zipfile

    from vision.pose import PoseEstimator, PoseOptions

    p = tmp_path / "garbage.task"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("pose_detector.tflite", b"junk")
        z.writestr("pose_landmarks_detector.tflite", b"junk")
    with pytest.raises(ModelError, match=str(p)):
        PoseEstimator(PoseOptions(model=str(p)))

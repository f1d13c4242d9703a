"""Rebuild the offline PoseLandmarker bundles shipped in ``vision/models/``.

Why: mediapipe >= 1.x ships no pose model and fetches ``.task`` bundles from Google storage,
which some users (and this project's CI) cannot reach. The same networks are published,
Apache-2.0, in the npm package ``@mediapipe/pose``; this tool turns them into ``.task`` bundles.

A ``.task`` is a zip of ``pose_detector.tflite`` + ``pose_landmarks_detector.tflite``; each needs
TFLite metadata with image normalisation, else mediapipe refuses to load it:

* detector (224x224, input range [-1, 1]): mean 127.5, std 127.5
* landmark model (256x256, input range [0, 1]): mean 0, std 255

The person detector is the first 2,962,288 bytes of ``pose_solution_packed_assets.data``.

mediapipe 1.x's metadata writer does not import, so run this once in a throwaway venv::

    python3 -m venv /tmp/mp-build && /tmp/mp-build/bin/pip install "mediapipe==0.10.21" "numpy<2"
    /tmp/mp-build/bin/python tools/build_pose_models.py            # runs `npm pack` itself
    /tmp/mp-build/bin/python tools/build_pose_models.py --tarball mediapipe-pose-0.5.1675469404.tgz

It writes ``vision/models/pose_landmarker_{lite,full}.task`` and ``vision/models/SHA256SUMS``.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

NPM_SPEC = "@mediapipe/pose@0.5.1675469404"
# sha1 of the npm tarball as published (npm's "shasum"), checked before anything is extracted.
NPM_TARBALL_SHA1 = "8f81e64c6561b2357a021a134b54de0204bafc72"
DETECTOR_BYTES = 2_962_288
VARIANTS = ("lite", "full")
OUT_DIR = Path(__file__).resolve().parent.parent / "vision" / "models"


def _sha(path: Path, algo: str) -> str:
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _with_metadata(model: bytes, name: str, mean: float, std: float) -> bytes:
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

    writer = metadata_writer.MetadataWriter.create(model)
    writer.add_general_info(name, "Rebuilt offline from npm @mediapipe/pose (Apache-2.0) by formcoach")
    writer.add_image_input(norm_mean=[mean], norm_std=[std], color_space_type=1)  # RGB
    out, _ = writer.populate()
    return out


def build(tarball: Path, out_dir: Path) -> dict[str, str]:
    from mediapipe.tasks.python.metadata.metadata_writers import model_asset_bundle_utils

    got = _sha(tarball, "sha1")
    if got != NPM_TARBALL_SHA1:
        raise SystemExit(f"{tarball}: sha1 {got} != pinned {NPM_TARBALL_SHA1}")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as tar:
        def member(name: str) -> bytes:
            f = tar.extractfile(f"package/{name}")
            if f is None:
                raise SystemExit(f"{tarball}: no package/{name}")
            return f.read()

        detector = member("pose_solution_packed_assets.data")[:DETECTOR_BYTES]
        detector = _with_metadata(detector, "pose_detector", 127.5, 127.5)
        sums = {}
        for variant in VARIANTS:
            landmarks = _with_metadata(member(f"pose_landmark_{variant}.tflite"),
                                       "pose_landmarks_detector", 0.0, 255.0)
            out = out_dir / f"pose_landmarker_{variant}.task"
            model_asset_bundle_utils.create_model_asset_bundle(
                {"pose_detector.tflite": detector, "pose_landmarks_detector.tflite": landmarks}, str(out))
            sums[out.name] = _sha(out, "sha256")
            print(f"{out}  {out.stat().st_size} bytes  sha256 {sums[out.name]}")
    (out_dir / "SHA256SUMS").write_text("".join(f"{h}  {n}\n" for n, h in sorted(sums.items())))
    return sums


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tarball", type=Path, help="npm tarball of " + NPM_SPEC + " (default: run npm pack)")
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    args = ap.parse_args(argv)
    if args.tarball is None:
        tmp = Path(tempfile.mkdtemp(prefix="mp-pose-"))
        subprocess.run(["npm", "pack", NPM_SPEC], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        (args.tarball,) = tmp.glob("*.tgz")
    build(args.tarball, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

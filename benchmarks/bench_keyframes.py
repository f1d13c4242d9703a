"""What storing key frames for the report costs an upload, printed; never asserted.

For each clip: the time to analyse it (pose + checker), to draw the annotated video, and to pick,
decode, draw and encode its key frames (``formcoach.keyframes.extract``, which decodes the video
again up to the last key frame), with the key-frame time as a share of the other two, and the
stored bytes. Ratios come from one run on this machine, so load from other processes cancels out
only partly.

    .venv/bin/python benchmarks/bench_keyframes.py [CLIP.mp4 ...]   (default: three sample clips)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from formcoach.engine import AnalysisOptions, analyze_video, write_annotated_video  # noqa: E402
from formcoach.keyframes import extract  # noqa: E402

DEFAULT = [("dead_bug_arch.mp4", "dead_bug"), ("plank_sag.mp4", "plank"), ("bird_dog_hip_roll_25.mp4", "bird_dog")]


def main(argv: list[str]) -> int:
    clips = [(Path(a), None) for a in argv] or [(ROOT / "sample_videos" / n, e) for n, e in DEFAULT]
    print(f"{'clip':28s} {'video s':>7s} {'analyse s':>9s} {'annotate s':>10s} {'keyframes s':>11s} "
          f"{'share':>6s} {'frames':>6s} {'kB':>6s}")
    for clip, exercise in clips:
        t0 = time.perf_counter()
        report = analyze_video(clip, AnalysisOptions(exercise=exercise))
        t1 = time.perf_counter()
        with tempfile.TemporaryDirectory() as td:
            write_annotated_video(clip, report, Path(td) / "a.mp4")
        t2 = time.perf_counter()
        kfs = extract(clip, report)
        t3 = time.perf_counter()
        share = (t3 - t2) / (t2 - t0)
        print(f"{clip.name:28s} {report.video.duration_s:7.1f} {t1 - t0:9.2f} {t2 - t1:10.2f} {t3 - t2:11.2f} "
              f"{100 * share:5.1f}% {len(kfs):6d} {sum(len(k.jpeg) for k in kfs) / 1000:6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

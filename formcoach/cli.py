"""``formcoach`` command line.

    formcoach analyze VIDEO [--exercise plank|dead_bug|bird_dog] [--model full|lite|PATH]
                            [--json OUT.json] [--annotated OUT.mp4] [--landmarks OUT.npz]
    formcoach eval LABELS [--json OUT.json] [--model full|lite|PATH]
    formcoach eval corpus [--split validation|train|all | --compare] [--json OUT.json] [--model full|lite]
                          [--smoothing MIN_CUTOFF_HZ,BETA|none]
    formcoach batch INPUT --out DIR [--workers N] [--address ray://HOST:PORT|auto] [--annotated]

Errors print one line (``formcoach: error: ...``) and exit non-zero; no output file is left
half-written. Set ``FORMCOACH_DEBUG=1`` to see tracebacks of unexpected errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from vision.models import DEFAULT_MODEL

from . import cli_plan
from .engine import USER_ERRORS, AnalysisError, AnalysisOptions, analyze_video, write_annotated_video
from .history import not_checked_notes

EXIT_USER_ERROR = 2
EXIT_UNEXPECTED = 1


class _Bar:
    """A one-line progress bar on stderr (only when stderr is a terminal)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._last = 0.0

    def __call__(self, fraction: float, stage: str) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if fraction < 1.0 and now - self._last < 0.1:
            return
        self._last = now
        n = int(fraction * 30)
        sys.stderr.write(f"\r[{'#' * n}{'.' * (30 - n)}] {fraction * 100:5.1f}% {stage:<30}")
        if fraction >= 1.0:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _exercise_names() -> list[str]:
    from exercises.registry import EXERCISES

    return list(EXERCISES)


def _same_file(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` name one file (after symlinks and ``..``; hard links when both exist)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet
        return False


def check_output_paths(video: str, outputs: dict[str, str | None]) -> None:
    """Refuse an output that would overwrite the input video, or two outputs that are one file."""
    given = [(flag, out) for flag, out in outputs.items() if out is not None]
    for i, (flag, out) in enumerate(given):
        if _same_file(out, video):
            raise AnalysisError(f"{flag} {out}: is the input video; choose another file name")
        for other_flag, other in given[:i]:
            if _same_file(out, other):
                raise AnalysisError(f"{other_flag} and {flag}: the same file ({out}) given twice; "
                                    "choose two file names")


def _cmd_analyze(args: argparse.Namespace) -> int:
    from vision.pose import PoseOptions

    for out, ext in ((args.json, ".json"), (args.annotated, ".mp4"), (args.landmarks, ".npz")):
        if out is not None and os.path.isdir(out):
            raise AnalysisError(f"{out}: is a directory; give a file name ending in {ext}")
    check_output_paths(args.video, {"--json": args.json, "--annotated": args.annotated,
                                    "--landmarks": args.landmarks})
    options = AnalysisOptions(exercise=args.exercise, pose=PoseOptions(model=args.model))
    bar = _Bar(sys.stderr.isatty() and not args.quiet)
    if args.workers and args.workers > 1:
        from .chunked import analyze_chunked

        report = analyze_chunked(args.video, options, workers=args.workers, progress=bar)
    else:
        report = analyze_video(args.video, options, progress=bar)
    if args.annotated:
        write_annotated_video(args.video, report, args.annotated, progress=bar)
    if args.landmarks:
        from .recording import save_frames

        save_frames(args.landmarks, report.poses, meta={"video": report.video.file, "model": report.model})
    if args.json:
        report.save_json(args.json)
    cli_plan.save_analysis(args, report)
    d = report.to_dict()
    brief = {k: d[k] for k in ("exercise", "detection_rate", "reps_by_side", "hold_s", "good_form_s",
                               "seconds_lost_by_fault", "cant_judge_s", "warnings")}
    brief["reps"] = [f"{i + 1} {r['side']} {r['start_s']:.1f}-{r['end_s']:.1f}s hold {r['hold_s']:.1f}s "
                     f"{r['verdict']}: {r['coaching']}"
                     + (f" (lowest leg {r['lowest_leg_deg']:.0f} deg)" if r.get("lowest_leg_deg") is not None else "")
                     for i, r in enumerate(d["reps"])]
    brief["cues"] = [f"{c['t_s']:.1f}s {c['code']}: {c['message']}" for c in d["cues"]]
    brief["not_checked"] = not_checked_notes(d)  # each with why and what to do
    brief["safety"] = d["safety"]
    print(json.dumps(brief, indent=1))
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from .corpus import is_corpus
    from .evaluate import main as eval_main

    if is_corpus(args.labels):
        from .corpus import eval_main as corpus_eval

        return corpus_eval(args.labels, args.split or "validation", args.model, args.json, args.compare,
                           args.smoothing)
    if args.split or args.compare or args.smoothing is not None:
        raise AnalysisError(f"{args.labels}: --split, --compare and --smoothing need a corpus folder "
                            "(labels/ and landmarks/)")
    return eval_main(args.labels, args.json, args.model)


def _cmd_batch(args: argparse.Namespace) -> int:
    from vision.pose import PoseOptions

    from .batch import run_batch

    options = AnalysisOptions(exercise=args.exercise, pose=PoseOptions(model=args.model))
    summary = run_batch(args.input, args.out, options, workers=args.workers, address=args.address,
                        annotated=args.annotated, progress=not args.quiet)
    print(summary.text())
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="formcoach", description="Form feedback for back-care exercises. "
                                 "Feedback on movement, not a diagnosis.")
    sub = ap.add_subparsers(dest="command", required=True)
    a = sub.add_parser("analyze", help="analyse an exercise video")
    a.add_argument("video")
    a.add_argument("--exercise", help="one of: " + (", ".join(_exercise_names()) or "plank, dead_bug, bird_dog")
                   + " (default: recognise it)")
    a.add_argument("--model", default=DEFAULT_MODEL, help="pose model: full (default), lite, heavy, or a .task path")
    a.add_argument("--json", metavar="OUT.json", help="write the full report as JSON")
    a.add_argument("--annotated", metavar="OUT.mp4", help="write an annotated H.264 video")
    a.add_argument("--landmarks", metavar="OUT.npz", help="save the pose landmarks (golden test data)")
    a.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    cli_plan.add_save_options(a)
    a.add_argument("--workers", type=int, default=1, metavar="N",
                   help="analyse a long video in N time chunks in parallel (local Ray; pip install "
                        "'formcoach[batch]')")
    a.set_defaults(func=_cmd_analyze)
    e = sub.add_parser("eval", help="score the checkers against labelled clips")
    e.add_argument("labels", help="a labels.json file, a folder of clip label JSONs, or the corpus folder "
                   "(scored from its landmark caches, no video needed)")
    e.add_argument("--split", choices=("train", "validation", "all"),
                   help="corpus only: which split to score (default validation)")
    e.add_argument("--compare", action="store_true", help="corpus only: train and validation side by side")
    e.add_argument("--smoothing", metavar="MIN_CUTOFF_HZ,BETA",
                   help="corpus only: score the poses as this One-Euro smoothing (or 'none') would have given "
                        "them, recovered from the caches (to choose the pipeline's smoothing on train)")
    e.add_argument("--json", metavar="OUT.json")
    e.add_argument("--model", default=DEFAULT_MODEL)
    e.set_defaults(func=_cmd_eval)
    cli_plan.add_commands(sub)
    b = sub.add_parser("batch", help="analyse a folder or manifest of videos on Ray workers (resumable)")
    b.add_argument("input", help="a folder (searched recursively) or a manifest .csv/.jsonl (path, exercise, "
                                 "patient_id, session_id)")
    b.add_argument("--out", required=True, metavar="DIR", help="reports, rows and results.parquet/.csv go here")
    b.add_argument("--workers", type=int, metavar="N", help="worker processes (default: all cores)")
    b.add_argument("--address", metavar="ray://HOST:PORT|auto", help="run on an existing Ray cluster")
    b.add_argument("--exercise", help="exercise for videos the manifest gives none (default: recognise it)")
    b.add_argument("--model", default=DEFAULT_MODEL, help="pose model: full (default), lite, heavy, or a .task path")
    b.add_argument("--annotated", action="store_true", help="also write an annotated MP4 per video")
    b.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    b.set_defaults(func=_cmd_batch)
    return ap


def _silence_native_logs() -> None:
    """Send MediaPipe/TFLite's C++ log lines (fd 2) to /dev/null; Python's stderr keeps the terminal."""
    if os.environ.get("FORMCOACH_DEBUG"):
        return
    try:
        sys.stderr.flush()
        keep = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        sys.stderr = os.fdopen(keep, "w", buffering=1)
    except OSError:
        pass


def _batch_errors() -> tuple[type[Exception], ...]:
    from .batch import BatchInputError
    from .workers import BatchUnavailable

    return BatchInputError, BatchUnavailable


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _silence_native_logs()
    try:
        return args.func(args)
    except (*USER_ERRORS, *cli_plan.USER_ERRORS, AnalysisError, *_batch_errors()) as e:
        print(f"formcoach: error: {e}", file=sys.stderr)
        return EXIT_USER_ERROR
    except ValueError as e:  # e.g. unknown exercise name
        print(f"formcoach: error: {e}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("formcoach: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`formcoach report --list | head`): not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush does not raise again
        return 0
    except Exception as e:  # noqa: BLE001 - one line for users; details on request
        if os.environ.get("FORMCOACH_DEBUG"):
            raise
        print(f"formcoach: unexpected error: {type(e).__name__}: {e} (set FORMCOACH_DEBUG=1 for details)",
              file=sys.stderr)
        return EXIT_UNEXPECTED


if __name__ == "__main__":
    sys.exit(main())

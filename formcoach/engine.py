"""Run a video (or a live stream) through pose estimation, smoothing and an exercise checker.

* :class:`CoachPipeline` handles one stream frame by frame (the live page uses it directly).
* :func:`analyze_video` runs a whole file into a :class:`~formcoach.report.Report`.
* :func:`write_annotated_video` draws a report back onto its video as browser-playable H.264.

Errors meant for the user are :class:`AnalysisError` (and ``vision``'s ``VideoError`` /
``ModelError``), each with a one-line message.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from exercises.base import Checker, ExerciseSpec, ExerciseSummary, FrameVerdict
from exercises.common import LOW_RATE_MAX_STEP_S, MAX_FRAME_STEP_S, unseen_note
from exercises.metrics import body_line_deg, mean_body_visibility
from exercises.pose import PoseFrame
from vision.annotate import CoachAnnotator, SkeletonAnnotator
from vision.models import ModelError, resolve_model
from vision.pose import PeopleCounter, PoseEstimator, PoseOptions, StillReader
from vision.smoothing import OneEuroConfig, PoseSmoother, iter_resmooth
from vision.source import VideoError, VideoFileSource, VideoInfo
from vision.writer import H264Writer

from .people import second_person_warning
from .report import Report, VideoMeta

Progress = Callable[[float, str], None]  # (fraction 0..1, stage text)

USER_ERRORS = (VideoError, ModelError)
TRUNCATED_FRACTION = 0.9  # fewer decodable frames than this share of the header's count = truncated


class AnalysisError(Exception):
    """The analysis cannot produce a useful result (one-line message for the user)."""


class NoPersonError(AnalysisError):
    pass


def get_spec(exercise: str) -> ExerciseSpec:
    from exercises.registry import get_exercise

    return get_exercise(exercise)


def checker_smoothing(exercise: str | None, smoothing: OneEuroConfig | None) -> OneEuroConfig | None:
    """The landmark smoothing of the poses ``exercise``'s checker judges: its spec's ``landmark_smoothing``
    (min_cutoff_hz, beta; the other fields as ``smoothing``'s), or ``smoothing`` itself (the pipeline's, which
    the stored and drawn poses get) when the spec names none, no exercise is known, or nothing is smoothed."""
    if smoothing is None or exercise is None:
        return smoothing
    own = get_spec(exercise).landmark_smoothing
    if own is None:
        return smoothing
    return dataclasses.replace(smoothing, min_cutoff_hz=float(own[0]), beta=float(own[1]))


def own_smoother(exercise: str | None, smoothing: OneEuroConfig | None) -> PoseSmoother | None:
    """A smoother of the raw poses for ``exercise``'s checker when it judges another smoothing than the
    pipeline's ``smoothing`` (:func:`checker_smoothing`); None when it judges the stored poses themselves."""
    own = checker_smoothing(exercise, smoothing)
    return PoseSmoother(own) if own is not None and own != smoothing else None


def poses_for_checker(poses: Sequence[PoseFrame], exercise: str,
                      smoothed_with: OneEuroConfig | None) -> Iterable[PoseFrame]:
    """Stored poses (smoothed with ``smoothed_with``, the pipeline's setting) as ``exercise``'s checker judges
    them, in order: the same poses, or re-smoothed one at a time from the recovered raw ones
    (:func:`vision.smoothing.iter_resmooth`; exact where the filter maps raw to smoothed one-to-one) with
    :func:`checker_smoothing`. For replays of stored poses (``formcoach eval``, goldens); an analysis judges the
    raw poses directly (:class:`ReportBuilder`, :class:`CoachPipeline`)."""
    want = checker_smoothing(exercise, smoothed_with)
    return poses if want == smoothed_with else iter_resmooth(poses, smoothed_with, want)


@dataclass(frozen=True)
class AnalysisOptions:
    exercise: str | None = None  # None: recognise it from the poses
    pose: PoseOptions = field(default_factory=PoseOptions)
    smoothing: OneEuroConfig | None = field(default_factory=OneEuroConfig)  # of the stored and drawn poses; the
    #   checker judges poses smoothed as its exercise asks (checker_smoothing), from the same raw ones
    checker_config: object | None = None  # the exercise's config dataclass; None = defaults
    max_side_px: int | None = 1280  # larger videos are scaled down while decoding
    people_check_interval_s: float | None = 2.0  # how often to look for a second person; None = never


class CoachPipeline:
    """Pose -> smoothing -> checker for one stream. Not thread-safe; one per stream.

    ``process`` returns the (smoothed) pose and the checker's verdict (None without an exercise); the checker
    judges the raw pose smoothed as its exercise asks (:func:`checker_smoothing`).
    """

    def __init__(self, exercise: str | None = None, pose: PoseOptions | None = None,
                 smoothing: OneEuroConfig | None = OneEuroConfig(), checker_config: object | None = None,
                 estimator: PoseEstimator | None = None) -> None:
        self.spec = get_spec(exercise) if exercise else None
        self.checker: Checker | None = (
            self.spec.make_checker(checker_config) if self.spec else None)
        self._own_estimator = estimator is None
        self.estimator = estimator or PoseEstimator(pose)
        self.smoother = PoseSmoother(smoothing) if smoothing is not None else None
        self._checker_smoother = own_smoother(exercise, smoothing)

    def process(self, image_bgr: np.ndarray, timestamp_s: float) -> tuple[PoseFrame, FrameVerdict | None]:
        pose = self.estimator.process(image_bgr, timestamp_s)
        return self.process_pose(pose)

    def process_pose(self, pose: PoseFrame) -> tuple[PoseFrame, FrameVerdict | None]:
        judged = self._checker_smoother(pose) if self._checker_smoother is not None else None
        if self.smoother is not None:
            pose = self.smoother(pose)
        verdict = self.checker.update(judged if judged is not None else pose) if self.checker is not None else None
        return pose, verdict

    def close(self) -> None:
        if self._own_estimator:
            self.estimator.close()

    def __enter__(self) -> CoachPipeline:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def run_checker(poses: Sequence[PoseFrame], exercise: str, checker_config: object | None = None, *,
                smoothed_with: OneEuroConfig | None) -> tuple[ExerciseSummary, list[FrameVerdict]]:
    """Replay recorded poses (smoothed with ``smoothed_with``) through a fresh checker, as
    :func:`poses_for_checker` gives them to it."""
    checker = get_spec(exercise).make_checker(checker_config)
    verdicts = [checker.update(p) for p in poses_for_checker(poses, exercise, smoothed_with)]
    return checker.summary(), verdicts


def recognise_exercise(poses: Sequence[PoseFrame]) -> str | None:
    from exercises.recognize import guess_exercise

    return guess_exercise(poses)


def _series(poses: Sequence[PoseFrame], verdicts: Sequence[FrameVerdict | None],
            key_metrics: Sequence[str]) -> dict[str, list[float]]:
    s: dict[str, list[float]] = {
        "t_s": [p.timestamp_s for p in poses],
        "detected": [1.0 if p.detected else 0.0 for p in poses],
        "visibility": [mean_body_visibility(p) for p in poses],
        "body_line_deg": [body_line_deg(p) for p in poses],
    }
    for name in key_metrics:
        s[name] = [float(v.metrics.get(name, math.nan)) if v is not None else math.nan for v in verdicts]
    if verdicts and any(v is not None for v in verdicts):
        s["judgeable"] = [1.0 if (v is not None and v.judgeable) else 0.0 for v in verdicts]
    return s


class PoseModels:
    """The pose models of one worker, for many videos in turn.

    The people counter and the orientation probe's reader (IMAGE mode, no state) are built once and reused
    (a probe reader built per video grew a worker's memory ~80 MB over 15 videos). The tracking estimator is
    rebuilt for each video by :meth:`fresh` (~90 ms once the process has built its first one, which
    takes ~1 s): MediaPipe's VIDEO mode has no reset, and feeding it a blank frame to lose the person
    still left filter state that moved the next video's landmarks by up to 0.37 px for ~1 s, so a
    reused tracker would not give the same report as ``formcoach analyze``.
    """

    def __init__(self, pose: PoseOptions | None = None, people_check: bool = True) -> None:
        self.pose = pose or PoseOptions()
        self.estimator: PoseEstimator | None = None
        self.counter = PeopleCounter(self.pose.model) if people_check else None
        self.still = StillReader(self.pose) if self.pose.orientation_probe_s is not None else None
        self.model_name = self.name_of(self.pose)

    @staticmethod
    def name_of(pose: PoseOptions) -> str:
        """The model name a report records: the variant, or the .task file's name."""
        return pose.model if pose.model in ("lite", "full", "heavy") else Path(resolve_model(pose.model)).name

    def fresh(self) -> PoseModels:
        """A new tracking estimator for the next stream (the counter is kept)."""
        if self.estimator is not None:
            self.estimator.close()
        self.estimator = PoseEstimator(self.pose, still=self.still)
        return self

    def close(self) -> None:
        if self.estimator is not None:
            self.estimator.close()
            self.estimator = None
        if self.counter is not None:
            self.counter.close()
            self.counter = None
        if self.still is not None:
            self.still.close()
            self.still = None

    def __enter__(self) -> PoseModels:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class RawPoses:
    """The expensive part of an analysis: raw (unsmoothed) poses of a video or of a time range of it.

    ``people`` holds ``(timestamp_s, count)`` of the second-person checks; ``skipped_frames`` counts
    corrupt frames met while decoding.
    """

    poses: list[PoseFrame]
    people: list[tuple[float, int]]
    skipped_frames: int


def _next_check(t_s: float, interval_s: float) -> float:
    """People checks fall on the first frame at or after each multiple of the interval (media time).

    After any frame at ``t_s`` the next check is the first multiple above it, whether or not that
    frame was checked, so a time range can pick up the schedule from its warm-up frames alone.
    """
    return (math.floor(t_s / interval_s) + 1) * interval_s


def infer_poses(frames, models: PoseModels, options: AnalysisOptions, *, keep_from_s: float = -math.inf,
                keep_until_s: float = math.inf, warm_from_s: float = -math.inf, total_frames: int = 0,
                progress: Progress | None = None) -> RawPoses:
    """Run the pose model over ``frames`` (a frame iterator); keep poses with keep_from_s <= t < keep_until_s.

    For a time range of a video (chunked analysis): frames from ``warm_from_s`` to ``keep_from_s``
    only warm up the tracker, earlier ones are skipped, and iteration stops at ``keep_until_s``.
    """
    people: list[tuple[float, int]] = []
    poses = list(iter_poses(frames, models, options, people, keep_from_s=keep_from_s, keep_until_s=keep_until_s,
                            warm_from_s=warm_from_s, total_frames=total_frames, progress=progress))
    return RawPoses(poses, people, 0)


def iter_poses(frames, models: PoseModels, options: AnalysisOptions, people: list[tuple[float, int]], *,
               keep_from_s: float = -math.inf, keep_until_s: float = math.inf, warm_from_s: float = -math.inf,
               total_frames: int = 0, progress: Progress | None = None) -> Iterator[PoseFrame]:
    """:func:`infer_poses` one kept pose at a time; the second-person checks are appended to ``people``."""
    interval = options.people_check_interval_s
    next_check = -math.inf
    total = max(total_frames, 1)
    kept = 0
    for frame in frames:
        t = frame.timestamp_s
        if t >= keep_until_s:
            break
        if t < warm_from_s:
            if interval:
                next_check = _next_check(t, interval)
            continue
        pose = models.estimator.process(frame.image, t)
        if t < keep_from_s:
            if interval:  # as if checks had run on the warm-up frames (see _next_check)
                next_check = _next_check(t, interval)
            continue
        kept += 1
        if models.counter is not None and interval and t >= next_check:
            people.append((t, models.counter.count(frame.image)))
            next_check = _next_check(t, interval)
        yield pose
        if progress is not None and (kept % 10 == 0):
            progress(min(kept / total, 0.99), "Finding the pose")


class _Judging:
    """One checker fed each raw pose smoothed as its exercise asks (:func:`checker_smoothing`)."""

    def __init__(self, exercise: str, options: AnalysisOptions) -> None:
        self.checker = get_spec(exercise).make_checker(options.checker_config)
        self._smoother = own_smoother(exercise, options.smoothing)
        self.verdicts: list[FrameVerdict] = []

    def add(self, raw: PoseFrame, stored: PoseFrame) -> None:
        self.verdicts.append(self.checker.update(self._smoother(raw) if self._smoother is not None else stored))


class ReportBuilder:
    """:func:`build_report` in steps: :meth:`add` raw poses in time order as they come, then :meth:`finish`.

    Smoothing, and the checker when the exercise is given, are causal, so they run as poses are added
    (chunked analysis feeds this process's range while a worker finishes the next); :meth:`finish` does
    the rest. Adding everything at once and finishing is :func:`build_report`: the same report."""

    def __init__(self, options: AnalysisOptions) -> None:
        from exercises.registry import exercise_names

        self.options = options
        self._smoother = PoseSmoother(options.smoothing) if options.smoothing is not None else None
        self.poses: list[PoseFrame] = []
        # The given exercise's checker; or, while the exercise is still to be recognised, the checkers that judge
        # their own smoothing (checker_smoothing), run alongside on the raw poses so a recognised one needs no
        # re-smoothing of stored poses (that inversion is exact only for movement the filter maps one-to-one).
        if options.exercise:
            names = [options.exercise]
        elif options.checker_config is None:
            names = [n for n in exercise_names() if checker_smoothing(n, options.smoothing) != options.smoothing]
        else:
            names = []
        self._judging = {n: _Judging(n, options) for n in names}

    def add(self, raw_poses: Sequence[PoseFrame]) -> None:
        for p in raw_poses:
            pose = self._smoother(p) if self._smoother is not None else p
            self.poses.append(pose)
            for j in self._judging.values():
                j.add(p, pose)

    def finish(self, path: str | os.PathLike, info: VideoInfo, people: Sequence[tuple[float, int]],
               skipped_frames: int, model_name: str) -> Report:
        """The report; raises as :func:`build_report` does (truncated file, too few frames per second, no person)."""
        options, poses = self.options, self.poses
        _check_complete(Path(path).name, info, poses, skipped_frames)
        step_s = median_frame_step_s(poses)
        if step_s > LOW_RATE_MAX_STEP_S:
            raise AnalysisError(f"{Path(path).name}: {1 / step_s:.1f} fps is too few frames to check form "
                                f"(at least {1 / LOW_RATE_MAX_STEP_S:.0f} per second needed; film at 15 fps or more)")
        detected = sum(p.detected for p in poses)
        if detected == 0:
            raise NoPersonError(f"{Path(path).name}: no person found in any of its {len(poses)} frames")
        exercise, source_kind = options.exercise, "given"
        summary, verdicts = None, [None] * len(poses)
        if exercise is None:
            exercise = recognise_exercise(poses)
            source_kind = "recognised" if exercise else "none"
        if exercise in self._judging:
            judged = self._judging[exercise]
            summary, verdicts = judged.checker.summary(), judged.verdicts
        elif exercise:  # recognised, and its checker judges the stored poses' smoothing
            summary, verdicts = run_checker(poses, exercise, options.checker_config,
                                            smoothed_with=options.smoothing)
        warnings = []
        if detected < 0.5 * len(poses):
            warnings.append(f"person found in only {detected} of {len(poses)} frames")
        crowded = second_person_warning(n for _, n in people)
        if crowded:
            warnings.append(crowded)
        if skipped_frames:
            warnings.append(f"{skipped_frames} corrupt frame(s) skipped")
        if not info.timestamps:
            warnings.append(f"the video has no timestamps (a raw {info.codec.upper()} stream): it was timed at an "
                            f"assumed {info.fps:g} fps, so holds and tempo are wrong if that rate is; put it in an MP4 "
                            "with its real rate (ffmpeg -framerate RATE -i IN -c copy OUT.mp4)")
        if step_s > MAX_FRAME_STEP_S:
            warnings.append(f"low frame rate ({1 / step_s:.1f} fps): holds count the time between frames, but short "
                            "faults and quick movements between them are missed; film at 15 fps or more")
        if options.exercise is None and exercise is None:
            warnings.append("exercise not recognised; pass --exercise to check form")
        unseen = unseen_note(summary.unseen_s) if summary is not None else None
        if unseen:
            warnings.append(unseen)
        key = get_spec(exercise).key_metrics if exercise else ()
        return Report(
            video=VideoMeta(file=Path(path).name, fps=round(info.fps, 3), width=info.width, height=info.height,
                            frames=len(poses), duration_s=round(poses[-1].timestamp_s, 3) if poses else 0.0,
                            rotation_deg=info.rotation_deg, skipped_frames=skipped_frames),
            model=model_name, exercise=exercise, exercise_source=source_kind, frames=len(poses),
            detected_frames=detected, series=_series(poses, verdicts, key), summary=summary,
            warnings=warnings, poses=poses, verdicts=verdicts,
        )


def build_report(path: str | os.PathLike, info: VideoInfo, raw: RawPoses, options: AnalysisOptions,
                 model_name: str) -> Report:
    """Smoothing, checker, exercise recognition and warnings over raw poses (cheap: ~0.5 ms a frame here)."""
    builder = ReportBuilder(options)
    builder.add(raw.poses)
    return builder.finish(path, info, raw.people, raw.skipped_frames, model_name)


def analyze_video(path: str | os.PathLike, options: AnalysisOptions | None = None,
                  progress: Progress | None = None, models: PoseModels | None = None) -> Report:
    """Analyse a whole video file. Raises VideoError / ModelError / AnalysisError for the user.

    ``models`` lets a worker reuse its pose models across videos (same results as new ones); their
    pose options then win over ``options.pose``.
    """
    options = options or AnalysisOptions()
    if options.exercise is not None:
        get_spec(options.exercise)  # unknown names fail before any decoding
    source = VideoFileSource(path, max_side_px=options.max_side_px)
    own = models is None
    m = PoseModels(options.pose, bool(options.people_check_interval_s)) if own else models
    try:
        with source:
            total = source.info.frame_count or round(source.info.duration_s * source.info.fps)  # progress only
            raw = infer_poses(source, m.fresh(), options, total_frames=total, progress=progress)
        raw.skipped_frames = source.skipped_frames
        model_name = m.model_name
    finally:
        if own:
            m.close()
    report = build_report(path, source.info, raw, options, model_name)
    if progress is not None:
        progress(1.0, "Analysis done")
    return report


def median_frame_step_s(poses: Sequence[PoseFrame]) -> float:
    """The typical time between frames (s); 0 for fewer than two frames."""
    if len(poses) < 2:
        return 0.0
    return float(np.median(np.diff([p.timestamp_s for p in poses])))


def _check_complete(name: str, info, poses: Sequence[PoseFrame], skipped: int) -> None:
    """Refuse a truncated file: fewer frames than its header counts, or (when the header gives no count,
    as MKV/WebM) media time well short of its header's duration. Neither uses duration x nominal fps,
    which variable-rate clips do not meet."""
    if info.frame_count:
        if len(poses) + skipped < TRUNCATED_FRACTION * info.frame_count:
            raise VideoError(f"{name}: file is truncated (only {len(poses)} of its {info.frame_count} frames "
                             "decode); export or copy it again")
        return
    if info.duration_s > 0 and poses:
        decoded_s = poses[-1].timestamp_s + (median_frame_step_s(poses) or 1 / info.fps)
        if decoded_s < TRUNCATED_FRACTION * info.duration_s:
            raise VideoError(f"{name}: file is truncated (only {decoded_s:.1f} s of its {info.duration_s:.1f} s "
                             "decode); export or copy it again")


def write_annotated_video(video_path: str | os.PathLike, report: Report, out_path: str | os.PathLike,
                          progress: Progress | None = None) -> Path:
    """Decode ``video_path`` again and draw ``report``'s poses and verdicts onto it (H.264 mp4).

    The output appears only when complete (temporary file + rename).
    """
    timed = bool(report.exercise) and get_spec(report.exercise).timed
    title = get_spec(report.exercise).display_name if report.exercise else ""
    skeleton, coach = SkeletonAnnotator(), CoachAnnotator()
    source = VideoFileSource(video_path, max_side_px=max(report.video.width, report.video.height))
    n = len(report.poses)
    with source, H264Writer(out_path, fps=source.info.fps) as writer:
        for frame in source:
            i = frame.index
            if i >= n:
                break
            img = frame.image.copy()
            skeleton.annotate(img, report.poses[i])
            coach.annotate(img, report.verdicts[i] if i < len(report.verdicts) else None, timed=timed, title=title,
                           pose=report.poses[i])
            writer.write(img, frame.timestamp_s)
            if progress is not None and i % 10 == 0:
                progress(min(i / max(n, 1), 0.99), "Drawing the annotated video")
    if progress is not None:
        progress(1.0, "Video ready")
    return Path(out_path)

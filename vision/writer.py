"""H.264 MP4 writing that browsers play (PyAV + libx264, yuv420p, even size, faststart).

OpenCV's wheels cannot write H.264 and ``mp4v`` does not play in browsers. The file is written
to a temporary name in the destination folder and renamed into place only when the writer is
closed without error, so a crash or a bad input never leaves a half-written video behind.
"""

from __future__ import annotations

import os
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np


class H264Writer:
    """Write BGR frames with presentation times in seconds.

    >>> with H264Writer("out.mp4", fps=30) as w:        # doctest: +SKIP
    ...     w.write(frame_bgr, timestamp_s)
    """

    TIME_BASE = Fraction(1, 1000)  # millisecond pts keep variable frame rates exact

    def __init__(self, path: str | os.PathLike, fps: float = 30.0, crf: int = 23,
                 preset: str = "veryfast") -> None:
        self.path = Path(path)
        self.fps = float(fps) if fps and fps > 0 else 30.0
        self.crf, self.preset = crf, preset
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}-", suffix=".mp4.part", dir=self.path.parent)
        os.close(fd)
        self._tmp = Path(tmp)
        self._container = None
        self._stream = None
        self._last_pts = -1
        self.frames = 0

    def _open(self, w: int, h: int) -> None:
        import av

        self._container = av.open(str(self._tmp), mode="w", format="mp4",
                                  options={"movflags": "+faststart"})
        s = self._container.add_stream("libx264", rate=Fraction(self.fps).limit_denominator(1001))
        s.width, s.height = w - w % 2, h - h % 2
        s.pix_fmt = "yuv420p"
        s.time_base = self.TIME_BASE
        s.codec_context.time_base = self.TIME_BASE
        s.options = {"crf": str(self.crf), "preset": self.preset}
        self._stream = s

    def write(self, image_bgr: np.ndarray, timestamp_s: float | None = None) -> None:
        import av

        if self._container is None:
            self._open(image_bgr.shape[1], image_bgr.shape[0])
        s = self._stream
        img = image_bgr[: s.height, : s.width]
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="bgr24")
        t = timestamp_s if timestamp_s is not None else self.frames / self.fps
        pts = max(int(round(t * 1000)), self._last_pts + 1)
        self._last_pts = pts
        frame.pts, frame.time_base = pts, self.TIME_BASE
        for packet in s.encode(frame):
            self._container.mux(packet)
        self.frames += 1

    def close(self) -> Path:
        """Finish the file and move it into place; returns the final path."""
        if self._container is None:
            self.abort()
            raise ValueError(f"{self.path}: no frames were written")
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()
        self._container = None
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(self._tmp, 0o666 & ~mask)
        os.replace(self._tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Drop the partial file."""
        if self._container is not None:
            try:
                self._container.close()
            except Exception:  # noqa: BLE001 - we are discarding the file anyway
                pass
            self._container = None
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> H264Writer:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

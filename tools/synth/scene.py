"""Offscreen rendering of the posed body with pyrender + OSMesa (CPU), and H.264 writing.

Import :mod:`tools.synth.body` (torch/anny) **before** this module: loading OSMesa first
segfaults inside triton. pyrender 0.1.45 pins PyOpenGL 3.1.0, which lacks
``OSMesaCreateContextAttribs``: install ``PyOpenGL==3.1.7`` after it. pyrender also uses
``np.infty``, removed in NumPy 2: this module restores the alias before importing it.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")

import av
import numpy as np

# pyrender 0.1.45 still uses np.infty (removed in NumPy 2; opencv-contrib 5 needs NumPy >= 2)
if "infty" not in np.__dict__:
    np.infty = np.inf

import pyrender
import trimesh

from tools.synth.geometry import look_at

BACKGROUND = (0.82, 0.84, 0.86)
FLOOR_RGB = (150, 120, 90)
WALL_RGB = (225, 220, 205)


def _box(extents, center, rgb) -> pyrender.Mesh:
    box = trimesh.creation.box(extents)
    box.apply_translation(center)
    box.visual.vertex_colors = [*rgb, 255]
    return pyrender.Mesh.from_trimesh(box, smooth=False)


class Stage:
    """A room (floor, back wall, exercise mat, two lights, a fixed camera) that renders body meshes."""

    def __init__(self, width: int, height: int, yfov_deg: float, camera_pose: np.ndarray,
                 faces: np.ndarray, vertex_colors: np.ndarray, mat_center=(0.0, 0.0),
                 mat_rgb=(0.30, 0.55, 0.45), shadows: bool = True):
        self.faces = faces
        self.colors = (np.c_[vertex_colors, np.ones(len(vertex_colors))] * 255).astype(np.uint8)
        self.scene = pyrender.Scene(bg_color=[*BACKGROUND, 1.0], ambient_light=[0.35, 0.35, 0.35])
        self.scene.add(_box([20, 20, 0.02], [0, 0, -0.01], FLOOR_RGB))
        self.scene.add(_box([20, 0.02, 6], [0, 2.5, 3], WALL_RGB))
        mat = tuple(round(255 * c) for c in mat_rgb)
        self.scene.add(_box([1.9, 0.65, 0.006], [mat_center[0], mat_center[1], 0.003], mat))
        cam = pyrender.PerspectiveCamera(yfov=np.deg2rad(yfov_deg), aspectRatio=width / height)
        self.scene.add(cam, pose=camera_pose)
        self.scene.add(pyrender.DirectionalLight(color=[1, 1, 1], intensity=3.0),
                       pose=look_at([1.0, -2.0, 4.0], [0, 0, 0]))
        self.scene.add(pyrender.DirectionalLight(color=[1, 0.95, 0.9], intensity=1.2),
                       pose=look_at([-2.0, -1.0, 2.0], [0, 0, 0]))
        self.flags = pyrender.RenderFlags.SHADOWS_DIRECTIONAL if shadows else pyrender.RenderFlags.NONE
        self.renderer = pyrender.OffscreenRenderer(width, height)
        self._node = None

    def render(self, vertices: np.ndarray) -> np.ndarray:
        """RGB uint8 image (height, width, 3) of the body with these vertices (mat floor at z=0)."""
        # lift the body onto the mat's surface so it doesn't sink into it
        v = vertices + np.array([0.0, 0.0, 0.006])
        tm = trimesh.Trimesh(v, self.faces, vertex_colors=self.colors, process=False)
        if self._node is not None:
            self.scene.remove_node(self._node)
        self._node = self.scene.add(pyrender.Mesh.from_trimesh(tm, smooth=True))
        color, _ = self.renderer.render(self.scene, flags=self.flags)
        return np.ascontiguousarray(color[:, :, :3])

    def close(self) -> None:
        self.renderer.delete()


class H264Writer:
    """mp4 (H.264, yuv420p, +faststart) via PyAV/libx264."""

    def __init__(self, path: str | Path, fps: int, width: int, height: int, crf: int = 24):
        if width % 2 or height % 2:
            raise ValueError(f"yuv420p needs even dimensions, got {width}x{height}")
        self.container = av.open(str(path), mode="w", options={"movflags": "+faststart"})
        self.stream = self.container.add_stream("libx264", rate=Fraction(fps, 1))
        self.stream.width, self.stream.height = width, height
        self.stream.pix_fmt = "yuv420p"
        self.stream.options = {"crf": str(crf), "preset": "medium"}

    def write(self, rgb: np.ndarray) -> None:
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        for packet in self.stream.encode(frame):
            self.container.mux(packet)

    def close(self) -> None:
        for packet in self.stream.encode():
            self.container.mux(packet)
        self.container.close()

    def __enter__(self) -> H264Writer:  # noqa: PYI034
        return self

    def __exit__(self, *exc) -> None:
        self.close()

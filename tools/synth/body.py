"""The Anny body (MakeHuman CC0 mesh and rig), posed by per-segment world rotations.

Heavy: imports torch and anny. Import this module **before** pyrender/OSMesa (the other
order segfaults inside triton). Set ``ANNY_CACHE_DIR`` to a folder outside the repository:
the first load takes minutes and writes a ~790 MB cache.

Rest pose of the model: z up, the person faces -y, their left side is +x.
Posing: each segment group gets a world rotation relative to the rest pose; bones that are
in no posed group inherit their parent's rotation. The torso is split into pelvis, lumbar and
chest so the lumbar spine can bend (the lumbar bone takes the average of its neighbours).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

os.environ.setdefault("ANNY_CACHE_DIR", os.path.expanduser("~/.cache/formcoach-anny"))

import anny
import torch

from tools.synth.geometry import align, basis
from tools.synth.timeline import Body as BodySpec

PELVIS = ("root", "spine05", "pelvis.L", "pelvis.R")
LUMBAR = ("spine04",)
CHEST = ("spine03", "spine02", "spine01", "clavicle.L", "clavicle.R", "shoulder01.L", "shoulder01.R")
NECK = ("neck01", "neck02", "neck03", "head")  # posed only for a head fault; otherwise follows the chest


def _limb_groups() -> dict[str, tuple[str, ...]]:
    groups = {}
    for s in "LR":
        groups["uarm." + s] = ("upperarm01." + s, "upperarm02." + s)
        groups["farm." + s] = ("lowerarm01." + s, "lowerarm02." + s)
        groups["thigh." + s] = ("upperleg01." + s, "upperleg02." + s)
        groups["shin." + s] = ("lowerleg01." + s, "lowerleg02." + s)
        groups["foot." + s] = ("foot." + s,)
    return groups


GROUPS: dict[str, tuple[str, ...]] = {"pelvis": PELVIS, "lumbar": LUMBAR, "chest": CHEST, "neck": NECK,
                                      **_limb_groups()}

#: anny bone whose head is each ground-truth joint (s = L/R).
BONE_JOINTS = {"shoulder": "upperarm01", "elbow": "lowerarm01", "wrist": "wrist", "hip": "upperleg01",
               "knee": "lowerleg01", "ankle": "foot"}
_SIDE_NAME = {"L": "left", "R": "right"}

_MODEL = None


def load_model():
    """The Anny model (loaded once per process)."""
    global _MODEL
    if _MODEL is None:
        _MODEL = anny.Anny().to(dtype=torch.float32)
    return _MODEL


@dataclass
class Posed:
    vertices: np.ndarray  # (V, 3) world metres
    joints: dict[str, np.ndarray]  # ground-truth joint name -> (3,)

    def transformed(self, fn) -> Posed:
        return Posed(fn(self.vertices), {k: fn(v[None])[0] for k, v in self.joints.items()})


class AnnyBody:
    """One body shape, posable many times."""

    def __init__(self, spec: BodySpec):
        m = load_model()
        self.model = m
        self.spec = spec
        self.phenotype = {k: float(spec.phenotype.get(k, 0.5)) for k in m.phenotype_labels}
        unknown = set(spec.phenotype) - set(m.phenotype_labels)
        if unknown:
            raise ValueError(f"Unknown phenotype labels {sorted(unknown)}; valid: {list(m.phenotype_labels)}")
        self.labels = list(m.bone_labels)
        self.index = {n: i for i, n in enumerate(self.labels)}
        self.parents = np.asarray(m.bone_parents)
        B = m.bone_count
        with torch.no_grad():
            out = m(pose_parameters=torch.eye(4)[None, None].repeat(1, B, 1, 1), phenotype_kwargs=self.phenotype)
        self.rest_bones = out["rest_bone_poses"][0].numpy()
        self.rest_vertices = out["vertices"][0].numpy()
        self.faces = m.faces.numpy()
        self.heads = {n: self.rest_bones[i, :3, 3] for i, n in enumerate(self.labels)}
        w = m.vertex_bone_weights.numpy()
        idx = m.vertex_bone_indices.numpy()
        self.dominant = np.array([self.labels[i] for i in idx[np.arange(len(idx)), w.argmax(1)]])
        self.group_of = {}
        for g, bones in GROUPS.items():
            for b in bones:
                self.group_of[b] = g
        self._landmark_vertices = self._find_landmark_vertices()
        self.colors = self._vertex_colors()

    # --- rest-pose geometry -------------------------------------------------------------
    def head(self, bone: str) -> np.ndarray:
        return self.heads[bone]

    def rest_dir(self, a: str, b: str) -> np.ndarray:
        d = self.heads[b] - self.heads[a]
        return d / np.linalg.norm(d)

    @property
    def rest_torso_up(self) -> np.ndarray:
        sh = (self.heads["upperarm01.L"] + self.heads["upperarm01.R"]) / 2
        hp = (self.heads["upperleg01.L"] + self.heads["upperleg01.R"]) / 2
        return sh - hp

    def region(self, prefixes: tuple[str, ...]) -> np.ndarray:
        """Vertex mask of the bones whose names start with any of ``prefixes``."""
        return np.array([d.startswith(prefixes) for d in self.dominant])

    def _find_landmark_vertices(self) -> dict[str, int]:
        """Mesh vertices standing for nose, ears, heels and toe tips.

        Chosen on the rest mesh of the average phenotype (the topology is shared by every body,
        so each body tracks the same anatomical vertices).
        """
        m = self.model
        B = m.bone_count
        with torch.no_grad():
            out = m(pose_parameters=torch.eye(4)[None, None].repeat(1, B, 1, 1),
                    phenotype_kwargs={k: 0.5 for k in m.phenotype_labels})
        V = out["vertices"][0].numpy()
        bones = out["rest_bone_poses"][0].numpy()
        heads = {n: bones[i, :3, 3] for i, n in enumerate(self.labels)}
        head = np.isin(self.dominant, ["head", "neck03"])
        eye_z = heads["eye.L"][2]
        out = {}
        near_mid = head & (np.abs(V[:, 0]) < 0.01) & (V[:, 2] < eye_z) & (V[:, 2] > eye_z - 0.06)
        out["nose"] = int(np.flatnonzero(near_mid)[np.argmin(V[near_mid, 1])])
        for s, sign in (("L", 1), ("R", -1)):
            ear = head & (np.abs(V[:, 2] - (eye_z - 0.01)) < 0.02) & (np.abs(V[:, 1] - heads["head"][1]) < 0.04)
            cand = np.flatnonzero(ear)
            out["ear." + s] = int(cand[np.argmax(sign * V[cand, 0])])
            foot = np.array([d.startswith(("foot." + s, "toe")) and d.endswith("." + s) for d in self.dominant])
            cand = np.flatnonzero(foot)
            low = cand[V[cand, 2] < V[cand, 2].min() + 0.02]
            out["heel." + s] = int(low[np.argmax(V[low, 1])])
            out["toe." + s] = int(low[np.argmin(V[low, 1])])
        return out

    def _vertex_colors(self) -> np.ndarray:
        spec, V, dom, h = self.spec, self.rest_vertices, self.dominant, self.heads
        C = np.tile(np.array(spec.color("skin")), (len(V), 1))
        shirt = np.isin(dom, ["spine05", "spine04", "spine03", "spine02", "spine01", "clavicle.L", "clavicle.R",
                              "shoulder01.L", "shoulder01.R", "upperarm01.L", "upperarm01.R", "neck01"])
        shirt &= V[:, 2] < h["neck02"][2] - 0.03  # collar
        hip_z = h["upperleg01.L"][2]
        shorts = np.isin(dom, ["root", "pelvis.L", "pelvis.R", "upperleg01.L", "upperleg01.R"])
        C[shirt] = spec.color("shirt")
        C[np.isin(dom, ["spine05", "spine04"]) | (shirt & (V[:, 2] < hip_z + 0.12))] = spec.color("shirt")
        C[shorts & (V[:, 2] < hip_z + 0.10)] = spec.color("shorts")
        feet = np.array([d.startswith(("toe", "foot")) for d in dom])
        C[feet] = spec.color("shoes")
        head = np.isin(dom, ["head", "neck03"])
        eye_z, hc = h["eye.L"][2], h["head"]
        hair = head & ((V[:, 2] > eye_z + 0.045) | ((V[:, 1] > hc[1] + 0.035) & (V[:, 2] > eye_z - 0.05)))
        C[hair] = spec.color("hair")
        for s in "LR":
            eye = dom == "eye." + s
            if eye.any():
                C[eye] = (0.95, 0.95, 0.95)
                front = V[eye, 1].min()
                C[eye & (V[:, 1] < front + 0.006)] = (0.2, 0.12, 0.06)
        return C

    # --- posing -------------------------------------------------------------------------
    def segment(self, rest_up, rest_fwd, up, fwd) -> np.ndarray:
        """World rotation taking a segment's rest frame (up, fwd) to the target frame."""
        return basis(up, fwd) @ basis(rest_up, rest_fwd).T

    def bend(self, parent_rot: np.ndarray, a: str, b: str, target_dir) -> np.ndarray:
        """Rotation of the segment a->b so it points along ``target_dir``, twisting least from its parent."""
        return align(parent_rot @ self.rest_dir(a, b), target_dir) @ parent_rot

    def pose(self, rotations: Mapping[str, np.ndarray]) -> Posed:
        """Pose the body; ``rotations`` maps group name -> 3x3 world rotation relative to rest."""
        m = self.model
        B = len(self.labels)
        per_bone: list[np.ndarray] = [np.eye(3)] * B
        for i, name in enumerate(self.labels):
            g = self.group_of.get(name)
            if g is not None and g in rotations:
                per_bone[i] = rotations[g]
            elif i > 0:
                per_bone[i] = per_bone[self.parents[i]]
        D = np.tile(np.eye(4), (B, 1, 1))
        for i in range(B):
            D[i, :3, :3] = per_bone[i] @ self.rest_bones[i, :3, :3]
        D[0, :3, 3] = self.rest_bones[0, :3, 3]
        with torch.no_grad():
            out = m(pose_parameters=torch.tensor(D, dtype=torch.float32)[None], phenotype_kwargs=self.phenotype,
                    pose_parameterization="world-orient")
        V = out["vertices"][0].numpy().astype(float)
        P = out["bone_poses"][0].numpy()
        joints = {}
        for key, bone in BONE_JOINTS.items():
            for s in "LR":
                joints[f"{_SIDE_NAME[s]}_{key}"] = P[self.index[f"{bone}.{s}"], :3, 3].astype(float)
        for s in "LR":
            eye = P[self.index["eye." + s], :3, 3].astype(float)
            joints[f"{_SIDE_NAME[s]}_eye"] = eye
            joints[f"{_SIDE_NAME[s]}_ear"] = V[self._landmark_vertices["ear." + s]]
            joints[f"{_SIDE_NAME[s]}_heel"] = V[self._landmark_vertices["heel." + s]]
            joints[f"{_SIDE_NAME[s]}_foot_index"] = V[self._landmark_vertices["toe." + s]]
        joints["nose"] = V[self._landmark_vertices["nose"]]
        return Posed(V, joints)

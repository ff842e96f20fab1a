"""Export a clip as an animated glTF binary (``.glb``) for Blender, three.js and ``gr.Model3D``.

The mesh is the face model shaped to the clip's identity. Expression and eyelid shapes are
morph targets with per-frame weights; head (global), neck, jaw and eyes are skin joints with
per-frame rotations, all sampled at the clip's fps with linear interpolation. FLAME's pose
correctives are not representable in glTF and are left out (they are millimetre-scale).
"""
from __future__ import annotations

import json
import os
import struct

import numpy as np
import torch

from .clip import FaceClip
from .face_model import JOINT_NAMES, NUM_JOINTS, FaceModel
from .io_utils import atomic_path
from .render import vertex_normals
from .rotations import axis_angle_to_quaternion
from .video import check_fps

_FLOAT, _USHORT, _UINT = 5126, 5123, 5125
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963


class _Buffer:
    """Accumulates binary data and the bufferViews / accessors that describe it."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.views: list[dict] = []
        self.accessors: list[dict] = []

    def add(self, array: np.ndarray, kind: str, component: int, target: int | None = None, bounds: bool = False) -> int:
        dtype = {_FLOAT: "<f4", _USHORT: "<u2", _UINT: "<u4"}[component]
        array = np.ascontiguousarray(array, dtype=dtype)
        while len(self.data) % 4:
            self.data.append(0)
        view = {"buffer": 0, "byteOffset": len(self.data), "byteLength": array.nbytes}
        if target is not None:
            view["target"] = target
        self.data += array.tobytes()
        self.views.append(view)
        count = array.shape[0] if kind != "SCALAR" or array.ndim else 1
        accessor = {"bufferView": len(self.views) - 1, "componentType": component, "count": int(count), "type": kind}
        if bounds:
            flat = array.reshape(count, -1)
            accessor["min"] = flat.min(0).tolist()
            accessor["max"] = flat.max(0).tolist()
        self.accessors.append(accessor)
        return len(self.accessors) - 1


def _target_names(model: FaceModel, count: int) -> list[str]:
    if model.expression_names:
        return list(model.expression_names[:count])
    return [f"exp_{i:02d}" for i in range(count)]


def clip_to_glb(clip: FaceClip, model: FaceModel, path: str | os.PathLike) -> None:
    """Write ``clip`` animated on ``model`` to ``path`` (``.glb``), atomically: expression and eyelid
    shapes as morph targets, head, neck, jaw and eyes as skin joints.

    Keyframes are at ``t / fps`` seconds; a frame rate outside what :func:`check_fps` allows is
    refused first (it would give zero or infinite keyframe times).
    """
    check_fps(clip.fps, f"{path}: clip {clip.clip_id or clip.origin}")
    num_expr = min(clip.expression.shape[1], model.num_expression)
    targets = model.offsets("expression")[:num_expr].numpy()
    names = _target_names(model, num_expr)
    weights = clip.expression[:, :num_expr]
    if model.has_eyelids:
        targets = np.concatenate([targets, model.offsets("eyelids").numpy()])
        names += ["eyelid_L", "eyelid_R"]
        weights = np.concatenate([weights, clip.eyelids], 1)
    rotations = {0: clip.head_pose, 2: clip.jaw_pose}
    if clip.neck_pose is not None:
        rotations[1] = clip.neck_pose
    if clip.eye_pose is not None:
        rotations[3], rotations[4] = clip.eye_pose[:, :3], clip.eye_pose[:, 3:]
    write_animated_glb(path, model, model.identity_for(clip), targets, names, weights, rotations, clip.fps,
                       clip.clip_id or "face", clip.prompt[:60] or "motion")


def write_animated_glb(path: str | os.PathLike, model: FaceModel, shape: torch.Tensor, targets: np.ndarray,
                       names: list[str], weights: np.ndarray, rotations: dict[int, np.ndarray], fps: float,
                       node_name: str, animation_name: str) -> None:
    """Write ``model``'s mesh on identity ``shape`` to ``path`` (``.glb``), atomically, with morph targets
    ``targets [K, V, 3]`` (m) named ``names`` (glTF ``extras.targetNames``) animated by ``weights [T, K]``,
    and skin joints ``rotations`` (joint index -> axis-angle ``[T, 3]``), keyframes at ``t / fps`` seconds."""
    with torch.no_grad():
        rest, joints = (t.numpy() for t in model.rest(shape))
    num_frames = len(weights)

    buf = _Buffer()
    faces = model.faces.numpy()
    attributes = {
        "POSITION": buf.add(rest, "VEC3", _FLOAT, _ARRAY_BUFFER, bounds=True),
        "NORMAL": buf.add(vertex_normals(rest, faces), "VEC3", _FLOAT, _ARRAY_BUFFER),
    }
    albedo = model.albedo(shape)
    if albedo is not None:
        attributes["COLOR_0"] = buf.add(albedo, "VEC3", _FLOAT, _ARRAY_BUFFER)
    lbs = model.lbs_weights.numpy()
    order = np.argsort(-lbs, axis=1)[:, :4]
    top = np.take_along_axis(lbs, order, 1)
    top = top / np.maximum(top.sum(1, keepdims=True), 1e-12)
    attributes["JOINTS_0"] = buf.add(order.astype(np.uint16), "VEC4", _USHORT, _ARRAY_BUFFER)
    attributes["WEIGHTS_0"] = buf.add(top, "VEC4", _FLOAT, _ARRAY_BUFFER)
    indices = buf.add(faces.reshape(-1).astype(np.uint32), "SCALAR", _UINT, _ELEMENT_ARRAY_BUFFER)
    morph = [{"POSITION": buf.add(t, "VEC3", _FLOAT, _ARRAY_BUFFER, bounds=True)} for t in targets]

    parents = model.parents
    joint_nodes = []
    for j in range(NUM_JOINTS):
        offset = joints[j] - (joints[parents[j]] if parents[j] >= 0 else 0.0)
        children = [1 + c for c in range(NUM_JOINTS) if parents[c] == j]
        node = {"name": JOINT_NAMES[j], "translation": offset.tolist()}
        if children:
            node["children"] = children
        joint_nodes.append(node)
    inverse_bind = np.tile(np.eye(4, dtype=np.float32), (NUM_JOINTS, 1, 1))
    inverse_bind[:, :3, 3] = -joints
    ibm = buf.add(inverse_bind.transpose(0, 2, 1).reshape(NUM_JOINTS, 16), "MAT4", _FLOAT)  # column-major

    times = np.arange(num_frames, dtype=np.float32) / np.float32(fps)
    time_acc = buf.add(times, "SCALAR", _FLOAT, bounds=True)
    samplers = [{"input": time_acc, "output": buf.add(weights.reshape(-1), "SCALAR", _FLOAT), "interpolation": "LINEAR"}]
    channels = [{"sampler": 0, "target": {"node": 0, "path": "weights"}}]
    for joint, rotvec in rotations.items():
        quats = axis_angle_to_quaternion(rotvec)  # x, y, z, w
        samplers.append({"input": time_acc, "output": buf.add(quats, "VEC4", _FLOAT), "interpolation": "LINEAR"})
        channels.append({"sampler": len(samplers) - 1, "target": {"node": 1 + joint, "path": "rotation"}})

    while len(buf.data) % 4:
        buf.data.append(0)
    document = {
        "asset": {"version": "2.0", "generator": "tdmm-lm"},
        "scene": 0,
        "scenes": [{"nodes": [0, 1]}],
        "nodes": [{"name": node_name, "mesh": 0, "skin": 0}, *joint_nodes],
        "meshes": [{
            "name": model.name,
            "primitives": [{"attributes": attributes, "indices": indices, "targets": morph, "material": 0}],
            "weights": [0.0] * len(targets),
            "extras": {"targetNames": names},
        }],
        "materials": [{"name": "skin", "pbrMetallicRoughness": {"baseColorFactor": [1, 1, 1, 1], "metallicFactor": 0.0, "roughnessFactor": 0.6}}],
        "skins": [{"joints": list(range(1, 1 + NUM_JOINTS)), "inverseBindMatrices": ibm, "skeleton": 1}],
        "animations": [{"name": animation_name, "samplers": samplers, "channels": channels}],
        "buffers": [{"byteLength": len(buf.data)}],
        "bufferViews": buf.views,
        "accessors": buf.accessors,
    }
    blob = json.dumps(document, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 4)
    total = 12 + 8 + len(blob) + 8 + len(buf.data)
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        handle.write(struct.pack("<4sII", b"glTF", 2, total))
        handle.write(struct.pack("<I4s", len(blob), b"JSON") + blob)
        handle.write(struct.pack("<I4s", len(buf.data), b"BIN\x00") + bytes(buf.data))

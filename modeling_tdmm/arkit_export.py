"""Write ARKit takes where animators use them: Live Link Face CSV, tdmm-arkit JSON, or a glTF whose
morph targets carry the 52 ARKit names (three.js, Babylon.js, Blender shape keys, avatar pipelines)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from .arkit_io import write_arkit_json, write_live_link_csv
from .arkit_names import ARKIT_NAMES
from .arkit_rig import ARKitRig, euler_to_axis_angle
from .arkit_take import ARKitTake
from .gltf import write_animated_glb
from .video import check_fps

__all__ = ["ARKIT_SUFFIXES", "take_to_glb", "write_take"]

#: Output suffixes an ARKit take is written to.
ARKIT_SUFFIXES = (".csv", ".json", ".glb")


def take_to_glb(take: ARKitTake, path: str | os.PathLike, rig: ARKitRig | None = None,
                shape: np.ndarray | None = None, name: str = "face") -> None:
    """Write ``take`` to ``path`` (``.glb``), atomically: the open head on identity ``shape`` with 52 morph
    targets named as ARKit names them (``extras.targetNames``, canonical order) animated by the weights,
    and the head's yaw, pitch and roll on the head joint. The jaw and eyes move through their ARKit shapes
    (baked morphs), not joints, so a player that maps ARKit names needs nothing else."""
    rig = rig or ARKitRig.default()
    check_fps(take.fps, f"{path}: take {take.origin}")
    targets = rig.shape_offsets(shape)
    betas = torch.zeros(0) if shape is None else torch.as_tensor(np.asarray(shape, np.float32))
    write_animated_glb(path, rig.model, betas, targets, list(ARKIT_NAMES), take.weights,
                       {0: euler_to_axis_angle(take.head)}, take.fps, name, "arkit")


def write_take(take: ARKitTake, path: str | os.PathLike, rig: ARKitRig | None = None,
               shape: np.ndarray | None = None) -> None:
    """Write ``take`` by the output's suffix: ``.csv`` Live Link Face, ``.json`` tdmm-arkit JSON keyed by
    Apple's names, ``.glb`` ARKit-named morph targets (on identity ``shape``)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        write_live_link_csv(take, path)
    elif suffix == ".json":
        write_arkit_json(take, path)
    elif suffix == ".glb":
        take_to_glb(take, path, rig, shape, Path(take.origin).stem or "face")
    else:
        raise ValueError(f"{path}: an ARKit take is written as {', '.join(ARKIT_SUFFIXES)}, not '{suffix or 'no suffix'}'")

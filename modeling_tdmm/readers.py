"""Read per-clip tracker outputs into :class:`FaceClip` (formats recognised by content).

* SMIRK in the TDMM-LM authors' layout: a pickle of a dict of per-frame lists,
  ``expression`` (50), ``pose`` (3, head), ``eyelid`` (2), ``jaw`` (3), ``identity`` (300),
  ``camera_pose`` (3). Read with the restricted unpickler.
* DECA / EMOCA / SPECTRE ``.npz``: ``exp`` [T, 50+], ``pose`` [T, 6] (head 3 + jaw 3),
  ``shape`` [T, 100] or [100]; ``cam``, ``tex``, ``light`` are ignored.
* Our own ``clip.npz``.
* ARKit face capture: Live Link Face CSV, MediaPipe blendshapes (CSV / JSON) or tdmm-arkit JSON,
  played on open-head-v1 through its ARKit shapes (:mod:`modeling_tdmm.arkit_rig`).

All trackers use FLAME 2020 and axis-angle rotations; their videos are 25 fps unless told.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .arkit_io import is_arkit_file, read_arkit_file
from .clip import DEFAULT_FPS, FaceClip
from .io_utils import NpzArchive, as_real_array, looks_like_npz, require_regular_file
from .limits import MAX_ARRAY_BYTES, MAX_FRAMES
from .safe_pickle import load_pickle

SMIRK_WIDTHS = {"expression": 50, "pose": 3, "eyelid": 2, "jaw": 3}
SMIRK_OPTIONAL = {"identity": 300, "camera_pose": 3}


class TrackerFormatError(ValueError):
    """A tracker file is unknown or malformed; the message names the file, key and shapes."""


def _per_frame(value: Any, path: str, key: str, width: int | None) -> np.ndarray:
    """Stack a per-frame list (or a ``[T, D]`` / ``[1, T, D]`` array) of real numbers into ``[T, D]`` float32.

    Frame count, dtype and widths are checked before anything is stacked or copied.
    """
    label = f"{path}: key '{key}'"
    want = f"[T, {width}]" if width is not None else "[T, D]"
    if isinstance(value, (list, tuple)):
        MAX_FRAMES.check(len(value), label)
        frames = [as_real_array(v, label, TrackerFormatError).reshape(-1) for v in value]
        widths = sorted({len(f) for f in frames})
        if len(widths) > 1:
            raise TrackerFormatError(f"{label} should have shape {want}, but its frames have different widths {widths[:5]}")
        if frames and width is not None and widths[0] != width:
            raise TrackerFormatError(f"{label} should have shape {want}, got {[len(frames), widths[0]]}")
        MAX_ARRAY_BYTES.check(4 * len(frames) * (widths[0] if frames else 0), label)
        array = np.stack(frames).astype(np.float32) if frames else np.zeros((0, width or 0), np.float32)
    else:
        array = as_real_array(value, label, TrackerFormatError)
        if array.ndim == 3 and array.shape[0] == 1:  # [1, T, D] as some exporters write
            array = array[0]
        if array.ndim == 2:
            MAX_FRAMES.check(len(array), label)
        array = array.astype(np.float32)
    if array.ndim != 2 or (width is not None and array.shape[1] != width):
        raise TrackerFormatError(f"{label} should have shape {want}, got {list(array.shape)}")
    if len(array) == 0:
        raise TrackerFormatError(f"{label} has no frames")
    return array


def _check_lengths(path: str, arrays: dict[str, np.ndarray]) -> None:
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise TrackerFormatError(f"{path}: per-frame keys disagree on the number of frames: {lengths}")


def read_smirk(path: str, data: dict[str, Any], fps: float) -> FaceClip:
    """SMIRK (TDMM-LM pipeline) pickle dict -> clip. Identity is averaged over frames."""
    arrays = {k: _per_frame(data[k], path, k, w) for k, w in SMIRK_WIDTHS.items()}
    _check_lengths(path, arrays)
    shape = np.zeros(300, np.float32)
    if "identity" in data:
        identity = _per_frame(data["identity"], path, "identity", None)
        shape = identity.mean(0)
    return FaceClip(
        expression=arrays["expression"], jaw_pose=arrays["jaw"], eyelids=arrays["eyelid"],
        head_pose=arrays["pose"], shape=shape, fps=fps, clip_id=Path(path).stem,
        source="smirk", face_model="flame2020", origin=path,
    )


def read_deca_family(path: str, data: dict[str, np.ndarray], fps: float, source: str = "deca") -> FaceClip:
    """DECA / EMOCA / SPECTRE npz -> clip. Expression beyond 50 columns is dropped; no eyelids."""
    exp = _per_frame(data["exp"], path, "exp", None)
    if exp.shape[1] < 50:
        raise TrackerFormatError(f"{path}: key 'exp' should have shape [T, 50] (or wider), got {list(exp.shape)}")
    pose = _per_frame(data["pose"], path, "pose", 6)
    _check_lengths(path, {"exp": exp, "pose": pose})
    shape = np.zeros(100, np.float32)
    if "shape" in data:
        s = as_real_array(data["shape"], f"{path}: key 'shape'", TrackerFormatError).astype(np.float32)
        shape = s.reshape(-1, s.shape[-1]).mean(0) if s.ndim > 1 else s
    return FaceClip(
        expression=exp[:, :50], jaw_pose=pose[:, 3:6], eyelids=np.zeros((len(exp), 2), np.float32),
        head_pose=pose[:, :3], shape=shape, fps=fps, clip_id=Path(path).stem,
        source=source, face_model="flame2020", origin=path,
        attributes={"dropped_expression_columns": int(exp.shape[1] - 50)} if exp.shape[1] > 50 else {},
    )


def _unknown(path: str, keys: list[str]) -> TrackerFormatError:
    return TrackerFormatError(
        f"{path}: unknown tracker format (keys {sorted(keys)}); expected a clip.npz, a DECA/EMOCA/SPECTRE npz "
        f"with 'exp' and 'pose', a SMIRK pickle with {sorted(SMIRK_WIDTHS)}, or an ARKit capture (Live Link Face CSV, "
        "MediaPipe blendshapes CSV/JSON, tdmm-arkit JSON)"
    )


def read_tracker_file(path: str | os.PathLike, fps: float | None = None, source: str | None = None,
                      neutral_frames: tuple[int, int] | None = None) -> FaceClip:
    """Read any supported tracker output (or a clip) into a validated :class:`FaceClip`.

    ``fps`` overrides the frame rate (trackers do not store it; 25 by default, and a clip is
    resampled to it; ARKit captures keep the rate of their timecodes or timestamps and use ``fps`` only
    where they have none); ``source`` overrides the
    recorded tracker name for DECA-family and ARKit files; ``neutral_frames`` ``(first, end)`` calibrates an
    ARKit capture on those frames of a neutral face (:meth:`ARKitTake.calibrated`; refused for other files).
    Only regular files are read; an ``.npz`` (or any zip) is checked member by member from
    its headers before loading, anything else is read with the restricted unpickler.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    require_regular_file(path, "tracker file")
    rate = float(fps or DEFAULT_FPS)
    npz = looks_like_npz(path)
    arkit = not npz and is_arkit_file(path)
    if neutral_frames is not None and not arkit:
        raise TrackerFormatError(f"{path}: neutral frames calibrate ARKit captures (Live Link Face CSV, MediaPipe "
                                 "blendshapes); this file is not one")
    if npz:
        with NpzArchive(path, TrackerFormatError) as archive:
            if FaceClip.is_clip_file(archive.files):
                clip = FaceClip.from_npz(archive, path)
                return clip.resample(fps) if fps and fps != clip.fps else clip
            if not {"exp", "pose"} <= set(archive.files):
                raise _unknown(path, archive.files)
            arrays = {key: archive.load(key, per_frame=True) for key in ("exp", "pose", "shape") if key in archive.files}
        return read_deca_family(path, arrays, rate, source or "deca")
    if arkit:
        from .arkit_rig import ARKitRig

        take = read_arkit_file(path, fps)
        if neutral_frames is not None:
            take = take.calibrated(*neutral_frames)
        return ARKitRig.default().to_clip(take, source=source or "arkit", clip_id=Path(path).stem)
    data = load_pickle(path)
    if not isinstance(data, dict):
        raise TrackerFormatError(f"{path}: expected a pickled dict of per-frame arrays, got {type(data).__name__}")
    if not set(SMIRK_WIDTHS) <= set(data):
        raise _unknown(path, [str(k) for k in data])
    return read_smirk(path, data, rate)

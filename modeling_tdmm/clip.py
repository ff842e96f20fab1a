"""The one data contract: a face-motion clip (FLAME-layout parameters per frame plus metadata).

Readers produce it, the dataset stores it, models consume and emit it. On disk it is a
``clip.npz``: one array per motion field and the metadata as a JSON string (no pickle).
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from .io_utils import atomic_savez
from .motion_fields import MOTION_FIELDS, OPTIONAL_MOTION_FIELDS, ROTATION_FIELDS

METADATA_FIELDS = ("clip_id", "prompt", "captions", "source", "face_model", "attributes")
DEFAULT_FPS = 25.0
_META_KEY = "meta_json"


class ClipValidationError(ValueError):
    """A clip field has the wrong type, shape or values; the message names which."""


def _as_motion(value: Any, name: str, width: int, origin: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ClipValidationError(f"{origin}: field '{name}' should be a numeric array [T, {width}], got {type(value).__name__}") from exc
    if array.ndim != 2 or array.shape[1] != width:
        raise ClipValidationError(f"{origin}: field '{name}' should have shape [T, {width}], got {list(array.shape)}")
    if not np.isfinite(array).all():
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ClipValidationError(f"{origin}: field '{name}' has NaN/inf values (first at frame {bad[0]}, column {bad[1]})")
    return np.ascontiguousarray(array)


@dataclass
class FaceClip:
    """One face-motion clip, ``T`` frames at ``fps``.

    Attributes:
        expression: ``[T, 50]`` expression coefficients (FLAME's first 50 PCA components, or
            open-head-v1's 50 FACS shapes, 1 = apex).
        jaw_pose: ``[T, 3]`` jaw rotation, axis-angle, radians.
        eyelids: ``[T, 2]`` left/right eyelid closure (SMIRK convention), 0 = open, 1 = closed.
        head_pose: ``[T, 3]`` global head rotation, axis-angle, radians.
        shape: ``[n_shape]`` identity coefficients, constant over the clip.
        fps: frames per second.
        neck_pose: optional ``[T, 3]`` neck rotation.
        eye_pose: optional ``[T, 6]`` left then right eyeball rotation (gaze).
        clip_id, prompt, captions, source, face_model: metadata.
        attributes: ground truth where known (emotions, intensity, head motion, events with
            ``start``/``end`` frame spans, subject); JSON-serialisable.
    """

    expression: np.ndarray
    jaw_pose: np.ndarray
    eyelids: np.ndarray
    head_pose: np.ndarray
    shape: np.ndarray
    fps: float = DEFAULT_FPS
    neck_pose: np.ndarray | None = None
    eye_pose: np.ndarray | None = None
    clip_id: str = ""
    prompt: str = ""
    captions: list[str] = field(default_factory=list)
    source: str = "unknown"
    face_model: str = "open-head-v1"
    attributes: dict[str, Any] = field(default_factory=dict)
    origin: str = field(default="clip", repr=False, compare=False)

    def __post_init__(self) -> None:
        origin = self.origin or "clip"
        lengths = {}
        for name, width in {**MOTION_FIELDS, **OPTIONAL_MOTION_FIELDS}.items():
            value = getattr(self, name)
            if value is None:
                if name in MOTION_FIELDS:
                    raise ClipValidationError(f"{origin}: required field '{name}' [T, {width}] is missing")
                continue
            array = _as_motion(value, name, width, origin)
            setattr(self, name, array)
            lengths[name] = array.shape[0]
        if len(set(lengths.values())) > 1:
            detail = ", ".join(f"{k}={v}" for k, v in lengths.items())
            raise ClipValidationError(f"{origin}: all motion fields must have the same number of frames T, got {detail}")
        if lengths["expression"] == 0:
            raise ClipValidationError(f"{origin}: clip has T = 0 frames; at least one frame is required")
        shape = np.asarray(self.shape, dtype=np.float32)
        if shape.ndim != 1 or not np.isfinite(shape).all():
            raise ClipValidationError(f"{origin}: field 'shape' should be a finite vector [n_shape], got shape {list(shape.shape)}")
        self.shape = shape
        try:
            self.fps = float(self.fps)
        except (TypeError, ValueError) as exc:
            raise ClipValidationError(f"{origin}: field 'fps' should be a positive number, got {self.fps!r}") from exc
        if not (math.isfinite(self.fps) and self.fps > 0):
            raise ClipValidationError(f"{origin}: field 'fps' should be a positive number, got {self.fps}")
        if isinstance(self.captions, str) or not all(isinstance(c, str) for c in self.captions):
            raise ClipValidationError(f"{origin}: field 'captions' should be a list of strings")
        self.captions = list(self.captions)

    # ------------------------------------------------------------------ properties
    @property
    def num_frames(self) -> int:
        return int(self.expression.shape[0])

    @property
    def duration(self) -> float:
        """Length in seconds (``T / fps``)."""
        return self.num_frames / self.fps

    def motion(self) -> dict[str, np.ndarray]:
        """The per-frame arrays present in this clip, by field name."""
        names = list(MOTION_FIELDS) + [n for n in OPTIONAL_MOTION_FIELDS if getattr(self, n) is not None]
        return {n: getattr(self, n) for n in names}

    def metadata(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in METADATA_FIELDS}

    # ------------------------------------------------------------------ conversions
    def to_dict(self) -> dict[str, Any]:
        """Plain dict: motion arrays, ``shape``, ``fps``, ``num_frames`` and metadata."""
        return {**self.motion(), "shape": self.shape, "fps": self.fps, "num_frames": self.num_frames, **self.metadata()}

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "clip") -> "FaceClip":
        """Inverse of :meth:`to_dict`; also accepts dataset rows (lists of lists)."""
        missing = [k for k in (*MOTION_FIELDS, "shape") if k not in data]
        if missing:
            raise ClipValidationError(f"{origin}: missing field(s) {missing}")
        kwargs = {k: data[k] for k in (*MOTION_FIELDS, "shape")}
        for k in OPTIONAL_MOTION_FIELDS:
            if data.get(k) is not None:
                kwargs[k] = data[k]
        for k in METADATA_FIELDS:
            if k in data and data[k] is not None:
                kwargs[k] = data[k]
        if isinstance(kwargs.get("attributes"), str):
            kwargs["attributes"] = json.loads(kwargs["attributes"])
        clip = cls(fps=data.get("fps", DEFAULT_FPS), origin=origin, **kwargs)
        if "num_frames" in data and int(data["num_frames"]) != clip.num_frames:
            raise ClipValidationError(f"{origin}: 'num_frames' says {data['num_frames']} but the motion fields have {clip.num_frames} frames")
        return clip

    def save(self, path: str | os.PathLike) -> None:
        """Write ``clip.npz`` atomically: arrays plus metadata JSON (no pickle)."""
        meta = {**self.metadata(), "fps": self.fps}
        arrays = {**self.motion(), "shape": self.shape, _META_KEY: np.array(json.dumps(meta))}
        atomic_savez(path, arrays, compressed=True)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "FaceClip":
        origin = os.fspath(path)
        with np.load(origin, allow_pickle=False) as data:
            return cls.from_npz(data, origin)

    @classmethod
    def from_npz(cls, data: Any, origin: str) -> "FaceClip":
        """A clip from an open ``np.load`` archive (``allow_pickle=False``)."""
        if _META_KEY not in data.files:
            raise ClipValidationError(f"{origin}: not a clip file (no '{_META_KEY}' entry; keys {sorted(data.files)})")
        meta = json.loads(str(data[_META_KEY]))
        arrays = {k: data[k] for k in data.files if k != _META_KEY}
        return cls.from_dict({**arrays, **meta}, origin=origin)

    @staticmethod
    def is_clip_file(keys: list[str]) -> bool:
        return _META_KEY in keys

    # ------------------------------------------------------------------ time
    def resample(self, fps: float) -> "FaceClip":
        """The same motion at another frame rate: linear for coefficients, slerp for rotations.

        Event spans in ``attributes['events']`` (``start``/``end`` frames) are rescaled.
        """
        if not (fps > 0 and math.isfinite(fps)):
            raise ClipValidationError(f"{self.origin}: target fps should be a positive number, got {fps}")
        old_t = np.arange(self.num_frames) / self.fps
        new_count = max(1, int(round((self.num_frames - 1) * fps / self.fps)) + 1)
        new_t = np.minimum(np.arange(new_count) / fps, old_t[-1])
        fields = {}
        for name, values in self.motion().items():
            if self.num_frames == 1:
                fields[name] = np.repeat(values, new_count, 0)
            elif name in ROTATION_FIELDS:
                parts = [
                    Slerp(old_t, Rotation.from_rotvec(values[:, k:k + 3].astype(np.float64)))(new_t).as_rotvec()
                    for k in range(0, values.shape[1], 3)
                ]
                fields[name] = np.concatenate(parts, 1)
            else:
                fields[name] = np.stack([np.interp(new_t, old_t, values[:, k]) for k in range(values.shape[1])], 1)
        attributes = json.loads(json.dumps(self.attributes))
        scale = fps / self.fps
        for event in attributes.get("events", []):
            for key in ("start", "end"):
                if key in event:
                    event[key] = int(round(event[key] * scale))
        return FaceClip(**fields, shape=self.shape, fps=fps, clip_id=self.clip_id, prompt=self.prompt,
                        captions=self.captions, source=self.source, face_model=self.face_model,
                        attributes=attributes, origin=self.origin)

    @classmethod
    def neutral(cls, num_frames: int, fps: float = DEFAULT_FPS, num_shape: int = 0, **metadata: Any) -> "FaceClip":
        """A still, neutral clip (all zeros) of ``num_frames`` frames."""
        zeros = {name: np.zeros((num_frames, width), np.float32) for name, width in MOTION_FIELDS.items()}
        return cls(**zeros, shape=np.zeros(num_shape, np.float32), fps=fps, **metadata)

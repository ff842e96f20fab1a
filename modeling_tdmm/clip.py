"""The one data contract: a face-motion clip (FLAME-layout parameters per frame plus metadata).

Readers produce it, the dataset stores it, models consume and emit it. On disk it is a
``clip.npz``: one array per motion field and the metadata as a JSON string (no pickle).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .io_utils import NpzArchive, as_frame_rate, as_real_array, atomic_savez, one_line
from .limits import MAX_FRAMES
from .motion_fields import MOTION_FIELDS, OPTIONAL_MOTION_FIELDS, ROTATION_FIELDS
from .rotations import slerp_axis_angle

METADATA_FIELDS = ("clip_id", "prompt", "captions", "source", "face_model", "attributes")
_TEXT_FIELDS = ("clip_id", "prompt", "source", "face_model")
DEFAULT_FPS = 25.0
_META_KEY = "meta_json"


class ClipValidationError(ValueError):
    """A clip field has the wrong type, shape or values; the message names which."""


def _parse_json(text: str, what: str, origin: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ClipValidationError(f"{origin}: {what} is not valid JSON ({one_line(exc)})") from None


def _as_motion(value: Any, name: str, width: int, origin: str) -> np.ndarray:
    """``value`` as a finite ``[T, width]`` float32 array (real numbers only, ``T <= MAX_FRAMES``)."""
    array = as_real_array(value, f"{origin}: field '{name}' [T, {width}]", ClipValidationError)
    if array.ndim != 2 or array.shape[1] != width:
        raise ClipValidationError(f"{origin}: field '{name}' should have shape [T, {width}], got {list(array.shape)}")
    MAX_FRAMES.check(array.shape[0], f"{origin}: field '{name}'")
    array = array.astype(np.float32, copy=False)
    if not np.isfinite(array).all():
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ClipValidationError(f"{origin}: field '{name}' has NaN/inf values (first at frame {bad[0]}, column {bad[1]})")
    return np.ascontiguousarray(array)


def _as_fps(value: Any, what: str, origin: str) -> float:
    """``value`` as a frame rate: a real number in ``(0, MAX_FPS]``."""
    return as_frame_rate(value, f"{origin}: {what}", ClipValidationError)


def _check_metadata(clip: "FaceClip", origin: str) -> None:
    """Metadata types: text fields are strings, captions a list of strings, attributes a dict
    whose ``events`` (if any) are dicts with integer ``start``/``end`` frames."""
    for name in _TEXT_FIELDS:
        if not isinstance(getattr(clip, name), str):
            raise ClipValidationError(f"{origin}: field '{name}' should be a string, got {type(getattr(clip, name)).__name__}")
    captions = clip.captions
    if not isinstance(captions, (list, tuple, np.ndarray)) or not all(isinstance(c, str) for c in captions):
        raise ClipValidationError(f"{origin}: field 'captions' should be a list of strings")
    if not isinstance(clip.attributes, dict):
        raise ClipValidationError(f"{origin}: field 'attributes' should be a dict, got {type(clip.attributes).__name__}")
    events = clip.attributes.get("events", [])
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise ClipValidationError(f"{origin}: attributes['events'] should be a list of dicts")
    for i, event in enumerate(events):
        for key in ("start", "end"):
            if key in event and (isinstance(event[key], bool) or not isinstance(event[key], int)):
                raise ClipValidationError(f"{origin}: attributes['events'][{i}]['{key}'] should be an integer frame, "
                                          f"got {event[key]!r:.40}")


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
    face_model: str = "open-head-v2"
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
        shape = as_real_array(self.shape, f"{origin}: field 'shape'", ClipValidationError).astype(np.float32)
        if shape.ndim != 1 or not np.isfinite(shape).all():
            raise ClipValidationError(f"{origin}: field 'shape' should be a finite vector [n_shape], got shape {list(shape.shape)}")
        self.shape = shape
        self.fps = _as_fps(self.fps, "field 'fps'", origin)
        _check_metadata(self, origin)
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
            kwargs["attributes"] = _parse_json(kwargs["attributes"], "field 'attributes'", origin)
        clip = cls(fps=data.get("fps", DEFAULT_FPS), origin=origin, **kwargs)
        if "num_frames" in data and not (np.ndim(data["num_frames"]) == 0 and data["num_frames"] == clip.num_frames):
            raise ClipValidationError(f"{origin}: 'num_frames' says {data['num_frames']!r:.40} but the motion fields have "
                                      f"{clip.num_frames} frames")
        return clip

    def save(self, path: str | os.PathLike) -> None:
        """Write ``clip.npz`` atomically: arrays plus metadata JSON (no pickle)."""
        meta = {**self.metadata(), "fps": self.fps}
        arrays = {**self.motion(), "shape": self.shape, _META_KEY: np.array(json.dumps(meta))}
        atomic_savez(path, arrays, compressed=True)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "FaceClip":
        """Read a ``clip.npz`` (a regular file; each member checked from its header before loading)."""
        origin = os.fspath(path)
        with NpzArchive(origin, ClipValidationError) as archive:
            return cls.from_npz(archive, origin)

    @classmethod
    def from_npz(cls, archive: NpzArchive, origin: str) -> "FaceClip":
        """A clip from an open :class:`~modeling_tdmm.io_utils.NpzArchive`.

        Only the clip's own members are loaded: motion fields (real numbers, ``[T, width]``,
        ``T <= MAX_FRAMES``, checked from their headers first), ``shape`` and the metadata JSON.
        """
        if _META_KEY not in archive.files:
            raise ClipValidationError(f"{origin}: not a clip file (no '{_META_KEY}' entry; keys {sorted(archive.files)})")
        text = archive.load(_META_KEY, kinds="U")
        if text.ndim != 0:
            raise ClipValidationError(f"{origin}: '{_META_KEY}' should be one JSON string, got shape {list(text.shape)}")
        meta = _parse_json(str(text), f"'{_META_KEY}'", origin)
        if not isinstance(meta, dict):
            raise ClipValidationError(f"{origin}: '{_META_KEY}' should be a JSON object, got {type(meta).__name__}")
        names = [*MOTION_FIELDS, *OPTIONAL_MOTION_FIELDS]
        arrays = {k: archive.load(k, per_frame=True) for k in names if k in archive.files}
        if "shape" in archive.files:
            arrays["shape"] = archive.load("shape")
        return cls.from_dict({**{k: meta[k] for k in (*METADATA_FIELDS, "fps") if k in meta}, **arrays}, origin=origin)

    @staticmethod
    def is_clip_file(keys: list[str]) -> bool:
        return _META_KEY in keys

    # ------------------------------------------------------------------ time
    def resample(self, fps: float) -> "FaceClip":
        """The same motion at another frame rate: linear for coefficients, slerp for rotations.

        Event spans in ``attributes['events']`` (``start``/``end`` frames) are rescaled.
        """
        fps = _as_fps(fps, "target fps", self.origin)
        _check_metadata(self, self.origin)  # attributes may have been replaced since construction
        new_count = max(1, int(round((self.num_frames - 1) * fps / self.fps)) + 1)
        MAX_FRAMES.check(new_count, f"{self.origin}: resampled to {fps:g} fps")
        old_t = np.arange(self.num_frames) / self.fps
        new_t = np.minimum(np.arange(new_count) / fps, old_t[-1])
        fields = {}
        for name, values in self.motion().items():
            if self.num_frames == 1:
                fields[name] = np.repeat(values, new_count, 0)
            elif name in ROTATION_FIELDS:
                parts = [
                    slerp_axis_angle(old_t, values[:, k:k + 3], new_t)
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

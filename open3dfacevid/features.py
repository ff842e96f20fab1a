"""Typed `datasets` features of an Open3DFaceVid row, and clip <-> row conversion.

Motion fields are ``Array2D(shape=(None, D), dtype="float32")`` so rows come back as arrays;
metadata columns that people filter on (emotion, intensity, head motion, subject...) are
flat strings, and the full ground truth is kept as JSON in ``attributes``.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

import datasets

from modeling_tdmm.clip import MOTION_FIELDS, FaceClip

SPLITS = ("train", "validation", "test")


def motion_feature(width: int) -> datasets.Array2D:
    return datasets.Array2D(shape=(None, width), dtype="float32")


FEATURES = datasets.Features({
    "clip_id": datasets.Value("string"),
    "prompt": datasets.Value("string"),
    "captions": datasets.List(datasets.Value("string")),
    "source": datasets.Value("string"),
    "face_model": datasets.Value("string"),
    "fps": datasets.Value("float32"),
    "num_frames": datasets.Value("int32"),
    "duration": datasets.Value("float32"),
    **{name: motion_feature(width) for name, width in MOTION_FIELDS.items()},
    "shape": datasets.List(datasets.Value("float32")),
    "focus": datasets.Value("string"),
    "emotion": datasets.Value("string"),
    "emotion_family": datasets.Value("string"),
    "intensity": datasets.Value("string"),
    "head_motion": datasets.Value("string"),
    "subject": datasets.Value("string"),
    "attributes": datasets.Value("string"),
})


def clip_to_row(clip: FaceClip) -> dict[str, Any]:
    """A :class:`FaceClip` as one dataset row (see :data:`FEATURES`)."""
    a = clip.attributes
    head = a.get("head_motion", {})
    return {
        "clip_id": clip.clip_id,
        "prompt": clip.prompt,
        "captions": clip.captions,
        "source": clip.source,
        "face_model": clip.face_model,
        "fps": clip.fps,
        "num_frames": clip.num_frames,
        "duration": clip.duration,
        **clip.motion(),
        "shape": clip.shape,
        "focus": a.get("focus", ""),
        "emotion": (a.get("emotions") or [""])[0],
        "emotion_family": (a.get("emotion_families") or [""])[0],
        "intensity": a.get("intensity", ""),
        "head_motion": head.get("name", "") if isinstance(head, dict) else str(head),
        "subject": a.get("subject", {}).get("label", "") if isinstance(a.get("subject"), dict) else str(a.get("subject", "")),
        "attributes": json.dumps(a),
    }


def row_to_clip(row: dict[str, Any], origin: str = "dataset row") -> FaceClip:
    """The inverse of :func:`clip_to_row` (accepts rows with numpy or list values)."""
    return FaceClip.from_dict({k: row[k] for k in (*MOTION_FIELDS, "shape", "fps", "num_frames", "clip_id", "prompt",
                                                   "captions", "source", "face_model", "attributes") if k in row},
                              origin=f"{origin} {row.get('clip_id', '')}".strip())


def clip_texts(row: dict[str, Any]) -> list[str]:
    """Texts a clip can be conditioned on: its generation prompt and its captions (paraphrases)."""
    texts = [str(row["prompt"])] if row.get("prompt") else []
    return texts + [str(c) for c in row.get("captions", []) if str(c).strip()]


def split_of(key: str, fractions: tuple[float, float, float] = (0.9, 0.05, 0.05)) -> str:
    """Deterministic split for a clip key: a hash, so splits are disjoint and stable."""
    value = int.from_bytes(hashlib.sha1(key.encode()).digest()[:8], "big") / 2**64
    if value < fractions[0]:
        return "train"
    return "validation" if value < fractions[0] + fractions[1] else "test"

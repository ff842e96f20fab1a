"""What the evaluator's attribute heads predict, read from Open3DFaceVid ground truth.

Label vocabularies come from the lexicon (21 emotion families, the head-motion kinds, the 8
intensity levels from weakest to strongest, the 48 facial actions). A label is -100 (unknown)
where the ground truth does not define it: the emotion of a clip with an emotion transition,
the intensity of a clip without an emotion. A neutral clip's intensity word applies to its facial
action or head motion, which the synthesizer keeps clearly visible at every level (an action's
amplitude only goes from 0.6 to 1.0 of its apex over the eight levels, a blink does not scale,
head motion is jittered by +-15%), so the motion does not show the level and it is no label.
"""
from __future__ import annotations

import json
from typing import Any

import numpy as np

from open3dfacevid.lexicon import by_category, emotion_families
from open3dfacevid.prompts import INTENSITY_ADVERBS

UNKNOWN = -100


def label_vocabularies() -> dict[str, list[str]]:
    """``emotion_families``, ``emotions``, ``head_motions``, ``intensities`` (ordered) and ``actions``, as the config takes them."""
    return {
        "emotion_families": list(emotion_families()),
        "emotions": [d.name for d in by_category("emotion")],
        "head_motions": sorted({d.family for d in by_category("head")}),
        "intensities": list(INTENSITY_ADVERBS),
        "actions": [d.name for d in by_category("action")],
    }


def vocabularies_of(config: Any) -> dict[str, list[str]]:
    """The label vocabularies a trained evaluator's ``config`` holds (same keys as :func:`label_vocabularies`)."""
    return {name: list(getattr(config, name)) for name in label_vocabularies()}


def attributes_of(row: dict[str, Any]) -> dict[str, Any]:
    """A row's or clip dict's ground-truth attributes as a dict (rows store them as JSON)."""
    value = row["attributes"]
    return json.loads(value) if isinstance(value, str) else dict(value)


def clip_labels(attributes: dict[str, Any], vocab: dict[str, list[str]]) -> dict[str, Any]:
    """Class ids of one clip: ``emotion_labels``, ``precise_emotion_labels``, ``head_labels``, ``intensity_labels``
    (ints, -100 where undefined) and ``action_labels`` (multi-hot ``[n_actions]`` float32)."""
    families = attributes.get("emotion_families") or []
    emotion = vocab["emotion_families"].index(families[0]) if len(families) == 1 else UNKNOWN
    names = attributes.get("emotions") or []
    precise = vocab["emotions"].index(names[0]) if len(names) == 1 and names[0] in vocab["emotions"] else UNKNOWN
    kind = (attributes.get("head_motion") or {}).get("kind", "still")
    head = vocab["head_motions"].index(kind) if kind in vocab["head_motions"] else UNKNOWN
    shows_strength = bool(families) and families[:1] != ["neutral"]
    intensity = attributes.get("intensity")
    level = vocab["intensities"].index(intensity) if shows_strength and intensity in vocab["intensities"] else UNKNOWN
    actions = np.zeros(len(vocab["actions"]), np.float32)
    for name in attributes.get("actions") or []:
        if name in vocab["actions"]:
            actions[vocab["actions"].index(name)] = 1.0
    return {"emotion_labels": emotion, "precise_emotion_labels": precise, "head_labels": head, "intensity_labels": level, "action_labels": actions}

"""Score generated descriptions against Open3DFaceVid ground truth.

The judge reads three attributes out of a text with the lexicon (``attributes.py``): the
emotion family of the first emotion named (``neutral`` if none), the head-motion kind and the
intensity. The ground truth comes from a clip's attributes. Accuracy is the share of clips
where judge and truth agree; intensity is only scored on clips that show an emotion, exactly
and within one of the eight levels (a text naming no level misses).
"""
from __future__ import annotations

from typing import Any, Sequence

from open3dfacevid.attributes import emotion_family, extract_head_motion, extract_intensity
from open3dfacevid.prompts import INTENSITY_ADVERBS


def truth_of(attributes: dict[str, Any]) -> dict[str, str | None]:
    """Ground-truth ``{"emotion": family, "head_motion": kind, "intensity": name or None}``."""
    families = [f for f in attributes.get("emotion_families", []) if f != "neutral"]
    emotion = families[0] if families else "neutral"
    return {"emotion": emotion, "head_motion": attributes["head_motion"]["kind"],
            "intensity": attributes["intensity"] if emotion != "neutral" else None}


def judge(text: str) -> dict[str, str | None]:
    """The same three attributes as read from ``text``."""
    return {"emotion": emotion_family(text), "head_motion": extract_head_motion(text) or "still",
            "intensity": extract_intensity(text)}


def attribute_accuracy(texts: Sequence[str], attributes: Sequence[dict[str, Any]]) -> dict[str, float]:
    """``{"emotion", "head_motion", "intensity", "intensity_within_one": acc, "clips": n}`` (accuracies in 0..1)."""
    if len(texts) != len(attributes):
        raise ValueError(f"{len(texts)} texts but {len(attributes)} ground-truth attribute sets")
    levels = list(INTENSITY_ADVERBS)
    matches = {"emotion": ("emotion", str.__eq__), "head_motion": ("head_motion", str.__eq__),
               "intensity": ("intensity", str.__eq__),
               "intensity_within_one": ("intensity", lambda r, t: r in levels and abs(levels.index(r) - levels.index(t)) <= 1)}
    hits, counts = dict.fromkeys(matches, 0), dict.fromkeys(matches, 0)
    for text, attrs in zip(texts, attributes):
        truth, read = truth_of(attrs), judge(text)
        for key, (name, match) in matches.items():
            if truth[name] is None:
                continue
            counts[key] += 1
            hits[key] += int(read[name] is not None and match(read[name], truth[name]))
    scores = {key: hits[key] / counts[key] if counts[key] else float("nan") for key in matches}
    scores["clips"] = len(texts)
    return scores

"""Read attributes back out of text with the lexicon: emotions, head motion, intensity.

Used to score generated descriptions against ground truth (is the emotion right?), and by
any model whose output is language.
"""
from __future__ import annotations

import re
from functools import lru_cache

from .lexicon import by_category, get
from .prompts import INTENSITY_ADVERBS

HEAD_PATTERNS = (
    ("nod", r"\bnod(s|ding|ded)?\b|\bhead bob|\bbob(s|bing)? the head"),
    ("shake", r"\bshak(e|es|ing)\b|side-to-side"),
    ("tilt", r"\btilt(s|ed|ing)?\b|\bleans to the"),
    ("turn", r"\bturn(s|ing)? (the|their|his|her) head|\bturns toward|\blooking off to|\b(face|head) turns"
             r"|\bturn (left|right)\b"),
    ("look", r"\blook(s|ing)? (up|down)\b|\btips (up|down)|\blift(s|ing)? the chin|\bchin (raised|up)\b"
             r"|\braising the head|\blowering the head|\b(lift|drop)\b"),
    ("still", r"\bstill\b|\bbarely moves|\blittle head movement|\bsteady\b"),
)


@lru_cache(maxsize=1)
def _emotion_patterns() -> list[tuple[re.Pattern, str]]:
    entries = []
    for descriptor in by_category("emotion"):
        for word in descriptor.words:
            entries.append((word.lower(), descriptor.name))
    entries.sort(key=lambda e: -len(e[0]))  # longest phrases first ("in awe" before "awe")
    return [(re.compile(rf"\b{re.escape(word)}\b"), name) for word, name in entries]


def emotion_mentions(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, canonical name)`` of every emotion word or phrase in ``text``, in order
    (longest phrases win where they overlap)."""
    lowered = text.lower()
    found: list[tuple[int, int, str]] = []
    for pattern, name in _emotion_patterns():
        for match in pattern.finditer(lowered):
            start, end = match.span()
            if not any(s < end and start < e for s, e, _ in found):
                found.append((start, end, name))
    return sorted(found)


def extract_emotions(text: str) -> list[str]:
    """Emotion descriptors named in ``text``, in order of appearance (canonical names)."""
    return [name for _, _, name in emotion_mentions(text)]


def extract_head_motion(text: str) -> str | None:
    """Head-motion kind (nod, shake, tilt, turn, look, still) named in ``text``, if any."""
    lowered = text.lower()
    for kind, pattern in HEAD_PATTERNS:
        if re.search(pattern, lowered):
            return kind
    return None


def extract_intensity(text: str) -> str | None:
    lowered = text.lower()
    for name, adverb in INTENSITY_ADVERBS.items():
        if re.search(rf"\b({re.escape(adverb)}|{re.escape(name)})\b", lowered):
            return name
    return None


def emotion_family(text: str) -> str:
    """The family of the first emotion named in ``text``; ``neutral`` if none is."""
    emotions = extract_emotions(text)
    return get(emotions[0]).family if emotions else "neutral"

"""Motion2Language on validation clips: the figures its training choices are made with (never the test split).

:func:`validation_readings` describes a fixed random sample of validation clips twice, once with the default
question (the free description) and once asked for the emotion, and reads both with the description lexicon
(:func:`tdmm_eval.description_scores.attribute_accuracy`): emotion family, head-motion kind, intensity exact
and within one level. It also counts timed action sentences ("From 1.2 s to 2.0 s the person ...") that a
description states for a clip with no such event (a hallucinated action) and ones it leaves out.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from modeling_tdmm.m2l_prompt import EMOTION_QUESTION
from open3dfacevid.captions import TIMED_EVENTS
from open3dfacevid.features import row_to_clip
from tdmm_eval.description_scores import attribute_accuracy

ACTION_SENTENCE = re.compile(r"\bFrom [0-9.]+ ?s? to [0-9.]+ ?s? the person\b")


def has_timed_event(attributes: dict[str, Any]) -> bool:
    """Whether a clip's ground truth holds an event its caption states as a timed action sentence."""
    return any(event["type"] in TIMED_EVENTS for event in attributes.get("events", []))


def action_sentence_counts(texts: Sequence[str], attributes: Sequence[dict[str, Any]]) -> dict[str, int]:
    """``{"with_action", "described_action", "hallucinated_action", "missed_action"}``: clips whose truth has a timed
    event, descriptions with a timed action sentence, such sentences on clips without one, and clips with one
    whose description has none."""
    stated = [bool(ACTION_SENTENCE.search(text)) for text in texts]
    true = [has_timed_event(a) for a in attributes]
    return {"with_action": sum(true), "described_action": sum(stated),
            "hallucinated_action": sum(s and not t for s, t in zip(stated, true)),
            "missed_action": sum(t and not s for s, t in zip(stated, true))}


def validation_readings(m2l: Any, rows: Any, max_clips: int = 96, seed: int = 0, batch_size: int = 16) -> dict[str, Any]:
    """Readings of ``m2l``'s descriptions of ``max_clips`` clips of ``rows`` (a corpus split in numpy format), drawn
    with ``seed`` (the whole split when it is smaller).

    Returns ``clips``; ``emotion``, ``head_motion``, ``intensity``, ``intensity_within_one`` (shares in [0, 1] of the
    free descriptions; None where no drawn clip has that attribute, e.g. intensity when all are neutral);
    ``emotion_when_asked``; :func:`action_sentence_counts`; and the first three descriptions
    beside their ground truth (``examples``).
    """
    order = np.random.default_rng(seed).permutation(len(rows))[:max_clips]
    clips = [row_to_clip(rows[int(i)]) for i in order]
    truths = [clip.attributes for clip in clips]
    free = m2l.describe(clips, batch_size=batch_size)
    asked = m2l.describe(clips, question=EMOTION_QUESTION, batch_size=batch_size)
    scores = {k: None if isinstance(v, float) and math.isnan(v) else v  # None: no clip to score (JSON has no NaN)
              for k, v in attribute_accuracy(free, truths).items()}
    examples = [{"truth": clip.captions[0] if clip.captions else "", "m2l": text} for clip, text in zip(clips[:3], free)]
    return {**scores, "emotion_when_asked": attribute_accuracy(asked, truths)["emotion"],
            **action_sentence_counts(free, truths), "examples": examples}

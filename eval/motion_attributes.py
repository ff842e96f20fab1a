"""How often the evaluator's reading of a clip (emotion family, head motion, intensity, actions)
matches the clip's ground truth; the same scores judge generated motion against its prompt's."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from tdmm_eval.evaluator_labels import UNKNOWN, clip_labels


def motion_attribute_accuracy(readings: Sequence[dict[str, Any]], attributes: Sequence[dict[str, Any]],
                              vocab: dict[str, list[str]]) -> dict[str, float]:
    """Accuracy of ``readings`` (:meth:`TextMotionEvaluator.read_attributes`) against ground truth.

    ``emotion_family``: clips with one emotion; ``head_motion``: every clip; ``intensity_exact`` and
    ``intensity_within_one`` (level off by at most one of the 8): clips whose strength shows (an
    emotion other than neutral; see :func:`clip_labels`); ``action_f1``: micro F1 of the actions present.
    ``n_*`` say how many clips each figure is over.
    """
    if len(readings) != len(attributes):
        raise ValueError(f"{len(readings)} readings for {len(attributes)} clips")
    emotion, head, exact, near = [], [], [], []
    true_pos = predicted = actual = 0
    for reading, truth in zip(readings, attributes):
        labels = clip_labels(truth, vocab)
        if labels["emotion_labels"] != UNKNOWN:
            emotion.append(reading["emotion_family"] == vocab["emotion_families"][labels["emotion_labels"]])
        if labels["head_labels"] != UNKNOWN:
            head.append(reading["head_motion"] == vocab["head_motions"][labels["head_labels"]])
        if labels["intensity_labels"] != UNKNOWN:
            offset = abs(vocab["intensities"].index(reading["intensity"]) - labels["intensity_labels"])
            exact.append(offset == 0)
            near.append(offset <= 1)
        present = {vocab["actions"][i] for i in np.flatnonzero(labels["action_labels"])}
        true_pos += len(present & set(reading["actions"]))
        predicted += len(reading["actions"])
        actual += len(present)

    def share(hits: list[bool]) -> float:
        return float(np.mean(hits)) if hits else float("nan")

    return {
        "emotion_family": share(emotion), "n_emotion": len(emotion),
        "head_motion": share(head), "n_head": len(head),
        "intensity_exact": share(exact), "intensity_within_one": share(near), "n_intensity": len(near),
        "action_f1": 2 * true_pos / max(predicted + actual, 1), "n_actions": actual,
    }

"""The evaluator's own held-out figures: how well it reads real clips, and retrieval beside chance."""
from __future__ import annotations

from typing import Any

from tdmm_eval.evaluator_labels import attributes_of, vocabularies_of
from tdmm_eval.motion_attributes import motion_attribute_accuracy
from tdmm_eval.motion_metrics import R_PRECISION_BATCH, mm_dist, r_precision


def evaluator_figures(evaluator: Any, rows: Any, seed: int = 0) -> dict[str, Any]:
    """Attribute accuracy of ``evaluator`` (a :class:`TextMotionEvaluator`) on real clips ``rows``
    (Open3DFaceVid rows), and motion-to-prompt R-precision (batches of 32; ``None`` with fewer clips than a
    batch) and MM-Dist."""
    rows = [rows[i] for i in range(len(rows))]
    vocab = vocabularies_of(evaluator.config)
    figures: dict[str, Any] = {"num_clips": len(rows)}
    figures.update(motion_attribute_accuracy(evaluator.read_attributes(rows), [attributes_of(r) for r in rows], vocab))
    motion = evaluator.embed_clips(rows)
    text = evaluator.embed_texts([str(r["prompt"]) for r in rows])
    figures["mm_dist"] = mm_dist(motion, text)
    figures["r_precision"] = r_precision(motion, text, seed=seed) if len(rows) >= R_PRECISION_BATCH else None
    return figures

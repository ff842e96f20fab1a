"""Language2Motion on validation prompts: the figures its training choices are made with (never the test split).

:func:`validation_readings` generates one clip per validation prompt and reads it with the evaluator: the share
whose emotion family is the prompt's (all single-emotion prompts, then emotional and neutral ones apart, since a
neutral prompt is easy), head motion, intensity within one level, the facial actions the prompts name, R-precision
(:func:`retrieval_shares`), the landing share of one-word emotion swaps,
and language outside the templates: the validation paraphrases and intensity pairs of :mod:`tdmm_eval.heldout_prompts` (the test ones stay
untouched by choices).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from modeling_tdmm.text_motion_evaluator import TextMotionEvaluator
from open3dfacevid.features import row_to_clip
from tdmm_eval.evaluator_labels import vocabularies_of
from tdmm_eval.heldout_prompts import VALIDATION_INTENSITY_TEMPLATE, VALIDATION_PARAPHRASES, intensity_pairs
from tdmm_eval.l2m_eval import generate_like, keyword_swaps
from tdmm_eval.motion_metrics import R_PRECISION_BATCH, r_precision, r_precision_hits
from tdmm_eval.report import landing_share, language_readings, prompt_truth, reading_accuracy


def retrieval_shares(evaluator: TextMotionEvaluator, prompts: list[str], generated: list, real: list,
                     names_action: list[bool], seed: int = 0) -> dict[str, float]:
    """R-precision top 3 of the ``generated`` clips against their ``prompts`` (``r_precision_top3``; the ``real``
    clips' beside it), and the same batches' hits among the prompts that name a facial action and among the others
    (``..._with_action`` / ``..._without_action``); NaN for fewer than ``R_PRECISION_BATCH`` prompts (or an empty
    subset). ``seed`` shuffles the batches, as the report's."""
    keys = ("r_precision_top3", "r_precision_top3_real", "r_precision_top3_with_action", "r_precision_top3_without_action")
    if len(prompts) < R_PRECISION_BATCH:
        return dict.fromkeys(keys, float("nan"))
    texts, motion = evaluator.embed_texts(prompts), evaluator.embed_clips(generated)
    hits, seen = r_precision_hits(motion, texts, seed=seed)
    action = np.asarray(names_action, bool)
    subsets = [float(hits[rows].sum() / seen[rows].sum()) if seen[rows].sum() else float("nan") for rows in (action, ~action)]
    real_top3 = r_precision(evaluator.embed_clips(real), texts, seed=seed)["top3"]["mean"]
    return dict(zip(keys, [float(hits.sum() / seen.sum()), real_top3, *subsets]))  # pooled hits = r_precision's mean


def validation_readings(evaluator: TextMotionEvaluator, l2m: Any, rows: Any, seed: int = 0, swaps: int = 24,
                        repeats: int = 2, guidance: float | None = None, **sampling: Any) -> dict[str, Any]:
    """Readings of motion generated for the prompts of ``rows`` (a corpus split; each clip's own length).

    Returns shares in [0, 1]: ``emotion_family`` over single-emotion prompts, ``emotion_family_emotional`` /
    ``emotion_family_neutral`` over those whose family is / is not neutral, ``head_motion``,
    ``intensity_within_one``, ``action_recall`` (the facial actions the prompts name), the R-precision shares of
    :func:`retrieval_shares`, ``swap_lands`` (the first ``swaps`` one-word swaps), ``paraphrase_family`` and
    ``intensity_pairs_stronger`` (validation paraphrases and pairs, ``repeats`` seeds), with the counts beside them.
    ``guidance`` (default: the model's) and ``sampling`` (``temperature``, ``top_k``, ``top_p``) set the generation.
    """
    vocab = vocabularies_of(evaluator.config)
    clips = [row_to_clip(rows[i]) for i in range(len(rows))]
    prompts = [c.prompt for c in clips]
    truths = [prompt_truth(c.attributes, vocab) for c in clips]
    generated = generate_like(l2m, prompts, [c.num_frames for c in clips], guidance, seed=seed, **sampling)
    readings = evaluator.read_attributes(generated)
    result: dict[str, Any] = {"prompts": len(prompts), **reading_accuracy(readings, truths, vocab),
                              **retrieval_shares(evaluator, prompts, generated, clips, [bool(t["actions"]) for t in truths],
                                                 seed)}
    for name, neutral in (("emotional", False), ("neutral", True)):
        hits = [r["emotion_family"] == t["emotion_family"] for r, t in zip(readings, truths)
                if t["emotion_family"] is not None and (t["emotion_family"] == "neutral") == neutral]
        result[f"emotion_family_{name}"] = float(np.mean(hits)) if hits else float("nan")
        result[f"n_{name}"] = len(hits)
    chosen = keyword_swaps(prompts)[:swaps]
    swapped = evaluator.read_attributes(generate_like(l2m, [b for _, b, _ in chosen], [125] * len(chosen), guidance,
                                                      seed=seed + 1, **sampling))
    result.update(swap_lands=landing_share(swapped, chosen), swaps=len(chosen))
    language = language_readings(evaluator, l2m, VALIDATION_PARAPHRASES, intensity_pairs(VALIDATION_INTENSITY_TEMPLATE),
                                 seed, repeats, guidance, **sampling)
    return {**result, **{k: v for k, v in language.items() if k != "paraphrase_examples"}}

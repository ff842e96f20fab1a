"""The text-motion evaluator's model card (``README.md`` beside its weights), written from its config and
its held-out figures so the card never states a number the training run did not measure."""
from __future__ import annotations

from typing import Any


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def figures_table(results: dict[str, Any]) -> list[str]:
    """Markdown rows of the held-out figures per split (``results`` as in ``evaluator_results.json``)."""
    lines = ["| split | clips | emotion family | head motion | intensity within one level | intensity exact | action F1 | "
             "R@1 | R@3 | MM-Dist |", "|---" * 10 + "|"]
    for split, f in results.items():
        rp = f.get("r_precision")
        retrieval = f"{_pct(rp['top1']['mean'])} | {_pct(rp['top3']['mean'])}" if rp else "n/a | n/a"
        lines.append(f"| {split} | {f['num_clips']} | {_pct(f['emotion_family'])} (n={f['n_emotion']}) | "
                     f"{_pct(f['head_motion'])} | {_pct(f['intensity_within_one'])} (n={f['n_intensity']}) | "
                     f"{_pct(f['intensity_exact'])} | {f['action_f1']:.2f} | {retrieval} | {f['mm_dist']:.3f} |")
    return lines


def evaluator_card(config: Any, results: dict[str, Any], command: str, dataset: str) -> str:
    """The card: what the evaluator reads and judges, how to load it, its held-out figures and the
    command that trained it. ``config`` is a ``MotionEvaluatorConfig``; ``dataset`` names the corpus."""
    heads = {"emotion family": len(config.emotion_families), "specific emotion": len(config.emotions),
             "head motion": len(config.head_motions), "intensity level": len(config.intensities),
             "facial action": len(config.actions)}
    front = ["---", "library_name: transformers", "tags:", "- custom_code", "- text-motion-evaluator", "- flame",
             "- facial-motion", "pipeline_tag: feature-extraction", "license: apache-2.0", "---", ""]
    body = [
        "# TDMM-LM text-motion evaluator", "",
        "The face analogue of the Guo et al. / TMR evaluators that HumanML3D results are reported with: it embeds "
        "FLAME-layout facial motion and text in one space and reads a clip's attributes, so any text-to-motion or "
        "motion-to-text model can be scored on R-precision, FID, MM-Dist, Diversity, MultiModality and attribute "
        "correctness (`python -m tdmm_eval report`).", "",
        "## What it reads",
        f"- **Motion**: the raw per-frame parameters ({', '.join(config.motion_field_names)}) at {config.fps:g} fps, "
        "never face tokens, so it judges generators with any tokenizer. A temporal convolution encoder "
        f"({config.num_layers} layers, width {config.hidden_size}, frames averaged in groups of {config.temporal_stride} "
        f"after the input projection) pools them to a {config.embed_dim}-d embedding.",
        f"- **Text**: the frozen `{config.text_encoder}` sentence encoder with a trained projection to the same space.",
        "- **Heads** on the motion embedding: " + ", ".join(f"{k} ({v} labels)" for k, v in heads.items()) + ".",
        "- Trained with symmetric InfoNCE (temperature "
        f"{config.contrastive_temperature:g}; negatives whose texts are near duplicates masked, as TMR does) plus the "
        "attribute losses.", "",
        "## Load it", "", "```python",
        "from modeling_tdmm.text_motion_evaluator import TextMotionEvaluator",
        "evaluator = TextMotionEvaluator.from_pretrained(folder)          # installed classes, no remote code",
        "readings = evaluator.read_attributes(clips)                     # emotion_family, head_motion, intensity, actions",
        "motion, text = evaluator.embed_clips(clips), evaluator.embed_texts(prompts)",
        "# or, without the package: AutoModel.from_pretrained(folder, trust_remote_code=True)", "```", "",
        "## Held-out figures", "",
        f"Measured on `{dataset}` clips the evaluator never trained on (choices are made on validation; test is "
        "only reported). Emotion family on single-emotion clips; R-precision in batches of 32 (chance R@1 3.1%, "
        "R@3 9.4%).", "",
        *figures_table(results), "",
        "## Reproduce", "", f"```\n{command}\n```", "",
        "## Limits",
        "- Trained on procedural Open3DFaceVid motion; on real tracked data expect lower figures until it is "
        "retrained there (the same script takes `--dataset_name`).",
        "- Intensity is the weakest reading; treat intensity columns of a report with that in mind. It is read on "
        "clips with an emotion (a neutral clip's intensity word applies to an action or head motion whose amplitude "
        "barely depends on it).", "",
    ]
    return "\n".join(front + body)

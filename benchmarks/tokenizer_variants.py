"""What one face token per frame can hold: geometry-tokenizer variants judged by the evaluator.

    python benchmarks/tokenizer_variants.py --models outputs/demo --out outputs/bench/tokenizer_variants

``--models`` is a demo output folder (``make demo``): its corpus, its evaluator and its default
tokenizer. Each variant below is the demo recipe (``trainers/configs/tokenizer.yaml``) with a few
overrides, trained on the demo corpus into ``<models>/tokenizer_variants/<name>`` (resumable, skipped
once trained, about 35 minutes in all on 2 cores). All are measured on the **validation** split (the
choice of a default must not look at the test split): the evaluator's emotion-family, head-motion
and intensity readings of the reconstructions against those of the originals, the error of each
parameter group beside its signal, vertex error, blink recall and codes used.

A per-frame k-means row (512 centres fitted to the normalised per-frame features of the training
split, no temporal context, no decoder) shows what a 512-entry per-frame codebook can keep at best
without temporal context.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tdmm_train.launch import run_trainer

BALANCED = ("--commitment_weight", "0.25", "--vertex_weight", "0", "--eyelid_weight", "5", "--head_weight", "4")
FACTORISED = ("--codebook_size", "8192", "--head_codebook_size", "16")
LONGER = ("--max_steps", "3600", "--save_steps", "1200", "--eval_steps", "1200")
VARIANTS: dict[str, tuple[str, ...]] = {
    "default (demo)": (),
    "commitment 0.25": ("--commitment_weight", "0.25"),
    "no mesh loss": ("--commitment_weight", "0.25", "--vertex_weight", "0"),
    "head-frame mesh loss, head weight 8": ("--commitment_weight", "0.25", "--vertex_loss_frame", "head", "--head_weight", "8"),
    "no mesh loss, eyelid weight 5, head weight 4": BALANCED,
    "factorised: 512 face x 16 head codes, as above": (*BALANCED, *FACTORISED),
    "factorised, 3 x the steps (3,600)": (*BALANCED, *FACTORISED, *LONGER),
    "factorised: 1,024 face x 8 head codes, 3,600 steps": (*BALANCED, "--codebook_size", "8192", "--head_codebook_size", "8", *LONGER),
}
VALIDATION_CLIPS = 300


def folder_name(variant: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in variant).strip("_")


def tokenizer_folder(models: Path, variant: str) -> Path:
    """The demo's own tokenizer for the default, a trained variant folder otherwise (trained if missing)."""
    if not VARIANTS[variant]:
        return models / "tokenizer"
    folder = models / "tokenizer_variants" / folder_name(variant)
    if not (folder / "model.safetensors").is_file():
        run_trainer("train_tokenizer.py", "tokenizer.yaml", folder, "--dataset_name", str(models / "corpus"), *VARIANTS[variant])
    return folder


def _features(clip: Any) -> torch.Tensor:
    """Per-frame features ``[T, 64]``: expression, 6D jaw, eyelids, 6D head (the tokenizer's input layout)."""
    from modeling_tdmm.rotations import axis_angle_to_6d

    return torch.cat([torch.from_numpy(clip.expression), axis_angle_to_6d(torch.from_numpy(clip.jaw_pose)),
                      torch.from_numpy(clip.eyelids), axis_angle_to_6d(torch.from_numpy(clip.head_pose))], -1)


def kmeans_reconstructions(train: list[Any], clips: list[Any], codes: int = 512, iterations: int = 25,
                           seed: int = 0) -> list[Any]:
    """``clips`` with every frame replaced by the nearest of ``codes`` k-means centres fitted on ``train`` clips' frames."""
    from modeling_tdmm.rotations import sixd_to_axis_angle

    generator = torch.Generator().manual_seed(seed)
    frames = torch.cat([_features(c) for c in train])
    mean, std = frames.mean(0), frames.std(0).clamp_min(1e-3)
    points = (frames - mean) / std
    centres = points[torch.randperm(len(points), generator=generator)[:codes]].clone()
    for _ in range(iterations):
        nearest = torch.cdist(points, centres).argmin(1)
        sums = torch.zeros_like(centres).index_add_(0, nearest, points)
        counts = torch.bincount(nearest, minlength=codes)
        centres = torch.where(counts[:, None] > 0, sums / counts.clamp_min(1)[:, None], centres)
    out = []
    for clip in clips:
        q = centres[torch.cdist((_features(clip) - mean) / std, centres).argmin(1)] * std + mean
        out.append(dataclasses.replace(clip, expression=q[:, :50].numpy(), jaw_pose=sixd_to_axis_angle(q[:, 50:56]).numpy(),
                                       eyelids=q[:, 56:58].numpy(), head_pose=sixd_to_axis_angle(q[:, 58:64]).numpy()))
    return out


def measure_kmeans(evaluator: Any, train_rows: Any, rows: list[dict]) -> dict[str, Any]:
    """The k-means row: the evaluator's readings of per-frame-quantised clips, and per-group errors."""
    from open3dfacevid.features import row_to_clip
    from tdmm_eval.evaluator_labels import vocabularies_of
    from tdmm_eval.report import group_errors, prompt_truth, reading_accuracy

    clips = [row_to_clip(r) for r in rows]
    train = [row_to_clip(train_rows[i]) for i in range(0, len(train_rows), 2)]
    rebuilt = kmeans_reconstructions(train, clips)
    vocab = vocabularies_of(evaluator.config)
    truths = [prompt_truth(c.attributes, vocab) for c in clips]
    original = reading_accuracy(evaluator.read_attributes(clips), truths, vocab)
    readings = reading_accuracy(evaluator.read_attributes(rebuilt), truths, vocab)
    errors = [group_errors(c, r) for c, r in zip(clips, rebuilt)]
    return {"originals": original, "reconstructions": readings,
            "retained": {**{k: readings[k] / original[k] if original[k] else float("nan") for k in original},
                         "emotion_family_expression_only": float("nan")},
            "groups": {k: float(np.mean([e[k] for e in errors])) for k in errors[0]},
            "mean_vertex_error_mm": float("nan"), "blink_recall": float("nan"), "codes_used_pct": float("nan")}


def expression_only_kept(evaluator: Any, tokenizer_dir: Path, rows: list[dict]) -> float:
    """Emotion family read on originals whose expression alone is replaced by the reconstruction's, as a
    share of the reading of the originals: how much of the loss the expression codes cause."""
    from modeling_tdmm.processing_face_tokens import FaceTokenProcessor, load_geometry_tokenizer
    from open3dfacevid.features import row_to_clip
    from tdmm_eval.evaluator_labels import vocabularies_of
    from tdmm_eval.report import prompt_truth, reading_accuracy

    processor = FaceTokenProcessor.for_tokenizer(load_geometry_tokenizer(tokenizer_dir))
    clips = [row_to_clip(r) for r in rows]
    rebuilt = [processor.codes_to_clip(processor.clip_to_codes(c), num_frames=c.num_frames) for c in clips]
    mixed = [dataclasses.replace(c, expression=r.expression) for c, r in zip(clips, rebuilt)]
    vocab = vocabularies_of(evaluator.config)
    truths = [prompt_truth(c.attributes, vocab) for c in clips]
    original = reading_accuracy(evaluator.read_attributes(clips), truths, vocab)["emotion_family"]
    return reading_accuracy(evaluator.read_attributes(mixed), truths, vocab)["emotion_family"] / original


def markdown(results: dict[str, dict[str, Any]], command: str, clips: int) -> str:
    """The comparison table (validation split)."""
    first = next(iter(results.values()))
    lines = [f"Validation split ({clips} clips), evaluator readings of the originals: emotion family "
             f"{100 * first['originals']['emotion_family']:.1f}%, head motion {100 * first['originals']['head_motion']:.1f}%, "
             f"intensity within one {100 * first['originals']['intensity_within_one']:.1f}%.", "",
             "| variant | emotion kept | emotion kept, only the expression reconstructed | head motion kept | intensity kept "
             "| expression error / signal "
             "| head pose error / signal | eyelids error / signal | vertex error (mm) | blink recall | codes used |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]

    def pct(value: float) -> str:
        return "n/a" if value != value else f"{100 * value:.0f}%"

    for name, r in results.items():
        g, kept = r["groups"], r["retained"]
        mm = "n/a" if r["mean_vertex_error_mm"] != r["mean_vertex_error_mm"] else f"{r['mean_vertex_error_mm']:.2f}"
        blinks = "n/a" if r["blink_recall"] != r["blink_recall"] else f"{r['blink_recall']:.2f}"
        errors = " | ".join(f"{g[f'{k}_error']:.4f} / {g[f'{k}_signal']:.4f}" for k in ("expression", "head_pose", "eyelids"))
        kept_cells = " | ".join(pct(kept[k]) for k in ("emotion_family", "emotion_family_expression_only", "head_motion",
                                                        "intensity_within_one"))
        lines.append(f"| {name} | {kept_cells} | {errors} | {mm} | {blinks} | {pct(r['codes_used_pct'] / 100)} |")
    return "\n".join([*lines, "", f"Command: `{command}`", ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=Path, default=Path("outputs/demo"), help="a demo output folder (make demo)")
    parser.add_argument("--out", type=Path, default=Path("outputs/bench/tokenizer_variants"))
    args = parser.parse_args()

    import datasets

    from modeling_tdmm.io_utils import atomic_path
    from modeling_tdmm.text_motion_evaluator import TextMotionEvaluator
    from tdmm_eval.report import section_tokenizer

    for needed in ("corpus/README.md", "evaluator/config.json", "tokenizer/config.json"):
        if not (args.models / needed).is_file():
            raise SystemExit(f"error: {args.models / needed} is missing: run `make demo` first (or pass --models)")
    evaluator = TextMotionEvaluator.from_pretrained(args.models / "evaluator")  # installed classes, no remote code
    corpus = datasets.load_dataset(str(args.models / "corpus")).with_format("numpy")
    rows = [corpus["validation"][i] for i in range(min(VALIDATION_CLIPS, len(corpus["validation"])))]
    results: dict[str, dict[str, Any]] = {}
    for variant in VARIANTS:
        tick = time.time()
        folder = tokenizer_folder(args.models, variant)
        results[variant] = section_tokenizer(evaluator, folder, rows)
        results[variant]["retained"]["emotion_family_expression_only"] = expression_only_kept(evaluator, folder, rows)
        print(f"{variant}: emotion kept {results[variant]['retained']['emotion_family']:.2f}, head kept "
              f"{results[variant]['retained']['head_motion']:.2f} ({time.time() - tick:.0f} s)", flush=True)
    results["per-frame k-means, 512 centres (no decoder)"] = measure_kmeans(evaluator, corpus["train"], rows)
    command = f"python benchmarks/tokenizer_variants.py --models {args.models} --out {args.out}"
    args.out.mkdir(parents=True, exist_ok=True)
    with atomic_path(args.out / "tokenizer_variants.json") as tmp:
        tmp.write_text(json.dumps(results, indent=2))
    with atomic_path(args.out / "tokenizer_variants.md") as tmp:
        tmp.write_text(markdown(results, command, len(rows)))
    print(markdown(results, command, len(rows)))


if __name__ == "__main__":
    main()

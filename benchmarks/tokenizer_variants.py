"""What one face token per frame can hold: geometry-tokenizer variants judged by the evaluator.

    python benchmarks/tokenizer_variants.py --models outputs/demo --out outputs/bench/tokenizer_variants

``--models`` is a demo output folder (``make demo``): its corpus, its evaluator and its default
tokenizer (the last row, ``trainers/configs/tokenizer.yaml``). Every other variant is the first demo
recipe (:data:`FIRST`) with a few overrides, each row adding to the one before where it says so,
trained on the demo corpus into ``<models>/tokenizer_variants/<name>`` (resumable, skipped once
trained, about 45 minutes in all on 2 cores). All are measured on the **validation** split (the
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

import torch

from tdmm_train.launch import run_trainer

#: the first demo recipe (one 512-code book, mesh loss on the posed mesh, 1,200 steps); the variants below start from it
FIRST = ("--codebook_size", "512", "--head_codebook_size", "0", "--code_dim", "64", "--commitment_weight", "0.02",
         "--vertex_weight", "0.25", "--eyelid_weight", "20", "--head_weight", "1", "--velocity_weight", "0.5",
         "--output_smoothing", "0", "--max_steps", "1200", "--save_steps", "400", "--eval_steps", "400")
BALANCED = ("--commitment_weight", "0.25", "--vertex_weight", "0", "--eyelid_weight", "5", "--head_weight", "4")
FACTORISED = ("--codebook_size", "8192", "--head_codebook_size", "16")
LONGER = ("--max_steps", "3600", "--save_steps", "1200", "--eval_steps", "1200")
DEFAULT = "default (demo): factorised 512 x 16, code_dim 16, velocity weight 10, output smoothing 1.5 frames"
VARIANTS: dict[str, tuple[str, ...]] = {
    "first demo recipe: one 512-code book, mesh loss on the posed mesh": FIRST,
    "commitment 0.25": (*FIRST, "--commitment_weight", "0.25"),
    "no mesh loss": (*FIRST, "--commitment_weight", "0.25", "--vertex_weight", "0"),
    "head-frame mesh loss, head weight 8": (*FIRST, "--commitment_weight", "0.25", "--vertex_loss_frame", "head", "--head_weight", "8"),
    "no mesh loss, eyelid weight 5, head weight 4": (*FIRST, *BALANCED),
    "factorised: 512 face x 16 head codes, as above": (*FIRST, *BALANCED, *FACTORISED),
    "factorised, 3 x the steps (3,600)": (*FIRST, *BALANCED, *FACTORISED, *LONGER),
    "factorised: 1,024 face x 8 head codes, 3,600 steps": (*FIRST, *BALANCED, "--codebook_size", "8192", "--head_codebook_size", "8",
                                                            *LONGER),
    "factorised 512 x 16, 3,600 steps, code_dim 16": (*FIRST, *BALANCED, *FACTORISED, *LONGER, "--code_dim", "16"),
    "as above, velocity weight 10": (*FIRST, *BALANCED, *FACTORISED, *LONGER, "--code_dim", "16", "--velocity_weight", "10"),
    DEFAULT: (),
}
VALIDATION_CLIPS = 300
KMEANS = "per-frame k-means, 512 centres (no decoder)"


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


def kmeans_reconstructions(train: list[Any], clips: list[Any], codes: int = 512, iterations: int = 25,
                           seed: int = 0) -> list[Any]:
    """``clips`` with every frame replaced by the nearest of ``codes`` k-means centres fitted on ``train`` clips'
    frames, in the tokenizer's normalised per-frame feature space (its own layout and inverse, no network)."""
    from modeling_tdmm.configuration_geometry_tokenizer import GeometryTokenizerConfig
    from modeling_tdmm.modeling_geometry_tokenizer import GeometryTokenizer

    layout = GeometryTokenizer(GeometryTokenizerConfig(hidden_size=8, code_dim=8, codebook_size=2, num_res_blocks=0))

    def features(clip: Any) -> torch.Tensor:  # [T, 64]
        return layout.raw_features(layout.motion_inputs(clip.expression, clip.jaw_pose, clip.eyelids, clip.head_pose))[0]

    frames = torch.cat([features(c) for c in train])
    layout.set_normalization(frames.mean(0), frames.std(0))
    points = (frames - layout.feature_mean) / layout.feature_std
    generator = torch.Generator().manual_seed(seed)
    centres = points[torch.randperm(len(points), generator=generator)[:codes]].clone()
    for _ in range(iterations):
        nearest = torch.cdist(points, centres).argmin(1)
        sums = torch.zeros_like(centres).index_add_(0, nearest, points)
        counts = torch.bincount(nearest, minlength=codes)
        centres = torch.where(counts[:, None] > 0, sums / counts.clamp_min(1)[:, None], centres)
    out = []
    for clip in clips:
        nearest = torch.cdist((features(clip) - layout.feature_mean) / layout.feature_std, centres).argmin(1)
        motion = layout.motion_from_features(centres[nearest][None])
        out.append(dataclasses.replace(clip, **{k: v[0].numpy() for k, v in motion.items()}))
    return out


def expression_only(clips: list[Any], rebuilt: list[Any]) -> list[Any]:
    """The original clips with only their expression replaced by the reconstruction's."""
    return [dataclasses.replace(c, expression=r.expression) for c, r in zip(clips, rebuilt)]


def markdown(results: dict[str, dict[str, Any]], command: str, clips: int) -> str:
    """The comparison table (validation split)."""
    from tdmm_eval.report import percent

    first = next(iter(results.values()))
    lines = [f"Validation split ({clips} clips), evaluator readings of the originals: emotion family "
             f"{100 * first['originals']['emotion_family']:.1f}%, head motion {100 * first['originals']['head_motion']:.1f}%, "
             f"intensity within one {100 * first['originals']['intensity_within_one']:.1f}%.", "",
             "| variant | emotion kept | emotion kept, only the expression reconstructed | head motion kept | intensity kept "
             "| expression error / signal "
             "| head pose error / signal | eyelids error / signal | vertex error (mm) | blink recall | codes used |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]

    for name, r in results.items():
        g, kept = r["groups"], r["retained"]
        mm = "n/a" if r["mean_vertex_error_mm"] != r["mean_vertex_error_mm"] else f"{r['mean_vertex_error_mm']:.2f}"
        blinks = "n/a" if r["blink_recall"] != r["blink_recall"] else f"{r['blink_recall']:.2f}"
        errors = " | ".join(f"{g[f'{k}_error']:.4f} / {g[f'{k}_signal']:.4f}" for k in ("expression", "head_pose", "eyelids"))
        kept_cells = " | ".join(percent(kept[k], 0) for k in ("emotion_family", "emotion_family_expression_only", "head_motion",
                                                        "intensity_within_one"))
        lines.append(f"| {name} | {kept_cells} | {errors} | {mm} | {blinks} | {percent(r['codes_used_pct'] / 100, 0)} |")
    return "\n".join([*lines, "", f"Command: `{command}`", ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=Path, default=Path("outputs/demo"), help="a demo output folder (make demo)")
    parser.add_argument("--out", type=Path, default=Path("outputs/bench/tokenizer_variants"))
    args = parser.parse_args()

    import datasets

    from modeling_tdmm.io_utils import atomic_path
    from modeling_tdmm.processing_face_tokens import load_geometry_tokenizer
    from modeling_tdmm.text_motion_evaluator import TextMotionEvaluator
    from open3dfacevid.features import row_to_clip
    from tdmm_eval.report import retention, section_tokenizer, tokenizer_reconstructions

    for needed in ("corpus/README.md", "evaluator/config.json", "tokenizer/config.json"):
        if not (args.models / needed).is_file():
            raise SystemExit(f"error: {args.models / needed} is missing: run `make demo` first (or pass --models)")
    evaluator = TextMotionEvaluator.from_pretrained(args.models / "evaluator")  # installed classes, no remote code
    corpus = datasets.load_dataset(str(args.models / "corpus")).with_format("numpy")
    rows = [corpus["validation"][i] for i in range(min(VALIDATION_CLIPS, len(corpus["validation"])))]
    clips = [row_to_clip(r) for r in rows]
    results: dict[str, dict[str, Any]] = {}
    for variant in VARIANTS:
        tick = time.time()
        folder = tokenizer_folder(args.models, variant)
        results[variant] = section_tokenizer(evaluator, folder, rows)
        rebuilt = tokenizer_reconstructions(load_geometry_tokenizer(folder), clips)
        mixed = retention(evaluator, clips, expression_only(clips, rebuilt))
        results[variant]["retained"]["emotion_family_expression_only"] = mixed["retained"]["emotion_family"]
        print(f"{variant}: emotion kept {results[variant]['retained']['emotion_family']:.2f}, head kept "
              f"{results[variant]['retained']['head_motion']:.2f} ({time.time() - tick:.0f} s)", flush=True)
    train = [row_to_clip(corpus["train"][i]) for i in range(0, len(corpus["train"]), 2)]
    results[KMEANS] = retention(evaluator, clips, kmeans_reconstructions(train, clips))
    results[KMEANS]["retained"]["emotion_family_expression_only"] = float("nan")
    results[KMEANS].update(mean_vertex_error_mm=float("nan"), blink_recall=float("nan"), codes_used_pct=float("nan"))
    command = f"python benchmarks/tokenizer_variants.py --models {args.models} --out {args.out}"
    args.out.mkdir(parents=True, exist_ok=True)
    with atomic_path(args.out / "tokenizer_variants.json") as tmp:
        tmp.write_text(json.dumps(results, indent=2))
    with atomic_path(args.out / "tokenizer_variants.md") as tmp:
        tmp.write_text(markdown(results, command, len(rows)))
    print(markdown(results, command, len(rows)))


if __name__ == "__main__":
    main()

"""The paper's experiments as one command: train every model the full report compares, then write it.

    python benchmarks/paper.py --models outputs/demo --out outputs/bench/report

``--models`` is a demo output folder: the demo's stages (corpus, tokenizer, evaluator, M2L, L2M) run
there first unless they are already complete (``make demo`` leaves them complete), then this trains,
each resumable and skipped once done:

* ``l2m_global``: Language2Motion with one pooled sentence embedding (T2M-GPT-style conditioning);
* ``l2m_small``: the default recipe at 128x2 (Fig. 12's second model size beside the default 256x4);
* ``ablation/{mead_like,youtube_like}/{corpus,l2m,m2l}`` and ``ablation/open3dfacevid/m2l``: the corpus
  ablation. Language2Motion uses the default recipe (``ablation/open3dfacevid/l2m`` links to the main
  model); Motion2Language learns only to describe, from each corpus's own texts (``--tasks describe``,
  300 steps), because the default recipe also answers questions from the synthesizer's ground truth,
  which a MEAD- or YouTube-style corpus does not have;

and finally runs ``python -m tdmm_eval report`` (full, not ``--quick``) on all of them.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from tdmm_demo.stages import STAGES
from tdmm_train.launch import run_trainer

ROOT = Path(__file__).resolve().parents[1]
L2M_VARIANTS = {
    "l2m_global": ("--conditioning", "global"),
    "l2m_small": ("--hidden_size", "128", "--num_hidden_layers", "2", "--intermediate_size", "512"),
}
ABLATION_STYLES = ("mead_like", "youtube_like")
ABLATION_M2L = ("--tasks", "describe", "--max_steps", "300")


def trained(folder: Path) -> bool:
    """A finished training leaves its weights in the folder itself (checkpoints live in subfolders)."""
    return (folder / "model.safetensors").is_file()


def train_l2m(folder: Path, corpus: Path, tokenizer: Path, *overrides: str) -> None:
    """The demo's Language2Motion recipe on ``corpus``, with ``overrides``."""
    if not trained(folder):
        run_trainer("train_l2m.py", "l2m.yaml", folder, "--dataset_name", str(corpus), "--geometry_tokenizer", str(tokenizer),
                    *overrides, processes=2, batch_size=32)


def train_m2l(folder: Path, corpus: Path, tokenizer: Path, *overrides: str) -> None:
    """The demo's Motion2Language recipe on ``corpus``, with ``overrides``."""
    if not trained(folder):
        run_trainer("sft_m2l.py", "m2l.yaml", folder, "--dataset_name", str(corpus), "--geometry_tokenizer", str(tokenizer),
                    *overrides, processes=2, batch_size=16)


def build_ablation_corpus(folder: Path, style: str, num_clips: int) -> None:
    """An emulated alternative corpus in the demo corpus's format (same size and seed)."""
    from open3dfacevid.corpus import build_corpus

    if not (folder / "README.md").is_file():
        build_corpus(folder, "procedural", num_clips=num_clips, seed=0, num_shards=2, style=style)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=ROOT / "outputs" / "demo", help="demo output folder (trained into)")
    parser.add_argument("--out", type=Path, default=ROOT / "outputs" / "bench" / "report", help="where REPORT.md goes")
    parser.add_argument("--skip-ablation", action="store_true", help="leave out the corpus ablation (5 trainings)")
    parser.add_argument("--skip-sizes", action="store_true", help="leave out the small L2M (Fig. 12)")
    parser.add_argument("--no-report", action="store_true", help="train only (a later run skips what is trained)")
    parser.add_argument("--ablation-clips", type=int, default=2000, help="clips per ablation corpus (the demo corpus has 2000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    models = args.models
    start = time.perf_counter()
    for name, stage in STAGES:
        done = (models / "corpus" / "README.md").is_file() if name == "corpus" else trained(models / name)
        if name not in ("face_model", "report") and not done:
            print(f"[{name}] the demo's stage first")
            stage(models)
    corpus, tokenizer = models / "corpus", models / "tokenizer"
    variants = {k: v for k, v in L2M_VARIANTS.items() if not (args.skip_sizes and k != "l2m_global")}
    for name, overrides in variants.items():
        print(f"[{name}] {' '.join(overrides)}")
        train_l2m(models / name, corpus, tokenizer, *overrides)
    if not args.skip_ablation:
        ablation = models / "ablation"
        (ablation / "open3dfacevid").mkdir(parents=True, exist_ok=True)
        link = ablation / "open3dfacevid" / "l2m"
        if not link.is_symlink():
            link.symlink_to(Path("..", "..", "l2m"), target_is_directory=True)  # relative: the run folder can move
        print("[ablation open3dfacevid]")
        train_m2l(ablation / "open3dfacevid" / "m2l", corpus, tokenizer, *ABLATION_M2L)
        for style in ABLATION_STYLES:
            print(f"[ablation {style}]")
            build_ablation_corpus(ablation / style / "corpus", style, args.ablation_clips)
            train_l2m(ablation / style / "l2m", ablation / style / "corpus", tokenizer)
            train_m2l(ablation / style / "m2l", ablation / style / "corpus", tokenizer, *ABLATION_M2L)
    if args.no_report:
        return
    from tdmm_eval.report import run_report

    command = f"python benchmarks/paper.py --models {models} --out {args.out}"
    run_report(models, args.out, quick=False, seed=args.seed, command=command)
    print(f"report: {args.out / 'REPORT.md'} ({(time.perf_counter() - start) / 60:.1f} min)")


if __name__ == "__main__":
    main()

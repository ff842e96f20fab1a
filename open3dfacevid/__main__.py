"""``python -m open3dfacevid {prompts,build,stats}``."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from modeling_tdmm.io_utils import atomic_path


def cmd_prompts(args: argparse.Namespace) -> None:
    from .paraphrase import make_paraphraser
    from .prompts import spec_at

    paraphrase = make_paraphraser(args.paraphraser, args.paraphrase_model, args.paraphrase_url)
    with atomic_path(args.out) as tmp, open(tmp, "w") as handle:
        for i in tqdm(range(args.num), desc="prompts", unit="prompt"):
            spec = spec_at(i, args.seed, args.min_seconds, args.max_seconds)
            spec.paraphrases = paraphrase(spec, args.paraphrases)
            handle.write(json.dumps(spec.to_dict()) + "\n")
    print(f"{args.out}: {args.num} prompts (seed {args.seed})")


def cmd_build(args: argparse.Namespace) -> None:
    from .corpus import build_corpus

    kwargs = {"num_shards": args.num_shards}
    if args.config == "procedural":
        kwargs.update(num_clips=args.num_clips, seed=args.seed, min_seconds=args.min_seconds, max_seconds=args.max_seconds)
    else:
        if not (args.tracks_dir and args.manifest):
            raise ValueError("--config tracks needs --tracks-dir and --manifest")
        kwargs.update(tracks_dir=str(args.tracks_dir), manifest=str(args.manifest), min_frames=args.min_frames)
    stats = build_corpus(args.out, args.config, config_name=args.config_name, data_dir=args.data_dir,
                         num_proc=args.num_proc, **kwargs)
    print(f"{args.out}: {stats['num_clips']} clips ({stats['splits']}), {stats['hours']:.2f} h, "
          f"built in {stats['seconds']:.1f} s")
    for rejected in stats["rejected"]:
        print(f"  rejected {rejected['file']}: {rejected['reason']}")
    if stats["rejected"]:
        print(f"  {len(stats['rejected'])} file(s) rejected; listed in {Path(args.out) / 'rejected.jsonl'}")


def cmd_stats(args: argparse.Namespace) -> None:
    from .stats import compute_stats, plot_stats

    stats = compute_stats(args.folder, args.data_dir)
    out = args.output or Path(args.folder) / "stats.png"
    plot_stats(stats, out)
    print(f"{stats['num_clips']} clips, {stats['hours']:.2f} h; splits {stats['splits']}")
    print("focus: " + ", ".join(f"{k} {v}" for k, v in sorted(stats["focus"].items())))
    print("subjects: " + ", ".join(f"{k} {v}" for k, v in sorted(stats["subject_category"].items())))
    print(f"figure: {out}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m open3dfacevid", description="Open3DFaceVid corpus tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prompts", help="write the balanced prompt suite as JSONL")
    p.add_argument("--num", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("prompts.jsonl"))
    p.add_argument("--paraphrases", type=int, default=3)
    p.add_argument("--paraphraser", default="template", choices=["template", "hf", "openai"])
    p.add_argument("--paraphrase-model", default=None)
    p.add_argument("--paraphrase-url", default=None, help="OpenAI-compatible base URL, e.g. http://localhost:8000/v1")
    p.add_argument("--min-seconds", type=float, default=4.0)
    p.add_argument("--max-seconds", type=float, default=6.0)
    p.set_defaults(func=cmd_prompts)

    p = sub.add_parser("build", help="build Parquet shards, statistics and a dataset card")
    p.add_argument("--config", choices=["procedural", "tracks"], default="procedural")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--num-clips", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--min-seconds", type=float, default=4.0)
    p.add_argument("--max-seconds", type=float, default=6.0)
    p.add_argument("--tracks-dir", type=Path)
    p.add_argument("--manifest", type=Path)
    p.add_argument("--min-frames", type=int, default=10)
    p.add_argument("--num-proc", type=int, default=None)
    p.add_argument("--num-shards", type=int, default=8)
    p.add_argument("--config-name", default=None, help="config name in the card (default: --config)")
    p.add_argument("--data-dir", default="data", help="folder for the shards inside --out")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("stats", help="counts per category and subject, hours, and a figure")
    p.add_argument("folder", type=Path)
    p.add_argument("-o", "--output", type=Path, default=None)
    p.add_argument("--data-dir", default="data")
    p.set_defaults(func=cmd_stats)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (FileNotFoundError, ValueError) as exc:
        print(f"open3dfacevid {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m open3dfacevid {prompts,build,stats}``."""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import Callable

from tqdm import tqdm

from modeling_tdmm.io_utils import atomic_path

from .corpus_styles import DEFAULT_STYLE, STYLE_SUMMARIES, STYLES

#: What a user can cause (bad arguments or input files): one line and exit status 2.
#: ``LimitError``, ``UnicodeDecodeError`` and the readers' format errors are ``ValueError``s;
#: ``IsADirectoryError``, ``PermissionError``... are ``OSError``s. Set ``TDMM_TRACEBACK=1`` for
#: the traceback; other exceptions (programming errors) always show it.
USER_ERRORS = (ValueError, OSError, KeyError)


def integer(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: an integer ``>= minimum``; the error states the range."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    return parse


def seconds(text: str) -> float:
    """An argparse ``type``: a finite number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number of seconds > 0, got {text!r}")
    return value


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
        kwargs.update(num_clips=args.num_clips, seed=args.seed, min_seconds=args.min_seconds, max_seconds=args.max_seconds,
                      style=args.style)
    else:
        if not (args.tracks_dir and args.manifest):
            raise ValueError("--config tracks needs --tracks-dir and --manifest")
        if args.style != DEFAULT_STYLE:
            raise ValueError(f"--style {args.style} needs --config procedural; tracker clips keep their own texts")
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
    p.add_argument("--num", type=integer(1), required=True)
    p.add_argument("--seed", type=integer(0), default=0)
    p.add_argument("--out", type=Path, default=Path("prompts.jsonl"))
    p.add_argument("--paraphrases", type=integer(0), default=3)
    p.add_argument("--paraphraser", default="template", choices=["template", "hf", "openai"])
    p.add_argument("--paraphrase-model", default=None)
    p.add_argument("--paraphrase-url", default=None, help="OpenAI-compatible base URL, e.g. http://localhost:8000/v1")
    p.add_argument("--min-seconds", type=seconds, default=4.0)
    p.add_argument("--max-seconds", type=seconds, default=6.0)
    p.set_defaults(func=cmd_prompts)

    p = sub.add_parser("build", help="build Parquet shards, statistics and a dataset card",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="corpus styles (--style, procedural builds; the emulations are for the corpus ablation, "
                              "not real data):\n" + "\n".join(f"  {k}: {v}" for k, v in STYLE_SUMMARIES.items()))
    p.add_argument("--config", choices=["procedural", "tracks"], default="procedural")
    p.add_argument("--style", choices=STYLES, default=DEFAULT_STYLE,
                   help="which corpus a procedural build emulates (see below; default: %(default)s)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--num-clips", type=integer(1), default=1000)
    p.add_argument("--seed", type=integer(0), default=0)
    p.add_argument("--min-seconds", type=seconds, default=4.0)
    p.add_argument("--max-seconds", type=seconds, default=6.0)
    p.add_argument("--tracks-dir", type=Path)
    p.add_argument("--manifest", type=Path)
    p.add_argument("--min-frames", type=integer(1), default=10)
    p.add_argument("--num-proc", type=integer(1), default=None)
    p.add_argument("--num-shards", type=integer(1), default=8)
    p.add_argument("--config-name", default=None, help="config name in the card (default: --config)")
    p.add_argument("--data-dir", default="data", help="folder for the shards, relative, strictly inside --out")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("stats", help="counts per category and subject, hours, and a figure")
    p.add_argument("folder", type=Path)
    p.add_argument("-o", "--output", type=Path, default=None)
    p.add_argument("--data-dir", default="data")
    p.set_defaults(func=cmd_stats)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a command; a user error is one line on stderr and exit status 2, Ctrl-C exit status 130."""
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except KeyboardInterrupt:
        print(f"open3dfacevid {args.command}: interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as exc:
        if os.environ.get("TDMM_TRACEBACK") == "1":
            raise
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"open3dfacevid {args.command}: error: {' '.join(str(message).split())}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

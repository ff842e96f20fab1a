"""``python -m tdmm_eval report --models DIR --out DIR [--quick] [--seed N]``."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .report import run_report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tdmm_eval", description="Evaluation of tdmm-lm models.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("report", help="judge every model of a run with the text-motion evaluator; write REPORT.md")
    p.add_argument("--models", type=Path, required=True, help="folder with corpus/, evaluator/ and any of tokenizer/, m2l/, l2m/")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--quick", action="store_true", help="64 test clips and fewer generations (the demo's version)")
    p.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for needed in ("evaluator", "corpus"):
        if not (args.models / needed).is_dir():
            print(f"python -m tdmm_eval report: error: {args.models / needed} not found (train the evaluator and build the "
                  "corpus first, e.g. make demo)", file=sys.stderr)
            return 2
    try:
        run_report(args.models, args.out, quick=args.quick, seed=args.seed)
    except (OSError, ValueError) as exc:
        if os.environ.get("TDMM_TRACEBACK") == "1":
            raise
        print(f"python -m tdmm_eval report: error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.out / 'REPORT.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

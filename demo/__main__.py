"""``python -m tdmm_demo [--out DIR] [--force]``: run every demo stage not yet complete."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .stages import run_demo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tdmm-demo", description="The offline CPU demo of tdmm-lm, stage by stage, resumable.")
    parser.add_argument("--out", type=Path, default=Path("outputs/demo"))
    parser.add_argument("--force", action="store_true", help="redo stages whose outputs already exist")
    args = parser.parse_args(argv)
    run_demo(args.out, force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())

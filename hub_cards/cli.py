"""The ``tdmm`` console command: the model package's commands (convert, render, export, tokenize, describe,
generate) plus ``tdmm publish``, which lives here, above the model package."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from modeling_tdmm import cli

from .publish import publish


def cmd_publish(args: argparse.Namespace) -> None:
    plan, url = publish(Path(args.folder), args.repo_id, out=args.out, results=args.results, dataset_id=args.dataset_id,
                        dry_run=args.dry_run, private=args.private, create_pr=args.create_pr,
                        trust_remote_code=args.trust_remote_code)
    print("\n".join(plan.lines()))
    print("dry run: nothing uploaded" if url is None else f"uploaded: {url}")


def add_publish(sub: Any) -> None:
    p = sub.add_parser("publish", help="assemble a Hub-ready folder from a model or corpus folder, check it loads without "
                                       "tdmm-lm, print the plan and upload it")
    p.add_argument("folder", help="a trained model folder (tokenizer, M2L, L2M, evaluator) or a built corpus folder")
    p.add_argument("--repo-id", required=True, help="ORG/NAME on the Hub")
    p.add_argument("--dry-run", action="store_true", help="assemble and check, print the plan, upload nothing")
    p.add_argument("--private", action="store_true", help="create the repository private")
    p.add_argument("--create-pr", action="store_true", help="upload as a pull request instead of a commit to main")
    p.add_argument("--results", type=Path, default=None,
                   help="the evaluation suite's results.json for the card's test figures (default: report/results.json "
                        "beside the model folder, as make demo writes it)")
    p.add_argument("--dataset-id", default=None, help="Hub id of the corpus the model was trained on (card metadata)")
    p.add_argument("--out", type=Path, default=None, help="where to assemble the folder (default: hub/ORG--NAME beside it)")
    p.add_argument("--trust-remote-code", action="store_true",
                   help="let the load check run the folder's Python where it differs from tdmm-lm's own remote code")
    p.set_defaults(func=cmd_publish)


def main(argv: list[str] | None = None) -> int:
    """``tdmm``: 0 on success, 2 with one line on stderr for a user error."""
    return cli.main(argv, cli.build_parser(add_publish))


if __name__ == "__main__":
    sys.exit(main())

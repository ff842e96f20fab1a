"""``python -m tdmm_eval report --models DIR --out DIR [--quick] [--seed N]``,
``python -m tdmm_eval judge --url URL --model NAME --descriptions FILE.jsonl [--out FILE.json]`` and
``python -m tdmm_eval l2m-validation --models DIR --l2m DIR [--procedural-clips N] [--max-clips N] [--seed N]
[--guidance G] [--temperature T] [--top-k K] [--top-p P] [--repeats N]`` and
``python -m tdmm_eval m2l-validation --models DIR [--m2l DIR] [--max-clips N] [--seed N]``."""
from __future__ import annotations

import argparse
import json
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
    j = sub.add_parser("judge", help="CorE/CorM/CorI of descriptions from an LLM judge, next to the offline rubric's")
    j.add_argument("--url", required=True,
                   help="OpenAI-compatible API root, e.g. http://localhost:8000/v1 (key: $OPENAI_API_KEY)")
    j.add_argument("--model", required=True, help="model name the endpoint knows, e.g. gpt-4")
    j.add_argument("--descriptions", type=Path, required=True,
                   help='JSON lines {"description": ..., "attributes": {...}} (attributes: a clip\'s ground truth)')
    j.add_argument("--out", type=Path, help="also write both score sets here as JSON")
    v = sub.add_parser("l2m-validation", help="Language2Motion's readings on validation prompts (for choices; prints JSON)")
    v.add_argument("--models", type=Path, required=True, help="folder with evaluator/ and (unless --procedural-clips) corpus/")
    v.add_argument("--l2m", type=Path, required=True, help="the Language2Motion folder to judge")
    v.add_argument("--procedural-clips", type=int, default=0,
                   help="use the validation split of the procedural corpus of this many clips (seed 0) instead of "
                        "MODELS/corpus; 6000 = the evaluator's own corpus, whose validation clips the demo trains on never")
    v.add_argument("--max-clips", type=int, default=0, help="judge only the first N validation clips (0 = all)")
    v.add_argument("--seed", type=int, default=0)
    v.add_argument("--guidance", type=float, default=None, help="classifier-free guidance scale (default: the model's)")
    v.add_argument("--temperature", type=float, default=1.0)
    v.add_argument("--top-k", type=int, default=0, help="sample from the k most likely face tokens (0 = all)")
    v.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling: the most likely tokens up to this mass")
    v.add_argument("--repeats", type=int, default=2,
                   help="seeds per validation paraphrase and intensity pair (24 paraphrases x 2 seeds read a model's "
                        "paraphrase share to about +-7 points; more seeds narrow the sampling part of that)")
    m = sub.add_parser("m2l-validation", help="Motion2Language's descriptions of validation clips, read by the lexicon "
                                               "(for choices; prints JSON)")
    m.add_argument("--models", type=Path, required=True, help="folder with corpus/ (and m2l/ unless --m2l)")
    m.add_argument("--m2l", type=Path, help="the Motion2Language folder to judge (default: MODELS/m2l)")
    m.add_argument("--max-clips", type=int, default=96, help="describe this many validation clips, drawn with --seed")
    m.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "judge":
        return judge(args)
    if args.command == "l2m-validation":
        return l2m_validation(args)
    if args.command == "m2l-validation":
        return m2l_validation(args)
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


def l2m_validation(args: argparse.Namespace) -> int:
    """Print :func:`tdmm_eval.l2m_validation.validation_readings` of ``args.l2m`` as one JSON line."""
    import datasets

    from modeling_tdmm.language2motion import Language2Motion
    from modeling_tdmm.modeling_language2motion import check_generation_options
    from modeling_tdmm.text_motion_evaluator import TextMotionEvaluator
    from open3dfacevid.loading import load_corpus

    from .l2m_validation import validation_readings

    sampling = {"guidance": args.guidance, "temperature": args.temperature, "top_k": args.top_k, "top_p": args.top_p}
    try:
        check_generation_options(args.temperature, args.top_k, args.top_p, args.guidance, args.seed)  # before the loading
        if args.repeats < 1:
            raise ValueError(f"--repeats must be >= 1, got {args.repeats}")
        corpus = load_corpus("procedural", num_clips=args.procedural_clips) if args.procedural_clips else \
            datasets.load_dataset(str(args.models / "corpus"))
        rows = corpus["validation"].with_format("numpy")
        if args.max_clips:
            rows = rows.select(range(min(args.max_clips, len(rows))))
        result = validation_readings(TextMotionEvaluator.from_pretrained(args.models / "evaluator"),
                                     Language2Motion.from_pretrained(args.l2m), rows, seed=args.seed,
                                     repeats=args.repeats, **sampling)
    except (OSError, ValueError) as exc:
        if os.environ.get("TDMM_TRACEBACK") == "1":
            raise
        print(f"python -m tdmm_eval l2m-validation: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"l2m": str(args.l2m), "sampling": sampling, "repeats": args.repeats, **result}))
    return 0


def m2l_validation(args: argparse.Namespace) -> int:
    """Print :func:`tdmm_eval.m2l_validation.validation_readings` of ``args.m2l`` as one JSON line."""
    import datasets

    from modeling_tdmm.motion2language import Motion2Language

    from .m2l_validation import validation_readings

    folder = args.m2l or args.models / "m2l"
    try:
        if args.max_clips < 1:
            raise ValueError(f"--max-clips must be >= 1, got {args.max_clips}")
        rows = datasets.load_dataset(str(args.models / "corpus"), split="validation").with_format("numpy")
        result = validation_readings(Motion2Language.from_pretrained(folder), rows, max_clips=args.max_clips, seed=args.seed)
    except (OSError, ValueError) as exc:
        if os.environ.get("TDMM_TRACEBACK") == "1":
            raise
        print(f"python -m tdmm_eval m2l-validation: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"m2l": str(folder), **result}))
    return 0


def judge(args: argparse.Namespace) -> int:
    """Score ``args.descriptions`` with the LLM judge and the offline rubric; print both (and write ``args.out``)."""
    from .judge_rubric import mean_rubric_scores
    from .llm_judge import LLMJudge

    try:
        rows = [json.loads(line) for line in args.descriptions.read_text().splitlines() if line.strip()]
        if not rows:
            raise ValueError(f"{args.descriptions} holds no descriptions")
        descriptions = [str(row["description"]) for row in rows]
        attributes = [row["attributes"] for row in rows]
        scores = {"llm_judge": LLMJudge(args.url, args.model).score_many(descriptions, attributes),
                  "rubric": mean_rubric_scores(descriptions, attributes)}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if os.environ.get("TDMM_TRACEBACK") == "1":
            raise
        print(f"python -m tdmm_eval judge: error: {exc}", file=sys.stderr)
        return 2
    llm, rubric = scores["llm_judge"], scores["rubric"]
    print(f"{len(rows)} descriptions; LLM judge ({args.model}): {llm['unparsable']} unparsable replies")
    print("| | CorE | CorM | CorI |\n|---|---|---|---|")
    print(f"| LLM judge | {llm['CorE']:.2f} | {llm['CorM']:.2f} | {llm['CorI']:.2f} |")
    print(f"| offline rubric | {rubric['CorE']:.2f} | {rubric['CorM']:.2f} | {rubric['CorI']:.2f} |")
    if args.out:
        args.out.write_text(json.dumps(scores, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The ``tdmm`` command line: convert tracker files, render, export and run the demo."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .clip import ClipValidationError
from .language2motion import DEFAULT_GUIDANCE
from .face_model import FaceModelFormatError
from .readers import TrackerFormatError
from .safe_pickle import UnsafePickleError

USER_ERRORS = (ClipValidationError, FaceModelFormatError, TrackerFormatError, UnsafePickleError, FileNotFoundError, ValueError, ImportError)


def _face_model_for(clip, requested: str | None):
    from .face_model import FaceModel

    if requested:
        return FaceModel.load(requested)
    if clip.face_model.startswith("flame"):
        raise ValueError(
            f"{clip.origin}: this clip is for {clip.face_model}; pass --face-model /path/to/FLAME.pkl "
            "(FLAME is licensed and not shipped), or --face-model open-head-v1 to preview it on the embedded head"
        )
    return FaceModel.load(clip.face_model)


def cmd_convert(args: argparse.Namespace) -> None:
    from .readers import read_tracker_file

    clip = read_tracker_file(args.input, fps=args.fps, source=args.source)
    if args.prompt:
        clip.prompt = args.prompt
    clip.save(args.output)
    print(f"{args.output}: {clip.num_frames} frames at {clip.fps:g} fps ({clip.duration:.2f} s), source={clip.source}, face_model={clip.face_model}")


def cmd_render(args: argparse.Namespace) -> None:
    from .readers import read_tracker_file
    from .video import render_clip, write_frames

    clip = read_tracker_file(args.input)
    model = _face_model_for(clip, args.face_model)
    caption = args.caption if args.caption is not None else (clip.prompt if args.show_prompt else None)
    frames = render_clip(clip, model, size=args.size, side_view=args.side_view, caption=caption,
                         supersample=args.supersample, progress=True)
    write_frames(frames, args.output, clip.fps)
    print(f"{args.output}: {len(frames)} frames at {clip.fps:g} fps")


def cmd_export(args: argparse.Namespace) -> None:
    from .gltf import clip_to_glb
    from .readers import read_tracker_file

    clip = read_tracker_file(args.input)
    if not str(args.output).endswith(".glb"):
        raise ValueError(f"{args.output}: export writes glTF binary; use a .glb file name")
    clip_to_glb(clip, _face_model_for(clip, args.face_model), args.output)
    print(f"{args.output}: {clip.num_frames} keyframes at {clip.fps:g} fps")


def cmd_tokenize(args: argparse.Namespace) -> None:
    from .processing_face_tokens import PROCESSOR_FILE, FaceTokenProcessor
    from .readers import read_tracker_file

    folder = Path(args.tokenizer)
    if (folder / PROCESSOR_FILE).exists():
        processor = FaceTokenProcessor.from_pretrained(folder)
    else:
        from .modeling_geometry_tokenizer import GeometryTokenizer

        processor = FaceTokenProcessor.for_tokenizer(GeometryTokenizer.from_pretrained(folder).eval(), str(folder))
    for path in args.inputs:
        clip = read_tracker_file(path)
        text = processor.clip_to_text(clip)
        print(f"{path}\t{text}" if len(args.inputs) > 1 else text)


def write_clip(clip, output: Path, face_model: str | None = None) -> None:
    """Save ``clip`` by the output's extension: .npz (the clip), .mp4/.gif (a render), .glb (animated glTF)."""
    suffix = output.suffix.lower()
    if suffix == ".npz":
        clip.save(output)
    elif suffix in (".mp4", ".gif"):
        from .video import render_clip, write_frames

        frames = render_clip(clip, _face_model_for(clip, face_model), size=256, side_view=True, caption=clip.prompt)
        write_frames(frames, output, clip.fps)
    elif suffix == ".glb":
        from .gltf import clip_to_glb

        clip_to_glb(clip, _face_model_for(clip, face_model), output)
    else:
        raise ValueError(f"{output}: unknown output type '{suffix}'; use .npz, .mp4, .gif or .glb")


def cmd_generate(args: argparse.Namespace) -> None:
    from .language2motion import Language2Motion

    output = Path(args.output)
    if output.suffix.lower() not in (".npz", ".mp4", ".gif", ".glb"):
        raise ValueError(f"{output}: unknown output type '{output.suffix}'; use .npz, .mp4, .gif or .glb")
    l2m = Language2Motion.from_pretrained(args.model, tokenizer=args.tokenizer)
    clips = l2m.generate(args.prompts, seconds=args.seconds, guidance_scale=args.guidance, seed=args.seed,
                         temperature=args.temperature, top_k=args.top_k, top_p=args.top_p, do_sample=not args.greedy)
    for index, clip in enumerate(clips):
        path = output if len(clips) == 1 else output.with_name(f"{output.stem}_{index:02d}{output.suffix}")
        write_clip(clip, path, args.face_model)
        print(f"{path}: {clip.num_frames} frames at {clip.fps:g} fps ({clip.duration:.2f} s) <- {clip.prompt!r}")


def cmd_describe(args: argparse.Namespace) -> None:
    import json

    from .motion2language import Motion2Language
    from .readers import read_tracker_file

    m2l = Motion2Language.from_pretrained(args.model)
    clips = [read_tracker_file(path) for path in args.inputs]
    answers = m2l.describe(clips, question=args.question, max_new_tokens=args.max_new_tokens, windows=args.windows)
    for path, text in zip(args.inputs, answers):
        print(json.dumps({"file": path, "answer": text}) if args.json else text)


def cmd_demo(args: argparse.Namespace) -> None:
    from .demo import run_demo

    run_demo(Path(args.out), force=args.force)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tdmm", description="Language <-> 3D facial motion (TDMM-LM).")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("convert", help="tracker output (SMIRK pickle, DECA/EMOCA/SPECTRE npz, clip.npz) -> clip.npz")
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--fps", type=float, default=None, help="frame rate of the tracked video (default 25)")
    p.add_argument("--source", default=None, help="tracker name to record for DECA-family files (deca, emoca, spectre)")
    p.add_argument("--prompt", default=None, help="text to store as the clip's prompt")
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("render", help="render a clip or tracker file to .mp4, .gif or a .png sheet")
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--face-model", default=None, help="open-head-v1 (default for procedural clips) or a FLAME .pkl/.npz path")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--side-view", action="store_true", help="add a profile view beside the frontal one")
    p.add_argument("--caption", default=None, help="text drawn on every frame")
    p.add_argument("--show-prompt", action="store_true", help="draw the clip's prompt on every frame")
    p.add_argument("--supersample", type=int, default=1, help="anti-aliasing factor (slower)")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("export", help="export a clip as an animated glTF binary (.glb)")
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--face-model", default=None)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("tokenize", help="print the face-token string of clips or tracker files")
    p.add_argument("inputs", nargs="+")
    p.add_argument("--tokenizer", required=True, help="a trained geometry tokenizer folder")
    p.set_defaults(func=cmd_tokenize)

    p = sub.add_parser("describe", help="describe clips (or answer a question about them) with a Motion2Language model")
    p.add_argument("inputs", nargs="+", help="clip.npz or tracker files")
    p.add_argument("--model", required=True, help="a Motion2Language folder (trainers/sft_m2l.py output)")
    p.add_argument("--question", default=None)
    p.add_argument("--max-new-tokens", type=int, default=96)
    p.add_argument("--no-windows", dest="windows", action="store_false",
                   help="refuse clips longer than the model's context instead of describing them window by window")
    p.add_argument("--json", action="store_true", help="one JSON object per clip")
    p.set_defaults(func=cmd_describe)

    p = sub.add_parser("generate", help="generate face motion from text with a Language2Motion model")
    p.add_argument("prompts", nargs="+", help="one or more prompts (several: outputs get _00, _01, ... suffixes)")
    p.add_argument("--model", required=True, help="a Language2Motion folder (trainers/train_l2m.py output)")
    p.add_argument("--tokenizer", default=None, help="geometry tokenizer folder (default: the one recorded in the model)")
    p.add_argument("--seconds", type=float, default=None, help="duration (default: until the model ends the motion)")
    p.add_argument("-o", "--output", required=True, help="out.npz, out.mp4, out.gif or out.glb")
    p.add_argument("--guidance", type=float, default=DEFAULT_GUIDANCE, help="classifier-free guidance scale (1 = none)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--top-k", type=int, default=0)
    p.add_argument("--top-p", type=float, default=1.0)
    p.add_argument("--greedy", action="store_true", help="pick the most likely token each step (no sampling)")
    p.add_argument("--face-model", default=None, help="face model for .mp4/.glb output (default: the clip's)")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("demo", help="run the offline CPU demo, writing under --out")
    p.add_argument("--out", default="outputs/demo")
    p.add_argument("--force", action="store_true", help="redo stages whose outputs already exist")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except USER_ERRORS as exc:
        print(f"tdmm {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

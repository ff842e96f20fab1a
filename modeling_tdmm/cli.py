"""The ``tdmm`` command line: convert tracker files, retarget, render, export, tokenize, describe and generate
(the demo is ``tdmm-demo`` / ``make demo``, a layer above this package).

Every bad input ends in one line, ``tdmm <command>: error: <what is wrong>``, and exit status 2:
bad arguments (the ``type=`` functions below say the allowed range) and bad files or folders
alike; ``TDMM_TRACEBACK=1`` shows the traceback instead. Model folders load with the installed
classes: a folder's own Python runs only with ``--trust-remote-code``. A clip's metadata may
name an embedded face model, never a file: files come from ``--face-model``.
"""
from __future__ import annotations

import argparse
import math
import os
import pickle
import sys
import zipfile
from pathlib import Path
from typing import Any, Callable

from .face_model import EMBEDDED_MODELS
from .io_utils import require_regular_file

#: What a user can cause, reported as one line (exit status 2). Our errors (ClipValidationError,
#: TrackerFormatError, UnsafePickleError, FaceModelFormatError, LimitError, PromptError,
#: ModelFolderError, ...) are ``ValueError``s; IsADirectoryError, PermissionError... ``OSError``s.
USER_ERRORS = (OSError, ValueError, LookupError, TypeError, ArithmeticError, RecursionError, MemoryError, RuntimeError,
               ImportError, EOFError, zipfile.BadZipFile, pickle.UnpicklingError)
OUTPUT_SUFFIXES = (".npz", ".mp4", ".gif", ".glb")
MAX_MESSAGE = 500  # characters of an error line


# ----------------------------------------------------------------------------- argument types
def ranged(kind: type, low: float, high: float | None = None, *, above: bool = False) -> Callable[[str], float]:
    """An argparse ``type=``: a ``kind`` (int or float) in ``[low, high]`` (``(low, high]`` with
    ``above``; no upper bound without ``high``); NaN and inf are refused, the error states the range."""
    show = str if kind is int else "{:g}".format
    allowed = f"{'(' if above else '['}{show(low)}, {show(high) + ']' if high is not None else 'inf)'}"

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except (ValueError, OverflowError):
            raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'} in {allowed}, got {text!r}") from None
        finite = kind is int or math.isfinite(value)
        if not (finite and (value > low if above else value >= low) and (high is None or value <= high)):
            raise argparse.ArgumentTypeError(f"must be in {allowed}, got {text}")
        return value

    return parse


def face_model_arg(text: str) -> str:
    """An argparse ``type=``: an embedded face model name or an existing FLAME .pkl / .npz file."""
    if text in EMBEDDED_MODELS:
        return text
    try:
        return require_regular_file(text, f"face model file (FLAME .pkl / .npz) or one of {sorted(EMBEDDED_MODELS)}")
    except OSError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def frame_range(text: str) -> tuple[int, int]:
    """An argparse ``type=``: ``FIRST:END`` frame indices (END exclusive) as ``(first, end)``, ``0 <= first < end``."""
    first, colon, end = text.partition(":")
    if not (colon and first.strip().isdigit() and end.strip().isdigit() and int(first) < int(end)):
        raise argparse.ArgumentTypeError(f"expected FIRST:END frame indices with FIRST < END (e.g. 0:30), got {text!r:.40}")
    return int(first), int(end)


def output_file(text: str) -> Path:
    """An argparse ``type=``: a file name to write, neither a folder nor under a file."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; expected an output file name")
    parent = next((p for p in path.parents if p.exists()), Path("."))
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: {parent} is a file, not a folder")
    return path


# ----------------------------------------------------------------------------- helpers
def _face_model_for(clip, requested: str | None):
    """The face model to show ``clip`` on: ``--face-model`` (a name or a file the user gave), else
    the embedded model the clip's metadata names. Metadata never selects a file."""
    from .face_model import FaceModel

    if requested:
        return FaceModel.load(requested)
    if clip.face_model in EMBEDDED_MODELS:
        return FaceModel.load(clip.face_model)
    if clip.face_model.startswith("flame"):
        raise ValueError(
            f"{clip.origin}: this clip is for {clip.face_model[:40]}; pass --face-model /path/to/FLAME.pkl "
            "(FLAME is licensed and not shipped), or --face-model open-head-v2 to preview it on the embedded head"
        )
    raise ValueError(f"{clip.origin}: the clip's face_model {clip.face_model[:60]!r} is not an embedded model "
                     f"{sorted(EMBEDDED_MODELS)}; pass its file with --face-model PATH")


def _check_output(output: Path, fps: float | None = None) -> None:
    """Refuse an output type (and, given ``fps``, a frame rate a video cannot play) before any work."""
    suffix = output.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise ValueError(f"{output}: unknown output type '{suffix}'; use {', '.join(OUTPUT_SUFFIXES)}")
    if fps is not None and suffix in (".mp4", ".gif"):
        from .video import check_video_output

        check_video_output(output, fps)


def write_clip(clip, output: Path, face_model: str | None = None) -> None:
    """Save ``clip`` by the output's extension: .npz (the clip), .mp4/.gif (a render), .glb (animated glTF).

    ``face_model`` (a name or a file) renders it; otherwise only the embedded model the clip names.
    """
    _check_output(output, clip.fps)
    suffix = output.suffix.lower()
    if suffix == ".npz":
        clip.save(output)
    elif suffix in (".mp4", ".gif"):
        from .video import render_clip, write_frames

        frames = render_clip(clip, _face_model_for(clip, face_model), size=256, side_view=True, caption=clip.prompt)
        write_frames(frames, output, clip.fps)
    else:
        from .gltf import clip_to_glb

        clip_to_glb(clip, _face_model_for(clip, face_model), output)


# ----------------------------------------------------------------------------- commands
def cmd_convert(args: argparse.Namespace) -> None:
    from .readers import read_tracker_file

    clip = read_tracker_file(args.input, fps=args.fps, source=args.source, neutral_frames=args.neutral_frames)
    if args.prompt:
        clip.prompt = args.prompt
    clip.save(args.output)
    print(f"{args.output}: {clip.num_frames} frames at {clip.fps:g} fps ({clip.duration:.2f} s), source={clip.source}, face_model={clip.face_model}")


def cmd_render(args: argparse.Namespace) -> None:
    from .readers import read_tracker_file
    from .video import check_video_output, render_clip, write_frames

    clip = read_tracker_file(args.input)
    check_video_output(args.output, clip.fps)
    model = _face_model_for(clip, args.face_model)
    caption = args.caption if args.caption is not None else (clip.prompt if args.show_prompt else None)
    frames = render_clip(clip, model, size=args.size, side_view=args.side_view, caption=caption,
                         supersample=args.supersample, progress=True)
    write_frames(frames, args.output, clip.fps)
    print(f"{args.output}: {len(frames)} frames at {clip.fps:g} fps")


def cmd_export(args: argparse.Namespace) -> None:
    from .readers import read_tracker_file

    suffix = args.output.suffix.lower()
    if suffix not in (".glb", ".csv", ".json"):
        raise ValueError(f"{args.output}: export writes .glb (glTF), .csv (Live Link Face) or .json (ARKit weights), "
                         f"not '{suffix or 'no suffix'}'")
    clip = read_tracker_file(args.input, fps=args.fps)
    if suffix == ".glb" and not args.arkit:
        from .gltf import clip_to_glb

        clip_to_glb(clip, _face_model_for(clip, args.face_model), args.output)
        print(f"{args.output}: {clip.num_frames} keyframes at {clip.fps:g} fps")
        return
    from .arkit_export import write_take
    from .arkit_rig import ARKitRig

    rig = ARKitRig.default()
    take = rig.fit(clip)
    write_take(take, args.output, rig, shape=clip.shape[: rig.model.num_shape])
    error = rig.resynthesis_error(clip, take)
    print(f"{args.output}: {take.num_frames} frames of the 52 ARKit weights at {take.fps:g} fps "
          f"(re-synthesis error {1000 * error:.3f} mm mean over the face region)")


def cmd_retarget(args: argparse.Namespace) -> None:
    from .face_model import FaceModel
    from .readers import read_tracker_file
    from .retarget import check_source, move_clip

    clip = read_tracker_file(args.input, fps=args.fps)
    source_name = args.from_model or (clip.face_model if clip.face_model in EMBEDDED_MODELS else None)
    if source_name is None:
        raise ValueError(f"{args.input}: the clip is for {clip.face_model[:60]}; give that model's file with --from-model "
                         "/path/to/FLAME.pkl (FLAME is licensed and not shipped)")
    def same(a: str, b: str) -> bool:
        return a == b if a in EMBEDDED_MODELS or b in EMBEDDED_MODELS else os.path.realpath(a) == os.path.realpath(b)

    if same(os.fspath(source_name), os.fspath(args.to)):
        raise ValueError(f"{args.input}: --from-model and --to are the same model ({args.to}); nothing to retarget")
    _check_output(args.output, clip.fps)
    source = FaceModel.load(source_name)
    check_source(clip, source)  # before the target's registration
    moved, how = move_clip(clip, source, FaceModel.load(args.to))
    write_clip(moved, args.output, face_model=args.to)
    print(f"{args.output}: {moved.num_frames} frames moved from {source.name} to {moved.face_model}; {how}")


def cmd_tokenize(args: argparse.Namespace) -> None:
    from .processing_face_tokens import FaceTokenProcessor, load_geometry_tokenizer
    from .readers import read_tracker_file

    clips = [read_tracker_file(path) for path in args.inputs]
    geometry = load_geometry_tokenizer(args.geometry_tokenizer, args.trust_remote_code)
    processor = FaceTokenProcessor.for_tokenizer(geometry, args.geometry_tokenizer)
    for path, clip in zip(args.inputs, clips):
        text = processor.clip_to_text(clip)
        print(f"{path}\t{text}" if len(args.inputs) > 1 else text)


def cmd_generate(args: argparse.Namespace) -> None:
    from .language2motion import Language2Motion

    _check_output(args.output)
    l2m = Language2Motion.from_pretrained(args.model, geometry_tokenizer=args.geometry_tokenizer,
                                          trust_remote_code=args.trust_remote_code)
    clips = l2m.generate(args.prompts, seconds=args.seconds, guidance_scale=args.guidance, seed=args.seed,
                         temperature=args.temperature, top_k=args.top_k, top_p=args.top_p, do_sample=not args.greedy)
    output = args.output
    for index, clip in enumerate(clips):
        path = output if len(clips) == 1 else output.with_name(f"{output.stem}_{index:02d}{output.suffix}")
        write_clip(clip, path, args.face_model)
        print(f"{path}: {clip.num_frames} frames at {clip.fps:g} fps ({clip.duration:.2f} s) <- {clip.prompt!r}")


def cmd_describe(args: argparse.Namespace) -> None:
    import json

    from .motion2language import Motion2Language
    from .readers import read_tracker_file

    clips = [read_tracker_file(path) for path in args.inputs]
    m2l = Motion2Language.from_pretrained(args.model, trust_remote_code=args.trust_remote_code)
    answers = m2l.describe(clips, question=args.question, max_new_tokens=args.max_new_tokens, windows=args.windows)
    for path, text in zip(args.inputs, answers):
        print(json.dumps({"file": path, "answer": text}) if args.json else text)


# ----------------------------------------------------------------------------- parser
class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line, ``tdmm <command>: error: ...``, and exit status 2."""

    def error(self, message: str, prog: str | None = None):
        prog = prog or self.prog
        self.exit(2, f"{prog}: error: {message} (see {prog} --help)\n")

    def parse_args(self, args=None, namespace=None):
        """As argparse, but an unrecognised argument is reported by the command it was given to."""
        known, extra = self.parse_known_args(args, namespace)
        if extra:
            self.error(f"unrecognized arguments: {' '.join(extra)}", f"{self.prog} {known.command}")
        return known


def _trust_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--trust-remote-code", action="store_true",
                   help="let model folders run their own Python (auto_map), as transformers' trust_remote_code; "
                        "by default the installed classes load them")


def build_parser(more_commands: Callable[[Any], None] | None = None) -> argparse.ArgumentParser:
    """The ``tdmm`` parser; ``more_commands(subparsers)`` adds the commands of higher layers (``tdmm publish``)."""
    parser = OneLineParser(prog="tdmm", description="Language <-> 3D facial motion (TDMM-LM).")
    sub = parser.add_subparsers(dest="command", required=True)
    positive = ranged(float, 0, above=True)

    p = sub.add_parser("convert", help="tracker output (SMIRK pickle, DECA/EMOCA/SPECTRE npz, clip.npz) or ARKit capture "
                                       "(Live Link Face CSV, MediaPipe blendshapes CSV/JSON) -> clip.npz")
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True, type=output_file)
    p.add_argument("--fps", type=positive, default=None,
                   help="frame rate of the tracked video (default 25); ARKit captures keep the rate of their timecodes or "
                        "timestamps and use this only where they have none")
    p.add_argument("--source", default=None, help="tracker name to record for DECA-family files (deca, emoca, spectre)")
    p.add_argument("--prompt", default=None, help="text to store as the clip's prompt")
    p.add_argument("--neutral-frames", type=frame_range, default=None, metavar="FIRST:END",
                   help="ARKit captures: frames FIRST..END-1 show a neutral face with the eyes open; each weight's mean "
                        "there becomes 0 (a tracker's resting bias, e.g. eyeBlink above 0 with open eyes, which would "
                        "otherwise read as drooping lids)")
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("render", help="render a clip or tracker file to .mp4, .gif or a .png sheet")
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True, type=output_file)
    p.add_argument("--face-model", type=face_model_arg, default=None,
                   help="open-head-v2 (default for procedural clips), open-head-v1 or a FLAME .pkl/.npz path")
    p.add_argument("--size", type=ranged(int, 8, 4096), default=256, help="height of a view in pixels")
    p.add_argument("--side-view", action="store_true", help="add a profile view beside the frontal one")
    p.add_argument("--caption", default=None, help="text drawn on every frame")
    p.add_argument("--show-prompt", action="store_true", help="draw the clip's prompt on every frame")
    p.add_argument("--supersample", type=ranged(int, 1, 8), default=1, help="anti-aliasing factor (slower)")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("export", help="export a clip as animated glTF (.glb), ARKit-52 weights as a Live Link Face "
                                      "CSV (.csv) or JSON (.json), or a glTF with ARKit-named morph targets (.glb --arkit)")
    p.add_argument("input", help="clip.npz, tracker output or ARKit capture")
    p.add_argument("-o", "--output", required=True, type=output_file, help="face.glb, take.csv or anim.json")
    p.add_argument("--arkit", action="store_true",
                   help="with .glb: the 52 ARKit shapes as morph targets named with Apple's names (.csv/.json are always ARKit)")
    p.add_argument("--face-model", type=face_model_arg, default=None, help="face model of a plain .glb (default: the clip's)")
    p.add_argument("--fps", type=positive, default=None,
                   help="frame rate of inputs that store none (tracker output, MediaPipe without timestamps; default 25); "
                        "a clip is resampled to it")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("retarget", help="move a clip to another face model (a FLAME file <-> the open head) through its geometry")
    p.add_argument("input", help="clip.npz or tracker output (SMIRK, DECA/EMOCA/SPECTRE)")
    p.add_argument("--to", required=True, type=face_model_arg, help="target face model: open-head-v2, open-head-v1 or a FLAME .pkl/.npz path")
    p.add_argument("--from-model", type=face_model_arg, default=None,
                   help="the clip's own face model (default: the embedded model the clip names; FLAME clips need the file)")
    p.add_argument("-o", "--output", required=True, type=output_file, help="out.npz (or .mp4 / .gif / .glb on the target)")
    p.add_argument("--fps", type=positive, default=None, help="frame rate of tracker output that stores none (default 25)")
    p.set_defaults(func=cmd_retarget)

    p = sub.add_parser("tokenize", help="print the face-token string of clips or tracker files")
    p.add_argument("inputs", nargs="+")
    p.add_argument("--geometry-tokenizer", required=True, help="a trained geometry tokenizer folder")
    _trust_flag(p)
    p.set_defaults(func=cmd_tokenize)

    p = sub.add_parser("describe", help="describe clips (or answer a question about them) with a Motion2Language model")
    p.add_argument("inputs", nargs="+", help="clip.npz or tracker files")
    p.add_argument("--model", required=True, help="a Motion2Language folder (trainers/sft_m2l.py output)")
    p.add_argument("--question", default=None)
    p.add_argument("--max-new-tokens", type=ranged(int, 1), default=96)
    p.add_argument("--no-windows", dest="windows", action="store_false",
                   help="refuse clips longer than the model's context instead of describing them window by window")
    p.add_argument("--json", action="store_true", help="one JSON object per clip")
    _trust_flag(p)
    p.set_defaults(func=cmd_describe)

    p = sub.add_parser("generate", help="generate face motion from text with a Language2Motion model")
    p.add_argument("prompts", nargs="+", help="one or more prompts (several: outputs get _00, _01, ... suffixes)")
    p.add_argument("--model", required=True, help="a Language2Motion folder (trainers/train_l2m.py output)")
    p.add_argument("--geometry-tokenizer", default=None, help="geometry tokenizer folder (default: the one recorded with the model)")
    p.add_argument("--seconds", type=positive, default=None, help="duration (default: until the model ends the motion)")
    p.add_argument("-o", "--output", required=True, type=output_file, help="out.npz, out.mp4, out.gif or out.glb")
    p.add_argument("--guidance", type=ranged(float, 0), default=None,
                   help="classifier-free guidance scale (1 = none; default: the model's generation_config, 3)")
    p.add_argument("--seed", type=ranged(int, 0, 2**63 - 1), default=0)
    p.add_argument("--temperature", type=positive, default=1.0)
    p.add_argument("--top-k", type=ranged(int, 0), default=0, help="keep the k most likely tokens (0 = all)")
    p.add_argument("--top-p", type=ranged(float, 0, 1, above=True), default=1.0)
    p.add_argument("--greedy", action="store_true", help="pick the most likely token each step (no sampling)")
    p.add_argument("--face-model", type=face_model_arg, default=None, help="face model for .mp4/.glb output (default: the clip's)")
    _trust_flag(p)
    p.set_defaults(func=cmd_generate)

    if more_commands is not None:
        more_commands(sub)
    return parser


def one_line(exc: BaseException) -> str:
    """The exception's message on one line (at most ``MAX_MESSAGE`` characters)."""
    message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
    text = " ".join(str(message).split()) or type(exc).__name__
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 3] + "..."


def main(argv: list[str] | None = None, parser: argparse.ArgumentParser | None = None) -> int:
    """Run a command: 0 on success, 2 with one line on stderr for a user error (``TDMM_TRACEBACK=1``: raise)."""
    try:
        args = (parser or build_parser()).parse_args(argv)
    except SystemExit as stop:  # --help (0), or a usage error already printed as one line (2)
        return stop.code if isinstance(stop.code, int) else 0
    try:
        args.func(args)
    except USER_ERRORS as exc:
        if os.environ.get("TDMM_TRACEBACK") == "1":
            raise
        print(f"tdmm {args.command}: error: {one_line(exc)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

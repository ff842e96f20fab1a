"""Inference Endpoints handlers for published tdmm-lm models.

An endpoint loads ``handler.py`` from the repository root and calls ``EndpointHandler(path)`` once, then
``handler(data)`` per request with ``data["inputs"]`` and optional ``data["parameters"]``; the response
is JSON (binary files as base64). ``tdmm publish`` writes a ``handler.py`` that imports the class for the
model's kind from here, and a ``requirements.txt`` that installs tdmm-lm (with its renderer) on the
endpoint, so these handlers use the installed classes and never run Python from the model folder.

Contracts (every list field is per frame; units as in the clip contract: radians, eyelid closure 0-1):

* **Language2Motion** ``inputs``: a prompt or a list of prompts; ``parameters``: ``seconds`` (default 5),
  ``seed`` (0), ``guidance_scale`` (the model's default), ``formats`` (subset of ``["glb", "mp4"]``,
  default ``["glb"]``). Response: one object per prompt with ``prompt``, ``fps``, ``num_frames``,
  ``face_model``, ``codes`` (face-token ids), ``parameters`` (``expression`` [T][50], ``jaw_pose`` [T][3],
  ``eyelids`` [T][2], ``head_pose`` [T][3]) and ``glb`` / ``mp4`` (base64).
* **Motion2Language** ``inputs``: a clip as ``{"file": base64, "name": "x.npz"}`` (clip.npz, a SMIRK /
  EMOCA / DECA / SPECTRE tracker file, or an ARKit capture: Live Link Face CSV, MediaPipe blendshapes) or as parameters ``{"expression": [[...]], "jaw_pose": ...,
  "eyelids": ..., "head_pose": ..., "fps": 25}``; ``parameters``: ``question``, ``max_new_tokens``.
  Response: ``{"generated_text": ...}``.
* **Geometry tokenizer** ``inputs``: a clip as above. Response: ``codes``, ``text`` (the face-token
  string), ``num_frames``, ``fps``.
"""
from __future__ import annotations

import base64
import binascii
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from modeling_tdmm.clip import FaceClip
from modeling_tdmm.motion_fields import MOTION_FIELDS

__all__ = ["GeometryTokenizerHandler", "HandlerInputError", "Language2MotionHandler", "Motion2LanguageHandler",
           "clip_from_inputs"]

FORMATS = ("glb", "mp4")
MAX_FILE_BYTES = 64 * 1024**2


class HandlerInputError(ValueError):
    """A request the handler cannot serve; the message says which field and what is expected."""


def _parameters(data: Any) -> tuple[Any, dict[str, Any]]:
    if not isinstance(data, dict) or "inputs" not in data:
        raise HandlerInputError('request: expected a JSON object with "inputs" (and optional "parameters")')
    parameters = data.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise HandlerInputError(f'"parameters": expected an object, got {type(parameters).__name__}')
    return data["inputs"], parameters


def clip_from_inputs(inputs: Any) -> FaceClip:
    """A clip from a request's ``inputs``: ``{"file": base64, "name": ...}`` or motion parameters."""
    from modeling_tdmm.readers import read_tracker_file

    if not isinstance(inputs, dict):
        raise HandlerInputError('"inputs": expected an object, either {"file": base64, "name": "clip.npz"} or motion '
                                f"parameters ({', '.join(MOTION_FIELDS)} as [frames][values] lists)")
    if "file" in inputs:
        try:
            raw = base64.b64decode(str(inputs["file"]), validate=True)
        except (binascii.Error, ValueError):
            raise HandlerInputError('"inputs.file": not valid base64') from None
        if len(raw) > MAX_FILE_BYTES:
            raise HandlerInputError(f'"inputs.file": {len(raw)} bytes is over the {MAX_FILE_BYTES} this endpoint reads')
        suffix = Path(str(inputs.get("name", "clip.npz"))).suffix.lower()
        suffix = suffix if suffix in (".npz", ".pkl", ".pickle", ".csv", ".json") else ".npz"
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"upload{suffix}"
            path.write_bytes(raw)
            return read_tracker_file(path)
    missing = [name for name in MOTION_FIELDS if name not in inputs]
    if missing:
        raise HandlerInputError(f'"inputs": missing motion field(s) {missing}; give {", ".join(MOTION_FIELDS)} '
                                'or {"file": base64}')
    fields = {}
    for name in (*MOTION_FIELDS, "shape"):
        try:
            fields[name] = np.asarray(inputs.get(name, []), dtype=np.float32)
        except (TypeError, ValueError):
            raise HandlerInputError(f'"inputs.{name}": expected a list of numbers per frame ([frames][values])') from None
    try:
        fps = float(inputs.get("fps", 25.0))
    except (TypeError, ValueError):
        raise HandlerInputError(f'"inputs.fps": expected a number, got {inputs.get("fps")!r:.40}') from None
    return FaceClip(**fields, fps=fps, face_model=str(inputs.get("face_model", "open-head-v2")), origin="inputs")


def _encoded(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode("ascii")


class Language2MotionHandler:
    """Text -> face motion (parameters, face tokens, and GLB / MP4 as base64)."""

    def __init__(self, path: str = "") -> None:
        from modeling_tdmm.language2motion import Language2Motion

        self.l2m = Language2Motion.from_pretrained(path or ".")

    def __call__(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        from modeling_tdmm.cli import write_clip

        inputs, parameters = _parameters(data)
        prompts = [inputs] if isinstance(inputs, str) else inputs
        if not isinstance(prompts, list) or not prompts or not all(isinstance(p, str) for p in prompts):
            raise HandlerInputError('"inputs": expected a prompt or a non-empty list of prompts')
        formats = parameters.get("formats", ["glb"])
        if not isinstance(formats, list) or not set(formats) <= set(FORMATS):
            raise HandlerInputError(f'"parameters.formats": expected a subset of {list(FORMATS)}, got {formats!r}')
        pairs = self.l2m.generate_with_codes(prompts, seconds=parameters.get("seconds", 5.0), seed=parameters.get("seed", 0),
                                             guidance_scale=parameters.get("guidance_scale"))
        out = []
        with tempfile.TemporaryDirectory() as folder:
            for index, (clip, codes) in enumerate(pairs):
                item = {"prompt": clip.prompt, "fps": clip.fps, "num_frames": clip.num_frames, "face_model": clip.face_model,
                        "codes": [int(c) for c in codes], "parameters": {k: v.tolist() for k, v in clip.motion().items()}}
                for kind in formats:
                    path = Path(folder) / f"clip{index}.{kind}"
                    write_clip(clip, path)
                    item[kind] = _encoded(path)
                out.append(item)
        return out


class Motion2LanguageHandler:
    """A clip (file or parameters) + an optional question -> text."""

    def __init__(self, path: str = "") -> None:
        from modeling_tdmm.motion2language import Motion2Language

        self.m2l = Motion2Language.from_pretrained(path or ".")

    def __call__(self, data: dict[str, Any]) -> dict[str, str]:
        inputs, parameters = _parameters(data)
        clip = clip_from_inputs(inputs)
        question = parameters.get("question")
        if question is not None and (not isinstance(question, str) or not question.strip()):
            raise HandlerInputError('"parameters.question": expected non-empty text')
        text = self.m2l.describe([clip], question=question, max_new_tokens=parameters.get("max_new_tokens", 96))[0]
        return {"generated_text": text}


class GeometryTokenizerHandler:
    """A clip (file or parameters) -> its face tokens."""

    def __init__(self, path: str = "") -> None:
        from modeling_tdmm.processing_face_tokens import FaceTokenProcessor, load_geometry_tokenizer

        folder = path or "."
        self.processor = FaceTokenProcessor.for_tokenizer(load_geometry_tokenizer(folder), os.fspath(folder))

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        inputs, _ = _parameters(data)
        clip = clip_from_inputs(inputs)
        codes = self.processor.clip_to_codes(clip)
        return {"codes": [int(c) for c in codes], "text": self.processor.codes_to_text(codes), "num_frames": clip.num_frames,
                "fps": clip.fps}

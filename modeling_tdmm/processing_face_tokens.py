"""Face tokens as text: ``<|face_start|><|face_17|><|face_402|>...<|face_end|>`` and back.

:class:`FaceTokenProcessor` knows the codebook size and (optionally) the geometry tokenizer
that turns clips into codes. It adds exactly its tokens (codebook size + 2 markers) to any
Hugging Face tokenizer, and it is saved and loaded with ``save_pretrained`` /
``from_pretrained`` (``face_token_processor.json``; the geometry tokenizer is referenced by a
path relative to that folder). Motion2Language and Language2Motion folders both record their
geometry tokenizer this way.

Model folders are recognised by ``config.json``'s ``model_type`` before anything is loaded, and
geometry tokenizers load with the installed class: Python from a model folder runs only with
``trust_remote_code=True``.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .clip import FaceClip
from .face_model import face_model_family
from .io_utils import atomic_path, require_regular_file

PROCESSOR_FILE = "face_token_processor.json"
START, END = "<|face_start|>", "<|face_end|>"
_TOKEN = re.compile(r"<\|face_(\d+)\|>")

GEOMETRY_TOKENIZER = "a geometry tokenizer (tdmm tokenize --geometry-tokenizer)"
LANGUAGE2MOTION = "a Language2Motion model (tdmm generate)"
MOTION2LANGUAGE = "a Motion2Language model (tdmm describe)"
MOTION_EVALUATOR = "a text-motion evaluator (python -m tdmm_eval)"
MODEL_KINDS = {"tdmm_geometry_tokenizer": GEOMETRY_TOKENIZER, "tdmm_language2motion": LANGUAGE2MOTION,
               "tdmm_motion_evaluator": MOTION_EVALUATOR}


class FaceTokenError(ValueError):
    """Text has no face span, or a face token index outside the codebook."""


class FaceModelMismatchError(FaceTokenError):
    """A clip is for another face model than the geometry tokenizer was trained on."""


class ModelFolderError(ValueError):
    """A model folder is missing, is a file, or holds another kind of model than expected."""


def _read_json(path: Path, what: str) -> dict:
    try:
        data = json.loads(Path(require_regular_file(path, what)).read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFolderError(f"{path}: not a valid {what} ({exc})") from None
    if not isinstance(data, dict):
        raise ModelFolderError(f"{path}: not a valid {what} (expected a JSON object)")
    return data


def model_kind(folder: str | os.PathLike, expected: str = "a model") -> str:
    """What a saved model folder holds, from ``config.json``'s ``model_type`` (one of the kinds above)."""
    path = Path(folder)
    if not path.is_dir():
        raise ModelFolderError(f"{folder}: {'is a file' if path.exists() else 'not found'}; expected the folder of {expected}")
    if not (path / "config.json").exists():
        raise ModelFolderError(f"{folder}: not a saved model folder (no config.json); expected {expected}")
    model_type = _read_json(path / "config.json", "model config.json").get("model_type")
    if model_type in MODEL_KINDS:
        return MODEL_KINDS[model_type]
    if (path / PROCESSOR_FILE).exists():
        return MOTION2LANGUAGE
    return f"a {str(model_type)[:40]!r} model without face tokens (no {PROCESSOR_FILE})"


def check_model_folder(folder: str | os.PathLike, expected: str) -> str:
    """``folder`` as a string if :func:`model_kind` is ``expected``; else a one-line :class:`ModelFolderError`."""
    kind = model_kind(folder, expected)
    if kind != expected:
        raise ModelFolderError(f"{folder} is {kind}; expected {expected}")
    return os.fspath(folder)


def load_geometry_tokenizer(folder: str | os.PathLike, trust_remote_code: bool = False) -> Any:
    """A geometry tokenizer in eval mode: the installed class, or the folder's own code with ``trust_remote_code``."""
    check_model_folder(folder, GEOMETRY_TOKENIZER)
    if trust_remote_code:
        from transformers import AutoModel

        return AutoModel.from_pretrained(folder, trust_remote_code=True).eval()
    from .modeling_geometry_tokenizer import GeometryTokenizer

    return GeometryTokenizer.from_pretrained(folder).eval()


class FaceTokenProcessor:
    """Clip <-> face-token text for a codebook of ``codebook_size`` codes."""

    def __init__(self, codebook_size: int, tokenizer: Any = None, tokenizer_path: str | None = None, downsample: int = 1) -> None:
        self.codebook_size = int(codebook_size)
        self.tokenizer = tokenizer  # a GeometryTokenizer, or None (text <-> codes only)
        self.tokenizer_path = tokenizer_path
        self.downsample = int(downsample)

    @classmethod
    def for_tokenizer(cls, tokenizer: Any, tokenizer_path: str | None = None) -> "FaceTokenProcessor":
        return cls(tokenizer.config.codebook_size, tokenizer, tokenizer_path, tokenizer.config.downsample)

    # ------------------------------------------------------------------ vocabulary
    def token(self, index: int) -> str:
        return f"<|face_{index}|>"

    def tokens(self) -> list[str]:
        """The markers then one token per code: ``codebook_size + 2`` strings."""
        return [START, END, *(self.token(i) for i in range(self.codebook_size))]

    def add_to_tokenizer(self, hf_tokenizer: Any) -> int:
        """Add the face tokens to ``hf_tokenizer`` (the caller resizes embeddings). Returns the count added."""
        return hf_tokenizer.add_tokens(self.tokens(), special_tokens=False)

    @torch.no_grad()
    def init_embeddings(self, model: Any, hf_tokenizer: Any, seed: int = 0) -> None:
        """Start the face tokens' input-embedding rows from the geometry tokenizer's codebook.

        Each token's code vector (``[code_dim]``, or face and head vectors ``[2 * code_dim]`` for
        factorised codes) is standardised, mapped to the model width by a fixed random projection
        and scaled to the mean norm of the model's existing rows, so that codes which decode to
        similar motion begin with similar embeddings (mean-resized rows all start alike, and the LM
        must first tell them apart); with factorised codes a row starts as the sum of a face part
        and a head part, so tokens sharing a face code start alike. The two markers keep their rows.
        """
        codebook = self._need_tokenizer().code_vectors(torch.arange(self.codebook_size)).float()
        embeddings = model.get_input_embeddings().weight
        ids = hf_tokenizer.convert_tokens_to_ids([self.token(i) for i in range(self.codebook_size)])
        generator = torch.Generator().manual_seed(seed)
        projection = torch.randn(codebook.shape[1], embeddings.shape[1], generator=generator)
        rows = ((codebook - codebook.mean(0)) / codebook.std(0).clamp_min(1e-6)) @ projection
        others = torch.ones(embeddings.shape[0], dtype=torch.bool)
        others[ids] = False
        target = embeddings[others].norm(dim=1).mean()
        embeddings[ids] = (rows / rows.norm(dim=1, keepdim=True).clamp_min(1e-6) * target).to(embeddings.dtype)

    # ------------------------------------------------------------------ codes <-> text
    def codes_to_text(self, codes: Any) -> str:
        """``[T']`` code ids -> ``<|face_start|>...<|face_end|>`` (padding ids < 0 are dropped)."""
        ids = [int(c) for c in np.asarray(codes).reshape(-1) if int(c) >= 0]
        bad = [c for c in ids if c >= self.codebook_size]
        if bad:
            raise FaceTokenError(f"code ids {bad[:5]} are outside the codebook [0, {self.codebook_size})")
        return START + "".join(self.token(c) for c in ids) + END

    def text_to_codes(self, text: str) -> np.ndarray:
        """The first face span in ``text`` -> code ids ``[T']``; text around it is ignored."""
        start = text.find(START)
        if start < 0:
            raise FaceTokenError(f"no face span: the text has no {START} marker")
        end = text.find(END, start)
        span = text[start + len(START): end if end >= 0 else len(text)]
        ids = [int(m) for m in _TOKEN.findall(span)]
        if not ids:
            raise FaceTokenError("the face span holds no face tokens")
        bad = [i for i in ids if i >= self.codebook_size]
        if bad:
            raise FaceTokenError(f"face token index {bad[0]} is outside the codebook [0, {self.codebook_size})")
        return np.asarray(ids, dtype=np.int64)

    # ------------------------------------------------------------------ clips
    def _need_tokenizer(self) -> Any:
        if self.tokenizer is None:
            raise FaceTokenError("this processor has no geometry tokenizer; load one with from_pretrained or for_tokenizer")
        return self.tokenizer

    def clip_to_codes(self, clip: FaceClip) -> np.ndarray:
        """Code ids ``[ceil(T / downsample)]`` of a clip for the tokenizer's face model."""
        model = self._need_tokenizer()
        trained = model.config.face_model
        if face_model_family(clip.face_model) != face_model_family(trained):
            raise FaceModelMismatchError(
                f"{clip.clip_id or clip.origin}: the clip is {clip.face_model[:60]!r} motion but the geometry tokenizer was "
                f"trained on {trained!r}, so its face tokens would mean other motion; use a geometry tokenizer (and "
                f"model) trained on {clip.face_model[:60]!r} clips, or move the clip onto {trained!r} first: "
                f"tdmm retarget CLIP --to {trained} --from-model MODEL -o out.npz")
        codes = model.encode(**{k: torch.from_numpy(getattr(clip, k))[None] for k in ("expression", "jaw_pose", "eyelids", "head_pose")})
        return codes[0].numpy()

    def clip_to_text(self, clip: FaceClip) -> str:
        return self.codes_to_text(self.clip_to_codes(clip))

    def codes_to_clip(self, codes: Any, fps: float = 25.0, shape: np.ndarray | None = None, num_frames: int | None = None,
                      **metadata: Any) -> FaceClip:
        """Decode codes ``[T']`` to a clip of ``T' * downsample`` frames (or ``num_frames``)."""
        model = self._need_tokenizer()
        motion = model.decode(torch.as_tensor(np.asarray(codes))[None], num_frames=num_frames)
        fields = {k: v[0].numpy() for k, v in motion.items() if k != "vertices"}
        fields["eyelids"] = np.clip(fields["eyelids"], 0.0, 1.0)
        num_shape = model.config.face_model_num_shape
        return FaceClip(**fields, shape=np.zeros(num_shape, np.float32) if shape is None else shape, fps=fps,
                        face_model=model.config.face_model, source="geometry-tokenizer", **metadata)

    def text_to_clip(self, text: str, fps: float = 25.0, **metadata: Any) -> FaceClip:
        return self.codes_to_clip(self.text_to_codes(text), fps=fps, **metadata)

    # ------------------------------------------------------------------ persistence
    def save_pretrained(self, folder: str | os.PathLike, tokenizer_path: str | None = None) -> None:
        """Write ``face_token_processor.json``; ``tokenizer_path`` is stored relative to ``folder``."""
        folder = Path(folder)
        path = tokenizer_path or self.tokenizer_path
        if path is not None:
            path = os.path.relpath(Path(path).resolve(), folder.resolve())
        data = {"codebook_size": self.codebook_size, "downsample": self.downsample, "tokenizer_path": path,
                "start_token": START, "end_token": END, "token_format": "<|face_{index}|>"}
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(folder / PROCESSOR_FILE) as tmp:
            tmp.write_text(json.dumps(data, indent=2))

    @classmethod
    def from_pretrained(cls, folder: str | os.PathLike, load_tokenizer: bool = True,
                        trust_remote_code: bool = False) -> "FaceTokenProcessor":
        """Read ``face_token_processor.json``; its geometry tokenizer loads as :func:`load_geometry_tokenizer`."""
        file = Path(folder) / PROCESSOR_FILE
        if not file.exists():
            raise FileNotFoundError(f"{file}: no face token processor here (save one with save_pretrained)")
        data = _read_json(file, PROCESSOR_FILE)
        size, down, recorded = data.get("codebook_size"), data.get("downsample", 1), data.get("tokenizer_path")
        if not (isinstance(size, int) and size >= 1 and down in (1, 2, 4) and isinstance(recorded, (str, type(None)))):
            raise FaceTokenError(f"{file}: expected codebook_size >= 1, downsample 1, 2 or 4 and a tokenizer_path string")
        path = None if recorded is None else str((Path(folder) / recorded).resolve())
        tokenizer = load_geometry_tokenizer(path, trust_remote_code) if load_tokenizer and path is not None else None
        return cls(size, tokenizer, path, down)

"""Language2Motion inference: prompts -> face tokens -> face-motion clips, in batches.

A saved Language2Motion folder holds the model (remote code, text encoder inside), the text
encoder's tokenizer and ``face_token_processor.json``, which records the geometry tokenizer
the model was trained with (a path relative to the folder, as for Motion2Language); that
tokenizer decodes the generated face tokens to FLAME-layout motion.

:meth:`Language2Motion.from_pretrained` loads the installed classes; Python from the folder
runs only with ``trust_remote_code=True``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from .clip import FaceClip
from .face_model import face_model_family
from .modeling_language2motion import DEFAULT_GUIDANCE, check_generation_options
from .processing_face_tokens import (
    LANGUAGE2MOTION,
    PROCESSOR_FILE,
    FaceTokenProcessor,
    check_model_folder,
    load_geometry_tokenizer,
)
from .subjects import subject_identity

__all__ = ["DEFAULT_GUIDANCE", "Language2Motion", "PromptError"]


class PromptError(ValueError):
    """A prompt is empty, not text, has no words the text encoder knows, or is longer than its context."""


def _processor_for(folder: str | os.PathLike, geometry_tokenizer: str | os.PathLike | None,
                   trust_remote_code: bool) -> FaceTokenProcessor:
    """The face-token processor of a model folder, or one for an explicit geometry tokenizer folder."""
    if geometry_tokenizer is not None:
        geometry = load_geometry_tokenizer(geometry_tokenizer, trust_remote_code)
        return FaceTokenProcessor.for_tokenizer(geometry, str(Path(geometry_tokenizer).resolve()))
    if (Path(folder) / PROCESSOR_FILE).exists():
        return FaceTokenProcessor.from_pretrained(folder, trust_remote_code=trust_remote_code)
    raise FileNotFoundError(f"{folder}: no {PROCESSOR_FILE} records the geometry tokenizer of this model; "
                            "pass one (--geometry-tokenizer DIR)")


class Language2Motion:
    """``generate(prompts, seconds=5)`` -> one :class:`FaceClip` per prompt."""

    def __init__(self, model: Any, text_tokenizer: Any, processor: FaceTokenProcessor | None = None) -> None:
        self.model = model.eval()
        self.text_tokenizer = text_tokenizer
        self.processor = processor

    @classmethod
    def from_pretrained(cls, folder: str | os.PathLike, geometry_tokenizer: str | os.PathLike | None = None,
                        trust_remote_code: bool = False) -> "Language2Motion":
        """Load a trained model folder; ``geometry_tokenizer`` overrides the one it records.

        Without ``trust_remote_code`` the installed classes load it and no Python from the
        folder runs; with it, transformers loads the folder's own code (``auto_map``).
        """
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from .modeling_language2motion import Language2MotionModel

        check_model_folder(folder, LANGUAGE2MOTION)
        if trust_remote_code:
            model = AutoModelForCausalLM.from_pretrained(folder, trust_remote_code=True)
        else:
            model = Language2MotionModel.from_pretrained(folder)
        text_tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=trust_remote_code)
        return cls.from_model(model, text_tokenizer, folder, geometry_tokenizer, trust_remote_code)

    @classmethod
    def from_model(cls, model: Any, text_tokenizer: Any, folder: str | os.PathLike,
                   geometry_tokenizer: str | os.PathLike | None = None, trust_remote_code: bool = False) -> "Language2Motion":
        """Wrap a loaded model with the geometry tokenizer recorded in ``folder`` (or ``geometry_tokenizer``),
        checking that its codebook is the one the model generates for."""
        processor = _processor_for(folder, geometry_tokenizer, trust_remote_code)
        if processor.codebook_size != model.config.codebook_size:
            raise ValueError(f"geometry tokenizer {processor.tokenizer_path} has {processor.codebook_size} codes; "
                             f"the model generates {model.config.codebook_size}")
        return cls(model, text_tokenizer, processor)

    def save_pretrained(self, folder: str | os.PathLike) -> None:
        """Save the model, the text tokenizer and ``face_token_processor.json`` (geometry tokenizer path relative to ``folder``)."""
        self.model.save_pretrained(folder)
        self.text_tokenizer.save_pretrained(folder)
        if self.processor is not None:
            self.processor.save_pretrained(folder)

    def tokenize(self, prompts: Sequence[str]) -> dict[str, torch.Tensor]:
        """Tokenised prompts ``{text_input_ids, text_attention_mask: [B, L]}``; bad prompts raise :class:`PromptError`."""
        if isinstance(prompts, str):
            prompts = [prompts]
        if not len(prompts):
            raise PromptError("no prompts given")
        for index, prompt in enumerate(prompts):
            self._check_prompt(index, prompt)
        encoded = self.text_tokenizer(list(prompts), padding=True, return_tensors="pt")
        return {"text_input_ids": encoded["input_ids"], "text_attention_mask": encoded["attention_mask"]}

    def _check_prompt(self, index: int, prompt: Any) -> None:
        if not isinstance(prompt, str):
            raise PromptError(f"prompt {index} is a {type(prompt).__name__}, expected text")
        if not prompt.strip():
            raise PromptError(f"prompt {index} is empty: describe the facial motion, e.g. 'a person smiles and nods'")
        words = self.text_tokenizer(prompt, add_special_tokens=False)["input_ids"]
        unknown = self.text_tokenizer.unk_token_id
        if not words or (unknown is not None and all(i == unknown for i in words)):
            raise PromptError(f"prompt {index} ({prompt[:40]!r}) has no words the text encoder knows: "
                              "describe the facial motion in words, e.g. 'a person smiles and nods'")
        count = len(self.text_tokenizer(prompt)["input_ids"])
        limit = self.model.config.max_text_tokens
        if count > limit:
            raise PromptError(f"prompt {index} is {count} text tokens long; this model reads at most {limit} "
                              f"(max_text_tokens): shorten it ('{prompt[:60]}...')")

    @torch.no_grad()
    def generate_codes(self, prompts: Sequence[str], seconds: float | None = None, num_frames: int | None = None,
                       guidance_scale: float | None = None, seed: int | None = 0, batch_size: int = 16,
                       **sampling: Any) -> list[np.ndarray]:
        """Face-token ids ``[T_i]`` per prompt (each a valid code of the geometry tokenizer).

        Without ``seconds`` / ``num_frames`` each sequence ends where the model emits EOS.
        ``guidance_scale`` defaults to the model's ``generation_config`` (:data:`DEFAULT_GUIDANCE`
        for a model trained with condition dropout). ``sampling``: ``do_sample``, ``temperature``,
        ``top_k``, ``top_p``, ``max_new_tokens``, ``use_cache``. The same prompts, settings and
        ``seed`` give the same result.
        """
        prompts = [prompts] if isinstance(prompts, str) else list(prompts)
        check_generation_options(guidance_scale=guidance_scale, seed=seed)  # before the seed reaches torch
        inputs = self.tokenize(prompts)
        generator = None if seed is None else torch.Generator().manual_seed(seed)
        codes: list[np.ndarray] = []
        for start in range(0, len(prompts), batch_size):
            chunk = {k: v[start:start + batch_size] for k, v in inputs.items()}
            width = int(chunk["text_attention_mask"].sum(1).max())
            out = self.model.generate(chunk["text_input_ids"][:, :width], chunk["text_attention_mask"][:, :width],
                                      seconds=seconds, num_frames=num_frames, guidance_scale=guidance_scale,
                                      generator=generator, **sampling)
            codes += [row[row >= 0].numpy() for row in out]
        for index, row in enumerate(codes):
            if len(row) == 0:
                raise RuntimeError(f"prompt {index}: the model ended the motion before its first face token")
            if row.max() >= self.model.config.codebook_size:  # generate() masks these out; never decode one
                raise RuntimeError(f"prompt {index}: generated id {int(row.max())} is outside the codebook")
        return codes

    def decode(self, codes: np.ndarray, prompt: str = "", num_frames: int | None = None, clip_id: str = "generated") -> FaceClip:
        """Face-token ids ``[T']`` -> a clip at the model's frame rate (``num_frames`` cuts it to length).

        On the open head the clip's identity is the subject ``prompt`` names ("an elderly man", "a
        child": :func:`~modeling_tdmm.subjects.subject_identity`); other face models get
        the neutral identity (their identity spaces have no such meaning)."""
        if self.processor is None or self.processor.tokenizer is None:
            raise RuntimeError("Language2Motion needs a geometry tokenizer to decode face tokens to motion")
        config = self.processor.tokenizer.config
        shape = None
        if face_model_family(config.face_model) == "open-head":
            shape = subject_identity(prompt)[: config.face_model_num_shape]
        return self.processor.codes_to_clip(codes, fps=float(self.model.config.fps), shape=shape, num_frames=num_frames,
                                            prompt=prompt, clip_id=clip_id)

    def generate_with_codes(self, prompts: Sequence[str], seconds: float | None = None, num_frames: int | None = None,
                            **kwargs: Any) -> list[tuple[FaceClip, np.ndarray]]:
        """``(clip, face-token ids [T'])`` per prompt; arguments as :meth:`generate_codes`."""
        prompts = [prompts] if isinstance(prompts, str) else list(prompts)
        num_frames = self.model.frames_for(seconds, num_frames)  # the one seconds -> frames conversion
        codes = self.generate_codes(prompts, num_frames=num_frames, **kwargs)
        return [(self.decode(c, p, num_frames, f"generated-{i:03d}"), c) for i, (p, c) in enumerate(zip(prompts, codes))]

    def generate(self, prompts: Sequence[str], seconds: float | None = None, num_frames: int | None = None,
                 **kwargs: Any) -> list[FaceClip]:
        """One clip per prompt (``prompt`` and ``clip_id`` set); arguments as :meth:`generate_codes`."""
        return [clip for clip, _ in self.generate_with_codes(prompts, seconds, num_frames, **kwargs)]

"""Language2Motion inference: prompts -> face tokens -> face-motion clips, in batches.

A saved Language2Motion folder holds the model (remote code, text encoder inside), the text
encoder's tokenizer, and in its config the path of the geometry tokenizer it was trained
with, which decodes the generated face tokens to FLAME-layout motion.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from .clip import FaceClip
from .processing_face_tokens import FaceTokenProcessor

DEFAULT_GUIDANCE = 3.0  # classifier-free guidance scale; BENCHMARKS.md compares 1, 2, 3.5 and 5


def geometry_tokenizer_path(folder: str | os.PathLike, recorded: str | None) -> str:
    """Where the geometry tokenizer recorded in a model's config is: relative paths are read
    from the model folder (so the two can move together), absolute ones as they are."""
    if recorded is None:
        raise FileNotFoundError(f"{folder}: the model records no geometry tokenizer; pass one (--tokenizer DIR)")
    candidate = Path(folder) / recorded
    path = candidate if not Path(recorded).is_absolute() and candidate.exists() else Path(recorded)
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"geometry tokenizer '{recorded}' (recorded in {folder}/config.json) not found; "
                                "pass one with --tokenizer DIR")
    return str(path.resolve())


class PromptError(ValueError):
    """A prompt is empty, not text, or longer than the model's text context."""


class Language2Motion:
    """``generate(prompts, seconds=5)`` -> one :class:`FaceClip` per prompt."""

    def __init__(self, model: Any, text_tokenizer: Any, processor: FaceTokenProcessor | None = None) -> None:
        self.model = model.eval()
        self.text_tokenizer = text_tokenizer
        self.processor = processor

    @classmethod
    def from_pretrained(cls, folder: str | os.PathLike, tokenizer: str | os.PathLike | None = None) -> "Language2Motion":
        """Load a trained model; ``tokenizer`` overrides the geometry tokenizer recorded in its config."""
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from .modeling_geometry_tokenizer import GeometryTokenizer

        model = AutoModelForCausalLM.from_pretrained(folder, trust_remote_code=True)
        text_tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=True)  # reads the model's config too
        path = geometry_tokenizer_path(".", str(tokenizer)) if tokenizer else geometry_tokenizer_path(folder, model.config.geometry_tokenizer)
        geometry = GeometryTokenizer.from_pretrained(path).eval()
        if geometry.config.codebook_size != model.config.codebook_size:
            raise ValueError(f"geometry tokenizer {path} has {geometry.config.codebook_size} codes; "
                             f"the model generates {model.config.codebook_size}")
        return cls(model, text_tokenizer, FaceTokenProcessor.for_tokenizer(geometry, str(path)))

    def tokenize(self, prompts: Sequence[str]) -> dict[str, torch.Tensor]:
        """Tokenised prompts ``{text_input_ids, text_attention_mask: [B, L]}``; bad prompts raise :class:`PromptError`."""
        if isinstance(prompts, str):
            prompts = [prompts]
        if not len(prompts):
            raise PromptError("no prompts given")
        limit = self.model.config.max_text_tokens
        for index, prompt in enumerate(prompts):
            if not isinstance(prompt, str):
                raise PromptError(f"prompt {index} is a {type(prompt).__name__}, expected text")
            if not prompt.strip():
                raise PromptError(f"prompt {index} is empty: describe the facial motion, e.g. 'a person smiles and nods'")
            count = len(self.text_tokenizer(prompt)["input_ids"])
            if count > limit:
                raise PromptError(f"prompt {index} is {count} text tokens long; this model reads at most {limit} "
                                  f"(max_text_tokens): shorten it ('{prompt[:60]}...')")
        encoded = self.text_tokenizer(list(prompts), padding=True, return_tensors="pt")
        return {"text_input_ids": encoded["input_ids"], "text_attention_mask": encoded["attention_mask"]}

    @torch.no_grad()
    def generate_codes(self, prompts: Sequence[str], seconds: float | None = None, num_frames: int | None = None,
                       guidance_scale: float = DEFAULT_GUIDANCE, seed: int | None = 0, batch_size: int = 16, **sampling: Any) -> list[np.ndarray]:
        """Face-token ids ``[T_i]`` per prompt (each a valid code of the geometry tokenizer).

        Without ``seconds`` / ``num_frames`` each sequence ends where the model emits EOS.
        ``sampling``: ``do_sample``, ``temperature``, ``top_k``, ``top_p``, ``max_new_tokens``,
        ``use_cache``. The same prompts, settings and ``seed`` give the same result.
        """
        prompts = [prompts] if isinstance(prompts, str) else list(prompts)
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
        """Face-token ids ``[T']`` -> a clip at the model's frame rate (``num_frames`` cuts it to length)."""
        if self.processor is None or self.processor.tokenizer is None:
            raise RuntimeError("Language2Motion needs a geometry tokenizer to decode face tokens to motion")
        return self.processor.codes_to_clip(codes, fps=float(self.model.config.fps), num_frames=num_frames, prompt=prompt,
                                            clip_id=clip_id)

    def generate(self, prompts: Sequence[str], seconds: float | None = None, num_frames: int | None = None,
                 **kwargs: Any) -> list[FaceClip]:
        """One clip per prompt (``prompt`` and ``clip_id`` set); arguments as :meth:`generate_codes`."""
        prompts = [prompts] if isinstance(prompts, str) else list(prompts)
        if seconds is not None and num_frames is None:
            num_frames = round(seconds * float(self.model.config.fps))
            seconds = None
        codes = self.generate_codes(prompts, seconds, num_frames, **kwargs)
        return [self.decode(c, p, num_frames, f"generated-{i:03d}") for i, (p, c) in enumerate(zip(prompts, codes))]

"""Motion2Language inference: describe clips, or answer questions about them, in batches.

A saved Motion2Language folder holds a causal LM, its tokenizer with face tokens and a
``face_token_processor.json`` pointing to the geometry tokenizer. Clips whose face tokens do
not fit the model's context are answered window by window (each answer prefixed with its
time span) or, with ``windows=False``, refused with a clear error: never silently truncated.

:meth:`Motion2Language.from_pretrained` loads the installed transformers classes; Python from
the folder runs only with ``trust_remote_code=True``.
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

from .clip import FaceClip
from .m2l_prompt import DEFAULT_QUESTION, messages
from .processing_face_tokens import MOTION2LANGUAGE, FaceTokenProcessor, check_model_folder


class ClipTooLongError(ValueError):
    """A clip's face tokens do not fit the language model's context."""


class Motion2Language:
    """``describe(clips, question)`` with a fine-tuned causal LM over face tokens."""

    def __init__(self, model: Any, tokenizer: Any, processor: FaceTokenProcessor) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.processor = processor

    @classmethod
    def from_pretrained(cls, folder: str | os.PathLike, trust_remote_code: bool = False) -> "Motion2Language":
        """Load a fine-tuned folder (causal LM, tokenizer with face tokens, ``face_token_processor.json``)."""
        from transformers import AutoModelForCausalLM, AutoTokenizer

        check_model_folder(folder, MOTION2LANGUAGE)
        return cls(AutoModelForCausalLM.from_pretrained(folder, trust_remote_code=trust_remote_code),
                   AutoTokenizer.from_pretrained(folder, trust_remote_code=trust_remote_code),
                   FaceTokenProcessor.from_pretrained(folder, trust_remote_code=trust_remote_code))

    @property
    def context_length(self) -> int:
        return int(getattr(self.model.config, "max_position_embeddings", 2048))

    def _prompt(self, face_text: str, question: str, fps: float) -> str:
        chat = messages(face_text, question, self.processor.downsample, fps)
        return self.tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)

    def _windows(self, codes: np.ndarray, question: str, fps: float, max_new_tokens: int, windows: bool, origin: str) -> list[tuple[int, np.ndarray]]:
        """Split codes into spans whose prompts fit the context; ``[(first_code, codes)]``."""
        overhead = len(self.tokenizer(self._prompt(self.processor.codes_to_text(codes[:1]), question, fps),
                                      add_special_tokens=False)["input_ids"]) - 1
        room = self.context_length - max_new_tokens - overhead
        if room < 1:
            raise ClipTooLongError(f"the model's context ({self.context_length} tokens) leaves no room for face tokens")
        if len(codes) <= room:
            return [(0, codes)]
        if not windows:
            seconds = len(codes) * self.processor.downsample / fps
            raise ClipTooLongError(
                f"{origin}: {len(codes)} face tokens ({seconds:.1f} s) do not fit the model's context of "
                f"{self.context_length} tokens ({room} available for face tokens); describe it in windows "
                "(drop --no-windows, or windows=True in Python) or shorten the clip"
            )
        return [(start, codes[start:start + room]) for start in range(0, len(codes), room)]

    @torch.no_grad()
    def describe(self, clips: list[FaceClip], question: str | None = None, max_new_tokens: int = 96,
                 windows: bool = True, batch_size: int = 8) -> list[str]:
        """One answer per clip (``question`` defaults to a free description); ``max_new_tokens`` >= 1."""
        if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be an integer >= 1, got {max_new_tokens!r}")
        question = question or DEFAULT_QUESTION
        jobs: list[tuple[int, str, str]] = []  # (clip index, time prefix, prompt)
        for index, clip in enumerate(clips):
            codes = self.processor.clip_to_codes(clip)
            spans = self._windows(codes, question, clip.fps, max_new_tokens, windows, clip.clip_id or clip.origin)
            for start, part in spans:
                prefix = ""
                if len(spans) > 1:
                    step = self.processor.downsample / clip.fps
                    prefix = f"From {start * step:.1f} s to {(start + len(part)) * step:.1f} s: "
                jobs.append((index, prefix, self._prompt(self.processor.codes_to_text(part), question, clip.fps)))
        answers: list[list[str]] = [[] for _ in clips]
        self.tokenizer.padding_side = "left"
        for start in range(0, len(jobs), batch_size):
            chunk = jobs[start:start + batch_size]
            inputs = self.tokenizer([p for _, _, p in chunk], return_tensors="pt", padding=True, add_special_tokens=False)
            output = self.model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False,
                                         pad_token_id=self.tokenizer.pad_token_id, eos_token_id=self.tokenizer.eos_token_id)
            new = output[:, inputs["input_ids"].shape[1]:]
            for (index, prefix, _), tokens in zip(chunk, new):
                answers[index].append(prefix + self.tokenizer.decode(tokens, skip_special_tokens=True).strip())
        return [" ".join(a) for a in answers]

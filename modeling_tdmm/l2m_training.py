"""Shared pieces of ``trainers/train_l2m.py``: (text, face tokens) batches and a Trainer that logs
teacher-forced token accuracy."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch

from .training_utils import RunningMetricsTrainer


def clip_texts(row: dict[str, Any]) -> list[str]:
    """Texts a clip can be conditioned on: its generation prompt and its captions (paraphrases)."""
    texts = [str(row["prompt"])] if row.get("prompt") else []
    return texts + [str(c) for c in row.get("captions", []) if str(c).strip()]


class TextMotionCollator:
    """Batches of ``{"codes": [T] ints, "texts": [str, ...]}`` examples for Language2Motion.

    Each example is conditioned on one of its texts, picked at random. Face tokens become
    ``[BOS, codes..., EOS]`` right-padded with PAD (labels -100 there); sequences longer than
    the model takes are cropped at a random offset and then carry no EOS (the clip goes on).
    Prompts longer than ``max_text_tokens`` are truncated in training (generation refuses them).

    Output: ``input_ids, attention_mask, labels [B, T]`` and ``text_input_ids,
    text_attention_mask [B, L]`` (LongTensors).
    """

    def __init__(self, text_tokenizer: Any, codebook_size: int, max_motion_tokens: int, max_text_tokens: int,
                 seed: int = 0) -> None:
        self.text_tokenizer = text_tokenizer
        self.bos, self.eos, self.pad = codebook_size, codebook_size + 1, codebook_size + 2
        self.max_motion_tokens = max_motion_tokens
        self.max_text_tokens = max_text_tokens
        self.rng = np.random.default_rng(seed)

    def _sequence(self, codes: Sequence[int]) -> list[int]:
        codes = [int(c) for c in codes]
        room = self.max_motion_tokens - 2
        if len(codes) <= room:
            return [self.bos, *codes, self.eos]
        start = int(self.rng.integers(0, len(codes) - room))
        return [self.bos, *codes[start:start + room + 1]]

    def __call__(self, examples: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        sequences = [self._sequence(e["codes"]) for e in examples]
        texts = [e["texts"][int(self.rng.integers(len(e["texts"])))] for e in examples]
        length = max(len(s) for s in sequences)
        input_ids = torch.full((len(sequences), length), self.pad, dtype=torch.long)
        attention_mask = torch.zeros((len(sequences), length), dtype=torch.long)
        for row, sequence in enumerate(sequences):
            input_ids[row, :len(sequence)] = torch.tensor(sequence)
            attention_mask[row, :len(sequence)] = 1
        labels = input_ids.masked_fill(attention_mask == 0, -100)
        text = self.text_tokenizer(texts, padding=True, truncation=True, max_length=self.max_text_tokens, return_tensors="pt")
        return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels,
                "text_input_ids": text["input_ids"], "text_attention_mask": text["attention_mask"]}


def token_accuracy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Share of next-token predictions ``logits [B, T, V]`` that match ``labels [B, T]`` (shifted, -100 ignored)."""
    target = labels[:, 1:]
    valid = target != -100
    hits = (logits[:, :-1].argmax(-1) == target) & valid
    return hits.sum() / valid.sum().clamp_min(1)


class Language2MotionTrainer(RunningMetricsTrainer):
    """Logs teacher-forced token accuracy (``token_accuracy`` / ``eval_token_accuracy``)."""

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        outputs = model(**inputs)
        self.record(model, "token_accuracy", token_accuracy(outputs.logits.detach(), inputs["labels"]))
        return (outputs.loss, outputs) if return_outputs else outputs.loss

"""Batches for the models: motion windows or whole clips (padded, with masks), and (text, face tokens) pairs.

Rows are Open3DFaceVid rows (``datasets`` with numpy format) or :class:`FaceClip` dicts; a
batch is ``{expression, jaw_pose, eyelids, head_pose: [B, W, D], mask: [B, W] bool,
shape: [B, S]}`` as float32 tensors.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch

from .motion_fields import MOTION_FIELDS


class MotionCollator:
    """Collate rows into padded batches; ``window`` frames at a random offset (None = whole clip).

    ``multiple_of`` pads the time axis so it divides by the tokenizer's downsampling.
    """

    def __init__(self, window: int | None = 64, multiple_of: int = 1, seed: int = 0) -> None:
        self.window = window
        self.multiple_of = multiple_of
        self.rng = np.random.default_rng(seed)

    def __call__(self, rows: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        crops = []
        for row in rows:
            frames = len(row["expression"])
            start = 0
            if self.window and frames > self.window:
                start = int(self.rng.integers(0, frames - self.window + 1))
            stop = start + (self.window or frames)
            crops.append({k: np.asarray(row[k], np.float32)[start:stop] for k in MOTION_FIELDS})
        length = max(len(c["expression"]) for c in crops)
        length += (-length) % self.multiple_of
        batch = {k: np.zeros((len(rows), length, width), np.float32) for k, width in MOTION_FIELDS.items()}
        mask = np.zeros((len(rows), length), bool)
        for i, crop in enumerate(crops):
            n = len(crop["expression"])
            for k in MOTION_FIELDS:
                batch[k][i, :n] = crop[k]
            mask[i, :n] = True
        widths = max(len(np.asarray(r["shape"])) for r in rows)
        shape = np.zeros((len(rows), widths), np.float32)
        for i, row in enumerate(rows):
            values = np.asarray(row["shape"], np.float32)
            shape[i, : len(values)] = values
        out = {k: torch.from_numpy(v) for k, v in batch.items()}
        out["mask"] = torch.from_numpy(mask)
        out["shape"] = torch.from_numpy(shape)
        return out


@torch.no_grad()
def encode_rows(rows: Any, tokenizer: Any, batch_size: int = 32) -> list[np.ndarray]:
    """Face-token ids of every whole clip in ``rows``: one int64 array ``[ceil(T_i / downsample)]`` each.

    ``tokenizer`` is a geometry tokenizer; clips are batched with padding, which is cut off.
    """
    collate = MotionCollator(window=None, multiple_of=tokenizer.config.downsample)
    codes: list[np.ndarray] = []
    for start in range(0, len(rows), batch_size):
        batch = collate([rows[i] for i in range(start, min(len(rows), start + batch_size))])
        encoded = tokenizer.encode(**{k: batch[k] for k in MOTION_FIELDS}, mask=batch["mask"]).numpy()
        codes += [row[row >= 0].astype(np.int64) for row in encoded]
    return codes


class TextMotionCollator:
    """Batches of ``{"codes": [T] ints, "texts": [str, ...]}`` examples for Language2Motion.

    Each example is conditioned on one of its texts, picked at random. Face tokens become
    ``[BOS, codes..., EOS]`` right-padded with PAD (labels -100 there); sequences longer than
    the model takes are cropped at a random offset and then carry no EOS (the clip goes on).
    Prompts longer than ``max_text_tokens`` are truncated in training (generation refuses them).

    Output: ``input_ids, attention_mask, labels [B, T]`` and ``text_input_ids,
    text_attention_mask [B, L]`` (LongTensors), plus ``emotion_family_labels [B]`` / ``intensity_labels [B]`` /
    ``head_motion_labels [B]`` where the examples carry a ``"family"`` / ``"intensity"`` / ``"head"`` id (-100 = none).
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
        batch = {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels,
                 "text_input_ids": text["input_ids"], "text_attention_mask": text["attention_mask"]}
        for key, name in (("family", "emotion_family_labels"), ("intensity", "intensity_labels"),
                          ("head", "head_motion_labels")):
            if all(key in e for e in examples):
                batch[name] = torch.tensor([int(e[key]) for e in examples], dtype=torch.long)
        return batch

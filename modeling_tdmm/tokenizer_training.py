"""Shared pieces of ``trainers/train_tokenizer.py``: normalisation statistics and a Trainer
that logs codebook health (perplexity, codes in use, dead codes reset) every logging step."""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

import torch
from transformers import Trainer

from .clip import MOTION_FIELDS

MOTION_KEYS = tuple(MOTION_FIELDS)  # expression, jaw_pose, eyelids, head_pose


@torch.no_grad()
def feature_statistics(model: Any, rows: Iterable[dict[str, Any]], max_clips: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-feature mean and std ``[F]`` of the tokenizer's input features over ``rows``."""
    chunks = []
    for i, row in enumerate(rows):
        if i >= max_clips:
            break
        motion = model.motion_inputs(*(torch.as_tensor(row[k]) for k in MOTION_KEYS))
        chunks.append(model.raw_features(motion)[0])
    if not chunks:
        raise ValueError("no training clips to compute feature statistics from")
    features = torch.cat(chunks)
    return features.mean(0), features.std(0)


class TokenizerTrainer(Trainer):
    """`transformers.Trainer` that adds loss parts and codebook health to the training logs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._health: dict[str, list[float]] = defaultdict(list)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        outputs = model(**inputs)
        if model.training:
            quantizer = self.accelerator.unwrap_model(model).quantizer
            for name in ("vertex_loss", "param_loss", "velocity_loss", "commitment_loss", "perplexity"):
                value = getattr(outputs, name)
                if value is not None:
                    self._health[name].append(float(value.detach()))
            self._health["dead_codes_reset"].append(float(quantizer.last_reset))
            self._health["codes_in_use_pct"].append(100.0 * float((quantizer.ema_count >= quantizer.dead_threshold).float().mean()))
        return (outputs.loss, outputs) if return_outputs else outputs.loss

    def log(self, logs: dict[str, float], *args: Any, **kwargs: Any) -> None:
        if "loss" in logs and self._health:
            for name, values in self._health.items():
                logs[name] = sum(values) if name == "dead_codes_reset" else sum(values) / len(values)
            self._health.clear()
        super().log(logs, *args, **kwargs)

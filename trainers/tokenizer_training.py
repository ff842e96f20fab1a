"""Shared pieces of ``trainers/train_tokenizer.py``: normalisation statistics and a Trainer
that logs codebook health (perplexity, codes in use, dead codes reset) every logging step."""
from __future__ import annotations

from typing import Any, Iterable

import torch

from modeling_tdmm.motion_fields import MOTION_FIELDS
from tdmm_train.training_utils import RunningMetricsTrainer

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


class TokenizerTrainer(RunningMetricsTrainer):
    """Adds loss parts and codebook health to the training logs."""

    summed = ("dead_codes_reset",)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        outputs = model(**inputs)
        if model.training:
            quantizer = self.accelerator.unwrap_model(model).quantizer
            for name in ("vertex_loss", "param_loss", "velocity_loss", "commitment_loss", "perplexity"):
                value = getattr(outputs, name)
                if value is not None:
                    self.record(model, name, value.detach())
            self.record(model, "dead_codes_reset", quantizer.last_reset)
            self.record(model, "codes_in_use_pct", 100.0 * float((quantizer.ema_count >= quantizer.dead_threshold).float().mean()))
        return (outputs.loss, outputs) if return_outputs else outputs.loss

"""Shared pieces of ``trainers/train_l2m.py``: a Trainer that logs teacher-forced token accuracy and evaluates
with its own collator."""
from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch

from tdmm_eval.l2m_eval import token_accuracy
from tdmm_train.training_utils import RunningMetricsTrainer


class Language2MotionTrainer(RunningMetricsTrainer):
    """Logs teacher-forced token accuracy (``token_accuracy`` / ``eval_token_accuracy``; factorised models
    return no logits while training, so they log it at evaluation only).

    The collator draws each example's text and crop at random; evaluation batches are drawn by a copy of it
    re-seeded with ``eval_seed`` at every evaluation, and torch's random state is restored after it (its data
    loader draws a seed), so every evaluation sees the same batches and the training draws (hence the trained
    model) do not depend on how often it evaluates. (With ``dataloader_persistent_workers`` the Trainer keeps the
    first evaluation's workers and their collator, so later evaluations draw on; training stays unaffected.)"""

    def __init__(self, *args: Any, eval_seed: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.eval_seed = eval_seed

    def evaluate(self, *args: Any, **kwargs: Any) -> dict[str, float]:
        training_collator = self.data_collator
        self.data_collator = copy.copy(training_collator)
        self.data_collator.rng = np.random.default_rng(self.eval_seed)
        devices = [self.args.device.index or 0] if self.args.device.type == "cuda" else []  # no CUDA start-up under use_cpu
        try:  # a DataLoader draws its base seed from torch's generator: keep the training's stream as it was
            with torch.random.fork_rng(devices=devices):
                return super().evaluate(*args, **kwargs)
        finally:
            self.data_collator = training_collator

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        outputs = model(**inputs)
        if outputs.logits is not None:
            self.record(model, "token_accuracy", token_accuracy(outputs.logits.detach(), inputs["labels"]))
        return (outputs.loss, outputs) if return_outputs else outputs.loss

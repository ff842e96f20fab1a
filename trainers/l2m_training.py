"""Shared pieces of ``trainers/train_l2m.py``: a Trainer that logs teacher-forced token accuracy."""
from __future__ import annotations

from tdmm_eval.l2m_eval import token_accuracy
from tdmm_train.training_utils import RunningMetricsTrainer


class Language2MotionTrainer(RunningMetricsTrainer):
    """Logs teacher-forced token accuracy (``token_accuracy`` / ``eval_token_accuracy``; factorised models
    return no logits while training, so they log it at evaluation only)."""

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        outputs = model(**inputs)
        if outputs.logits is not None:
            self.record(model, "token_accuracy", token_accuracy(outputs.logits.detach(), inputs["labels"]))
        return (outputs.loss, outputs) if return_outputs else outputs.loss

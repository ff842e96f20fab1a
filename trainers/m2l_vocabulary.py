"""Face tokens are read, never written: how the Motion2Language trainer treats them.

Answers are text, so during training:

* the loss is a softmax over the **text vocabulary only** (ids below the first face token).
  With tied embeddings, a softmax over all 8,194 face tokens pushes every face token's output
  row (its input row too) down at every answer position, and it costs about five times the
  text head (8,194 face tokens beside ~2,100 text tokens in the default backbone);
* with **factorised codes** (token ``face * H + head``) a face token's input row is
  ``face_rows[face] + head_rows[head]``: 512 + 16 rows learnt from every frame instead of
  8,192 independent rows each seen a few times in a CPU budget.

:func:`write_face_rows` puts the sums into the ordinary embedding matrix and sets
``generation_config.suppress_tokens`` to the face tokens, so the saved model is a plain causal
LM that answers in text.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn


class TextVocabularyHead(nn.Module):
    """The model's output head limited to ids ``[0, size)``: hidden ``[..., d]`` -> logits ``[..., size]``.

    It holds no parameters of its own (the rows stay the model's), so checkpoints are unchanged.
    """

    def __init__(self, head: nn.Module, size: int) -> None:
        super().__init__()
        self._head = (head,)  # a tuple, not a submodule: the weight is not registered twice
        self.size = int(size)

    @property
    def weight(self) -> torch.Tensor:
        return self._head[0].weight[: self.size]

    @property
    def bias(self) -> torch.Tensor | None:
        bias = getattr(self._head[0], "bias", None)
        return None if bias is None else bias[: self.size]

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return nn.functional.linear(hidden, self.weight, self.bias)


class FactorisedFaceRows(nn.Module):
    """Input rows of ``codebook_size`` face tokens starting at id ``first_id``, as face + head parts.

    ``face`` ``[codebook_size / H, d]`` and ``head`` ``[H, d]`` start as the least-squares split of
    the rows the tokens have (``H = head_codebook_size``, 1 for unfactorised codes: one row per code).
    """

    def __init__(self, rows: torch.Tensor, first_id: int, head_codebook_size: int) -> None:
        super().__init__()
        heads = max(1, int(head_codebook_size))
        if rows.shape[0] % heads:
            raise ValueError(f"{rows.shape[0]} face tokens are not a multiple of the head codebook size {heads}")
        grid = rows.detach().float().reshape(rows.shape[0] // heads, heads, rows.shape[1])
        face = grid.mean(1)
        self.face = nn.Parameter(face)
        self.head = nn.Parameter((grid - face[:, None]).mean(0))
        self.first_id, self.heads, self.count = int(first_id), heads, rows.shape[0]

    def rows(self) -> torch.Tensor:
        """``[codebook_size, d]``: row of token ``face * H + head`` is ``face_rows[face] + head_rows[head]``."""
        return (self.face[:, None] + self.head[None]).reshape(self.count, -1)

    def replace(self, module: nn.Module, inputs: tuple[Any, ...], output: torch.Tensor) -> torch.Tensor:
        """Forward hook of the input embedding: ids ``[B, L]`` -> embeddings ``[B, L, d]`` with face rows swapped in."""
        codes = inputs[0] - self.first_id
        is_face = (codes >= 0) & (codes < self.count)
        codes = codes.clamp(0, self.count - 1)
        rows = self.face[codes // self.heads] + self.head[codes % self.heads]
        return torch.where(is_face[..., None], rows.to(output.dtype), output)


def train_face_tokens_as_input(model: Any, first_face_id: int, codebook_size: int, head_codebook_size: int) -> None:
    """Install the text-only output head and the factorised face rows on ``model`` (before the trainer is built).

    ``first_face_id`` is the id of ``<|face_start|>``; the two markers keep free rows, the
    ``codebook_size`` code tokens follow them.
    """
    embedding = model.get_input_embeddings()
    first_code = first_face_id + 2
    rows = FactorisedFaceRows(embedding.weight[first_code: first_code + codebook_size], first_code, head_codebook_size)
    model.face_rows = rows  # a submodule: trained, and saved in checkpoints so that training resumes
    model._face_rows_hook = embedding.register_forward_hook(rows.replace)
    head = TextVocabularyHead(model.get_output_embeddings(), first_face_id)
    model.get_output_embeddings = lambda: head  # TRL's fused loss projects through this head only


@torch.no_grad()
def write_face_rows(model: Any, first_face_id: int) -> None:
    """Undo :func:`train_face_tokens_as_input`: face rows into the embedding matrix, face tokens suppressed in generation."""
    rows: FactorisedFaceRows = model.face_rows
    model._face_rows_hook.remove()
    weight = model.get_input_embeddings().weight
    weight[rows.first_id: rows.first_id + rows.count] = rows.rows().to(weight.dtype)
    del model.face_rows, model._face_rows_hook, model.get_output_embeddings
    suppress_face_tokens(model, first_face_id)


def suppress_face_tokens(model: Any, first_face_id: int) -> None:
    """``generation_config.suppress_tokens``: every id from ``<|face_start|>`` on, so generation writes text only."""
    model.generation_config.suppress_tokens = list(range(first_face_id, model.get_input_embeddings().weight.shape[0]))

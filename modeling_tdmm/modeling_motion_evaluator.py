"""The text-motion evaluator: a motion encoder over raw FLAME-layout parameters and a text
encoder in one embedding space, plus heads that read a clip's attributes.

It is the face analogue of the Guo et al. / TMR evaluators that text-to-motion results are
reported with. It reads motion parameters, never face tokens, so it can judge any generator and
any tokenizer. Shapes: motion ``[B, T, D]`` per field (expression D=50, jaw and head axis-angle
D=3 in radians, eyelids D=2) with ``mask [B, T]`` (True on real frames); embeddings ``[B, E]``,
L2-normalised, so Euclidean distances lie in [0, 2].

Padding never changes a clip's embedding: padded frames are zeroed before every convolution
and excluded from pooling (a test checks a clip alone and padded in a batch embed the same).

Self-contained remote code: imports only torch, transformers and its configuration.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from transformers import AutoConfig, AutoModel, PreTrainedModel
from transformers.utils import ModelOutput

from .configuration_motion_evaluator import MotionEvaluatorConfig
from .text_encoders import resolve_text_encoder

#: attribute head -> the config field listing its labels (all single-label but ``action``, which is multi-label)
ATTRIBUTES = {"emotion": "emotion_families", "precise_emotion": "emotions", "head": "head_motions",
              "intensity": "intensities", "action": "actions"}
#: The files ``save_pretrained`` copies beside the weights: everything the model imports.
REMOTE_CODE_FILES = ("configuration_motion_evaluator.py", "modeling_motion_evaluator.py", "text_encoders.py")


@dataclass
class MotionEvaluatorOutput(ModelOutput):
    """``loss`` (contrastive + attribute), ``losses`` by part, embeddings ``[B, E]`` and head logits ``[B, n]``."""

    loss: torch.Tensor | None = None
    losses: dict | None = None
    motion_embeds: torch.Tensor | None = None
    text_embeds: torch.Tensor | None = None
    emotion_logits: torch.Tensor | None = None
    precise_emotion_logits: torch.Tensor | None = None
    head_logits: torch.Tensor | None = None
    intensity_logits: torch.Tensor | None = None
    action_logits: torch.Tensor | None = None


class MotionEvaluatorBlock(nn.Module):
    """Pre-norm residual block: dilated temporal convolution, GELU, pointwise convolution."""

    def __init__(self, width: int, kernel_size: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.temporal = nn.Conv1d(width, width, kernel_size, dilation=dilation, padding=dilation * (kernel_size // 2))
        self.pointwise = nn.Conv1d(width, width, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``x [B, T, H]``, ``mask [B, T, 1]`` float -> ``[B, T, H]`` (zero on padded frames)."""
        h = (self.norm(x) * mask).transpose(1, 2)
        h = self.pointwise(F.gelu(self.temporal(h))).transpose(1, 2)
        return (x + self.dropout(h)) * mask


class MotionEvaluator(PreTrainedModel):
    """Motion and text encoders in one embedding, with emotion / head-motion / intensity / action heads."""

    config_class = MotionEvaluatorConfig
    base_model_prefix = "motion_evaluator"
    _no_split_modules = ["MotionEvaluatorBlock"]

    def __init__(self, config: MotionEvaluatorConfig) -> None:
        super().__init__(config)
        if not config.text_encoder_config:
            raise ValueError("MotionEvaluatorConfig.text_encoder_config is empty: build a new evaluator with "
                             "MotionEvaluator.from_text_encoder(config), which reads the encoder's configuration")
        width = config.hidden_size
        self.register_buffer("feature_mean", torch.zeros(config.motion_dim))
        self.register_buffer("feature_std", torch.ones(config.motion_dim))
        self.input_projection = nn.Linear(config.motion_dim, width)
        self.blocks = nn.ModuleList(MotionEvaluatorBlock(width, config.kernel_size, 2 ** (i % 4), config.dropout)
                                    for i in range(config.num_layers))
        amplitude_width = config.motion_dim if config.amplitude_features else 0
        self.pool = nn.Sequential(nn.Linear(2 * width + amplitude_width, width), nn.GELU(), nn.LayerNorm(width))
        self.motion_projection = nn.Linear(width, config.embed_dim)
        self.heads = nn.ModuleDict({
            name: nn.Linear(width, len(labels)) for name, labels in self.label_names().items() if labels
        })
        text_config = dict(config.text_encoder_config)
        self.text_encoder = AutoModel.from_config(AutoConfig.for_model(text_config.pop("model_type"), **text_config))
        self.text_encoder.requires_grad_(False)
        text_width = self.text_encoder.config.hidden_size
        self.text_projection = nn.Sequential(nn.Linear(text_width, width), nn.GELU(), nn.Dropout(config.dropout),
                                             nn.Linear(width, config.embed_dim))
        self.post_init()

    @classmethod
    def from_text_encoder(cls, config: MotionEvaluatorConfig) -> "MotionEvaluator":
        """A new evaluator whose (frozen) text encoder holds the pretrained weights of ``config.text_encoder``."""
        encoder = AutoModel.from_pretrained(resolve_text_encoder(config.text_encoder))
        config.text_encoder_config = encoder.config.to_dict()
        model = cls(config)
        model.text_encoder.load_state_dict(encoder.state_dict())
        return model

    def label_names(self) -> dict[str, list]:
        """Label names of each attribute head (:data:`ATTRIBUTES`), in the config's order."""
        return {name: list(getattr(self.config, field)) for name, field in ATTRIBUTES.items()}

    def train(self, mode: bool = True) -> "MotionEvaluator":
        super().train(mode)
        self.text_encoder.eval()  # frozen: no dropout
        return self

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Conv1d)) and not any(module is m for m in self.text_encoder.modules()):
            nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)

    # ------------------------------------------------------------------ motion
    def motion_features(self, mask: torch.Tensor, **motion: torch.Tensor) -> torch.Tensor:
        """Per-frame features ``[B, T, 2 * D]``: the fields then their velocities (per frame), unnormalised.

        In training with ``config.noise_augmentation`` the values first get per-clip-scaled Gaussian noise."""
        values = torch.cat([motion[name].float() for name in self.config.motion_field_names], -1)
        if self.training and self.config.noise_augmentation > 0:
            draw = torch.rand(values.shape[0], 1, 1, device=values.device)  # half the clips clean, half noised
            scale = torch.where(draw < 0.5, torch.zeros_like(draw), 2 * draw - 1) * self.config.noise_augmentation
            values = values + torch.randn_like(values) * scale * self.feature_std[:values.shape[-1]]
        values = values * mask.unsqueeze(-1)
        velocity = torch.zeros_like(values)
        step = mask[:, 1:] & mask[:, :-1]
        velocity[:, 1:] = (values[:, 1:] - values[:, :-1]) * step.unsqueeze(-1)
        return torch.cat([values, velocity], -1)

    def set_normalization(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Feature statistics ``[2 * D]`` over the training clips (stored in the model)."""
        self.feature_mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.feature_std.copy_(torch.as_tensor(std, dtype=torch.float32).clamp_min(1e-4))

    def _pool_frames(self, x: torch.Tensor, weights: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Average ``x [B, T, H]`` over windows of ``temporal_stride`` frames, counting valid frames only
        (``weights [B, T, 1]``) -> ``[B, ceil(T / stride), H]`` and the pooled weights (1 where a window
        holds any valid frame)."""
        stride = self.config.temporal_stride
        pad = -x.shape[1] % stride
        x, weights = F.pad(x, (0, 0, 0, pad)), F.pad(weights, (0, 0, 0, pad))
        batch, length, width = x.shape
        summed = x.view(batch, length // stride, stride, width).sum(2)
        counts = weights.view(batch, length // stride, stride, 1).sum(2)
        return summed / counts.clamp_min(1.0), (counts > 0).to(x.dtype)

    def encode_motion(self, mask: torch.Tensor, **motion: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Pooled motion features ``[B, H]`` (for the heads) and the motion embedding ``[B, E]``."""
        mask = mask.bool()
        weights = mask.unsqueeze(-1).float()
        features = (self.motion_features(mask, **motion) - self.feature_mean) / self.feature_std
        x = self.input_projection(features) * weights
        frame_weights = weights
        if self.config.temporal_stride > 1:
            x, weights = self._pool_frames(x, weights)
            mask = weights.squeeze(-1) > 0
        for block in self.blocks:
            x = block(x, weights)
        mean = x.sum(1) / weights.sum(1).clamp_min(1.0)
        peak = x.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(1)
        parts = [mean, peak.clamp_min(-1e4)]
        if self.config.amplitude_features:  # [B, 2D] peak |normalised value| of each channel, log-compressed
            parts.append(torch.log1p((features.abs() * frame_weights).amax(1)))
        pooled = self.pool(torch.cat(parts, -1))
        return pooled, F.normalize(self.motion_projection(pooled), dim=-1)

    # ------------------------------------------------------------------ text
    def sentence_features(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Mean-pooled text-encoder states ``[B, text_hidden]`` (fp32) of tokenised texts ``[B, L]`` (frozen;
        under bf16 autocast when ``config.text_bf16``)."""
        autocast = torch.autocast(input_ids.device.type, dtype=torch.bfloat16, enabled=self.config.text_bf16)
        with torch.no_grad(), autocast:
            hidden = self.text_encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state.float()
        weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * weights).sum(1) / weights.sum(1).clamp_min(1.0)

    def embed_sentences(self, features: torch.Tensor) -> torch.Tensor:
        """Sentence features ``[B, text_hidden]`` -> text embeddings ``[B, E]``."""
        return F.normalize(self.text_projection(features), dim=-1)

    # ------------------------------------------------------------------ training
    def contrastive_loss(self, motion: torch.Tensor, text: torch.Tensor, sentences: torch.Tensor) -> torch.Tensor:
        """Symmetric InfoNCE over a batch of pairs; negatives whose texts are near duplicates of the
        positive's (sentence cosine > ``duplicate_threshold``) are masked out, as TMR does."""
        logits = motion @ text.T / self.config.contrastive_temperature
        unit = F.normalize(sentences, dim=-1)
        duplicate = (unit @ unit.T > self.config.duplicate_threshold)
        duplicate.fill_diagonal_(False)
        logits = logits.masked_fill(duplicate, float("-inf"))
        target = torch.arange(len(logits), device=logits.device)
        return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2

    @staticmethod
    def ordinal_loss(logits: torch.Tensor, labels: torch.Tensor, width: float = 0.75) -> torch.Tensor:
        """Cross-entropy of intensity logits ``[B, L]`` against soft targets: a Gaussian of ``width``
        levels around the true level ``[B]`` (-100 = unknown), so near misses cost less than far ones."""
        known = labels != -100
        levels = torch.arange(logits.shape[1], device=logits.device)
        target = torch.exp(-0.5 * ((levels[None] - labels[known, None]) / width) ** 2)
        target = target / target.sum(1, keepdim=True)
        return -(target * logits[known].log_softmax(-1)).sum(1).mean()

    def forward(self, mask: torch.Tensor, expression: torch.Tensor, jaw_pose: torch.Tensor, eyelids: torch.Tensor,
                head_pose: torch.Tensor, sentence_features: torch.Tensor | None = None,
                emotion_labels: torch.Tensor | None = None, precise_emotion_labels: torch.Tensor | None = None,
                head_labels: torch.Tensor | None = None,
                intensity_labels: torch.Tensor | None = None, action_labels: torch.Tensor | None = None,
                **_: torch.Tensor) -> MotionEvaluatorOutput:
        """Embed a batch of clips (and their texts' ``sentence_features [B, text_hidden]``).

        Labels: class ids ``[B]`` with -100 where unknown (e.g. the emotion of a clip with a
        transition), actions multi-hot ``[B, n_actions]``. With texts, the loss is the
        contrastive loss plus ``attribute_weight`` times the attribute losses.
        """
        pooled, motion_embeds = self.encode_motion(mask, expression=expression, jaw_pose=jaw_pose, eyelids=eyelids,
                                                   head_pose=head_pose)
        logits = {name: head(pooled) for name, head in self.heads.items()}
        out = MotionEvaluatorOutput(motion_embeds=motion_embeds, **{f"{k}_logits": v for k, v in logits.items()})
        losses = {}
        if sentence_features is not None:
            out.text_embeds = self.embed_sentences(sentence_features)
            losses["contrastive"] = self.contrastive_loss(motion_embeds, out.text_embeds, sentence_features)
        for name, labels in (("emotion", emotion_labels), ("precise_emotion", precise_emotion_labels), ("head", head_labels)):
            if labels is not None and name in logits and (labels != -100).any():
                losses[name] = F.cross_entropy(logits[name], labels, ignore_index=-100)
        if intensity_labels is not None and "intensity" in logits and (intensity_labels != -100).any():
            losses["intensity"] = self.ordinal_loss(logits["intensity"], intensity_labels)
        if action_labels is not None and "action" in logits:  # summed over actions: most clips have none
            losses["action"] = F.binary_cross_entropy_with_logits(logits["action"], action_labels.float(), reduction="sum") / len(pooled)
        if losses:
            out.losses = {k: v.detach() for k, v in losses.items()}
            attribute = sum(v for k, v in losses.items() if k != "contrastive")
            out.loss = losses.get("contrastive", 0.0) + self.config.attribute_weight * attribute
        return out

    def save_pretrained(self, save_directory, *args, **kwargs) -> None:
        """Save weights, config and the :data:`REMOTE_CODE_FILES`."""
        super().save_pretrained(save_directory, *args, **kwargs)
        for name in REMOTE_CODE_FILES:
            shutil.copyfile(Path(__file__).with_name(name), Path(save_directory) / name)


MotionEvaluatorConfig.register_for_auto_class()
MotionEvaluator.register_for_auto_class("AutoModel")

__all__ = ["MotionEvaluator", "MotionEvaluatorOutput"]

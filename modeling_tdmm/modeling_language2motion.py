"""Language2Motion: a GPT-style face-token decoder conditioned on a text prefix.

The prompt goes through a pretrained text encoder (frozen by default). With
``conditioning="word_prefix"`` its token-level hidden states ``[B, L, text_hidden]`` are
projected to the decoder width and placed before the face tokens as a prefix; with
``"global"`` a single mean-pooled sentence embedding is (the T2M-GPT-style baseline). The
prefix attends to itself bidirectionally; face tokens attend to the prefix and causally to
earlier face tokens. The language model's vocabulary is never changed.

Classifier-free guidance: in training a prompt is replaced by a learned null condition with
probability ``condition_dropout``; ``generate(guidance_scale=s)`` mixes conditional and
unconditional logits as ``u + s * (c - u)``.

Generation defaults live in the model's ``generation_config`` (saved with it), so a plain
``AutoModelForCausalLM.from_pretrained(folder, trust_remote_code=True).generate(...)`` uses
the guidance scale the model was trained for.

Self-contained remote code: imports only torch, transformers and its configuration
(:data:`REMOTE_CODE_FILES`).
"""
from __future__ import annotations

import math
import numbers
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from transformers import AutoConfig, AutoModel, GenerationMixin, PreTrainedModel
from transformers.generation.logits_process import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper
from transformers.modeling_outputs import CausalLMOutputWithPast

from .configuration_language2motion import Language2MotionConfig
from .text_encoders import resolve_text_encoder

#: Classifier-free guidance scale stored in a new model's ``generation_config`` (when it is trained
#: with condition dropout); BENCHMARKS.md compares 1, 2, 3.5 and 5.
DEFAULT_GUIDANCE = 3.0
#: The Python files a saved model folder holds, so that it loads without this package.
REMOTE_CODE_FILES = ("configuration_language2motion.py", "modeling_language2motion.py", "text_encoders.py")
SEED_RANGE = (0, 2**63 - 1)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _is_integer(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_generation_options(temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0, guidance_scale: float | None = None,
                             seed: int | None = None, max_new_tokens: int | None = None) -> None:
    """Raise a one-line ``ValueError`` for a sampling option outside its range (NaN and inf included)."""
    checks = (
        (_is_number(temperature) and temperature > 0, f"temperature must be a positive number, got {temperature!r}"),
        (_is_integer(top_k) and top_k >= 0, f"top_k must be an integer >= 0 (0 = off), got {top_k!r}"),
        (_is_number(top_p) and 0 < top_p <= 1, f"top_p must be in (0, 1], got {top_p!r}"),
        (guidance_scale is None or (_is_number(guidance_scale) and guidance_scale >= 0),
         f"guidance_scale must be a number >= 0 (1 = no guidance), got {guidance_scale!r}"),
        (seed is None or (_is_integer(seed) and SEED_RANGE[0] <= seed <= SEED_RANGE[1]),
         f"seed must be an integer in [0, 2**63 - 1], got {seed!r}"),
        (max_new_tokens is None or (_is_integer(max_new_tokens) and max_new_tokens >= 1),
         f"max_new_tokens must be an integer >= 1, got {max_new_tokens!r}"),
    )
    for ok, message in checks:
        if not ok:
            raise ValueError(message)


@dataclass
class MotionCache:
    """Key/value cache of one generation: per layer ``(k, v)`` of shape ``[B, heads, S, head_dim]``;
    ``key_mask [B, S]`` marks valid keys (padded prefix positions are False); ``prefix_length``
    is the prefix part of S, ``motion_length`` the number of face-token positions cached."""

    layers: list[tuple[torch.Tensor, torch.Tensor]]
    key_mask: torch.Tensor
    prefix_length: int
    motion_length: int


class DecoderLayer(nn.Module):
    """Pre-norm transformer layer: masked self-attention and a GELU MLP."""

    def __init__(self, config: Language2MotionConfig) -> None:
        super().__init__()
        self.heads = config.num_attention_heads
        self.norm1 = nn.LayerNorm(config.hidden_size)
        self.qkv = nn.Linear(config.hidden_size, 3 * config.hidden_size)
        self.out = nn.Linear(config.hidden_size, config.hidden_size)
        self.norm2 = nn.LayerNorm(config.hidden_size)
        self.mlp = nn.Sequential(nn.Linear(config.hidden_size, config.intermediate_size), nn.GELU(),
                                 nn.Linear(config.intermediate_size, config.hidden_size))
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, allowed: torch.Tensor, past: tuple[torch.Tensor, torch.Tensor] | None = None
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """``x [B, T, H]``; ``allowed [B, 1, T, S]`` bool (S = past + T keys) -> ``[B, T, H]`` and the new ``(k, v)``."""
        batch, length, width = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(batch, length, 3, self.heads, width // self.heads).permute(2, 0, 3, 1, 4)
        if past is not None:
            k, v = torch.cat([past[0], k], 2), torch.cat([past[1], v], 2)
        attended = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed,
                                                  dropout_p=self.dropout.p if self.training else 0.0)
        x = x + self.dropout(self.out(attended.transpose(1, 2).reshape(batch, length, width)))
        x = x + self.dropout(self.mlp(self.norm2(x)))
        return x, (k, v)


class FactorisedFaceTokens(nn.Module):
    """Embedding and output layer for factorised face tokens (id = face * H + head, then BOS, EOS, PAD).

    In: a token is ``face_embedding[face] + head_embedding[head]`` (or a special embedding). Out:
    ``log p(id) = log_softmax([face logits, special logits])[face] + log_softmax(head logits)[head]``,
    i.e. one softmax over face codes and the special tokens and, independently given the context, one
    over head codes. The joint logits ``[..., vocab]`` this returns sum to that distribution under a plain
    softmax, so sampling, guidance and top-k work on them unchanged.
    """

    def __init__(self, config: Language2MotionConfig) -> None:
        super().__init__()
        self.heads = config.head_codebook_size
        self.codes = config.codebook_size
        faces, width = self.codes // self.heads, config.hidden_size
        self.face_embedding = nn.Embedding(faces, width)
        self.head_embedding = nn.Embedding(self.heads, width)
        self.special_embedding = nn.Embedding(config.vocab_size - self.codes, width)
        self.face_head = nn.Linear(width, faces + config.vocab_size - self.codes, bias=False)  # face codes, then specials
        self.head_head = nn.Linear(width, self.heads, bias=False)

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """``ids [B, T]`` -> ``[B, T, hidden]``."""
        codes = ids.clamp(max=self.codes - 1)
        tokens = self.face_embedding(codes // self.heads) + self.head_embedding(codes % self.heads)
        special = self.special_embedding((ids - self.codes).clamp(min=0))
        return torch.where((ids < self.codes).unsqueeze(-1), tokens, special)

    def parts(self, hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``hidden [..., width]`` -> face-and-special logits ``[..., F + 3]``, head log-probabilities ``[..., H]``."""
        return self.face_head(hidden), self.head_head(hidden).log_softmax(-1)

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """Joint logits ``[..., vocab]`` (face-major code ids, then the special tokens)."""
        first, head = self.parts(hidden)
        faces = self.codes // self.heads
        codes = (first[..., :faces, None] + head[..., None, :]).flatten(-2)
        return torch.cat([codes, first[..., faces:]], -1)

    def loss(self, hidden: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Mean next-token cross-entropy of targets ``labels [N]`` (-100 ignored) from ``hidden [N, width]``,
        without building the joint logits."""
        valid = labels != -100
        hidden, labels = hidden[valid], labels[valid]
        first, head = self.parts(hidden)
        first, head = first.float(), head.float()
        is_code = labels < self.codes
        codes = labels.clamp(max=self.codes - 1)
        faces = self.codes // self.heads
        first_target = torch.where(is_code, codes // self.heads, faces + labels - self.codes)
        nll = F.cross_entropy(first, first_target, reduction="none")
        nll = nll - torch.where(is_code, head.gather(1, (codes % self.heads).unsqueeze(1)).squeeze(1), torch.zeros_like(nll))
        return nll.mean()


class Language2MotionModel(PreTrainedModel, GenerationMixin):
    """Text prompt -> face-token ids of a geometry tokenizer.

    ``forward(input_ids [B, T], text_input_ids [B, L], ...)``: ``input_ids`` are face-token
    sequences that start with BOS (``codebook_size``) and may end with EOS, right-padded
    with PAD; logits ``[B, T, vocab]`` predict the next face token at every position. With
    ``config.head_codebook_size`` the tokens are factorised (:class:`FactorisedFaceTokens`).
    """

    config_class = Language2MotionConfig
    base_model_prefix = "language2motion"
    main_input_name = "input_ids"
    _no_split_modules = ["DecoderLayer"]

    def __init__(self, config: Language2MotionConfig) -> None:
        super().__init__(config)
        if not config.text_encoder_config:
            raise ValueError("Language2MotionConfig.text_encoder_config is empty: build a new model with "
                             "Language2MotionModel.from_text_encoder(config), which reads the encoder's configuration")
        text_encoder_config = dict(config.text_encoder_config)
        self.text_encoder = AutoModel.from_config(AutoConfig.for_model(text_encoder_config.pop("model_type"), **text_encoder_config))
        text_width = self.text_encoder.config.hidden_size
        width = config.hidden_size
        self.prefix_projection = nn.Sequential(nn.LayerNorm(text_width), nn.Linear(text_width, width))
        self.prefix_positions = nn.Embedding(config.max_text_tokens, width)
        self.null_condition = nn.Parameter(torch.zeros(width))
        if config.head_codebook_size:
            self.factorised = FactorisedFaceTokens(config)
        else:
            self.token_embedding = nn.Embedding(config.vocab_size, width)
        self.motion_positions = nn.Embedding(config.max_motion_tokens, width)
        self.layers = nn.ModuleList(DecoderLayer(config) for _ in range(config.num_hidden_layers))
        self.final_norm = nn.LayerNorm(width)
        if not config.head_codebook_size:
            self.lm_head = nn.Linear(width, config.vocab_size, bias=False)
        if config.family_loss_weight > 0 or config.prompt_family_loss_weight > 0:
            self.family_head = nn.Linear(width, len(config.emotion_families))
        if config.intensity_loss_weight > 0 or config.prompt_intensity_loss_weight > 0:
            self.intensity_head = nn.Linear(width, len(config.intensity_levels))
        if config.prompt_head_loss_weight > 0:
            self.head_motion_head = nn.Linear(width, len(config.head_motions))
        self.post_init()
        self.text_encoder.requires_grad_(not config.freeze_text_encoder)
        # without condition dropout the null condition is untrained, and guidance would only add noise
        self.generation_config.guidance_scale = DEFAULT_GUIDANCE if config.condition_dropout > 0 else 1.0

    @classmethod
    def from_text_encoder(cls, config: Language2MotionConfig) -> "Language2MotionModel":
        """A new model whose text encoder holds the pretrained weights of ``config.text_encoder``."""
        encoder = AutoModel.from_pretrained(resolve_text_encoder(config.text_encoder))
        config.text_encoder_config = encoder.config.to_dict()
        model = cls(config)
        model.text_encoder.load_state_dict(encoder.state_dict())
        return model

    def train(self, mode: bool = True) -> "Language2MotionModel":
        """Train mode for the decoder; a frozen text encoder stays in eval mode (no dropout)."""
        super().train(mode)
        if self.config.freeze_text_encoder:
            self.text_encoder.eval()
        return self

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)

    def get_input_embeddings(self) -> nn.Module:
        return self.factorised if self.config.head_codebook_size else self.token_embedding

    def get_output_embeddings(self) -> nn.Module | None:
        return None if self.config.head_codebook_size else self.lm_head

    def _embed(self, ids: torch.Tensor) -> torch.Tensor:
        return self.factorised.embed(ids) if self.config.head_codebook_size else self.token_embedding(ids)

    # ------------------------------------------------------------------ conditioning
    def encode_prompt(self, text_input_ids: torch.Tensor, text_attention_mask: torch.Tensor | None = None,
                      condition_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The prefix ``[B, P, H]`` and its key mask ``[B, P]`` for tokenised prompts ``[B, L]``.

        ``condition_mask [B]`` (bool): rows where it is False get the null condition (one valid
        position) instead of the prompt, for classifier-free guidance.
        """
        if text_input_ids.shape[1] > self.config.max_text_tokens:
            raise ValueError(f"prompt of {text_input_ids.shape[1]} text tokens; this model takes at most "
                             f"{self.config.max_text_tokens} (max_text_tokens)")
        if text_attention_mask is None:
            text_attention_mask = torch.ones_like(text_input_ids)
        mask = text_attention_mask.bool()
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.config.freeze_text_encoder):
            hidden = self.text_encoder(input_ids=text_input_ids, attention_mask=text_attention_mask).last_hidden_state
        if self.config.conditioning == "global":
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            hidden = (hidden * weights).sum(1, keepdim=True) / weights.sum(1, keepdim=True).clamp_min(1.0)
            mask = mask.any(1, keepdim=True)
        prefix = self.prefix_projection(hidden) + self.prefix_positions.weight[: hidden.shape[1]]
        if condition_mask is not None:
            keep = condition_mask.bool().view(-1, 1)
            null = torch.zeros_like(prefix)
            null[:, 0] = self.null_condition
            prefix = torch.where(keep.unsqueeze(-1), prefix, null)
            first = torch.zeros_like(mask)
            first[:, 0] = True
            mask = torch.where(keep, mask, first)
        return prefix, mask

    def _drop_conditions(self, batch: int, device: torch.device) -> torch.Tensor | None:
        if not self.training or self.config.condition_dropout <= 0:
            return None
        return torch.rand(batch, device=device) >= self.config.condition_dropout

    # ------------------------------------------------------------------ decoder
    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                text_input_ids: torch.Tensor | None = None, text_attention_mask: torch.Tensor | None = None,
                condition_mask: torch.Tensor | None = None, labels: torch.Tensor | None = None,
                emotion_family_labels: torch.Tensor | None = None, intensity_labels: torch.Tensor | None = None,
                head_motion_labels: torch.Tensor | None = None, past_key_values: MotionCache | None = None,
                use_cache: bool = False, **kwargs) -> CausalLMOutputWithPast:
        """Next-token logits ``[B, T, vocab]`` for face tokens ``input_ids [B, T]``.

        Without ``past_key_values`` the prompt (``text_input_ids [B, L]``) is encoded into the
        prefix; with it, ``input_ids`` continue the cached sequence. ``labels [B, T]`` (-100 =
        ignore) are shifted inside: the loss trains position t to predict token t + 1. A
        factorised model in training mode given labels returns the loss without the joint logits
        (``logits`` None), which would cost ``[B, T, vocab]`` per step for nothing. In training,
        ``emotion_family_labels [B]`` and ``intensity_labels [B]`` (ids into ``config.emotion_families`` /
        ``config.intensity_levels``, -100 = none) add ``family_loss_weight`` / ``intensity_loss_weight`` x an
        auxiliary loss (:meth:`_clip_label_loss`); with ``head_motion_labels [B]`` (ids into ``config.head_motions``)
        the ``prompt_*_loss_weight`` terms ask the prompt's first position to name the same labels (the same
        :meth:`_clip_label_loss`, on that one position).
        """
        batch, length = input_ids.shape
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        if past_key_values is None:
            if text_input_ids is None:
                raise ValueError("Language2Motion needs text_input_ids (the tokenised prompt) when no cache is given")
            if condition_mask is None:
                condition_mask = self._drop_conditions(batch, input_ids.device)
            prefix, prefix_mask = self.encode_prompt(text_input_ids, text_attention_mask, condition_mask)
            prefix_length, start = prefix.shape[1], 0
            past_mask = prefix_mask
        else:
            prefix, prefix_length, start = None, past_key_values.prefix_length, past_key_values.motion_length
            past_mask = past_key_values.key_mask
        if start + length > self.config.max_motion_tokens:
            raise ValueError(f"{start + length} face-token positions; the model has {self.config.max_motion_tokens} (max_motion_tokens)")
        if bool(((input_ids < 0) | (input_ids >= self.config.vocab_size)).any()):
            raise ValueError(f"input_ids must be face-token ids in [0, {self.config.vocab_size})")
        if self.training and labels is not None and self.config.token_corruption > 0:
            input_ids = self._corrupt(input_ids)
        x = self._embed(input_ids) + self.motion_positions.weight[start:start + length]
        if prefix is not None:
            x = torch.cat([prefix, x], 1)
        key_mask = torch.cat([past_mask, attention_mask.bool()], 1)  # [B, S]
        allowed = self._attention_mask(key_mask, prefix_length, x.shape[1])
        new_layers = []
        for index, layer in enumerate(self.layers):
            x, kv = layer(x, allowed, None if past_key_values is None else past_key_values.layers[index])
            new_layers.append(kv)
        hidden = self.final_norm(x[:, -length:])
        factorised = bool(self.config.head_codebook_size)
        logits = None
        if not (factorised and self.training and labels is not None):  # training needs only the factorised loss
            logits = self.factorised.logits(hidden) if factorised else self.lm_head(hidden)
        loss = None
        if labels is not None and factorised:
            loss = self.factorised.loss(hidden[:, :-1].reshape(-1, hidden.shape[-1]), labels[:, 1:].reshape(-1))
        elif labels is not None:
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).float(), labels[:, 1:].reshape(-1), ignore_index=-100)
        if self.training and labels is not None:
            for head, weight, clip_labels in (("family_head", self.config.family_loss_weight, emotion_family_labels),
                                              ("intensity_head", self.config.intensity_loss_weight, intensity_labels)):
                if weight > 0 and clip_labels is not None:
                    loss = loss + weight * self._clip_label_loss(getattr(self, head), hidden[:, :-1], labels[:, 1:], clip_labels)
            prompt_summary = self.final_norm(x[:, :1])  # [B, 1, H]: the first prefix position, which sees the whole prompt
            # a dropped prompt (the null condition) names nothing: its row is masked like a padded position
            asked = torch.zeros((batch, 1), dtype=torch.long, device=x.device)
            if condition_mask is not None:
                asked = asked.masked_fill(~condition_mask.bool().view(-1, 1), -100)
            for head, weight, clip_labels in (
                    ("family_head", self.config.prompt_family_loss_weight, emotion_family_labels),
                    ("intensity_head", self.config.prompt_intensity_loss_weight, intensity_labels),
                    ("head_motion_head", self.config.prompt_head_loss_weight, head_motion_labels)):
                if weight > 0 and clip_labels is not None:
                    loss = loss + weight * self._clip_label_loss(getattr(self, head), prompt_summary, asked, clip_labels)
        cache = MotionCache(new_layers, key_mask, prefix_length, start + length) if use_cache else None
        return CausalLMOutputWithPast(loss=loss, logits=logits, past_key_values=cache)

    @staticmethod
    def _clip_label_loss(head: nn.Module, hidden: torch.Tensor, targets: torch.Tensor, clip_labels: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of each clip's label ``clip_labels [B]`` (-100 = none) read by ``head`` from every
        position of ``hidden [B, T, H]`` that takes part (``targets [B, T]`` != -100: it predicts a token, or it
        is a prompt that was not dropped)."""
        per_position = clip_labels.view(-1, 1).expand_as(targets).masked_fill(targets == -100, -100)
        if bool((per_position == -100).all()):
            return hidden.sum() * 0.0
        return F.cross_entropy(head(hidden).flatten(0, 1).float(), per_position.flatten(), ignore_index=-100)

    def _corrupt(self, input_ids: torch.Tensor) -> torch.Tensor:
        """``input_ids [B, T]`` with each face token replaced by a uniformly drawn one with probability
        ``config.token_corruption`` (BOS, EOS and PAD kept)."""
        codes = self.config.codebook_size
        drawn = torch.rand(input_ids.shape, device=input_ids.device) < self.config.token_corruption
        return torch.where(drawn & (input_ids < codes), torch.randint_like(input_ids, codes), input_ids)

    @staticmethod
    def _attention_mask(key_mask: torch.Tensor, prefix_length: int, query_length: int) -> torch.Tensor:
        """``[B, 1, Q, S]`` bool: which keys each query may see.

        Keys are ``prefix_length`` prefix positions then motion positions 0..; the queries are the
        last ``query_length`` positions of that sequence (prefix queries see the whole valid
        prefix; a face token sees the valid prefix and face tokens up to itself).
        """
        total = key_mask.shape[1]
        device = key_mask.device
        query_pos = torch.arange(total - query_length, total, device=device)
        key_pos = torch.arange(total, device=device)
        causal = (key_pos[None, :] <= query_pos[:, None]) | (key_pos[None, :] < prefix_length)
        causal = causal & ~((query_pos[:, None] < prefix_length) & (key_pos[None, :] >= prefix_length))
        allowed = causal[None, None] & key_mask[:, None, None, :]
        # a padded prefix row must still see something (its own first key) to stay finite
        return allowed | (~allowed.any(-1, keepdim=True) & (key_pos == 0)[None, None, None, :])

    # ------------------------------------------------------------------ generation
    def frames_for(self, seconds: float | None = None, num_frames: int | None = None) -> int | None:
        """A duration in seconds or frames -> frames at ``config.fps`` (None when neither is given)."""
        if seconds is not None and num_frames is not None:
            raise ValueError("give a duration in seconds or in frames, not both")
        if seconds is not None:
            if not (_is_number(seconds) and seconds > 0 and math.isfinite(seconds * self.config.fps)):
                raise ValueError(f"duration must be a positive, finite number of seconds, got {seconds!r}")
            num_frames = max(1, round(seconds * self.config.fps))
        if num_frames is not None and not (_is_integer(num_frames) and num_frames > 0):
            raise ValueError(f"duration must be at least one frame, got {num_frames!r}")
        return num_frames

    def tokens_for(self, seconds: float | None = None, num_frames: int | None = None) -> int | None:
        """Face tokens for a duration in seconds or frames (None when neither is given)."""
        num_frames = self.frames_for(seconds, num_frames)
        if num_frames is None:
            return None
        tokens = math.ceil(num_frames / self.config.downsample)
        if tokens > self.config.max_motion_tokens - 1:
            longest = (self.config.max_motion_tokens - 1) * self.config.downsample / self.config.fps
            raise ValueError(f"{num_frames} frames need {tokens} face tokens; this model generates at most "
                             f"{self.config.max_motion_tokens - 1} ({longest:.1f} s at {self.config.fps:g} fps)")
        return tokens

    @torch.no_grad()
    def generate(self, text_input_ids: torch.Tensor, text_attention_mask: torch.Tensor | None = None, *,
                 seconds: float | None = None, num_frames: int | None = None, max_new_tokens: int | None = None,
                 min_new_tokens: int = 1, do_sample: bool = True, temperature: float = 1.0, top_k: int = 0,
                 top_p: float = 1.0, guidance_scale: float | None = None, seed: int | None = None,
                 generator: torch.Generator | None = None, use_cache: bool = True, **unused) -> torch.LongTensor:
        """Face-token ids ``[B, N]`` for tokenised prompts ``[B, L]``; ``-1`` pads rows that ended early.

        Length: ``seconds`` or ``num_frames`` fix it (EOS is never sampled); otherwise each
        row stops at EOS, after at least ``min_new_tokens`` and at most ``max_new_tokens``
        (default: the model's longest sequence). BOS, PAD and (with a fixed duration) EOS are
        masked out, so every returned id is a valid code in ``[0, codebook_size)``.
        ``guidance_scale`` > 1 applies classifier-free guidance (default: ``generation_config``'s,
        the trained default). ``seed`` (or ``generator``) makes sampling reproducible;
        ``do_sample=False`` is greedy.
        """
        if unused:
            raise TypeError(f"Language2Motion.generate got unexpected arguments: {sorted(unused)}")
        check_generation_options(temperature, top_k, top_p, guidance_scale, seed, max_new_tokens)
        if guidance_scale is None:
            stored = getattr(self.generation_config, "guidance_scale", None)
            guidance_scale = 1.0 if stored is None else stored
        config = self.config
        fixed = self.tokens_for(seconds, num_frames)
        steps = fixed or max_new_tokens or config.max_motion_tokens - 1
        if steps > config.max_motion_tokens - 1:
            raise ValueError(f"max_new_tokens={steps} exceeds the model's {config.max_motion_tokens - 1} face tokens")
        if generator is None and seed is not None:
            generator = torch.Generator(device=text_input_ids.device).manual_seed(seed)
        batch = text_input_ids.shape[0]
        device = text_input_ids.device
        if text_attention_mask is None:
            text_attention_mask = torch.ones_like(text_input_ids)
        guided = guidance_scale != 1.0
        condition = torch.ones(batch, dtype=torch.bool, device=device)
        if guided:  # rows B..2B-1 run the same prompts with the null condition
            text_input_ids, text_attention_mask = text_input_ids.repeat(2, 1), text_attention_mask.repeat(2, 1)
            condition = torch.cat([condition, ~condition])
        warpers = []
        if temperature != 1.0:
            warpers.append(TemperatureLogitsWarper(temperature))
        if top_k > 0:
            warpers.append(TopKLogitsWarper(top_k))
        if top_p < 1.0:
            warpers.append(TopPLogitsWarper(top_p))
        banned = torch.zeros(config.vocab_size, dtype=torch.bool, device=device)
        banned[config.bos_token_id] = banned[config.pad_token_id] = True
        tokens = torch.full((text_input_ids.shape[0], 1), config.bos_token_id, dtype=torch.long, device=device)
        out = torch.full((batch, steps), -1, dtype=torch.long, device=device)
        finished = torch.zeros(batch, dtype=torch.bool, device=device)
        cache = None
        for step in range(steps):
            if use_cache:
                output = self(tokens[:, -1:] if cache is not None else tokens, text_input_ids=text_input_ids,
                              text_attention_mask=text_attention_mask, condition_mask=condition,
                              past_key_values=cache, use_cache=True)
                cache = output.past_key_values
            else:
                output = self(tokens, text_input_ids=text_input_ids, text_attention_mask=text_attention_mask,
                              condition_mask=condition)
            logits = output.logits[:, -1].float()
            if guided:
                conditional, unconditional = logits[:batch], logits[batch:]
                logits = unconditional + guidance_scale * (conditional - unconditional)
            no_eos = fixed is not None or step < min_new_tokens
            logits = logits.masked_fill(banned | (no_eos & (torch.arange(config.vocab_size, device=device) == config.eos_token_id)),
                                        float("-inf"))
            if do_sample:
                for warp in warpers:
                    logits = warp(tokens[:batch], logits)
                chosen = torch.multinomial(logits.softmax(-1), 1, generator=generator).squeeze(1)
            else:
                chosen = logits.argmax(-1)
            ended = chosen == config.eos_token_id
            out[:, step] = torch.where(finished | ended, torch.full_like(chosen, -1), chosen)
            finished |= ended
            if bool(finished.all()):
                out = out[:, :step + 1]
                break
            next_tokens = torch.where(finished, torch.full_like(chosen, config.pad_token_id), chosen)
            tokens = torch.cat([tokens, next_tokens.repeat(2 if guided else 1).unsqueeze(1)], 1)
        return out

    def save_pretrained(self, save_directory, *args, **kwargs) -> None:
        """Save weights, config, ``generation_config`` and the :data:`REMOTE_CODE_FILES`."""
        super().save_pretrained(save_directory, *args, **kwargs)
        for name in REMOTE_CODE_FILES:
            shutil.copyfile(Path(__file__).with_name(name), Path(save_directory) / name)


Language2MotionConfig.register_for_auto_class()
Language2MotionModel.register_for_auto_class("AutoModelForCausalLM")

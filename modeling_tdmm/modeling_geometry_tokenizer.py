"""Geometry tokenizer: a VQ-VAE that turns facial motion into one discrete face token per frame
(or per 2 / 4 frames), trained with a vertex loss through the face model.

Self-contained remote code: relative imports only, so ``save_pretrained`` folders (which hold
the :data:`REMOTE_CODE_FILES`) load with ``AutoModel.from_pretrained(folder, trust_remote_code=True)``
without this package.

Shapes: motion inputs are ``[B, T, D]`` (expression D=50, jaw/head axis-angle D=3 in radians,
eyelids D=2); codes are ``LongTensor [B, T / downsample]`` with -1 at padded positions.
"""
from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel
from transformers.utils import ModelOutput

from .configuration_geometry_tokenizer import GeometryTokenizerConfig
from .motion_fields import MOTION_FIELDS
from .rotations import axis_angle_to_6d, sixd_to_axis_angle

MOTION_KEYS = tuple(MOTION_FIELDS)
HEAD_FEATURES = 6  # the head rotation's 6D features, last in the per-frame feature vector
#: The Python files a saved tokenizer folder holds: this module and everything it imports,
#: including the face model it evaluates lazily for the mesh loss and vertices.
REMOTE_CODE_FILES = ("configuration_geometry_tokenizer.py", "modeling_geometry_tokenizer.py", "motion_fields.py",
                     "rotations.py", "face_model.py", "lbs.py", "safe_pickle.py", "io_utils.py", "limits.py")


# ----------------------------------------------------------------------------- network
class ResidualBlock(nn.Module):
    """Dilated 1D convolution block: ``[B, C, T] -> [B, C, T]``."""

    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.proj = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.proj(F.relu(self.conv(F.relu(x))))


def _stack(channels: int, blocks: int) -> list[nn.Module]:
    return [ResidualBlock(channels, 3**k) for k in range(blocks)]


class Encoder(nn.Module):
    """Features ``[B, F_in, T]`` -> latents ``[B, D, T / downsample]`` (``F_in`` = ``in_channels``)."""

    def __init__(self, config: GeometryTokenizerConfig, in_channels: int) -> None:
        super().__init__()
        h = config.hidden_size
        layers: list[nn.Module] = [nn.Conv1d(in_channels, h, 3, padding=1), *_stack(h, config.num_res_blocks)]
        for _ in range(int(math.log2(config.downsample))):
            layers += [nn.Conv1d(h, h, 4, stride=2, padding=1), *_stack(h, config.num_res_blocks)]
        layers += [nn.ReLU(), nn.Conv1d(h, config.code_dim, 3, padding=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Decoder(nn.Module):
    """Latents ``[B, D_in, T']`` -> features ``[B, F, T' * downsample]`` (``D_in`` = ``in_channels``)."""

    def __init__(self, config: GeometryTokenizerConfig, in_channels: int) -> None:
        super().__init__()
        h = config.hidden_size
        layers: list[nn.Module] = [nn.Conv1d(in_channels, h, 3, padding=1), *_stack(h, config.num_res_blocks)]
        for _ in range(int(math.log2(config.downsample))):
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv1d(h, h, 3, padding=1),
                       *_stack(h, config.num_res_blocks)]
        layers += [nn.ReLU(), nn.Conv1d(h, config.feature_dim, 3, padding=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class EMAQuantizer(nn.Module):
    """Vector quantiser with EMA codebook updates and dead-code reset (after T2M-GPT/MoMask).

    Works on flattened latents ``[N, D]``; updates happen only in training mode and are
    all-reduced across processes when ``torch.distributed`` is initialised.
    """

    def __init__(self, codebook_size: int, dim: int, decay: float, dead_threshold: float) -> None:
        super().__init__()
        self.codebook_size, self.dim, self.decay, self.dead_threshold = codebook_size, dim, decay, dead_threshold
        self.register_buffer("codebook", torch.randn(codebook_size, dim) * 0.01)
        self.register_buffer("ema_count", torch.ones(codebook_size))
        self.register_buffer("ema_sum", self.codebook.clone())
        self.register_buffer("initialized", torch.tensor(False))
        self.last_reset = 0

    def nearest(self, z: torch.Tensor) -> torch.Tensor:
        """Code indices ``[N]`` of the nearest codebook vectors to ``z [N, D]``."""
        distances = (z * z).sum(1, keepdim=True) - 2 * z @ self.codebook.T + (self.codebook * self.codebook).sum(1)[None]
        return distances.argmin(1)

    @staticmethod
    def _all_reduce(tensor: torch.Tensor) -> torch.Tensor:
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.all_reduce(tensor)
        return tensor

    @torch.no_grad()
    def _sample(self, z: torch.Tensor, count: int) -> torch.Tensor:
        picks = torch.randint(0, z.shape[0], (count,), device=z.device)
        return z[picks] + 1e-3 * z.std() * torch.randn(count, self.dim, device=z.device)

    @torch.no_grad()
    def _update(self, z: torch.Tensor, indices: torch.Tensor) -> None:
        if not bool(self.initialized):
            self.codebook.copy_(self._sample(z, self.codebook_size))
            self.ema_sum.copy_(self.codebook)
            self.ema_count.fill_(1.0)
            self.initialized.fill_(True)
        onehot = F.one_hot(indices, self.codebook_size).type(z.dtype)
        counts = self._all_reduce(onehot.sum(0))
        sums = self._all_reduce(onehot.T @ z)
        self.ema_count.mul_(self.decay).add_(counts, alpha=1 - self.decay)
        self.ema_sum.mul_(self.decay).add_(sums, alpha=1 - self.decay)
        total = self.ema_count.sum()
        smoothed = (self.ema_count + 1e-5) / (total + self.codebook_size * 1e-5) * total
        self.codebook.copy_(self.ema_sum / smoothed[:, None])
        dead = self.ema_count < self.dead_threshold
        self.last_reset = int(dead.sum())
        if self.last_reset:
            fresh = self._sample(z, self.last_reset)
            if torch.distributed.is_available() and torch.distributed.is_initialized():
                torch.distributed.broadcast(fresh, 0)
            self.codebook[dead] = fresh
            self.ema_sum[dead] = fresh
            self.ema_count[dead] = 1.0

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``z [N, D]`` -> (straight-through quantised ``[N, D]``, indices ``[N]``, commitment loss, perplexity)."""
        if self.training:
            self._update(z.detach(), self.nearest(z.detach()))
        indices = self.nearest(z.detach())
        quantized = self.codebook[indices]
        commitment = F.mse_loss(z, quantized.detach()) if z.numel() else z.sum()
        probs = torch.bincount(indices, minlength=self.codebook_size).float() / max(indices.numel(), 1)
        perplexity = torch.exp(-(probs * torch.log(probs + 1e-10)).sum())
        return z + (quantized - z).detach(), indices, commitment, perplexity


@dataclass
class GeometryTokenizerOutput(ModelOutput):
    """Training output: total ``loss``, its parts, ``codes [B, T']`` and the reconstruction."""

    loss: torch.Tensor | None = None
    vertex_loss: torch.Tensor | None = None
    param_loss: torch.Tensor | None = None
    velocity_loss: torch.Tensor | None = None
    commitment_loss: torch.Tensor | None = None
    perplexity: torch.Tensor | None = None
    codes: torch.Tensor | None = None
    reconstruction: dict[str, torch.Tensor] | None = None


class GeometryTokenizer(PreTrainedModel):
    """Motion -> face tokens -> motion. See the module docstring for shapes.

    The face model used for the mesh loss and for ``decode(..., shape=...)`` vertices is held
    outside the module state (never saved): attach it with :meth:`attach_face_model`, or let
    :meth:`load_face_model` find the embedded open head (shipped beside the weights) or a FLAME path.
    """

    config_class = GeometryTokenizerConfig
    base_model_prefix = "geometry_tokenizer"
    main_input_name = "expression"

    def __init__(self, config: GeometryTokenizerConfig) -> None:
        super().__init__(config)
        heads = config.head_codebook_size
        face_width = config.feature_dim - HEAD_FEATURES if heads else config.feature_dim
        self.encoder = Encoder(config, face_width)
        self.quantizer = EMAQuantizer(config.codebook_size // max(heads, 1), config.code_dim, config.ema_decay,
                                      config.dead_code_threshold)
        if heads:  # factorised codes: the head's rotation gets an encoder and a codebook of its own
            self.head_encoder = Encoder(config, HEAD_FEATURES)
            self.head_quantizer = EMAQuantizer(heads, config.code_dim, config.ema_decay, config.dead_code_threshold)
        self.decoder = Decoder(config, config.code_dim * (2 if heads else 1))
        self.register_buffer("feature_mean", torch.zeros(config.feature_dim))
        self.register_buffer("feature_std", torch.ones(config.feature_dim))
        self._face = None  # (face model, vertex subset model); plain attribute, not a submodule
        self.post_init()

    # ------------------------------------------------------------------ features
    def _check(self, name: str, value: torch.Tensor, width: int) -> torch.Tensor:
        value = torch.as_tensor(value, dtype=torch.float32, device=self.feature_mean.device)
        if value.dim() == 2:
            value = value.unsqueeze(0)
        if value.dim() != 3 or value.shape[-1] != width:
            raise ValueError(f"geometry tokenizer: '{name}' should have shape [B, T, {width}], got {list(value.shape)}")
        return value

    def motion_inputs(self, expression, jaw_pose, eyelids, head_pose) -> dict[str, torch.Tensor]:
        """Checked motion fields as float tensors ``[B, T, D]`` (a 2-D ``[T, D]`` gets B = 1)."""
        widths = (self.config.expression_dim, 3, 2, 3)
        motion = {k: self._check(k, v, w) for k, v, w in zip(MOTION_KEYS, (expression, jaw_pose, eyelids, head_pose), widths)}
        lengths = {tuple(v.shape[:2]) for v in motion.values()}
        if len(lengths) != 1:
            raise ValueError(f"geometry tokenizer: motion fields disagree on [B, T]: {sorted(lengths)}")
        return motion

    def raw_features(self, motion: dict[str, torch.Tensor]) -> torch.Tensor:
        """Un-normalised per-frame features ``[B, T, F]`` (expression, 6D jaw, eyelids, 6D head)."""
        return torch.cat([motion["expression"], axis_angle_to_6d(motion["jaw_pose"]), motion["eyelids"],
                          axis_angle_to_6d(motion["head_pose"])], -1)

    def set_normalization(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Store per-feature statistics ``[F]`` of the training data (std floored at 1e-3)."""
        self.feature_mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.feature_std.copy_(torch.as_tensor(std, dtype=torch.float32).clamp_min(1e-3))

    def motion_from_features(self, features: torch.Tensor) -> dict[str, torch.Tensor]:
        """Normalised features ``[B, T, F]`` -> the four motion fields."""
        raw = features * self.feature_std + self.feature_mean
        e = self.config.expression_dim
        return {
            "expression": raw[..., :e],
            "jaw_pose": sixd_to_axis_angle(raw[..., e:e + 6]),
            "eyelids": raw[..., e + 6:e + 8],
            "head_pose": sixd_to_axis_angle(raw[..., e + 8:e + 14]),
        }

    def _decode_features(self, z: torch.Tensor) -> torch.Tensor:
        """Quantised latents ``[B, T', D or 2D]`` -> normalised features ``[B, T' * downsample, F]``, low-passed
        over time (all but the eyelid features) when ``config.output_smoothing`` > 0."""
        features = self.decoder(z.transpose(1, 2))  # [B, F, T]
        sigma = self.config.output_smoothing
        if sigma <= 0:
            return features.transpose(1, 2)
        radius = max(1, math.ceil(3 * sigma))
        offsets = torch.arange(-radius, radius + 1, dtype=features.dtype, device=features.device)
        kernel = torch.exp(-0.5 * (offsets / sigma) ** 2)
        batch, channels, frames = features.shape
        padded = F.pad(features, (radius, radius), mode="replicate").reshape(batch * channels, 1, -1)
        smoothed = F.conv1d(padded, (kernel / kernel.sum()).view(1, 1, -1)).view(batch, channels, frames)
        e = self.config.expression_dim
        smoothed = torch.cat([smoothed[:, :e + 6], features[:, e + 6:e + 8], smoothed[:, e + 8:]], 1)
        return smoothed.transpose(1, 2)

    # ------------------------------------------------------------------ core
    def _latents(self, features: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        down = self.config.downsample
        pad = (-features.shape[1]) % down
        x = (features - self.feature_mean) / self.feature_std
        x = x * mask.unsqueeze(-1)
        if pad:
            x = F.pad(x, (0, 0, 0, pad))
            mask = F.pad(mask, (0, pad))
        x = x.transpose(1, 2)
        if self.config.head_codebook_size:  # [B, T', 2D]: face latents, then head latents
            z = torch.cat([self.encoder(x[:, :-HEAD_FEATURES]), self.head_encoder(x[:, -HEAD_FEATURES:])], 1).transpose(1, 2)
        else:
            z = self.encoder(x).transpose(1, 2)  # [B, T', D]
        latent_mask = mask.view(mask.shape[0], -1, down).any(-1)
        return z.float(), latent_mask  # fp32 under bf16 autocast too: nearest codes need exact distances

    def _mask(self, mask: torch.Tensor | None, batch: int, frames: int) -> torch.Tensor:
        if mask is None:
            return torch.ones(batch, frames, dtype=torch.bool, device=self.feature_mean.device)
        mask = torch.as_tensor(mask, device=self.feature_mean.device).bool()
        if mask.shape != (batch, frames):
            raise ValueError(f"geometry tokenizer: 'mask' should have shape [B, T] = [{batch}, {frames}], got {list(mask.shape)}")
        return mask

    def _quantize(self, flat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Latents ``[N, D or 2D]`` -> (quantised, token ids ``[N]``, commitment loss, perplexity of the ids).

        With factorised codes a token id is ``face_code * head_codebook_size + head_code``. Always in
        fp32 (autocast off), so training under bf16 autocast picks the same codes as inference."""
        heads = self.config.head_codebook_size
        with torch.autocast(flat.device.type, enabled=False):
            if not heads:
                return self.quantizer(flat.float())
            dim = self.config.code_dim
            face, face_ids, face_commitment, _ = self.quantizer(flat[:, :dim].float())
            head, head_ids, head_commitment, _ = self.head_quantizer(flat[:, dim:].float())
        ids = face_ids * heads + head_ids
        probs = torch.bincount(ids, minlength=self.config.codebook_size).float() / max(ids.numel(), 1)
        perplexity = torch.exp(-(probs * torch.log(probs + 1e-10)).sum())
        return torch.cat([face, head], -1), ids, (face_commitment + head_commitment) / 2, perplexity

    def _nearest(self, flat: torch.Tensor) -> torch.Tensor:
        """Token ids ``[N]`` of latents ``[N, D or 2D]`` (no codebook update)."""
        heads = self.config.head_codebook_size
        if not heads:
            return self.quantizer.nearest(flat)
        dim = self.config.code_dim
        return self.quantizer.nearest(flat[:, :dim]) * heads + self.head_quantizer.nearest(flat[:, dim:])

    def code_vectors(self, codes: torch.Tensor) -> torch.Tensor:
        """Token ids ``[B, T']`` (>= 0) -> the decoder's input latents ``[B, T', D or 2D]``."""
        heads = self.config.head_codebook_size
        if not heads:
            return self.quantizer.codebook[codes]
        return torch.cat([self.quantizer.codebook[codes // heads], self.head_quantizer.codebook[codes % heads]], -1)

    @torch.no_grad()
    def encode(self, expression, jaw_pose, eyelids, head_pose, mask=None) -> torch.Tensor:
        """Code indices ``LongTensor [B, ceil(T / downsample)]``; -1 where the mask is all padding."""
        features = self.raw_features(self.motion_inputs(expression, jaw_pose, eyelids, head_pose))
        mask = self._mask(mask, *features.shape[:2])
        z, latent_mask = self._latents(features, mask)
        codes = self._nearest(z.reshape(-1, z.shape[-1])).view(z.shape[:2])
        return torch.where(latent_mask, codes, torch.full_like(codes, -1))

    @torch.no_grad()
    def decode(self, codes: torch.Tensor, num_frames: int | None = None, shape: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Codes ``[B, T']`` -> motion fields ``[B, T' * downsample (or num_frames), D]``.

        Ids outside ``[0, codebook_size)`` raise an error (use -1 only for padding, decoded
        as code 0 and meant to be cut with ``num_frames``). With ``shape`` (``[S]`` or
        ``[B, S]`` identity) and a face model available, ``vertices [B, T, V, 3]`` are added.
        """
        codes = torch.as_tensor(codes, device=self.feature_mean.device).long()
        if codes.dim() == 1:
            codes = codes.unsqueeze(0)
        bad = (codes >= self.config.codebook_size) | (codes < -1)
        if bool(bad.any()):
            raise ValueError(f"geometry tokenizer: code ids must be in [0, {self.config.codebook_size}), got {codes[bad][:5].tolist()}")
        features = self._decode_features(self.code_vectors(codes.clamp_min(0)))
        if num_frames is not None:
            features = features[:, :num_frames]
        motion = self.motion_from_features(features)
        if shape is not None:
            motion["vertices"] = self.vertices(motion, shape)
        return motion

    def forward(self, expression, jaw_pose, eyelids, head_pose, mask=None, shape=None, return_dict: bool = True, **_: Any):
        """Reconstruction losses for a batch ``[B, T, D]``; ``shape [B, S]`` enables the mesh loss."""
        target_motion = self.motion_inputs(expression, jaw_pose, eyelids, head_pose)
        target = self.raw_features(target_motion)
        batch, frames = target.shape[:2]
        mask = self._mask(mask, batch, frames)
        z, latent_mask = self._latents(target, mask)
        flat = z[latent_mask]
        quantized, indices, commitment, perplexity = self._quantize(flat)
        z_q = torch.zeros_like(z)
        z_q[latent_mask] = quantized
        recon = self._decode_features(z_q)[:, :frames]
        norm_target = (target - self.feature_mean) / self.feature_std
        feature_weight = torch.ones(recon.shape[-1], device=recon.device)
        e = self.config.expression_dim
        feature_weight[e + 6:e + 8] = self.config.eyelid_weight
        feature_weight[e + 8:e + 14] = self.config.head_weight
        weight = mask.unsqueeze(-1).float() * feature_weight
        distance = torch.abs if self.config.recon_loss == "l1" else torch.square
        param_loss = (distance(recon - norm_target) * weight).sum() / (mask.sum().clamp_min(1) * feature_weight.sum())
        vel_weight = (mask[:, 1:] & mask[:, :-1]).unsqueeze(-1).float() * feature_weight
        velocity_loss = (distance(recon.diff(dim=1) - norm_target.diff(dim=1)) * vel_weight).sum() / (
            (mask[:, 1:] & mask[:, :-1]).sum().clamp_min(1) * feature_weight.sum())
        loss = self.config.param_weight * param_loss + self.config.velocity_weight * velocity_loss + self.config.commitment_weight * commitment
        vertex_loss = None
        if shape is not None and self.config.vertex_weight > 0:
            motion = self.motion_from_features(recon)
            vertex_loss = self._vertex_l1(motion, target_motion, shape, mask)
            loss = loss + self.config.vertex_weight * vertex_loss
        codes = torch.full(z.shape[:2], -1, dtype=torch.long, device=z.device)
        codes[latent_mask] = indices
        output = GeometryTokenizerOutput(
            loss=loss, vertex_loss=vertex_loss, param_loss=param_loss, velocity_loss=velocity_loss,
            commitment_loss=commitment, perplexity=perplexity, codes=codes,
            reconstruction=self.motion_from_features(recon.detach()),
        )
        return output if return_dict else output.to_tuple()

    # ------------------------------------------------------------------ geometry
    def attach_face_model(self, face_model: Any) -> None:
        """Use ``face_model`` (a FaceModel) for the mesh loss and vertices; it is never saved."""
        if face_model.num_shape != self.config.face_model_num_shape and self.config.face_model == face_model.name:
            raise ValueError(f"face model {face_model.name} has {face_model.num_shape} identity components, config says {self.config.face_model_num_shape}")
        subset = face_model
        count = self.config.vertex_loss_vertices
        if count and count < face_model.num_vertices:
            subset = face_model.subset(face_model.most_active_vertices(count))
        self._face = (face_model.to(self.feature_mean.device), subset.to(self.feature_mean.device))

    def load_face_model(self, path: str | None = None) -> Any:
        """Attach and return the face model named in the config (FLAME needs ``path``)."""
        from .face_model import EMBEDDED_MODELS, FaceModel

        if path is None and self.config.face_model in EMBEDDED_MODELS:
            beside = Path(str(self.name_or_path)) / "face_model.npz"
            path = str(beside) if beside.exists() else str(EMBEDDED_MODELS[self.config.face_model])
        if path is None:
            raise ValueError(
                f"this tokenizer was trained with {self.config.face_model}, which is licensed and not stored with "
                "the model: call load_face_model('/path/to/your/FLAME/generic_model.pkl')"
            )
        model = FaceModel.load(path)
        self.attach_face_model(model)
        return model

    def _face_models(self) -> tuple[Any, Any]:
        if self._face is None:
            self.load_face_model()
        return self._face

    def _vertex_l1(self, motion: dict, target: dict, shape: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean per-vertex L1 distance in millimetres over (a random subset of) valid frames, in the world
        or the head's frame (``config.vertex_loss_frame``)."""
        _, subset = self._face_models()
        batch, frames = mask.shape
        shape = torch.as_tensor(shape, dtype=torch.float32, device=mask.device)[:, : subset.num_shape]
        valid = mask.reshape(-1).nonzero().squeeze(1)
        limit = self.config.vertex_loss_frames
        if limit and len(valid) > limit:
            valid = valid[torch.randperm(len(valid), device=valid.device)[:limit]]
        flat_shape = shape.repeat_interleave(frames, 0)[valid]

        head_frame = self.config.vertex_loss_frame == "head"

        def run(m: dict) -> torch.Tensor:
            fields = {k: m[k].reshape(batch * frames, -1)[valid] for k in MOTION_KEYS}
            if head_frame:  # the face's shape only: head rotation is measured by the parameter loss
                fields["head_pose"] = torch.zeros_like(fields["head_pose"])
            return subset(shape=flat_shape, **fields)

        with torch.no_grad():
            target_vertices = run(target)
        return (run(motion) - target_vertices).abs().sum(-1).mean() * 1000.0

    @torch.no_grad()
    def vertices(self, motion: dict[str, torch.Tensor], shape: torch.Tensor) -> torch.Tensor:
        """Full-mesh vertices ``[B, T, V, 3]`` (m) of decoded motion for identity ``shape``."""
        face, _ = self._face_models()
        batch, frames = motion["expression"].shape[:2]
        shape = torch.as_tensor(shape, dtype=torch.float32, device=self.feature_mean.device)
        shape = shape.expand(batch, -1) if shape.dim() == 1 else shape
        flat = {k: motion[k].reshape(batch * frames, -1) for k in MOTION_KEYS}
        verts = face(shape=shape.repeat_interleave(frames, 0)[:, : face.num_shape], **flat)
        return verts.view(batch, frames, -1, 3)

    def save_pretrained(self, save_directory, *args, **kwargs):
        """Save weights, config and the :data:`REMOTE_CODE_FILES`; an embedded open head (licence-free)
        is saved beside them, FLAME never."""
        super().save_pretrained(save_directory, *args, **kwargs)
        for name in REMOTE_CODE_FILES:
            shutil.copyfile(Path(__file__).with_name(name), Path(save_directory) / name)
        # transformers mistakes any class named "*Tokenizer*" for a text tokenizer and writes
        # auto_map entries as [slow, fast] pairs; models need plain "module.Class" strings.
        config_file = Path(save_directory) / "config.json"
        data = json.loads(config_file.read_text())
        data["auto_map"] = {k: (v[0] if isinstance(v, list) else v) for k, v in data.get("auto_map", {}).items()}
        config_file.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        from .face_model import EMBEDDED_MODELS

        if self.config.face_model in EMBEDDED_MODELS:
            source = Path(str(self.name_or_path)) / "face_model.npz"
            source = source if source.exists() else EMBEDDED_MODELS[self.config.face_model]
            target = Path(save_directory) / "face_model.npz"
            if source.resolve() != target.resolve():
                target.write_bytes(source.read_bytes())


GeometryTokenizerConfig.register_for_auto_class()
GeometryTokenizer.register_for_auto_class("AutoModel")

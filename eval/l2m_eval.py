"""Measure a Language2Motion model on held-out clips: token accuracy, parameter L2, Fréchet distance.

Motion features of a clip (for the Fréchet distance): per motion parameter (expression,
jaw, eyelids, head: 58 values per frame) its mean and standard deviation over time and its
mean absolute frame-to-frame velocity, ``[3 * 58]``.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from scipy import linalg

from modeling_tdmm.motion_data import TextMotionCollator
from modeling_tdmm.motion_fields import MOTION_FIELDS
from open3dfacevid.attributes import emotion_mentions
from open3dfacevid.lexicon import get


def token_accuracy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Share of next-token predictions ``logits [B, T, V]`` that match ``labels [B, T]`` (shifted, -100 ignored)."""
    target = labels[:, 1:]
    valid = target != -100
    hits = (logits[:, :-1].argmax(-1) == target) & valid
    return hits.sum() / valid.sum().clamp_min(1)


def motion_vector(clip: Any) -> np.ndarray:
    """``[T, 58]`` per-frame parameters of a :class:`FaceClip` or dataset row."""
    get = (lambda k: clip[k]) if isinstance(clip, dict) else (lambda k: getattr(clip, k))
    return np.concatenate([np.asarray(get(k), np.float64) for k in MOTION_FIELDS], 1)


def motion_features(clip: Any) -> np.ndarray:
    """``[174]`` summary of a clip: mean, std and mean |velocity| of each of the 58 parameters."""
    motion = motion_vector(clip)
    velocity = np.abs(np.diff(motion, axis=0)).mean(0) if len(motion) > 1 else np.zeros(motion.shape[1])
    return np.concatenate([motion.mean(0), motion.std(0), velocity])


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to feature sets ``a [N, F]`` and ``b [M, F]``."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    eps = 1e-6 * np.eye(a.shape[1])  # keeps the product's square root finite when a covariance is singular
    cov_a, cov_b = np.cov(a, rowvar=False) + eps, np.cov(b, rowvar=False) + eps
    root = linalg.sqrtm(cov_a @ cov_b)
    return max(0.0, float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * root.real)))  # no -0.000 from rounding


def param_l2(generated: Any, reference: Any) -> float:
    """Mean per-frame L2 distance over the 58 motion parameters (over the shorter clip's frames)."""
    a, b = motion_vector(generated), motion_vector(reference)
    n = min(len(a), len(b))
    return float(np.linalg.norm(a[:n] - b[:n], axis=1).mean())


@torch.no_grad()
def teacher_forced_accuracy(model: Any, text_tokenizer: Any, codes: Sequence[np.ndarray], texts: Sequence[str],
                            batch_size: int = 32) -> float:
    """Share of face tokens (and final EOS) predicted exactly given the true prefix, with prompt ``texts[i]``."""
    config = model.config
    collate = TextMotionCollator(text_tokenizer, config.codebook_size, config.max_motion_tokens, config.max_text_tokens)
    hits = total = 0.0
    for start in range(0, len(codes), batch_size):
        examples = [{"codes": c, "texts": [t]} for c, t in zip(codes[start:start + batch_size], texts[start:start + batch_size])]
        batch = collate(examples)
        logits = model(**{k: v for k, v in batch.items() if k != "labels"}).logits
        count = float((batch["labels"][:, 1:] != -100).sum())
        hits += float(token_accuracy(logits, batch["labels"])) * count
        total += count
    return hits / max(total, 1.0)


SWAP_TARGETS = ("happy", "angry", "sad", "surprised", "afraid", "disgusted")  # well-separated emotion families


def keyword_swaps(prompts: list[str]) -> list[tuple[str, str, str]]:
    """``(prompt, swapped prompt, target family)``: one emotion word replaced by one of another family."""
    swaps = []
    for prompt in prompts:
        mentions = emotion_mentions(prompt)
        if len(mentions) != 1 or get(mentions[0][2]).family == "neutral":
            continue
        start, end, name = mentions[0]
        targets = [t for t in SWAP_TARGETS if get(t).family != get(name).family]
        target = targets[len(swaps) % len(targets)]
        swaps.append((prompt, prompt[:start] + target + prompt[end:], get(target).family))
    return swaps


def generate_like(l2m, prompts: list[str], frames: list[int], guidance: float | None, seed: int, batch_size: int = 16,
                  **sampling: Any) -> list:
    """One clip per prompt with the given frame counts (batches of similar length, each cut to its own);
    ``sampling``: ``temperature``, ``top_k``, ``top_p`` of ``Language2Motion.generate_codes``."""
    order = sorted(range(len(prompts)), key=lambda i: frames[i])
    clips = [None] * len(prompts)
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        longest = max(frames[i] for i in chunk)
        codes = l2m.generate_codes([prompts[i] for i in chunk], num_frames=longest, guidance_scale=guidance, seed=seed + start,
                                   **sampling)
        for i, c in zip(chunk, codes):
            clips[i] = l2m.decode(c, prompts[i], frames[i])
    return clips

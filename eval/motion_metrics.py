"""Text-to-motion metrics on evaluator embeddings, computed as the community does (Guo et al. 2022).

Embeddings are ``[N, E]`` float arrays (the evaluator's are unit length, so Euclidean distances
lie in [0, 2]). Row ``i`` of the motion and text arrays is one (motion, its text) pair.

* R-precision top-k: in batches of 32 pairs (1 match + 31 others), rank the 32 texts by
  Euclidean distance to each motion; the share whose own text is in the top k. Repeated over
  ``replications`` shuffles (20 in the protocol); mean and 95% interval (1.96 std / sqrt(n)).
* FID: Fréchet distance between Gaussians fitted to real and generated motion embeddings.
* MM-Dist: mean distance between each motion and its own text.
* Diversity: mean distance between ``pairs`` (300) random pairs of motions.
* MultiModality: mean distance between pairs of motions generated for the same text.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from tdmm_eval.l2m_eval import frechet_distance

R_PRECISION_BATCH = 32
REPLICATIONS = 20


def mean_interval(values: list[float] | np.ndarray) -> dict[str, float]:
    """``{"mean", "ci95"}`` over replications (1.96 std / sqrt(n), as the protocol reports)."""
    values = np.asarray(values, np.float64)
    return {"mean": float(values.mean()), "ci95": float(1.96 * values.std() / np.sqrt(len(values)))}


def _pairwise(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances ``[len(a), len(b)]``."""
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.clip(squared, 0, None))


def _batch_ranks(motion: np.ndarray, text: np.ndarray, batch_size: int, replications: int,
                 seed: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Per replication (a shuffle into batches of ``batch_size`` pairs; pairs that do not fill a last batch are left
    out): the indices of the pairs in full batches ``[batches x batch_size]`` and, for each, how many texts of its
    batch lie strictly closer to its motion than its own text (0 = its own text is the closest)."""
    if len(motion) != len(text) or len(motion) < batch_size:
        raise ValueError(f"R-precision needs at least {batch_size} (motion, text) pairs of equal count, "
                         f"got {len(motion)} motions and {len(text)} texts")
    rng = np.random.default_rng(seed)
    for _ in range(replications):
        order = rng.permutation(len(motion))
        batches = order[: len(order) // batch_size * batch_size].reshape(-1, batch_size)
        ranks = []
        for batch in batches:
            distances = _pairwise(motion[batch], text[batch])
            ranks.append((distances < distances.diagonal()[:, None]).sum(1))
        yield batches.ravel(), np.concatenate(ranks)


def r_precision(motion: np.ndarray, text: np.ndarray, top_k: int = 3, batch_size: int = R_PRECISION_BATCH,
                replications: int = REPLICATIONS, seed: int = 0) -> dict[str, dict[str, float]]:
    """``{"top1": {"mean", "ci95"}, ..., "chance": k/32}``; pairs that do not fill a last batch are left out."""
    hits = np.zeros((replications, top_k))
    for r, (_, ranks) in enumerate(_batch_ranks(motion, text, batch_size, replications, seed)):
        hits[r] = [(ranks < k).sum() / len(ranks) for k in range(1, top_k + 1)]
    result = {f"top{k}": mean_interval(hits[:, k - 1]) for k in range(1, top_k + 1)}
    result["chance"] = {f"top{k}": k / batch_size for k in range(1, top_k + 1)}
    return result


def r_precision_hits(motion: np.ndarray, text: np.ndarray, top_k: int = 3, batch_size: int = R_PRECISION_BATCH,
                     replications: int = REPLICATIONS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Per pair, over the replications of :func:`r_precision` (the same batches): ``hits [N]``, how often its own
    text was among the ``top_k`` closest of its batch, and ``seen [N]``, how often it was in a full batch. The top-k
    R-precision of a subset of the pairs, scored against the same distractors, is ``hits[s].sum() / seen[s].sum()``
    (over all pairs it equals :func:`r_precision`'s mean)."""
    hits, seen = np.zeros(len(motion)), np.zeros(len(motion))
    for index, ranks in _batch_ranks(motion, text, batch_size, replications, seed):
        hits[index] += ranks < top_k
        seen[index] += 1
    return hits, seen


def mm_dist(motion: np.ndarray, text: np.ndarray) -> float:
    """Mean Euclidean distance between each motion embedding and its own text's."""
    return float(np.linalg.norm(motion - text, axis=1).mean())


def diversity(motion: np.ndarray, pairs: int = 300, seed: int = 0) -> float:
    """Mean distance between ``pairs`` random pairs of motion embeddings (with replacement if fewer)."""
    rng = np.random.default_rng(seed)
    first = rng.choice(len(motion), pairs, replace=len(motion) < pairs)
    second = rng.choice(len(motion), pairs, replace=len(motion) < pairs)
    return float(np.linalg.norm(motion[first] - motion[second], axis=1).mean())


def multimodality(groups: np.ndarray, pairs: int = 10, seed: int = 0) -> float:
    """``groups [n_texts, n_generations, E]``: mean distance between ``pairs`` random pairs of generations per text."""
    if groups.ndim != 3 or groups.shape[1] < 2:
        raise ValueError(f"multimodality needs [n_texts, >= 2 generations, E] embeddings, got {list(groups.shape)}")
    rng = np.random.default_rng(seed)
    first = rng.integers(0, groups.shape[1], (len(groups), pairs))
    second = rng.integers(0, groups.shape[1], (len(groups), pairs))
    index = np.arange(len(groups))[:, None]
    return float(np.linalg.norm(groups[index, first] - groups[index, second], axis=-1).mean())


def text_to_motion_metrics(motion: np.ndarray, text: np.ndarray, real_motion: np.ndarray,
                           replications: int = REPLICATIONS, seed: int = 0) -> dict[str, Any]:
    """R-precision, FID against ``real_motion``, MM-Dist and Diversity of one set of (motion, text) pairs
    (R-precision and Diversity as mean and 95% interval over ``replications`` draws)."""
    return {
        "r_precision": r_precision(motion, text, replications=replications, seed=seed),
        "fid": frechet_distance(real_motion, motion),
        "mm_dist": mm_dist(motion, text),
        "diversity": mean_interval([diversity(motion, seed=seed + r) for r in range(replications)]),
    }

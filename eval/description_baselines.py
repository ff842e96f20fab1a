"""Two description baselines for Motion2Language, fitted on the same training clips.

* ``MajorityDescription``: always answers the training caption whose judged attributes are
  the most common combination in the training set (what a model that ignores the motion
  would say).
* ``NearestCaption``: finds the training clip nearest in face-token space (cosine similarity
  of TF-IDF-weighted bag-of-codes histograms) and returns its first caption.
"""
from __future__ import annotations

from collections import Counter
from typing import Callable, Hashable, Sequence

import numpy as np


class MajorityDescription:
    def __init__(self, captions: Sequence[Sequence[str]], key: Callable[[str], Hashable]) -> None:
        """``captions[i]``: the captions of training clip i; ``key(text)``: the attributes a judge reads."""
        firsts = [c[0] for c in captions if len(c)]
        if not firsts:
            raise ValueError("MajorityDescription needs at least one training caption")
        keys = [key(text) for text in firsts]
        top = Counter(keys).most_common(1)[0][0]
        self.answer = firsts[keys.index(top)]

    def predict(self, count: int) -> list[str]:
        return [self.answer] * count


class NearestCaption:
    def __init__(self, codes: Sequence[np.ndarray], captions: Sequence[Sequence[str]], codebook_size: int,
                 head_codebook_size: int = 0) -> None:
        """``codes[i]``: face-token ids ``[T_i]`` of training clip i; ``captions[i]`` its captions.

        With factorised tokens (``head_codebook_size`` H > 0, id = face * H + head) a clip's histogram
        counts face codes and head codes apart (``codebook_size / H + H`` bins), so the baseline sees the
        same two vocabularies the tokenizer has instead of thousands of rarely shared joint ids.
        """
        if len(codes) != len(captions) or not len(codes):
            raise ValueError(f"NearestCaption needs as many code sequences as caption lists (got {len(codes)} and {len(captions)})")
        self.codebook_size = codebook_size
        self.head_codebook_size = head_codebook_size
        counts = self._histograms(codes)
        document_frequency = (counts > 0).sum(0)
        self.idf = np.log((1 + len(codes)) / (1 + document_frequency)) + 1.0
        self.index = self._normalise(counts * self.idf)
        self.captions = [c[0] for c in captions]

    def _histograms(self, codes: Sequence[np.ndarray]) -> np.ndarray:
        """Code counts ``[N, bins]``."""
        heads = self.head_codebook_size
        faces = self.codebook_size // heads if heads else self.codebook_size
        out = np.zeros((len(codes), faces + heads), np.float32)
        for row, sequence in zip(out, codes):
            ids = np.asarray(sequence, np.int64)
            if heads:
                np.add.at(row, ids // heads, 1.0)
                np.add.at(row, faces + ids % heads, 1.0)
            else:
                np.add.at(row, ids, 1.0)
        return out

    @staticmethod
    def _normalise(vectors: np.ndarray) -> np.ndarray:
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-8)

    def nearest(self, codes: Sequence[np.ndarray]) -> np.ndarray:
        """Index of the nearest training clip for each query ``[N]``."""
        queries = self._normalise(self._histograms(codes) * self.idf)
        return (queries @ self.index.T).argmax(1)

    def predict(self, codes: Sequence[np.ndarray]) -> list[str]:
        return [self.captions[i] for i in self.nearest(codes)]

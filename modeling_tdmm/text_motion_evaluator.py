"""Use a trained text-motion evaluator: embed clips and texts, and read clips' attributes.

A saved evaluator folder holds the :class:`MotionEvaluator` (remote code, frozen text encoder
inside), the text encoder's tokenizer and the evaluator's own held-out figures
(``evaluator_results.json``). Clips are read as raw parameters (never face tokens) at the
evaluator's frame rate; clips of another face model are refused.
"""
from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np
import torch
from tqdm import tqdm

from .clip import FaceClip
from .face_model import face_model_family
from .motion_data import MotionCollator


class TextMotionEvaluator:
    """``embed_clips``, ``embed_texts`` and ``read_attributes`` with a trained :class:`MotionEvaluator`."""

    def __init__(self, model: Any, text_tokenizer: Any) -> None:
        self.model = model.eval()
        self.text_tokenizer = text_tokenizer

    @classmethod
    def from_pretrained(cls, folder: str | os.PathLike, trust_remote_code: bool = False) -> "TextMotionEvaluator":
        """Load with the installed classes; ``trust_remote_code=True`` runs the folder's own code instead."""
        from transformers import AutoModel, AutoTokenizer

        from .modeling_motion_evaluator import MotionEvaluator
        from .processing_face_tokens import MOTION_EVALUATOR, check_model_folder

        check_model_folder(folder, MOTION_EVALUATOR)
        model = AutoModel.from_pretrained(folder, trust_remote_code=True) if trust_remote_code else MotionEvaluator.from_pretrained(folder)
        return cls(model, AutoTokenizer.from_pretrained(folder, trust_remote_code=trust_remote_code))

    @property
    def config(self) -> Any:
        return self.model.config

    # ------------------------------------------------------------------ motion
    def _clips(self, clips: Sequence[FaceClip | dict]) -> list[dict[str, np.ndarray]]:
        """Dataset rows or clips -> rows at the evaluator's frame rate, refusing other face models."""
        rows = []
        for clip in clips:
            if isinstance(clip, dict):
                clip = FaceClip.from_dict(clip, origin=str(clip.get("clip_id", "row")))
            if face_model_family(clip.face_model) != face_model_family(self.config.face_model):
                raise ValueError(f"{clip.clip_id or clip.origin}: a {clip.face_model} clip; this evaluator reads "
                                 f"{self.config.face_model} parameters (retarget the clip first)")
            if abs(clip.fps - self.config.fps) > 1e-6:
                clip = clip.resample(self.config.fps)
            rows.append({**clip.motion(), "shape": clip.shape})
        return rows

    @torch.no_grad()
    def _encode(self, clips: Sequence[FaceClip | dict], batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Pooled features ``[N, H]`` and embeddings ``[N, E]`` of clips, in batches."""
        rows = self._clips(clips)
        collate = MotionCollator(window=None)
        pooled, embeds = [], []
        for start in range(0, len(rows), batch_size):
            batch = collate(rows[start:start + batch_size])
            p, e = self.model.encode_motion(batch["mask"], **{k: batch[k] for k in self.config.motion_field_names})
            pooled.append(p)
            embeds.append(e)
        if not rows:
            return torch.zeros(0, self.config.hidden_size), torch.zeros(0, self.config.embed_dim)
        return torch.cat(pooled), torch.cat(embeds)

    def embed_clips(self, clips: Sequence[FaceClip | dict], batch_size: int = 64) -> np.ndarray:
        """Motion embeddings ``[N, E]`` (float32, unit length)."""
        return self._encode(clips, batch_size)[1].numpy()

    @torch.no_grad()
    def read_attributes(self, clips: Sequence[FaceClip | dict], batch_size: int = 64) -> list[dict[str, Any]]:
        """Per clip: ``emotion_family``, ``emotion``, ``head_motion``, ``intensity`` (the most likely label
        of each head), ``actions`` (probability > 0.5) and the probabilities of every label."""
        pooled, _ = self._encode(clips, batch_size)
        names = self.model.label_names()
        keys = {"emotion": "emotion_family", "precise_emotion": "emotion", "head": "head_motion", "intensity": "intensity"}
        probabilities = {name: (torch.sigmoid if name == "action" else lambda x: x.softmax(-1))(head(pooled))
                         for name, head in self.model.heads.items()}
        readings = []
        for i in range(len(pooled)):
            reading: dict[str, Any] = {"probabilities": {}}
            for name, probs in probabilities.items():
                row = probs[i].tolist()
                reading["probabilities"][name] = dict(zip(names[name], row))
                if name == "action":
                    reading["actions"] = [label for label, p in zip(names[name], row) if p > 0.5]
                else:
                    reading[keys[name]] = names[name][int(np.argmax(row))]
            readings.append(reading)
        return readings

    # ------------------------------------------------------------------ text
    @torch.no_grad()
    def sentence_features(self, texts: Sequence[str], batch_size: int = 128, progress: bool = False) -> torch.Tensor:
        """Frozen sentence-encoder features ``[N, text_hidden]`` of ``texts`` (batched by length, so
        little time goes into padding)."""
        features = torch.zeros(len(texts), self.model.text_encoder.config.hidden_size)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        starts = range(0, len(texts), batch_size)
        for start in tqdm(starts, desc="text features", unit="batch", disable=not progress):
            index = order[start:start + batch_size]
            encoded = self.text_tokenizer([texts[i] for i in index], padding=True, truncation=True,
                                          max_length=self.config.max_text_tokens, return_tensors="pt")
            features[index] = self.model.sentence_features(encoded["input_ids"], encoded["attention_mask"])
        return features

    @torch.no_grad()
    def embed_texts(self, texts: Sequence[str], batch_size: int = 128) -> np.ndarray:
        """Text embeddings ``[N, E]`` (float32, unit length)."""
        if isinstance(texts, str):
            raise TypeError("embed_texts takes a list of texts")
        return self.model.embed_sentences(self.sentence_features(texts, batch_size)).numpy()


__all__ = ["TextMotionEvaluator"]

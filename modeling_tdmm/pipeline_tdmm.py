"""Self-contained ``transformers`` pipelines for a published tdmm-lm repository (remote code).

``tdmm publish`` copies this file, :mod:`m2l_prompt` and :mod:`subjects` into a Language2Motion or Motion2Language
folder and registers them in its ``config.json`` (``custom_pipelines``), so that with only
``transformers`` installed (no tdmm-lm)::

    from transformers import pipeline
    generate = pipeline(model="ORG/tdmm-l2m", trust_remote_code=True)            # text-to-face-motion
    out = generate("A young woman looks extremely happy.", seconds=5, guidance_scale=3, seed=0)
    out["parameters"]["expression"]                                              # [T, 50] float32
    out["shape"]                                    # [S] identity: on the open head, the subject the prompt names

    describe = pipeline(model="ORG/tdmm-m2l", trust_remote_code=True)            # face-motion-description
    describe("clip.npz", question="When does the person blink?")["generated_text"]

Both load the geometry tokenizer from the repository's ``geometry_tokenizer/`` folder. Inputs to
``face-motion-description``: a clip ``.npz`` (the clip contract; read with ``allow_pickle=False``) or a
dict of per-frame arrays ``expression`` [T, 50], ``jaw_pose`` [T, 3], ``eyelids`` [T, 2], ``head_pose``
[T, 3] (+ ``fps``, default 25). Tracker files (SMIRK pickles, DECA npz) need the tdmm-lm package
(``tdmm convert``), whose own pipelines (:mod:`modeling_tdmm.pipelines`) also return ``FaceClip`` objects.

This file imports only numpy, torch, transformers and its siblings ``m2l_prompt.py`` and ``subjects.py``.
"""
from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import torch
from transformers import AutoModel, Pipeline

from .m2l_prompt import DEFAULT_QUESTION, messages
from .subjects import subject_identity

GEOMETRY_FOLDER = "geometry_tokenizer"
PROCESSOR_FILE = "face_token_processor.json"
MOTION_FIELDS = {"expression": 50, "jaw_pose": 3, "eyelids": 2, "head_pose": 3}
SAMPLING = ("do_sample", "temperature", "top_k", "top_p", "use_cache")
#: what ``tdmm publish`` writes into config.json ``custom_pipelines``, per model type
CUSTOM_PIPELINES = {
    "text-to-face-motion": {"impl": "pipeline_tdmm.TextToFaceMotionPipeline", "pt": ["AutoModelForCausalLM"], "type": "text"},
    "face-motion-description": {"impl": "pipeline_tdmm.FaceMotionDescriptionPipeline", "pt": ["AutoModelForCausalLM"],
                                "type": "multimodal"},
}


def _local_files(model: Any) -> str:
    """The model's folder on this machine: itself, or (a Hub id) a download of the files the pipeline reads
    beside the weights (transformers does not resolve remote code inside a subfolder)."""
    name = str(model.name_or_path)
    if os.path.isdir(name):
        return name
    from huggingface_hub import snapshot_download

    return snapshot_download(name, allow_patterns=[f"{GEOMETRY_FOLDER}/*", PROCESSOR_FILE])


class _FacePipeline(Pipeline):
    _load_tokenizer = True
    _load_processor = False
    _load_image_processor = False
    _load_feature_extractor = False
    _load_video_processor = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.files = _local_files(self.model)
        self.geometry = AutoModel.from_pretrained(os.path.join(self.files, GEOMETRY_FOLDER), trust_remote_code=True).eval()


class TextToFaceMotionPipeline(_FacePipeline):
    """A prompt -> ``{"parameters": {field: [T, D] array}, "shape": [S] identity, "codes": [T'] face-token ids, "fps",
    "face_model"}``. On the open head the identity is the mean of the subject the prompt names ("an elderly man":
    :func:`subjects.subject_identity`), as ``Language2Motion`` gives it; other face models get zeros."""

    def _sanitize_parameters(self, seconds: float | None = None, num_frames: int | None = None,
                             guidance_scale: float | None = None, seed: int | None = 0, **sampling: Any):
        unknown = set(sampling) - set(SAMPLING)
        if unknown:
            raise TypeError(f"text-to-face-motion: unknown options {sorted(unknown)}; known: seconds, num_frames, "
                            f"guidance_scale, seed, {', '.join(SAMPLING)}")
        forward = {"num_frames": self.model.frames_for(seconds, num_frames), "guidance_scale": guidance_scale,
                   "seed": seed, **sampling}
        return {}, forward, {}

    def preprocess(self, prompt: str) -> dict[str, torch.Tensor]:
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValueError("text-to-face-motion: the input must be a non-empty prompt describing facial motion")
        encoded = self.tokenizer(prompt, return_tensors="pt")
        limit = self.model.config.max_text_tokens
        if encoded["input_ids"].shape[1] > limit:
            raise ValueError(f"text-to-face-motion: the prompt is {encoded['input_ids'].shape[1]} text tokens; this model "
                             f"reads at most {limit}")
        return {"text_input_ids": encoded["input_ids"], "text_attention_mask": encoded["attention_mask"], "prompt": prompt}

    def _forward(self, inputs: dict[str, torch.Tensor], num_frames: int | None = None, guidance_scale: float | None = None,
                 seed: int | None = 0, **sampling: Any) -> dict[str, Any]:
        generator = None if seed is None else torch.Generator().manual_seed(int(seed))
        row = self.model.generate(inputs["text_input_ids"], inputs["text_attention_mask"], num_frames=num_frames,
                                  guidance_scale=guidance_scale, generator=generator, **sampling)[0]
        codes = row[row >= 0]
        if codes.numel() == 0:
            raise RuntimeError("text-to-face-motion: the model ended the motion before its first face token")
        motion = self.geometry.decode(codes[None], num_frames=num_frames)
        return {"codes": codes, "motion": {name: motion[name][0] for name in MOTION_FIELDS}, "prompt": inputs["prompt"]}

    def postprocess(self, outputs: dict[str, Any]) -> dict[str, Any]:
        parameters = {name: value.float().numpy() for name, value in outputs["motion"].items()}
        parameters["eyelids"] = np.clip(parameters["eyelids"], 0.0, 1.0)
        config = self.geometry.config
        shape = np.zeros(config.face_model_num_shape, dtype=np.float32)
        if config.face_model.startswith("open-head"):
            identity = subject_identity(outputs["prompt"])[: shape.size]
            shape[: identity.size] = identity
        return {"parameters": parameters, "shape": shape, "codes": outputs["codes"].numpy(), "fps": float(self.model.config.fps),
                "face_model": config.face_model}


def _motion(inputs: Any) -> tuple[dict[str, np.ndarray], float]:
    """Per-frame arrays and fps from a clip .npz path or a dict, each field checked against its width."""
    if isinstance(inputs, str):
        with np.load(inputs, allow_pickle=False) as archive:
            data = {name: archive[name] for name in archive.files if name in (*MOTION_FIELDS, "fps")}
        where = inputs
    elif isinstance(inputs, dict):
        data, where = inputs, "input"
    else:
        raise TypeError(f"face-motion-description: expected a clip .npz path or a dict of arrays, got {type(inputs).__name__}")
    motion = {}
    for name, width in MOTION_FIELDS.items():
        if name not in data:
            raise ValueError(f"{where}: missing field {name!r} (expected [frames, {width}])")
        array = np.asarray(data[name], dtype=np.float32)
        if array.ndim != 2 or array.shape[1] != width or array.shape[0] < 1 or not np.isfinite(array).all():
            raise ValueError(f"{where}: field {name!r} should be finite [frames, {width}], got shape {list(array.shape)}")
        motion[name] = array
    if len({a.shape[0] for a in motion.values()}) != 1:
        raise ValueError(f"{where}: the motion fields have different frame counts")
    return motion, float(np.asarray(data.get("fps", 25.0)))


class FaceMotionDescriptionPipeline(_FacePipeline):
    """A clip (``.npz`` path or dict of arrays) -> ``{"generated_text": ...}``; ``question`` asks about it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        with open(os.path.join(self.files, PROCESSOR_FILE)) as handle:
            self.face_tokens = json.load(handle)

    def _sanitize_parameters(self, question: str | None = None, max_new_tokens: int | None = None):
        return {"question": question or DEFAULT_QUESTION}, {"max_new_tokens": max_new_tokens or 96}, {}

    def preprocess(self, inputs: Any, question: str = DEFAULT_QUESTION) -> dict[str, torch.Tensor]:
        motion, fps = _motion(inputs)
        codes = self.geometry.encode(**{name: torch.from_numpy(value)[None] for name, value in motion.items()})[0]
        spec = self.face_tokens
        face_text = spec["start_token"] + "".join(spec["token_format"].format(index=int(i)) for i in codes) + spec["end_token"]
        chat = messages(face_text, question, int(spec.get("downsample", 1)), fps)
        text = self.tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
        encoded = self.tokenizer(text, return_tensors="pt", add_special_tokens=False)
        context = int(getattr(self.model.config, "max_position_embeddings", 2048))
        if encoded["input_ids"].shape[1] >= context:
            raise ValueError(f"face-motion-description: {len(codes)} face tokens do not fit the model's context of {context} "
                             "tokens; shorten the clip (the tdmm-lm package describes long clips window by window)")
        return encoded

    def _forward(self, inputs: dict[str, torch.Tensor], max_new_tokens: int = 96) -> dict[str, torch.Tensor]:
        output = self.model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False,
                                     pad_token_id=self.tokenizer.pad_token_id, eos_token_id=self.tokenizer.eos_token_id)
        return {"new_tokens": output[0, inputs["input_ids"].shape[1]:]}

    def postprocess(self, outputs: dict[str, torch.Tensor]) -> dict[str, str]:
        return {"generated_text": self.tokenizer.decode(outputs["new_tokens"], skip_special_tokens=True).strip()}

"""`transformers` pipelines for tdmm-lm.

``face-motion-description``: clip (a :class:`FaceClip`, a clip.npz or a tracker file path)
-> ``{"generated_text": ...}`` with a Motion2Language folder::

    import modeling_tdmm.pipelines  # registers the task
    from transformers import pipeline
    describe = pipeline("face-motion-description", model="outputs/m2l")
    describe("clip.npz", question="When does the person blink?")
"""
from __future__ import annotations

from typing import Any

from transformers import AutoModelForCausalLM, Pipeline
from transformers.pipelines import PIPELINE_REGISTRY

from .clip import FaceClip
from .motion2language import Motion2Language
from .processing_face_tokens import FaceTokenProcessor
from .readers import read_tracker_file

TASK = "face-motion-description"


class FaceMotionDescriptionPipeline(Pipeline):
    """Describe a clip, or answer ``question`` about it, with a Motion2Language model."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.m2l = Motion2Language(self.model, self.tokenizer, FaceTokenProcessor.from_pretrained(self.model.name_or_path))

    def _sanitize_parameters(self, question: str | None = None, max_new_tokens: int | None = None, windows: bool | None = None, **_: Any):
        forward = {k: v for k, v in (("question", question), ("max_new_tokens", max_new_tokens), ("windows", windows)) if v is not None}
        return {}, forward, {}

    def preprocess(self, inputs: Any) -> dict[str, FaceClip]:
        return {"clip": inputs if isinstance(inputs, FaceClip) else read_tracker_file(inputs)}

    def _forward(self, model_inputs: dict[str, FaceClip], **kwargs: Any) -> dict[str, str]:
        return {"generated_text": self.m2l.describe([model_inputs["clip"]], **kwargs)[0]}

    def postprocess(self, model_outputs: dict[str, str]) -> dict[str, str]:
        return model_outputs


PIPELINE_REGISTRY.register_pipeline(TASK, pipeline_class=FaceMotionDescriptionPipeline, pt_model=AutoModelForCausalLM)

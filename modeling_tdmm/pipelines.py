"""`transformers` pipelines for tdmm-lm.

``face-motion-description``: clip (a :class:`FaceClip`, a clip.npz or a tracker file path)
-> ``{"generated_text": ...}`` with a Motion2Language folder::

    import modeling_tdmm.pipelines  # registers the task
    from transformers import pipeline
    describe = pipeline("face-motion-description", model="outputs/m2l")
    describe("clip.npz", question="When does the person blink?")

``text-to-face-motion``: prompt -> ``{"clip": FaceClip, "codes": face-token ids}`` with a
Language2Motion folder. transformers loads the model, so it runs the folder's own code and
needs ``trust_remote_code=True``; the geometry tokenizer recorded beside it loads with the
installed class, as in :meth:`Language2Motion.from_pretrained`::

    generate = pipeline("text-to-face-motion", model="outputs/l2m", trust_remote_code=True)
    generate("a person smiles, then nods twice", seconds=5, guidance_scale=3, seed=0)["clip"].save("smile.npz")
"""
from __future__ import annotations

from typing import Any

from transformers import AutoModelForCausalLM, Pipeline
from transformers.pipelines import PIPELINE_REGISTRY

from .clip import FaceClip
from .language2motion import Language2Motion
from .motion2language import Motion2Language
from .processing_face_tokens import FaceTokenProcessor
from .readers import read_tracker_file

TASK = "face-motion-description"
GENERATION_TASK = "text-to-face-motion"
GENERATION_OPTIONS = ("seconds", "num_frames", "guidance_scale", "seed", "do_sample", "temperature", "top_k", "top_p",
                      "max_new_tokens", "use_cache")


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


class TextToFaceMotionPipeline(Pipeline):
    """Generate a face-motion clip from a prompt with a Language2Motion model.

    ``geometry_tokenizer=DIR`` overrides the geometry tokenizer recorded beside the model.
    """

    def __init__(self, *args: Any, geometry_tokenizer: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.l2m = Language2Motion.from_model(self.model, self.tokenizer, self.model.name_or_path, geometry_tokenizer)

    def _sanitize_parameters(self, **kwargs: Any):
        unknown = set(kwargs) - set(GENERATION_OPTIONS)
        if unknown:
            raise TypeError(f"{GENERATION_TASK}: unknown options {sorted(unknown)}; known: {GENERATION_OPTIONS}")
        return {}, dict(kwargs), {}

    def preprocess(self, inputs: str) -> dict[str, str]:
        return {"prompt": inputs}

    def _forward(self, model_inputs: dict[str, str], **kwargs: Any) -> dict[str, Any]:
        ((clip, codes),) = self.l2m.generate_with_codes([model_inputs["prompt"]], **kwargs)
        return {"clip": clip, "codes": codes}

    def postprocess(self, model_outputs: dict[str, Any]) -> dict[str, Any]:
        return model_outputs


PIPELINE_REGISTRY.register_pipeline(GENERATION_TASK, pipeline_class=TextToFaceMotionPipeline, pt_model=AutoModelForCausalLM)

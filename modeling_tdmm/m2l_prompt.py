"""The conversation Motion2Language is trained and asked with: one definition for training, the installed
:class:`~modeling_tdmm.motion2language.Motion2Language` and the self-contained Hub pipeline
(``pipeline_tdmm.py``, which imports this file relatively, so it must stay free of package imports)."""
from __future__ import annotations

SYSTEM_PROMPT = (
    "You analyse 3D facial motion. The face tokens encode a face, one token per {frames} at {fps:g} fps. "
    "Answer questions about what the face does: emotion, intensity, micro-expressions and head motion."
)
DEFAULT_QUESTION = "Describe what this face does."
#: the question that asks for the emotion alone (a training instruction; the report and the demo ask it)
EMOTION_QUESTION = "What emotion does the person show?"


def system_prompt(downsample: int, fps: float) -> str:
    """The system message for face tokens made of ``downsample`` frames each at ``fps``."""
    return SYSTEM_PROMPT.format(frames="frame" if downsample == 1 else f"{downsample} frames", fps=fps)


def messages(face_text: str, question: str, downsample: int, fps: float) -> list[dict[str, str]]:
    """The chat of one request: the system message, then the face-token span and the question."""
    return [{"role": "system", "content": system_prompt(downsample, fps)},
            {"role": "user", "content": f"{face_text}\n{question}"}]

"""The interactive face agent (the paper's Fig. 1): one conversation that reads faces and writes them.

:class:`FaceAgent` holds the logic and no UI: a user loads a clip (a clip ``.npz``, an ARKit capture or a SMIRK / DECA-family
tracker file, or picks a sample) and asks about it (describe, emotion, head motion, blinks, any
follow-up), answered by Motion2Language; or types a prompt and gets a generated face from
Language2Motion, rendered front and profile (MP4), as an animated glTF for the 3D viewer, and as a clip
``.npz``; the generated face becomes the clip the next question is about. The text-motion evaluator,
when the models folder has one, says how it reads each face. ``face_agent_app.build_app`` puts it in a Gradio app
(:mod:`.face_agent_app`; ``make app``, and the Space in ``hub_cards/space/``).

Models load with the installed classes from a ``make demo`` folder (``l2m/``, ``m2l/``, ``evaluator/``,
``corpus/``); none of their Python runs.
"""
from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from modeling_tdmm.clip import FaceClip
from modeling_tdmm.face_model import FaceModel

__all__ = ["FaceAgent", "Generated", "Reply", "is_question"]

QUESTION_START = re.compile(r"^\s*(what|when|how|why|which|who|where|does|do|did|is|are|was|were|can|could|describe|tell|"
                            r"explain|any|show me what)\b", re.IGNORECASE)
SAMPLE_CLIPS = 8


def is_question(message: str) -> bool:
    """A message about the current clip (a question, or "describe ..."), rather than a prompt to generate."""
    text = message.strip()
    return text.endswith("?") or bool(QUESTION_START.match(text))


@dataclass
class Generated:
    """A face the agent made: the clip and its files (``mp4`` front/profile video, ``glb``, ``npz``)."""

    clip: FaceClip
    mp4: Path
    glb: Path
    npz: Path
    reading: str


@dataclass
class Reply:
    """What the agent says, and the face it shows (``None``: it did not make a new one)."""

    text: str
    face: Generated | None = None
    files: list[Path] = field(default_factory=list)


class FaceAgent:
    """Reads and writes faces with the models in ``models`` (a ``make demo`` output folder)."""

    def __init__(self, models: Path, workdir: Path | None = None, render_size: int = 192) -> None:
        from modeling_tdmm.language2motion import Language2Motion
        from modeling_tdmm.motion2language import Motion2Language

        self.models = Path(models)
        missing = [name for name in ("l2m", "m2l") if not (self.models / name / "config.json").is_file()]
        if missing:
            raise FileNotFoundError(f"{self.models}: no trained {' or '.join(missing)} folder (run `make demo` first)")
        self.l2m = Language2Motion.from_pretrained(self.models / "l2m")
        self.m2l = Motion2Language.from_pretrained(self.models / "m2l")
        self.evaluator = None
        if (self.models / "evaluator" / "config.json").is_file():
            from modeling_tdmm.text_motion_evaluator import TextMotionEvaluator

            self.evaluator = TextMotionEvaluator.from_pretrained(self.models / "evaluator")
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="tdmm-agent-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.render_size = render_size
        self._faces: dict[str, FaceModel] = {}
        self._count = 0
        self.samples = self._sample_clips()

    # ------------------------------------------------------------------ inputs
    def _sample_clips(self) -> dict[str, FaceClip]:
        """A few test clips of the demo corpus (never seen in training), named by their prompt."""
        corpus = self.models / "corpus"
        if not (corpus / "README.md").is_file():
            return {}
        import datasets

        test = datasets.load_dataset(str(corpus), split="test").with_format("numpy")
        clips = {}
        for index in range(min(SAMPLE_CLIPS, len(test))):
            clip = FaceClip.from_dict(test[index], origin=f"{corpus} test clip {index}")
            clips[f"{clip.clip_id}: {clip.prompt[:70]}"] = clip
        return clips

    def load(self, path: str | Path | None = None, sample: str | None = None) -> tuple[FaceClip, Reply]:
        """The clip of an uploaded file or a sample, and the agent's first words about it."""
        from modeling_tdmm.readers import read_tracker_file

        if sample:
            if sample not in self.samples:
                raise ValueError(f"no sample named {sample!r}")
            clip = self.samples[sample]
        elif path:
            clip = read_tracker_file(path)
        else:
            raise ValueError("upload a clip (.npz) or tracker file, or pick a sample")
        face = self._show(clip, label="loaded")
        text = (f"Loaded {clip.clip_id or Path(str(path or '')).name or 'the clip'}: {clip.num_frames} frames, "
                f"{clip.duration:.1f} s at {clip.fps:g} fps. {face.reading}Ask me about it: describe it, its emotion, "
                "its head motion, its blinks.")
        return clip, Reply(text, face, [face.npz, face.glb])

    # ------------------------------------------------------------------ outputs
    def _face_model(self, name: str) -> FaceModel:
        if name not in self._faces:
            self._faces[name] = FaceModel.load(name)
        return self._faces[name]

    def reading(self, clip: FaceClip) -> str:
        """How the evaluator reads ``clip`` (one sentence; empty without an evaluator)."""
        if self.evaluator is None:
            return ""
        r = self.evaluator.read_attributes([clip])[0]
        return f"The evaluator reads it as {r['emotion_family']} ({r['intensity']}), head motion: {r['head_motion']}. "

    def _show(self, clip: FaceClip, label: str) -> Generated:
        """Render ``clip`` (MP4 front + profile), export it (GLB) and save it (NPZ) under the work folder."""
        from modeling_tdmm.gltf import clip_to_glb
        from modeling_tdmm.video import render_clip, write_frames

        self._count += 1
        stem = self.workdir / f"{self._count:03d}_{label}"
        face = self._face_model(clip.face_model)
        frames = render_clip(clip, face, size=self.render_size, side_view=True, caption=(clip.prompt or "")[:60] or None)
        mp4 = write_frames(frames, stem.with_suffix(".mp4"), clip.fps)
        clip_to_glb(clip, face, stem.with_suffix(".glb"))
        clip.save(stem.with_suffix(".npz"))
        return Generated(clip, mp4, stem.with_suffix(".glb"), stem.with_suffix(".npz"), self.reading(clip))

    def generate(self, prompt: str, seconds: float = 5.0, seed: int = 0, guidance: float | None = None) -> tuple[FaceClip, Reply]:
        """A face for ``prompt``; the reply says what the evaluator reads in it."""
        (clip,) = self.l2m.generate([prompt], seconds=seconds, seed=int(seed), guidance_scale=guidance)
        face = self._show(clip, label="generated")
        text = f"Here is \"{prompt}\" ({clip.duration:.1f} s, seed {int(seed)}). {face.reading}Ask me about it, or describe another face."
        return clip, Reply(text, face, [face.npz, face.glb])

    def answer(self, clip: FaceClip, question: str) -> Reply:
        """Motion2Language's answer about ``clip`` ("describe ..." asks for a free description)."""
        ask = None if re.match(r"^\s*describe\b", question, re.IGNORECASE) else question.strip()
        return Reply(self.m2l.describe([clip], question=ask)[0])

    def respond(self, message: str, clip: FaceClip | None, seconds: float = 5.0, seed: int = 0,
                guidance: float | None = None) -> tuple[FaceClip | None, Reply]:
        """One turn: a question about the current clip, or a prompt to generate (which becomes the clip)."""
        message = (message or "").strip()
        if not message:
            return clip, Reply("Type a prompt (\"a young woman looks extremely happy, nodding\") or ask about the clip.")
        if clip is not None and is_question(message):
            return clip, self.answer(clip, message)
        if is_question(message):
            return clip, Reply("Load a clip or generate a face first, then ask about it.")
        return self.generate(message, seconds, seed, guidance)

    def swap(self, prompt: str, word: str, replacement: str, seconds: float = 5.0, seed: int = 0,
             guidance: float | None = None) -> tuple[Path, str]:
        """The one-word-swap comparison: ``prompt`` and ``prompt`` with ``word`` replaced, same seed, rendered
        side by side (MP4); and what the evaluator reads in each."""
        from modeling_tdmm.video import render_clip, write_frames

        if not re.search(rf"\b{re.escape(word)}\b", prompt):
            raise ValueError(f"the prompt has no word {word!r} to swap")
        swapped = re.sub(rf"\b{re.escape(word)}\b", replacement, prompt, count=1)
        clips = self.l2m.generate([prompt, swapped], seconds=seconds, seed=int(seed), guidance_scale=guidance)
        face = self._face_model(clips[0].face_model)
        frames = [render_clip(c, face, size=self.render_size, caption=w) for c, w in zip(clips, (word, replacement))]
        self._count += 1
        video = write_frames(np.concatenate(frames, 2), self.workdir / f"{self._count:03d}_swap.mp4", clips[0].fps)
        readings = [self.reading(c) or "(no evaluator)" for c in clips]
        return video, f"\"{word}\": {readings[0]}\n\"{replacement}\": {readings[1]}"


"""Balanced prompt specs and text-to-video style prompts for Open3DFaceVid.

Every clip has a *focus* category (emotion, facial action or head motion), balanced in
blocks of three consecutive indices; within a category the descriptor is drawn from a
seeded permutation of the whole category per block, so every descriptor appears equally
often (+-1) in any prefix of the corpus, and spec ``i`` depends only on ``(seed, i)``
(shards can be generated independently). Subjects are balanced the same way over the
age x gender-presentation categories. Intensity and tempo are balanced too.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .lexicon import Descriptor, by_category, get
from .subjects import APPEARANCES, Subject, subject_categories

FOCI = ("emotion", "action", "head")
CAMERA_SENTENCES = (
    "The frame remains steady, with the head and shoulders centered.",
    "The camera is static, the face is evenly lit and looks at the viewer.",
    "Close-up portrait against a plain background; the camera does not move.",
    "A steady frontal shot with the head and shoulders in the middle of the frame.",
)
INTENSITY_ADVERBS = {
    "subtle": "subtly", "slight": "slightly", "mild": "mildly", "moderate": "moderately",
    "clear": "clearly", "strong": "strongly", "intense": "intensely", "extreme": "extremely",
}
_STREAMS = {"focus": 1, "emotion": 2, "action": 3, "head": 4, "intensity": 5, "tempo": 6, "subject": 7}


def balanced(items: tuple | list, index: int, seed: int, stream: str) -> Any:
    """``items`` in a seeded permutation per block of ``len(items)`` consecutive indices.

    ``stream`` names what is drawn (a key of ``_STREAMS``: "focus", "emotion", "intensity",
    "subject"...), so different quantities of the same index are independent.
    """
    block, offset = divmod(index, len(items))
    order = np.random.default_rng([seed, _STREAMS[stream], block]).permutation(len(items))
    return items[int(order[offset])]


@dataclass
class PromptSpec:
    """What one clip should show. Descriptor fields hold canonical lexicon names."""

    index: int
    seed: int
    focus: str
    emotion: str
    intensity: str
    tempo: str
    head: str
    subject: Subject
    duration: float
    second_emotion: str | None = None
    action: str | None = None
    prompt: str = ""
    paraphrases: list[str] = field(default_factory=list)

    @property
    def clip_id(self) -> str:
        return f"o3dfv-{self.seed}-{self.index:06d}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["subject"] = self.subject.to_dict()
        data["clip_id"] = self.clip_id
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PromptSpec":
        data = {k: v for k, v in data.items() if k != "clip_id"}
        subject = data.pop("subject")
        return cls(subject=Subject(subject["age"], subject["gender"], subject.get("appearance", "")), **data)


def check_seconds(min_seconds: float, max_seconds: float) -> None:
    """Raise a one-line ``ValueError`` unless ``0 < min_seconds <= max_seconds``, both finite."""
    for name, value in (("min_seconds", min_seconds), ("max_seconds", max_seconds)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a finite number of seconds > 0, got {value!r}")
    if min_seconds > max_seconds:
        raise ValueError(f"min_seconds ({min_seconds}) must not exceed max_seconds ({max_seconds})")


def spec_at(index: int, seed: int = 0, min_seconds: float = 4.0, max_seconds: float = 6.0) -> PromptSpec:
    """The balanced spec number ``index`` of the corpus with ``seed`` (prompt filled in)."""
    check_seconds(min_seconds, max_seconds)
    rng = np.random.default_rng([seed, 0, index])
    emotions = by_category("emotion")
    actions = by_category("action")
    heads = tuple(d for d in by_category("head") if d.name != "still")
    focus = balanced(FOCI, index, seed, "focus")
    within = index // len(FOCI)
    neutral = get("neutral")
    emotion, action, head, second = neutral, None, get("still"), None
    if focus == "emotion":
        emotion = balanced(emotions, within, seed, "emotion")
        if emotion.family != "neutral" and rng.random() < 0.25:
            others = [e for e in emotions if e.family not in (emotion.family, "neutral")]
            second = others[rng.integers(len(others))]
        if rng.random() < 0.5:
            head = heads[rng.integers(len(heads))]
        if rng.random() < 0.2:
            action = actions[rng.integers(len(actions))]
    elif focus == "action":
        action = balanced(actions, within, seed, "action")
        if rng.random() < 0.5:
            emotion = emotions[rng.integers(len(emotions))]
    else:
        head = balanced(heads, within, seed, "head")
        if rng.random() < 0.5:
            emotion = emotions[rng.integers(len(emotions))]
    age, gender = balanced(subject_categories(), index, seed, "subject")
    appearances = list(APPEARANCES)
    subject = Subject(age, gender, appearances[rng.integers(len(appearances))] if rng.random() < 0.6 else "")
    spec = PromptSpec(
        index=index, seed=seed, focus=focus, emotion=emotion.name,
        intensity=balanced(by_category("intensity"), index, seed, "intensity").name,
        tempo=balanced(by_category("tempo"), index, seed, "tempo").name,
        head=head.name, subject=subject, duration=float(rng.uniform(min_seconds, max_seconds)),
        second_emotion=second.name if second else None, action=action.name if action else None,
    )
    spec.prompt = t2v_prompt(spec, rng)
    return spec


def sample_specs(num: int, seed: int = 0, start: int = 0, **kwargs: float) -> list[PromptSpec]:
    """Specs ``start .. start + num - 1`` of the balanced corpus with ``seed``."""
    return [spec_at(i, seed, **kwargs) for i in range(start, start + num)]


def _word(descriptor: Descriptor, rng: np.random.Generator, synonyms: bool) -> str:
    words = descriptor.words if synonyms else (descriptor.name,)
    return words[int(rng.integers(len(words)))]


def _action_clause(action: Descriptor, rng: np.random.Generator, synonyms: bool) -> str:
    """Action synonyms are third-person verb phrases ("raises the eyebrows")."""
    return action.synonyms[int(rng.integers(len(action.synonyms)))] if synonyms else action.synonyms[0]


def article(word: str) -> str:
    """The indefinite article for the phrase starting with ``word``, capitalised ("A"/"An")."""
    return "An" if word[:1].lower() in "aeiou" else "A"


HEAD_GERUNDS = {
    "still": ("keeping the head still", "holding the head steady"),
    "nod": ("nodding", "nodding in agreement"),
    "slow nod": ("nodding slowly", "giving a slow nod"),
    "rapid nodding": ("nodding quickly", "giving quick little nods"),
    "head shake": ("shaking the head", "shaking the head no"),
    "slow head shake": ("shaking the head slowly", "slowly shaking the head"),
    "tilt left": ("tilting the head to the left", "with the head tilted to the left"),
    "tilt right": ("tilting the head to the right", "with the head tilted to the right"),
    "turn left": ("turning the head to the left", "looking off to the left"),
    "turn right": ("turning the head to the right", "looking off to the right"),
    "look up": ("looking up", "raising the head"),
    "look down": ("looking down", "lowering the head"),
    "head bob": ("bobbing the head", "with small head bobs"),
    "chin up": ("lifting the chin", "with the chin raised"),
}


def _head_clause(head: Descriptor, rng: np.random.Generator, synonyms: bool) -> str:
    options = HEAD_GERUNDS[head.name]
    return options[int(rng.integers(len(options)))] if synonyms else options[0]


def describe_affect(spec: PromptSpec, rng: np.random.Generator, synonyms: bool = False) -> str:
    """"looks slightly worried, then suddenly surprised" (emotion part of a sentence)."""
    emotion = get(spec.emotion)
    adverb = INTENSITY_ADVERBS[spec.intensity]
    if emotion.family == "neutral" and not spec.second_emotion:
        return "keeps a neutral expression" if emotion.name == "neutral" else f"looks {_word(emotion, rng, synonyms)}"
    text = f"{spec.tempo} becomes {adverb} {_word(emotion, rng, synonyms)}" if spec.tempo in ("slowly", "suddenly", "gradually") else f"looks {adverb} {_word(emotion, rng, synonyms)}"
    if spec.second_emotion:
        text += f", then turns {_word(get(spec.second_emotion), rng, synonyms)}"
    return text


def t2v_prompt(spec: PromptSpec, rng: np.random.Generator, synonyms: bool = False) -> str:
    """A text-to-video prompt: subject, affect, action, head motion, fixed camera."""
    parts = [f"{article(spec.subject.label)} {spec.subject.label} {describe_affect(spec, rng, synonyms)}"]
    if spec.action:
        parts.append(f"and {_action_clause(get(spec.action), rng, synonyms)}")
    sentence = " ".join(parts)
    if spec.head != "still" or spec.focus == "head":
        sentence += f", {_head_clause(get(spec.head), rng, synonyms)}"
    camera = CAMERA_SENTENCES[int(rng.integers(len(CAMERA_SENTENCES)))]
    return f"{sentence}. {camera}"

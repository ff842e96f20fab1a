"""Motion2Language training conversations built from Open3DFaceVid clips.

Each example is a chat: a system prompt, a user turn with an instruction and the clip's face
tokens (``<|face_start|>...<|face_end|>``), and an assistant answer drawn from the captions
and the ground-truth attributes. Tasks, mixed: free description, emotion, intensity, head
motion, blink timing, micro-expressions, yes/no questions and multi-turn follow-ups (the face
tokens appear once, in the first user turn). Clips without ground truth (tracker data) only
get the description task, answered with their captions.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from modeling_tdmm.m2l_prompt import DEFAULT_QUESTION, EMOTION_QUESTION, system_prompt
from open3dfacevid.captions import affect_phrase, head_sentence
from open3dfacevid.lexicon import FAMILY_WORDS, by_category, get
from open3dfacevid.prompts import INTENSITY_ADVERBS

TASKS = ("describe", "emotion", "intensity", "head_motion", "blinks", "micro_expression", "yes_no", "multi_turn")
INSTRUCTIONS = {
    "describe": (DEFAULT_QUESTION, "What happens in this facial motion?", "Give a description of the face.",
                 "Describe the expression and movement of this face."),
    "emotion": (EMOTION_QUESTION, "Which emotion is expressed?", "How does the person feel?"),
    "intensity": ("How intense is the expression?", "How strongly is the emotion expressed?"),
    "head_motion": ("How does the head move?", "Describe the head movement.", "What does the head do?"),
    "blinks": ("When does the person blink?", "How many times does the person blink, and when?"),
    "micro_expression": ("Is there a micro-expression?", "Does any brief micro-expression appear?"),
    "yes_no": ("Does the person look {word}?", "Is the person {word}?"),
}


def _pick(options: tuple[str, ...], rng: np.random.Generator) -> str:
    return options[int(rng.integers(len(options)))]


def _seconds(frame: int, fps: float) -> str:
    return f"{frame / fps:.1f} s"


def answer(task: str, attributes: dict[str, Any], captions: list[str], fps: float, rng: np.random.Generator,
           asked: str | None = None, question: str | None = None) -> str:
    """The assistant's answer for ``task``, consistent with the ground truth (``asked``: the emotion word of a
    yes/no question; ``question``: the instruction, which picks the description's style).

    The default question (what ``Motion2Language.describe`` asks) is always answered with the first caption,
    the complete one (emotion, then every event, then the head): trained on all four styles at random, the
    model mixed them, starting one style and ending as another, and so dropped the head sentence from most
    free descriptions although it names the head motion right when asked. Other phrasings keep every style.
    """
    if task == "describe":
        return captions[0] if question == DEFAULT_QUESTION else _pick(tuple(captions), rng)
    affect = affect_phrase(attributes, rng)
    if task == "emotion":  # the family first, then the precise emotion
        if affect == "neutral":
            return "The face stays neutral; no particular emotion shows."
        families = [FAMILY_WORDS[get(e).family] for e in attributes["emotions"] if e != "neutral"]
        coarse = ", then ".join(dict.fromkeys(families))
        return f"The person looks {INTENSITY_ADVERBS[attributes['intensity']]} {coarse}; more precisely, {affect}."
    if task == "intensity":
        if affect == "neutral":
            return "There is no emotional expression to speak of: the face stays neutral."
        return f"The expression is {attributes['intensity']}: {INTENSITY_ADVERBS[attributes['intensity']]} expressed."
    if task == "head_motion":
        return head_sentence(attributes, rng, fps)
    events = attributes.get("events", [])
    if task == "blinks":
        blinks = [e for e in events if e["type"] == "blink"]
        if not blinks:
            return "The person does not blink."
        times = ", ".join(_seconds(e["start"], fps) for e in blinks)
        count = "once" if len(blinks) == 1 else "twice" if len(blinks) == 2 else f"{len(blinks)} times"
        return f"The person blinks {count}, at {times}."
    if task == "micro_expression":
        micro = [e for e in events if e["type"] == "micro_expression"]
        if not micro:
            return "No micro-expression appears."
        return " ".join(f"Yes: a {e['name']} at {_seconds(e['start'], fps)}, lasting {(e['end'] - e['start']) / fps:.2f} s."
                        for e in micro)
    if task == "yes_no":
        truth = [e for e in attributes["emotions"] if e != "neutral"]
        if asked in truth:
            return f"Yes, the person looks {affect}."
        return "No, the face stays neutral." if not truth else f"No, the person looks {affect}."
    raise KeyError(f"unknown task '{task}'")


def _yes_no_question(attributes: dict[str, Any], rng: np.random.Generator) -> tuple[str, str]:
    truth = [e for e in attributes["emotions"] if e != "neutral"]
    families = {get(e).family for e in truth}
    if truth and rng.random() < 0.5:
        word = truth[int(rng.integers(len(truth)))]
    else:
        others = [d.name for d in by_category("emotion") if d.family not in families | {"neutral"}]
        word = others[int(rng.integers(len(others)))]
    return _pick(INSTRUCTIONS["yes_no"], rng).format(word=word), word


def build_conversation(face_text: str, attributes: dict[str, Any], captions: list[str], fps: float,
                       rng: np.random.Generator, downsample: int = 1, task: str | None = None) -> dict[str, Any]:
    """One training example: ``{"messages": [...], "task": name}``."""
    has_truth = bool(attributes.get("emotions"))
    if not has_truth:
        task = "describe"
    task = task or TASKS[int(rng.integers(len(TASKS)))]
    messages = [{"role": "system", "content": system_prompt(downsample, fps)}]

    def ask(sub_task: str, with_face: bool) -> None:
        asked = None
        if sub_task == "yes_no":
            question, asked = _yes_no_question(attributes, rng)
        else:
            question = _pick(INSTRUCTIONS[sub_task], rng)
        content = f"{face_text}\n{question}" if with_face and rng.random() < 0.5 else (f"{question}\n{face_text}" if with_face else question)
        messages.append({"role": "user", "content": content})
        messages.append({"role": "assistant", "content": answer(sub_task, attributes, captions, fps, rng, asked, question)})

    if task == "multi_turn":
        follow_ups = [t for t in TASKS if t not in ("describe", "multi_turn")]
        ask("describe", with_face=True)
        for sub_task in rng.choice(follow_ups, size=2, replace=False):
            ask(str(sub_task), with_face=False)
    else:
        ask(task, with_face=True)
    return {"messages": messages, "task": task}

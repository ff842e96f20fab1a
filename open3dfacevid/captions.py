"""Captions for Motion2Language: varied sentences that say what the face does, from attributes.

Every caption is consistent with the clip's ground truth: it names the emotion(s) (canonical
word or a lexicon synonym), the intensity, prompted actions and micro-expressions with their
times, blinks, and the head motion.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .lexicon import get
from .prompts import HEAD_GERUNDS, INTENSITY_ADVERBS, article

HEAD_SENTENCES = {
    "still": ("The head stays mostly still.", "There is little head movement.", "The head barely moves."),
    "nod": ("The head nods {cycles}.", "They nod {cycles}.", "A nod of the head follows, {cycles}."),
    "shake": ("The head shakes from side to side {cycles}.", "They shake their head {cycles}.", "A side-to-side head shake appears, {cycles}."),
    "tilt": ("The head tilts to the {side}.", "They tilt their head to the {side}.", "The head leans to the {side}."),
    "turn": ("The head turns to the {side}.", "They turn their head to the {side}.", "The face turns toward the {side}."),
    "look": ("They {direction}.", "The head {direction_s}.", "The gaze and head {direction_pl}."),
}


#: the event types a caption states as a timed "From ... to ... the person ..." sentence
TIMED_EVENTS = ("action", "talk", "yawn", "eyes_closed")


def _seconds(frames: int, fps: float) -> str:
    return f"{frames / fps:.1f} s"


def _pick(options: tuple[str, ...] | list[str], rng: np.random.Generator) -> str:
    return options[int(rng.integers(len(options)))]


def _emotion_word(name: str, rng: np.random.Generator, canonical: bool) -> str:
    descriptor = get(name)
    return descriptor.name if canonical else _pick(descriptor.words, rng)


def affect_phrase(attributes: dict[str, Any], rng: np.random.Generator, canonical: bool = False) -> str:
    """"moderately worried, then surprised" or "neutral"."""
    emotions = [e for e in attributes["emotions"] if e != "neutral"]
    if not emotions:
        return "neutral"
    adverb = INTENSITY_ADVERBS[attributes["intensity"]]
    text = f"{adverb} {_emotion_word(emotions[0], rng, canonical)}"
    if len(emotions) > 1:
        text += f", then {_emotion_word(emotions[1], rng, canonical)}"
    return text


def event_sentences(attributes: dict[str, Any], fps: float) -> list[str]:
    """One sentence per kind of event, with times in seconds."""
    sentences = []
    events = attributes["events"]
    blinks = [e for e in events if e["type"] == "blink"]
    if blinks:
        times = ", ".join(_seconds(e["start"], fps) for e in blinks)
        count = "once" if len(blinks) == 1 else "twice" if len(blinks) == 2 else f"{len(blinks)} times"
        sentences.append(f"They blink {count} (at {times}).")
    for event in events:
        start, end = _seconds(event["start"], fps), _seconds(event["end"], fps)
        if event["type"] == "wink":
            sentences.append(f"They wink with the {event['side']} eye at {start}.")
        elif event["type"] == "micro_expression":
            length = (event["end"] - event["start"]) / fps
            name = event["name"]
            sentences.append(f"A micro-expression, {article(name).lower()} {name}, appears at {start} and lasts {length:.2f} s.")
        elif event["type"] in TIMED_EVENTS:
            phrase = get(event["name"]).synonyms[0]
            sentences.append(f"From {start} to {end} the person {phrase}.")
    return sentences


def head_sentence(attributes: dict[str, Any], rng: np.random.Generator, fps: float) -> str:
    head = attributes["head_motion"]
    kind, name = head["kind"], head["name"]
    cycles = get(name).extra.get("cycles", 0) if kind in ("nod", "shake") else 0
    cycles_text = "once" if cycles == 1 else "twice" if cycles == 2 else f"{cycles} times" if cycles else ""
    side = "left" if "left" in name else "right"
    up = name in ("look up", "chin up")
    template = _pick(HEAD_SENTENCES[kind], rng)
    text = template.format(cycles=cycles_text or "a few times", side=side,
                           direction="look up" if up else "look down",
                           direction_s="tips up" if up else "tips down",
                           direction_pl="lift" if up else "drop")
    if kind != "still" and head["end"] > head["start"]:
        text = text[:-1] + f", starting around {_seconds(head['start'], fps)}."
    return text


def write_captions(clip: Any, rng: np.random.Generator, count: int = 4) -> list[str]:
    """At least three distinct captions for ``clip`` (uses ``clip.attributes`` and ``fps``)."""
    a = clip.attributes
    fps = clip.fps
    subject = a["subject"]["label"]
    events = event_sentences(a, fps)
    head = get(a["head_motion"]["name"])
    head_clause = _pick(HEAD_GERUNDS[head.name], rng)
    affect = affect_phrase(a, rng)
    first = f"The {subject} looks {affect}." if affect != "neutral" else f"The {subject} keeps a neutral face."
    neutral = affect == "neutral"
    canonical = affect_phrase(a, rng, canonical=True)  # draws nothing from rng
    drafts = [
        " ".join([first, *events, head_sentence(a, rng, fps)]),
        " ".join([f"{article(canonical)} {canonical} expression",
                  f"on {article(subject).lower()} {subject}, {head_clause}.", *events[:2]]),
        " ".join([f"Over {clip.duration:.1f} seconds the face stays neutral." if neutral
                  else f"Over {clip.duration:.1f} seconds the face looks {affect_phrase(a, rng)}.",
                  head_sentence(a, rng, fps), *events[-2:]]),
        " ".join([f"Expression: {affect_phrase(a, rng, canonical=True)}.", f"Head: {head.name}.",
                  f"Blinks: {a['blink_count']}.", *[s for s in events if "micro-expression" in s]]),
    ]
    unique = list(dict.fromkeys(d.strip() for d in drafts))
    return unique[: max(count, 3)]

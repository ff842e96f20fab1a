"""The paper's Table 1 scores CorE / CorM / CorI (1-5) for a description of a clip: an offline rubric and its LLM prompt.

:data:`RUBRIC` is the one statement of the scale. :func:`rubric_scores` applies it offline and
deterministically, reading the description with the lexicon judge (``description_scores.judge``,
``open3dfacevid.attributes``); :func:`rubric_prompt` hands the same text to an LLM judge
(``tdmm_eval.llm_judge``), as the paper did with GPT-4.

Emotion families are adjacent when their centroids in the lexicon's valence-arousal plane lie
within :data:`ADJACENT_DISTANCE`; a family's valence (its centroid's) is positive or negative beyond
:data:`VALENCE_BAND`, neutral within it. The rubric follows.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from open3dfacevid.attributes import emotion_mentions
from open3dfacevid.lexicon import by_category, get
from open3dfacevid.prompts import INTENSITY_ADVERBS
from tdmm_eval.description_scores import judge

RUBRIC = """\
Score a description of a 3D facial-motion clip against the clip's ground truth on three 1-5 scales.

CorE (correctness of Emotion). An emotion belongs to a family (joy, sadness, anger, fear, ...);
"neutral" is a family too. The description's emotion is the first one it names (none named reads as neutral).
- One emotion in the clip:
  5 = right family and the right specific emotion or a synonym (a neutral clip described as neutral or
      with no emotion at all counts as right);
  4 = right family, another emotion of it;
  3 = the right family is named but not first, or an adjacent family (close in valence and arousal:
      joy/pride/awe, anger/fear/disgust/pain, contempt/skepticism/confusion/embarrassment, boredom/tiredness);
  2 = wrong, but the same valence (positive, negative or neutral);
  1 = the opposite valence, or no emotion named for a clip that shows one outside the neutral family.
- An emotion transition ("A, then B"):
  5 = both specific emotions named, in order; 4 = both families named; 3 = one of the two families named;
  2 = wrong, but the first emotion named has the valence of one of the two; 1 = otherwise.

CorM (correctness of Motion: head motion and prompted facial actions). Head-motion kinds: still, nod,
shake, tilt, turn, look (up/down); a description that mentions no head motion says the head is still.
Kinds on the same axis are close: nod and look (pitch), shake and turn (yaw).
- A clip with a prompted facial action (smile, frown, wink, a micro-expression, ...):
  CorM = 1 + head points (2 right kind, 1 a close kind, 0 wrong) + action points (2 every action named and
  none invented, 1 some named or an invented one added, 0 none named). Any blink counts for a blink action.
- A clip without one: 5 = right head-motion kind (including "still" for a clip whose head does not move),
  3 = a close kind, 1 = wrong; one point less (not below 1) if the description names a facial action
  that did not happen (spontaneous blinks and micro-expressions in the clip are not invented).

CorI (correctness of Intensity), on the 8 levels subtle < slight < mild < moderate < clear < strong <
intense < extreme (the adverbs subtly ... extremely count).
- A clip that shows an emotion other than plain "neutral": 5 = the right level, 4 = one level off,
  3 = two off, 2 = three off or no level stated, 1 = four or more off.
- A clip with no emotion (neutral): 5 = no level stated; a stated level is wrong by how strong it is:
  4 = subtle/slight, 3 = mild/moderate, 2 = clear/strong, 1 = intense/extreme.
"""
__doc__ += "\n" + RUBRIC
SCORES = ("CorE", "CorM", "CorI")
ADJACENT_DISTANCE = 0.25
VALENCE_BAND = 0.1
LEVELS = list(INTENSITY_ADVERBS)


@lru_cache(maxsize=1)
def _family_centroids() -> dict[str, np.ndarray]:
    members: dict[str, list[tuple[float, float]]] = {}
    for descriptor in by_category("emotion"):
        members.setdefault(descriptor.family, []).append((descriptor.valence, descriptor.arousal))
    return {family: np.mean(points, axis=0) for family, points in members.items()}


def _adjacent(a: str, b: str) -> bool:
    centroids = _family_centroids()
    return bool(np.linalg.norm(centroids[a] - centroids[b]) <= ADJACENT_DISTANCE)


def _valence(family: str) -> int:
    value = _family_centroids()[family][0]
    return int(np.sign(value)) if abs(value) > VALENCE_BAND else 0


@lru_cache(maxsize=1)
def _emotions_of_word() -> dict[str, frozenset[str]]:
    words: dict[str, set[str]] = {}
    for descriptor in by_category("emotion"):
        for word in descriptor.words:
            words.setdefault(word.lower(), set()).add(descriptor.name)
    return {word: frozenset(names) for word, names in words.items()}


def emotion_readings(text: str) -> list[frozenset[str]]:
    """Per emotion word or phrase in ``text``, in order: every emotion it can name ("self-satisfied" is a
    synonym of both proud and smug, so either reading counts)."""
    lowered, names = text.lower(), _emotions_of_word()
    return [names[lowered[start:end]] for start, end, _ in emotion_mentions(text)]


def emotion_score(text: str, attributes: dict[str, Any]) -> int:
    """CorE of ``text`` for a clip with ``attributes`` (see :data:`RUBRIC`)."""
    truth = list(attributes.get("emotions") or ["neutral"])
    truth_families = [get(name).family for name in truth]
    readings = emotion_readings(text)
    if not readings:
        if truth_families[0] != "neutral" or len(truth) > 1:
            return 1
        return 5 if truth[0] == "neutral" else 4
    named = set().union(*readings)
    families = {get(name).family for name in named}
    first = {get(name).family for name in readings[0]}
    same_valence = bool({_valence(f) for f in first} & {_valence(f) for f in truth_families})
    if len(truth) == 1:
        if truth_families[0] in first:
            return 5 if truth[0] in named else 4
        if truth_families[0] in families or any(_adjacent(f, truth_families[0]) for f in first):
            return 3
        return 2 if same_valence else 1
    in_order = any(truth[0] in a and truth[1] in b for i, a in enumerate(readings) for b in readings[i + 1:])
    if in_order:
        return 5
    if set(truth_families) <= families:
        return 4
    if set(truth_families) & families:
        return 3
    return 2 if same_valence else 1


@lru_cache(maxsize=1)
def _action_patterns() -> list[tuple[re.Pattern, str]]:
    """Lexicon action words as patterns that accept inflections ("wink with the right eye" for "winks with
    the right eye"), longest first."""
    def inflected(token: str) -> str:
        stem = token[:-1] if len(token) > 3 and token.endswith("s") else token
        return re.escape(stem) + r"(?:s|es|ed|ing)?"

    words = sorted(((word.lower(), d.name) for d in by_category("action") for word in d.words), key=lambda w: -len(w[0]))
    return [(re.compile(r"\b" + r"\s+".join(inflected(t) for t in word.split()) + r"\b"), name) for word, name in words]


def extract_actions(text: str) -> list[str]:
    """Facial actions (canonical lexicon names) named in ``text``, in order; words inside emotion phrases
    ("forced smile") do not count, and the longest phrase wins where phrases overlap."""
    lowered = text.lower()
    found = [(start, end, "") for start, end, _ in emotion_mentions(text)]
    for pattern, name in _action_patterns():
        for match in pattern.finditer(lowered):
            start, end = match.span()
            if not any(s < end and start < e for s, e, _ in found):
                found.append((start, end, name))
    return [name for _, _, name in sorted(found) if name]


@lru_cache(maxsize=1)
def _blink_actions() -> frozenset[str]:
    return frozenset(d.name for d in by_category("action") if d.family == "blink")


def _names_action(action: str, names: set[str]) -> bool:
    """Whether ``names`` include ``action``; any blink stands for a blink action (captions count blinks)."""
    return action in names or action in _blink_actions() and bool(names & _blink_actions())


def motion_score(text: str, attributes: dict[str, Any]) -> int:
    """CorM of ``text`` for a clip with ``attributes`` (see :data:`RUBRIC`)."""
    head = judge(text)["head_motion"]
    truth_head = (attributes.get("head_motion") or {}).get("kind", "still")
    axes = {d.family: d.extra["axis"] for d in by_category("head") if d.family != "still"}
    head_points = 2 if head == truth_head else int(head in axes and axes[head] == axes.get(truth_head))
    actions = list(attributes.get("actions") or [])
    named = extract_actions(text)
    happened = set(actions) | {event["name"] for event in attributes.get("events") or []}
    invented = any(not _names_action(name, happened) for name in named)
    if not actions:
        return max(1, 1 + 2 * head_points - int(invented))
    hits = sum(_names_action(action, set(named)) for action in actions)
    action_points = 0 if hits == 0 else 2 if hits == len(actions) and not invented else 1
    return 1 + head_points + action_points


def intensity_score(text: str, attributes: dict[str, Any]) -> int:
    """CorI of ``text`` for a clip with ``attributes`` (see :data:`RUBRIC`)."""
    stated = judge(text)["intensity"]
    if all(name == "neutral" for name in attributes.get("emotions") or ["neutral"]):
        return 5 if stated is None else 4 - LEVELS.index(stated) // 2
    if stated is None:
        return 2
    return max(1, 5 - abs(LEVELS.index(stated) - LEVELS.index(attributes["intensity"])))


def rubric_scores(description: str, attributes: dict[str, Any]) -> dict[str, int]:
    """``{"CorE": n, "CorM": n, "CorI": n}`` (1-5) of ``description`` for a clip's ``attributes`` (FaceClip.attributes)."""
    return {"CorE": emotion_score(description, attributes), "CorM": motion_score(description, attributes),
            "CorI": intensity_score(description, attributes)}


def mean_rubric_scores(descriptions: Sequence[str], attributes: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Mean CorE / CorM / CorI of ``descriptions`` over their clips (NaN for no clips)."""
    if len(descriptions) != len(attributes):
        raise ValueError(f"{len(descriptions)} descriptions but {len(attributes)} ground-truth attribute sets")
    scores = [rubric_scores(text, attrs) for text, attrs in zip(descriptions, attributes)]
    return {key: float(np.mean([s[key] for s in scores])) if scores else float("nan") for key in SCORES}


def ground_truth_text(attributes: dict[str, Any]) -> str:
    """The clip's ground truth as the LLM judge reads it: emotions with families, intensity, head motion, actions."""
    emotions = list(attributes.get("emotions") or ["neutral"])
    shows = any(name != "neutral" for name in emotions)
    head = attributes.get("head_motion") or {}
    micro = [e["name"] for e in attributes.get("events") or [] if e["type"] == "micro_expression"]
    return "\n".join([
        "Emotion: " + ", then ".join(f"{name} (family: {get(name).family})" for name in emotions),
        f"Intensity: {attributes['intensity'] if shows else 'none (no emotion shown)'}",
        f"Head motion: {head.get('name', 'still')} (kind: {head.get('kind', 'still')})",
        "Prompted facial actions: " + (", ".join(attributes.get("actions") or []) or "none"),
        "Micro-expressions: " + (", ".join(micro) or "none"),
        f"Blinks: {attributes.get('blink_count', 0)}",
    ])


def rubric_prompt(description: str, attributes: dict[str, Any]) -> list[dict[str, str]]:
    """Chat messages asking an LLM to score ``description`` with :data:`RUBRIC`, answering
    ``{"CorE": n, "CorM": n, "CorI": n}`` in JSON."""
    system = RUBRIC + '\nAnswer with one JSON object and nothing else: {"CorE": n, "CorM": n, "CorI": n}, integers 1-5.'
    user = f"Ground truth of the clip:\n{ground_truth_text(attributes)}\n\nDescription to score:\n{description}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


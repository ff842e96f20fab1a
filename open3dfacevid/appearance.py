"""Appearance descriptions: what a clip's face does, in plain words, with no emotion word.

A person asking for a face often says what its brows, eyes and mouth do rather than naming a
lexicon emotion. This module writes such sentences from a clip's ground truth: the FACS
recipe of its emotion (scaled by its intensity) becomes verb phrases region by region (brows,
eyes, nose, mouth, jaw), strongest first, with the subject, its head motion and any prompted
facial action. The phrase banks are built from the action units' FACS definitions
(:data:`modeling_tdmm.facs.ACTION_UNITS`), not from any evaluation prompt.

Language2Motion training adds these sentences to each clip's texts (``appearance_texts``), so
the text side learns to read faces described by their parts; the emotion family is still the
clip's, which the auxiliary family loss ties to the description.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .lexicon import get
from .prompts import HEAD_GERUNDS, article

#: an action unit's weight at apex (after the intensity scale) below which it is not described
VISIBLE = 0.22
#: weights above this are described with a strong adverb ("hard", "wide")
STRONG = 0.75
#: a faint expression's strongest unit is described as if it had this weight (the adverb says it is faint)
FAINT_PEAK = 0.5
#: intensity values (lexicon ``intensity`` scale) at or below which the description says the movement is small
FAINT_INTENSITY = 0.5


def _recipe(emotion: str, intensity: float) -> dict[str, float]:
    """``{AU name: apex weight}`` of ``emotion`` at ``intensity`` (one-sided units keep their ``_L``/``_R``);
    ``"jaw"`` is the jaw opening in radians, scaled like the weights."""
    descriptor = get(emotion)
    weights = {name: weight * intensity for name, weight in descriptor.recipe}
    weights["jaw"] = descriptor.jaw * intensity
    return weights


def _both(weights: dict[str, float], code: str) -> float:
    """The weight of ``code`` on both sides (a bilateral shape counts fully, a one-sided one not at all)."""
    return weights.get(code, 0.0)


def _one_side(weights: dict[str, float], code: str) -> float:
    """How much more ``code`` acts on one side than on the other."""
    return abs(weights.get(f"{code}_L", 0.0) - weights.get(f"{code}_R", 0.0))


def _pick(options: tuple[str, ...], rng: np.random.Generator) -> str:
    return options[int(rng.integers(len(options)))]


def _brows(w: dict[str, float], rng: np.random.Generator) -> tuple[float, str] | None:
    inner, outer, lower = _both(w, "AU1"), _both(w, "AU2"), _both(w, "AU4")
    if max(_one_side(w, "AU2"), _one_side(w, "AU4")) >= VISIBLE:
        return max(_one_side(w, "AU2"), _one_side(w, "AU4")), _pick((
            "raises one eyebrow", "cocks one brow", "lifts one brow higher than the other",
            "knits {p} brows unevenly, one higher than the other"), rng)
    if inner >= VISIBLE and lower >= VISIBLE and outer >= VISIBLE:
        return max(inner, lower), _pick(("raises {p} brows and draws them together", "pulls {p} brows up and together",
                                         "lifts and knits {p} brows"), rng)
    if inner >= VISIBLE and lower >= VISIBLE:
        return max(inner, lower), _pick(("tilts the inner ends of {p} brows upward", "draws {p} inner brows up and together",
                                         "knits {p} brows upward in the middle"), rng)
    if inner >= VISIBLE and outer >= VISIBLE:
        strength = (inner + outer) / 2
        return strength, _pick(("raises {p} eyebrows high", "shoots {p} brows up", "lifts {p} brows far up") if strength >= STRONG
                               else ("raises {p} eyebrows", "lifts {p} brows", "arches {p} brows"), rng)
    if lower >= VISIBLE:
        return lower, _pick(("brings {p} brows down hard", "furrows {p} brow deeply", "lowers {p} brows into a heavy frown")
                            if lower >= STRONG else ("lowers {p} brows", "furrows {p} brow", "draws {p} brows together"), rng)
    if inner >= VISIBLE:
        return inner, _pick(("lifts the inner ends of {p} brows", "raises {p} brows slightly in the middle"), rng)
    return None


def _eyes(w: dict[str, float], rng: np.random.Generator) -> list[tuple[float, str]]:
    phrases = []
    widen, tighten, cheeks, droop, closed = (_both(w, c) for c in ("AU5", "AU7", "AU6", "AU41", "AU43_lids"))
    if widen >= VISIBLE and tighten >= max(VISIBLE, 0.6 * widen) and closed < VISIBLE:  # anger's hard stare
        phrases.append((max(widen, tighten), _pick(("glares", "stares hard with tightened lids", "fixes {p} eyes in a hard stare"), rng)))
    elif widen >= VISIBLE:
        phrases.append((widen, _pick(("opens {p} eyes very wide", "stares wide-eyed") if widen >= STRONG
                                     else ("widens {p} eyes", "opens {p} eyes wider"), rng)))
    if tighten >= VISIBLE and closed >= VISIBLE:
        phrases.append((tighten, _pick(("squeezes {p} eyes nearly shut", "screws {p} eyes up tight"), rng)))
    elif tighten >= VISIBLE and widen < VISIBLE:
        phrases.append((tighten, _pick(("narrows {p} eyes", "tightens {p} lower lids", "squints"), rng)))
    if cheeks >= VISIBLE:
        phrases.append((cheeks, _pick(("lifts {p} cheeks", "crinkles the corners of {p} eyes", "bunches {p} cheeks up"), rng)))
    if droop >= VISIBLE or (closed >= VISIBLE and tighten < VISIBLE):
        phrases.append((max(droop, closed), _pick(("lets {p} eyelids droop", "keeps {p} lids heavy and half closed",
                                                   "lets {p} eyes sag half shut"), rng)))
    return phrases


def _mouth(w: dict[str, float], rng: np.random.Generator) -> list[tuple[float, str]]:
    phrases = []
    smile, dimple, down, lower_lip, chin = (_both(w, c) for c in ("AU12", "AU14", "AU15", "AU16", "AU17"))
    stretch, tight, press, funnel, parted = (_both(w, c) for c in ("AU20", "AU23", "AU24", "AU22", "AU25"))
    upper_lip, nose = _both(w, "AU10"), _both(w, "AU9")
    lopsided = max(_one_side(w, "AU12"), _one_side(w, "AU14"))
    if nose >= VISIBLE:
        phrases.append((nose, _pick(("wrinkles {p} nose", "scrunches up {p} nose", "crinkles {p} nose"), rng)))
    if upper_lip >= VISIBLE:
        phrases.append((upper_lip, _pick(("raises {p} upper lip", "curls {p} upper lip", "lifts {p} upper lip off {p} teeth"), rng)))
    if lopsided >= VISIBLE:
        phrases.append((lopsided, _pick(("pulls one corner of {p} mouth up", "tightens one side of {p} mouth",
                                         "gives a one-sided, crooked half-smile"), rng)))
    if smile >= VISIBLE:
        if parted >= VISIBLE:
            options = ("grins broadly, showing {p} teeth", "breaks into a wide open-mouthed grin") if smile >= STRONG \
                else ("smiles with {p} lips parted", "pulls {p} mouth corners up, lips apart")
        else:
            options = ("pulls {p} mouth corners up", "smiles with closed lips", "turns the corners of {p} mouth up")
        phrases.append((smile, _pick(options, rng)))
    elif parted >= VISIBLE and w.get("jaw", 0.0) < 0.12 and stretch < VISIBLE:
        phrases.append((parted, _pick(("parts {p} lips", "lets {p} lips fall apart"), rng)))
    if dimple >= VISIBLE and smile < VISIBLE:
        phrases.append((dimple, _pick(("tucks in the corners of {p} mouth", "dimples {p} mouth corners"), rng)))
    if down >= VISIBLE:
        phrases.append((down, _pick(("turns {p} mouth corners down", "lets the corners of {p} mouth droop",
                                     "pulls {p} mouth into a downturned curve"), rng)))
    if lower_lip >= VISIBLE:
        phrases.append((lower_lip, _pick(("pulls {p} lower lip down", "drops {p} lower lip"), rng)))
    if chin >= VISIBLE:
        phrases.append((chin, _pick(("pushes {p} lower lip up", "wrinkles {p} chin", "pushes {p} chin up"), rng)))
    if stretch >= VISIBLE:
        phrases.append((stretch, _pick(("stretches {p} lips sideways", "pulls {p} lips back tight", "draws {p} mouth wide and taut"), rng)))
    if funnel >= VISIBLE:
        phrases.append((funnel, _pick(("pushes {p} lips out", "pouts"), rng)))
    if press >= VISIBLE or tight >= VISIBLE:
        phrases.append((max(press, tight), _pick(("presses {p} lips into a thin line", "presses {p} lips together hard",
                                                  "clamps {p} lips tight") if max(press, tight) >= STRONG else
                                                 ("presses {p} lips together", "tightens {p} lips", "thins {p} lips"), rng)))
    if w.get("jaw", 0.0) >= 0.12:
        phrases.append((4 * w["jaw"], _pick(("drops {p} jaw open", "lets {p} mouth fall open", "hangs {p} mouth open"), rng)))
    return phrases


def face_phrases(emotion: str, intensity: float, rng: np.random.Generator, most: int = 4) -> list[str]:
    """Up to ``most`` verb phrases ("lowers {p} brows", ...; ``{p}`` stands for the possessive) for ``emotion``
    at ``intensity``, strongest first; ``[]`` for an emotion with no recipe (neutral). A faint expression is
    described by its strongest units: weights are rescaled so the strongest is at least :data:`FAINT_PEAK`."""
    weights = _recipe(emotion, intensity)
    peak = max((v for k, v in weights.items() if k != "jaw"), default=0.0)
    if 0.0 < peak < FAINT_PEAK:
        weights = {k: v * FAINT_PEAK / peak for k, v in weights.items()}
    found = [p for p in (_brows(weights, rng),) if p] + _eyes(weights, rng) + _mouth(weights, rng)
    found.sort(key=lambda item: -item[0])
    return [phrase for _, phrase in found[:most]]


def _join(phrases: list[str]) -> str:
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]


def _possessive(subject: dict[str, Any]) -> str:
    return {"woman": "her", "man": "his"}.get(str(subject.get("gender", "")), "their")


STILL_FACE = ("keeps {p} face perfectly still", "shows no expression at all", "holds a slack, motionless face",
              "keeps {p} features loose and motionless")


def appearance_sentence(attributes: dict[str, Any], rng: np.random.Generator) -> str:
    """One sentence describing the clip's face without emotion words, e.g. "A young woman lowers her brows,
    narrows her eyes and presses her lips together, shaking her head." (from ``attributes`` as the synthesizer
    writes them: ``emotions``, ``intensity_value``, ``subject``, ``head_motion``, ``actions``)."""
    subject = attributes.get("subject", {}) if isinstance(attributes.get("subject"), dict) else {}
    label = str(subject.get("label") or "person")
    emotions = [e for e in attributes.get("emotions", []) if e != "neutral"]
    intensity = float(attributes.get("intensity_value", 0.7))
    phrases = face_phrases(emotions[0], intensity, rng) if emotions else []
    if phrases and intensity <= FAINT_INTENSITY:
        phrases[0] = _pick(("slightly", "faintly", "barely"), rng) + " " + phrases[0]
    if len(emotions) > 1 and phrases:
        later = face_phrases(emotions[1], intensity, rng, most=2)
        phrases[-1] += ", then " + _join(later) if later else ""
    phrases += [_pick(get(action).synonyms, rng) for action in attributes.get("actions", [])]
    text = _join(phrases or [_pick(STILL_FACE, rng)])
    text = text.format(p=_possessive(subject) if rng.random() < 0.5 else "the")
    head = attributes.get("head_motion", {})
    head_name = head.get("name", "still") if isinstance(head, dict) else str(head or "still")
    if head_name in HEAD_GERUNDS and head_name != "still":
        text += ", " + _pick(HEAD_GERUNDS[head_name], rng)
    return f"{article(label)} {label} {text}."


def appearance_texts(attributes: dict[str, Any], count: int, seed: int) -> list[str]:
    """Up to ``count`` distinct appearance sentences for a clip (deterministic for ``seed``); none for a clip
    whose attributes do not record its emotions (real tracked data without labels: its face is unknown)."""
    if count <= 0 or "emotions" not in attributes or "intensity_value" not in attributes:
        return []
    rng = np.random.default_rng(seed)
    return list(dict.fromkeys(appearance_sentence(attributes, rng) for _ in range(count)))

"""What an emotion's face does, in plain words: the strongest action units of its FACS recipe as verb phrases.

``A young woman clearly lowers and knits the brows, tightens the lips and narrows the eyes`` says
what an angry face does without naming the emotion. The corpus writes a share of its prompts this
way (:func:`open3dfacevid.prompts.t2v_prompt`), so that a model trained on it learns the language
of facial movement, not only emotion names: people describe faces that way, and the held-out
paraphrases of the evaluation suite (written separately, with their own wording) test exactly that.
"""
from __future__ import annotations

import numpy as np

from .lexicon import Descriptor

# Action unit (both sides) -> verb phrases a person would use. ``_L`` / ``_R`` recipe entries are
# one-sided: their phrase is prefixed by "on one side,".
AU_PHRASES: dict[str, tuple[str, ...]] = {
    "AU1": ("raises the inner brows", "lifts the inner ends of the brows"),
    "AU2": ("raises the outer brows", "arches the brows"),
    "AU4": ("lowers and knits the brows", "draws the brows down and together"),
    "AU5": ("widens the eyes", "opens the eyes wide"),
    "AU6": ("lifts the cheeks", "raises the cheeks so the eyes crinkle"),
    "AU7": ("narrows the eyes", "tightens the eyelids"),
    "AU9": ("wrinkles the nose", "scrunches the nose"),
    "AU10": ("raises the upper lip", "lifts the upper lip"),
    "AU12": ("pulls the lip corners up", "draws the mouth corners up and back"),
    "AU14": ("tightens the mouth corners into dimples", "dimples the corners of the mouth"),
    "AU15": ("turns the mouth corners down", "pulls the corners of the mouth down"),
    "AU16": ("lowers the lower lip", "pulls the lower lip down"),
    "AU17": ("pushes the chin up", "raises the chin boss so the lower lip pouts"),
    "AU20": ("stretches the lips sideways", "pulls the lips back tight"),
    "AU22": ("funnels the lips", "pushes the lips out into a funnel"),
    "AU23": ("tightens the lips", "narrows the lips into a thin line"),
    "AU24": ("presses the lips together", "presses the lips tight"),
    "AU25": ("parts the lips", "lets the lips part"),
    "AU27": ("stretches the mouth wide open", "opens the mouth wide"),
    "AU41": ("lets the upper lids droop", "lets the eyelids sag"),
    "AU43_lids": ("half closes the eyes", "lets the eyes fall shut"),
}
MIN_WEIGHT = 0.25  # recipe entries weaker than this do not show clearly enough to name
MAX_PHRASES = 3


def _phrase(unit: str, rng: np.random.Generator) -> str | None:
    base, _, side = unit.partition("_")
    key = unit if unit in AU_PHRASES else base
    if key not in AU_PHRASES:
        return None
    options = AU_PHRASES[key]
    text = options[int(rng.integers(len(options)))]
    return f"{text} on one side" if side in ("L", "R") else text


def _join(phrases: list[str]) -> str:
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]


def appearance_clause(emotion: Descriptor, rng: np.random.Generator) -> str | None:
    """``"lowers and knits the brows, tightens the lips and narrows the eyes"``: the emotion's
    ``MAX_PHRASES`` strongest recipe units, strongest first; None if none shows clearly."""
    strongest: dict[str, tuple[float, str]] = {}  # AU12 and AU12_L are one movement: keep the stronger
    for unit, weight in emotion.recipe:
        base = unit if unit in AU_PHRASES else unit.partition("_")[0]
        if weight >= MIN_WEIGHT and weight > strongest.get(base, (0.0, ""))[0]:
            strongest[base] = (weight, unit)
    units = [u for _, u in sorted(strongest.values(), reverse=True)]
    phrases = [p for u in units if (p := _phrase(u, rng)) is not None]
    return _join(phrases[:MAX_PHRASES]) if phrases else None

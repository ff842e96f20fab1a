"""Subject descriptors (age, gender presentation, appearance) and their identity distributions.

What each word means in the face model's identity space lives beside the model
(:mod:`modeling_tdmm.subjects`, open-head-v2's 21 components); the corpus draws a
subject's identity around its mean with a per-component spread (``IDENTITY_SPREAD`` there: the
proportions vary, the hair style and other defining attributes hardly). The corpus balances
the adult ages below; "child" is known to the face model (prompts may name one) but not
sampled here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from modeling_tdmm import subjects as identity_space

AGES = {age: identity_space.AGES[age] for age in ("young adult", "middle-aged", "elderly")}
GENDERS = identity_space.GENDERS
APPEARANCES = identity_space.APPEARANCES


@dataclass(frozen=True)
class Subject:
    age: str
    gender: str
    appearance: str = ""

    @property
    def label(self) -> str:
        """"middle-aged woman with a round face"."""
        return " ".join(p for p in (self.age, self.gender, self.appearance) if p)

    @property
    def category(self) -> str:
        """The balanced subject category (age x gender presentation)."""
        return f"{self.age} {self.gender}"

    def mean_identity(self) -> np.ndarray:
        """``[21]`` open-head-v2 identity at the centre of this subject's distribution."""
        return identity_space.mean_identity(self.age, self.gender, self.appearance)

    def sample_identity(self, rng: np.random.Generator) -> np.ndarray:
        """Identity coefficients ``[21]`` drawn for this subject (spread ``identity_space.IDENTITY_SPREAD``)."""
        noise = rng.normal(size=len(identity_space.IDENTITY_NAMES)) * identity_space.IDENTITY_SPREAD
        return (self.mean_identity() + noise).astype(np.float32)

    def to_dict(self) -> dict[str, str]:
        return {"age": self.age, "gender": self.gender, "appearance": self.appearance, "label": self.label}


def subject_categories() -> list[tuple[str, str]]:
    """Every (age, gender presentation) pair: the categories the sampler balances."""
    return [(a, g) for a in AGES for g in GENDERS]

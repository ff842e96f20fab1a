"""Subject descriptors (age, gender presentation, appearance) and their identity distributions.

Each word shifts the mean of open-head-v1's 12 identity components (in standard deviations,
order ``IDENTITY_COMPONENTS`` below); a subject's identity is drawn around the sum of its
words' shifts with a spread of ``IDENTITY_SPREAD``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

IDENTITY_COMPONENTS = (
    "head width", "face length", "jaw width", "nose length", "nose width", "cheek fullness",
    "brow height", "chin projection", "head depth", "lip fullness", "eye spacing", "face roundness",
)
IDENTITY_SPREAD = 0.45


def _shift(**kwargs: float) -> tuple[float, ...]:
    keys = [c.replace(" ", "_") for c in IDENTITY_COMPONENTS]
    unknown = set(kwargs) - set(keys)
    if unknown:
        raise KeyError(f"unknown identity components {sorted(unknown)}")
    return tuple(kwargs.get(k, 0.0) for k in keys)


AGES: dict[str, tuple[float, ...]] = {
    "young adult": _shift(face_roundness=0.4, cheek_fullness=0.4, face_length=-0.2),
    "middle-aged": _shift(jaw_width=0.2, cheek_fullness=-0.1),
    "elderly": _shift(cheek_fullness=-0.7, face_length=0.4, lip_fullness=-0.5, nose_length=0.4),
}
GENDERS: dict[str, tuple[float, ...]] = {
    "woman": _shift(jaw_width=-0.7, lip_fullness=0.5, cheek_fullness=0.3, brow_height=0.3, head_width=-0.3, chin_projection=-0.3),
    "man": _shift(jaw_width=0.7, chin_projection=0.4, nose_length=0.4, brow_height=-0.3, head_width=0.3),
    "person": _shift(),
}
APPEARANCES: dict[str, tuple[float, ...]] = {
    "": _shift(),
    "with a round face": _shift(face_roundness=1.5, face_length=-0.8, cheek_fullness=0.8),
    "with a long face": _shift(face_length=1.6, face_roundness=-0.6),
    "with a square jaw": _shift(jaw_width=1.5, chin_projection=0.5),
    "with a narrow face": _shift(head_width=-1.4, jaw_width=-0.8),
    "with high cheekbones": _shift(cheek_fullness=1.2, face_roundness=-0.4),
    "with a broad nose": _shift(nose_width=1.6),
    "with a long nose": _shift(nose_length=1.6),
    "with full lips": _shift(lip_fullness=1.6),
    "with thin lips": _shift(lip_fullness=-1.4),
    "with a prominent chin": _shift(chin_projection=1.6),
    "with wide-set eyes": _shift(eye_spacing=1.5),
    "with close-set eyes": _shift(eye_spacing=-1.5),
    "with a heavy brow": _shift(brow_height=-1.3),
}


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
        return np.sum([AGES[self.age], GENDERS[self.gender], APPEARANCES[self.appearance]], axis=0)

    def sample_identity(self, rng: np.random.Generator) -> np.ndarray:
        """Identity coefficients ``[12]`` (standard deviations) drawn for this subject."""
        return (self.mean_identity() + rng.normal(scale=IDENTITY_SPREAD, size=len(IDENTITY_COMPONENTS))).astype(np.float32)

    def to_dict(self) -> dict[str, str]:
        return {"age": self.age, "gender": self.gender, "appearance": self.appearance, "label": self.label}


def subject_categories() -> list[tuple[str, str]]:
    """Every (age, gender presentation) pair: the categories the sampler balances."""
    return [(a, g) for a in AGES for g in GENDERS]

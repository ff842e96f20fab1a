"""Subjects on open-head-v2: what "a young woman", "an elderly man" or "a child" means in its identity space.

Each descriptor word shifts the mean of open-head-v2's 21 identity components (order
``IDENTITY_NAMES``; the first 12 in standard deviations, the appended attribute components
with 1 = the attribute fully present). A subject's mean identity is the sum of its age,
gender-presentation and appearance shifts plus a hair style chosen by age and gender.
The corpus draws identities around these means (``open3dfacevid.subjects``); text-to-motion
renders the mean of the subject its prompt names (:func:`subject_identity`).
"""
from __future__ import annotations

import re

import numpy as np

from .attributes import ATTRIBUTE_COMPONENTS
from .shapes import IDENTITY_COMPONENTS

IDENTITY_NAMES = tuple(IDENTITY_COMPONENTS) + tuple(ATTRIBUTE_COMPONENTS)
#: Spread of the corpus' identities around a subject's mean, per component: the proportions
#: vary freely, the attributes that make the subject what it is vary little.
IDENTITY_SPREAD = np.array([0.45] * len(IDENTITY_COMPONENTS) + [0.25, 0.25, 0.0, 0.15, 0.0, 0.0, 0.2, 0.45, 0.0],
                           dtype=np.float32)


def identity_shift(**components: float) -> np.ndarray:
    """``[21]`` identity coefficients with the named components set (``jaw_width=0.7``)."""
    keys = [c.replace(" ", "_") for c in IDENTITY_NAMES]
    unknown = set(components) - set(keys)
    if unknown:
        raise KeyError(f"unknown identity components {sorted(unknown)}; expected some of {keys}")
    return np.array([components.get(k, 0.0) for k in keys], dtype=np.float32)


AGES: dict[str, np.ndarray] = {
    "child": identity_shift(child_proportions=1.0, cheek_fullness=0.8, face_roundness=0.8, nose_length=-1.0,
                            nose_width=-0.3, chin_projection=-0.8, jaw_width=-0.6, face_length=-0.8, brow_ridge=-1.0,
                            neck_thickness=-1.2, lip_fullness=0.3),
    "young adult": identity_shift(face_roundness=0.4, cheek_fullness=0.4, face_length=-0.2),
    "middle-aged": identity_shift(jaw_width=0.2, cheek_fullness=-0.1, sagging=0.35, body_weight=0.3),
    "elderly": identity_shift(cheek_fullness=-0.7, face_length=0.4, lip_fullness=-0.5, nose_length=0.4, sagging=1.0,
                              grey_hair=1.0),
}
GENDERS: dict[str, np.ndarray] = {
    "woman": identity_shift(jaw_width=-0.7, lip_fullness=0.5, cheek_fullness=0.3, brow_height=0.3, head_width=-0.3,
                            chin_projection=-0.3, brow_ridge=-1.0, neck_thickness=-0.8),
    "man": identity_shift(jaw_width=0.7, chin_projection=0.4, nose_length=0.4, brow_height=-0.3, head_width=0.3,
                          brow_ridge=1.0, neck_thickness=0.8),
    "person": identity_shift(),
}
APPEARANCES: dict[str, np.ndarray] = {
    "": identity_shift(),
    "with a round face": identity_shift(face_roundness=1.5, face_length=-0.8, cheek_fullness=0.8),
    "with a long face": identity_shift(face_length=1.6, face_roundness=-0.6),
    "with a square jaw": identity_shift(jaw_width=1.5, chin_projection=0.5),
    "with a narrow face": identity_shift(head_width=-1.4, jaw_width=-0.8),
    "with high cheekbones": identity_shift(cheek_fullness=1.2, face_roundness=-0.4),
    "with a broad nose": identity_shift(nose_width=1.6),
    "with a long nose": identity_shift(nose_length=1.6),
    "with full lips": identity_shift(lip_fullness=1.6),
    "with thin lips": identity_shift(lip_fullness=-1.4),
    "with a prominent chin": identity_shift(chin_projection=1.6),
    "with wide-set eyes": identity_shift(eye_spacing=1.5),
    "with close-set eyes": identity_shift(eye_spacing=-1.5),
    "with a heavy brow": identity_shift(brow_height=-1.3, brow_ridge=1.0),
}
#: Builds a prompt may name besides the corpus' appearances (words -> shift).
BUILDS: dict[str, np.ndarray] = {
    "heavy-set": identity_shift(body_weight=1.6, face_roundness=0.8, cheek_fullness=0.6, neck_thickness=0.6),
    "slim": identity_shift(body_weight=-1.0, cheek_fullness=-0.6, face_roundness=-0.5),
}


def hair_style(age: str, gender: str) -> np.ndarray:
    """The hair (and stubble) a subject is drawn with: women and girls long hair (elderly women
    short, full grey hair), men short hair and a beard shadow, children no beard."""
    if gender == "woman":
        return identity_shift(hair_volume=1.0) if age == "elderly" else identity_shift(long_hair=1.0, hair_volume=0.4)
    if gender == "man" and age != "child":
        return identity_shift(beard_shadow=0.8)
    return identity_shift()


def mean_identity(age: str, gender: str, appearance: str = "", build: str = "") -> np.ndarray:
    """``[21]`` mean identity of a subject (one key of each table; ``build`` "" or a :data:`BUILDS` key)."""
    for value, table, what in ((age, AGES, "age"), (gender, GENDERS, "gender"), (appearance, APPEARANCES, "appearance"),
                               (build, BUILDS | {"": None}, "build")):
        if value not in table:
            raise KeyError(f"unknown subject {what} {value!r}; expected one of {sorted(table)}")
    build_shift = BUILDS[build] if build else identity_shift()
    return AGES[age] + GENDERS[gender] + APPEARANCES[appearance] + build_shift + hair_style(age, gender)


_WORDS = {
    "gender": [
        (r"\b(girls?|daughters?)\b", ("woman", "child")), (r"\b(boys?|sons?)\b", ("man", "child")),
        (r"\b(women|woman|ladies|lady|female|she|her|grandmothers?|grandma|mother|mom|actress)\b", ("woman", None)),
        (r"\b(men|man|gentleman|gentlemen|guys?|male|he|his|him|grandfathers?|grandpa|father|dad|actor)\b", ("man", None)),
    ],
    "age": [
        (r"\b(child|children|kids?|toddlers?|girls?|boys?)\b", "child"),
        (r"\bmiddle[- ]aged\b", "middle-aged"),
        (r"\b(elderly|old|older|senior|aged|grandmothers?|grandfathers?|grandma|grandpa)\b", "elderly"),
        (r"\b(young|youthful|teenage|teenager)\b", "young adult"),
    ],
    "build": [
        (r"\b(heavy[- ]set|heavyset|heavy|stocky|overweight|chubby|plump|fat)\b", "heavy-set"),
        (r"\b(slim|slender|thin|skinny|lean)\b(?! lips)", "slim"),
    ],
}


def parse_subject(text: str) -> dict[str, str]:
    """The subject a prompt names: ``{"age", "gender", "appearance", "build"}`` (defaults
    "young adult", "person", "", ""); the first gender word counts; "girl"/"boy" imply a child
    unless an elderly word says otherwise."""
    lowered = text.lower()
    subject = {"age": "", "gender": "person", "appearance": "", "build": ""}
    implied_age = None
    first = len(lowered) + 1
    for pattern, (gender, age) in _WORDS["gender"]:
        match = re.search(pattern, lowered)
        if match and match.start() < first:
            first, subject["gender"], implied_age = match.start(), gender, age
    ages = [age for pattern, age in _WORDS["age"] if re.search(pattern, lowered)]  # "middle-aged" before "aged"
    if implied_age == "child":  # "a young girl" is a child, "an old boy" is not
        ages = [a for a in ages if a == "elderly"] or ["child"]
    subject["age"] = ages[0] if ages else "young adult"
    for pattern, build in _WORDS["build"]:
        if re.search(pattern, lowered):
            subject["build"] = build
            break
    subject["appearance"] = next((a for a in APPEARANCES if a and a in lowered), "")
    return subject


def subject_identity(text: str) -> np.ndarray:
    """``[21]`` open-head-v2 identity of the subject ``text`` names (:func:`parse_subject`, mean, no noise)."""
    return mean_identity(**parse_subject(text))


__all__ = ["AGES", "APPEARANCES", "BUILDS", "GENDERS", "IDENTITY_NAMES", "IDENTITY_SPREAD", "hair_style",
           "identity_shift", "mean_identity", "parse_subject", "subject_identity"]

"""Subjects on open-head-v2: what "a young woman", "an elderly man" or "a child" means in its identity space.

Each descriptor word shifts the mean of open-head-v2's 21 identity components (order
``IDENTITY_NAMES``; the first 12 in standard deviations, the appended attribute components
with 1 = the attribute fully present). A subject's mean identity is the sum of its age,
gender-presentation and appearance shifts plus a hair style chosen by age and gender.
The corpus draws identities around these means (``open3dfacevid.subjects``); text-to-motion
renders the mean of the subject its prompt names (:func:`subject_identity`). Like
:mod:`modeling_tdmm.facs` for the expression basis, this module names and explains the open
head's identity parameters without building the head. It imports only ``re`` and numpy: a published
Language2Motion ships it beside ``pipeline_tdmm.py``, whose remote pipeline gives the same identity.
"""
from __future__ import annotations

import re

import numpy as np

#: open-head-v1's identity components (in standard deviations; ``open_head.shapes`` builds them).
IDENTITY_COMPONENTS = (
    "head width", "face length", "jaw width", "nose length", "nose width", "cheek fullness",
    "brow height", "chin projection", "head depth", "lip fullness", "eye spacing", "face roundness",
)
#: The subject attributes open-head-v2 appends (1 = fully present; ``open_head.attributes`` builds them).
ATTRIBUTE_COMPONENTS = (
    "brow ridge", "neck thickness", "long hair", "hair volume", "grey hair", "child proportions",
    "sagging", "body weight", "beard shadow",
)
IDENTITY_NAMES = IDENTITY_COMPONENTS + ATTRIBUTE_COMPONENTS
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


#: Subject nouns -> (gender presentation, implied age or None).
_NOUNS: dict[str, tuple[str, str | None]] = {
    **dict.fromkeys(("woman", "women", "lady", "ladies", "female", "mother", "mom", "actress", "wife", "sister"), ("woman", None)),
    **dict.fromkeys(("grandmother", "grandma"), ("woman", "elderly")),
    **dict.fromkeys(("girl", "girls", "daughter"), ("woman", "child")),
    **dict.fromkeys(("man", "men", "gentleman", "gentlemen", "guy", "guys", "male", "father", "dad", "actor", "husband",
                     "brother"), ("man", None)),
    **dict.fromkeys(("grandfather", "grandpa"), ("man", "elderly")),
    **dict.fromkeys(("boy", "boys", "son"), ("man", "child")),
    **dict.fromkeys(("person", "people", "someone", "somebody", "individual"), ("person", None)),
    **dict.fromkeys(("child", "children", "kid", "kids", "toddler", "baby"), ("person", "child")),
}
_PRONOUNS = {"she": "woman", "her": "woman", "he": "man", "his": "man", "him": "man"}
#: Words just before the subject noun (up to :data:`_WINDOW` words, within its sentence).
_AGE_WORDS = {"young": "young adult", "youthful": "young adult", "teenage": "young adult", "elderly": "elderly",
              "old": "elderly", "older": "elderly", "senior": "elderly", "middle-aged": "middle-aged"}
_BUILD_WORDS = {"heavy-set": "heavy-set", "heavyset": "heavy-set", "stocky": "heavy-set", "overweight": "heavy-set",
                "chubby": "heavy-set", "plump": "heavy-set", "portly": "heavy-set", "slim": "slim", "slender": "slim",
                "skinny": "slim"}
_WINDOW = 4


def _age_of_years(years: int) -> str:
    return "child" if years < 13 else "young adult" if years < 36 else "middle-aged" if years < 60 else "elderly"


def parse_subject(text: str) -> dict[str, str]:
    """The subject a prompt names: ``{"age", "gender", "appearance", "build"}`` (defaults
    "young adult", "person", "", "").

    The subject is the first subject noun ("woman", "boy", "someone", ...; a pronoun when there is
    none); its age and build come from the few words just before it ("a heavy-set middle-aged man",
    "a 30-year-old woman") or "aged N" just after, so other people in the sentence ("talks to an
    old woman") and other uses of a word ("a heavy frown") do not count. "girl", "boy", "kid" imply
    a child unless an age word says otherwise."""
    lowered = text.lower().replace("middle aged", "middle-aged")
    tokens = re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*|[.!?;:,]", lowered)
    subject = {"age": "", "gender": "person", "appearance": "", "build": ""}
    noun = next((i for i, t in enumerate(tokens) if t in _NOUNS), None)
    if noun is None:
        pronoun = next((t for t in tokens if t in _PRONOUNS), None)
        subject["gender"] = _PRONOUNS.get(pronoun, "person")
        subject["age"] = "young adult"
    else:
        subject["gender"], implied_age = _NOUNS[tokens[noun]]
        before: list[str] = []
        for token in reversed(tokens[max(0, noun - _WINDOW):noun]):
            if token in ".!?;:":
                break
            before.append(token)
        for token in before:
            years = re.fullmatch(r"(\d{1,3})-years?-old", token)
            age = _age_of_years(int(years.group(1))) if years else _AGE_WORDS.get(token)
            if age and not subject["age"]:
                subject["age"] = age
            if token in _BUILD_WORDS and not subject["build"]:
                subject["build"] = _BUILD_WORDS[token]
        after = tokens[noun + 1:noun + 3]
        if not subject["age"] and len(after) == 2 and after[0] == "aged" and after[1].isdigit():
            subject["age"] = _age_of_years(int(after[1]))
        if implied_age == "child" and subject["age"] in ("young adult", "middle-aged"):
            subject["age"] = "child"  # "a young girl"
        subject["age"] = subject["age"] or implied_age or "young adult"
    subject["appearance"] = next((a for a in APPEARANCES if a and a in lowered), "")
    return subject


def subject_identity(text: str) -> np.ndarray:
    """``[21]`` open-head-v2 identity of the subject ``text`` names (:func:`parse_subject`, mean, no noise)."""
    return mean_identity(**parse_subject(text))


__all__ = ["AGES", "APPEARANCES", "ATTRIBUTE_COMPONENTS", "BUILDS", "GENDERS", "IDENTITY_COMPONENTS", "IDENTITY_NAMES", "IDENTITY_SPREAD", "hair_style",
           "identity_shift", "mean_identity", "parse_subject", "subject_identity"]

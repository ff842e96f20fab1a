"""FACS action units of open-head-v1's expression basis: codes, names and the 50 shape names.

The synthesizer, the head builder and the renders all read the names from here, so the order
of the 50 expression coefficients has one definition (a FLAME clip's 50 are PCA components
and have no names).
"""
from __future__ import annotations

__all__ = ["ACTION_UNITS", "FACS_APEX_MAX", "expression_names", "describe"]

#: The largest coefficient of an open-head-v1 expression shape (1 = the unit's apex; clips go a little past it).
FACS_APEX_MAX = 1.2

# FACS action units: (code, name, bilateral). Bilateral units get _L and _R shapes.
ACTION_UNITS = [
    ("AU1", "inner brow raiser", True),
    ("AU2", "outer brow raiser", True),
    ("AU4", "brow lowerer", True),
    ("AU5", "upper lid raiser", True),
    ("AU6", "cheek raiser", True),
    ("AU7", "lid tightener", True),
    ("AU9", "nose wrinkler", True),
    ("AU10", "upper lip raiser", True),
    ("AU11", "nasolabial deepener", True),
    ("AU12", "lip corner puller", True),
    ("AU13", "sharp lip puller", True),
    ("AU14", "dimpler", True),
    ("AU15", "lip corner depressor", True),
    ("AU16", "lower lip depressor", True),
    ("AU17", "chin raiser", False),
    ("AU18", "lip pucker", False),
    ("AU20", "lip stretcher", True),
    ("AU21", "neck tightener", False),
    ("AU22", "lip funneler", False),
    ("AU23", "lip tightener", False),
    ("AU24", "lip presser", False),
    ("AU25", "lips part", False),
    ("AU27", "mouth stretch", False),
    ("AU28", "lip suck", False),
    ("AU29", "jaw thrust", False),
    ("AU31", "jaw clencher", False),
    ("AU34", "cheek puff", True),
    ("AU35", "cheek suck", False),
    ("AU38", "nostril dilator", False),
    ("AU39", "nostril compressor", False),
    ("AU41", "lid droop", True),
    ("AU44", "squint", True),
]


def expression_names() -> list[str]:
    """The 50 shape names, e.g. ``AU12_L`` (subject's left), ``AU25``."""
    names = []
    for code, _, bilateral in ACTION_UNITS:
        names += [f"{code}_L", f"{code}_R"] if bilateral else [code]
    return names


def describe(name: str) -> str:
    """Human-readable label: ``AU12_L`` -> ``AU12 lip corner puller (left)``."""
    code, _, side = name.partition("_")
    label = {c: n for c, n, _ in ACTION_UNITS}[code]
    return f"{code} {label}" + {"L": " (left)", "R": " (right)", "": ""}[side]

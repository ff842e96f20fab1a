"""Subject attributes of open-head-v2: identity components that show sex, age, build and hair.

open-head-v1's 12 identity components change proportions (head width, jaw width, nose ...)
but every combination still reads as the same short-haired adult man. open-head-v2 appends
the components below, so a woman, a child, an elderly man or a heavy-set person reads at a
glance. Each is a displacement field ``[V, 3]`` in metres and a colour change ``[V, 3]``
(albedo, RGB in [0, 1] units) at coefficient 1, the attribute fully present; both are linear
in the coefficient, like every FLAME-format identity column. Colour columns only touch skin
vertices; most components move geometry only, grey hair and beard shadow change colour only,
long hair does both.

Limits, by construction: grey hair colours the short cap and the brows, not the long hair
(colours add, they do not multiply), so a subject with long grey hair shows grey on top and
dark hair below; the hair is part of the one skin surface (no strands, no fringe over the eyes).
"""
from __future__ import annotations

import numpy as np

from ..subjects import ATTRIBUTE_COMPONENTS
from .rig import BROWS, HAIR, SKIN, Head, brow_mask, hair_cap, lip_mask
from .shapes import _Fields
from .surface import smoothstep

GREY = np.array([0.74, 0.72, 0.70])
STUBBLE = np.array([0.52, 0.44, 0.41])



def _radial(v: np.ndarray, centre_z: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal distance from the vertical axis through ``(0, ·, centre_z)`` ``[N]`` and its unit direction ``[N, 3]``."""
    offset = np.stack([v[:, 0], np.zeros(len(v)), v[:, 2] - centre_z], 1)
    radius = np.linalg.norm(offset, axis=1)
    return radius, offset / np.maximum(radius, 1e-9)[:, None]


def _brow_ridge(f: _Fields) -> tuple[np.ndarray, np.ndarray]:
    """A heavier supraorbital ridge and glabella (forward and slightly down) with darker brows
    (negative: a smooth brow with lighter, thinner-looking brows)."""
    x, y = f.v[:, 0], f.v[:, 1]
    eyes = (f.head.part == 1) | (f.head.part == 2)
    w = np.exp(-(((y - 0.034) / 0.008) ** 2)) * np.exp(-((x / 0.05) ** 4)) * f.front * (1 - eyes)
    return w[:, None] * np.array([0.0, -0.0008, 0.0042]), (0.3 * brow_mask(f.v) * f.skin)[:, None] * (BROWS - SKIN)


def _neck(f: _Fields) -> np.ndarray:
    """A wider neck and a laryngeal prominence at the front."""
    v = f.v
    radius, out = _radial(v, centre_z=-0.01)
    below_jaw = smoothstep(-0.095, -0.125, v[:, 1]) * f.skin
    d = out * (0.007 * below_jaw)[:, None]
    larynx = np.exp(-((v[:, 0] / 0.009) ** 2 + ((v[:, 1] + 0.128) / 0.011) ** 2)) * (v[:, 2] > 0.0) * f.skin
    return d + larynx[:, None] * np.array([0.0, 0.0, 0.005])


def _behind_ears(v: np.ndarray, start: float = 1.5) -> np.ndarray:
    """Weight of the long-hair region: behind the ears (azimuth from ``start`` rad), from the cap
    down to the shoulders ``[N]``."""
    azimuth = np.abs(np.arctan2(v[:, 0], v[:, 2]))
    return smoothstep(start, start + 0.35, azimuth) * smoothstep(-0.174, -0.15, v[:, 1])


def _long_hair(f: _Fields) -> tuple[np.ndarray, np.ndarray]:
    """Hair falling behind the ears to the shoulders: the neck behind the ears pushed out to the
    skull's width plus the hair's thickness, and coloured as hair."""
    v = f.v
    radius, out = _radial(v)
    azimuth = np.arctan2(v[:, 0], v[:, 2])
    # The skull's outline at ear height: an ellipse 2 x 8.8 cm wide, 2 x 10.8 cm deep (the ears left out).
    skull = 1 / np.sqrt((np.sin(azimuth) / 0.088) ** 2 + (np.cos(azimuth) / 0.108) ** 2)
    below = smoothstep(0.02, -0.02, v[:, 1])
    region = _behind_ears(v) * f.skin
    push = np.clip(skull + 0.004 - radius, 0.0, None) * below + 0.006 * (1 - below)
    geometry = out * (push * region)[:, None]
    coloured = _behind_ears(v, start=1.3) * f.skin  # ahead of the geometry, so the hair's front edge is hair
    uncovered = coloured * (1 - hair_cap(v))
    return geometry, uncovered[:, None] * (HAIR - SKIN)[None, :]


def _hair_volume(f: _Fields) -> np.ndarray:
    """Fuller hair on the cap: cap vertices pushed out from the skull's centre."""
    centre = np.array([0.0, 0.02, -0.005])
    out = f.v - centre
    out /= np.maximum(np.linalg.norm(out, axis=1), 1e-9)[:, None]
    sides = 1 + 0.6 * smoothstep(0.03, 0.07, np.abs(f.v[:, 0]))  # fuller at the sides: a rounder outline
    return out * (0.009 * sides * hair_cap(f.v) * f.skin)[:, None]


def _grey_hair(f: _Fields) -> np.ndarray:
    """Colour only: the hair cap and the brows turn grey."""
    cap = hair_cap(f.v) * f.skin
    brows = 0.85 * brow_mask(f.v) * f.skin * (1 - cap)
    return cap[:, None] * (GREY - HAIR) + brows[:, None] * (GREY - BROWS)


def _child(f: _Fields) -> np.ndarray:
    """A child's proportions: the face below the brows smaller, the cranium larger; the eyes keep
    their size (moved, not scaled), so they look large in the face."""
    v = f.v
    y, z = v[:, 1], v[:, 2]
    centre = np.array([0.0, 0.025, 0.06])
    face = smoothstep(0.05, 0.02, y) * smoothstep(-0.04, 0.03, z) * smoothstep(-0.135, -0.105, y)
    face = np.where(f.head.part > 0, 1.0, face)
    d = -0.2 * (v - centre) * face[:, None]
    for label, eye_centre in ((1, f.head.surface.eye_centres[0]), (2, f.head.surface.eye_centres[1])):
        rigid = -0.2 * (eye_centre - centre)
        near = np.exp(-(np.sum((v - eye_centre) ** 2, 1) / 0.016 ** 2))
        near = np.where(f.head.part == label, 1.0, np.where(f.head.part > 0, 0.0, near))
        d = d * (1 - near[:, None]) + rigid[None, :] * near[:, None]
    cranium = smoothstep(0.02, 0.07, y) * f.skin
    d += 0.08 * (v - np.array([0.0, 0.02, -0.01])) * cranium[:, None]
    return d


def _sagging(f: _Fields) -> np.ndarray:
    """Age: jowls, deeper nasolabial folds, bags under the eyes, outer brows and neck drooping."""
    d = np.zeros_like(f.v)
    for s in (1, -1):
        d += f.blob(np.array([s * 0.045, -0.078, 0.058]), 0.014)[:, None] * np.array([s * 0.002, -0.0045, 0.001])
        d += f.blob(np.array([s * 0.031, -0.036, 0.086]), (0.009, 0.012, 0.03))[:, None] * np.array([0.0, -0.002, 0.003])
        d += f.blob(np.array([s * 0.032, 0.004, 0.081]), (0.011, 0.004, 0.03))[:, None] * np.array([0.0, -0.001, 0.0022])
        d += f.blob(f.point("left_brow_outer" if s > 0 else "right_brow_outer"), 0.012)[:, None] * np.array([0.0, -0.003, 0.0])
        d += f.blob(np.array([s * 0.052, -0.03, 0.06]), 0.012)[:, None] * np.array([-s * 0.002, 0.0, -0.002])
    wattle = np.exp(-((f.v[:, 0] / 0.02) ** 2 + ((f.v[:, 1] + 0.112) / 0.014) ** 2)) * (f.v[:, 2] > 0.02) * f.skin
    return d + wattle[:, None] * np.array([0.0, -0.004, 0.003])


def _body_weight(f: _Fields) -> np.ndarray:
    """A heavier build: fuller lower cheeks and jowls, a double chin and a thicker neck."""
    v = f.v
    d = np.zeros_like(v)
    for s in (1, -1):
        d += f.blob(np.array([s * 0.045, -0.055, 0.06]), 0.02)[:, None] * np.array([s * 0.005, -0.001, 0.003])
    chin = np.exp(-((v[:, 0] / 0.03) ** 2 + ((v[:, 1] + 0.108) / 0.013) ** 2)) * (v[:, 2] > 0.0) * f.skin
    d += chin[:, None] * np.array([0.0, -0.005, 0.007])
    _, out = _radial(v, centre_z=-0.01)
    return d + out * (0.006 * smoothstep(-0.095, -0.125, v[:, 1]) * f.skin)[:, None]


def _beard_shadow(f: _Fields) -> np.ndarray:
    """Colour only: stubble over the upper lip, chin, jaw and lower cheeks (not the lips)."""
    v = f.v
    x, y, z = v[:, 0], v[:, 1], v[:, 2]
    area = smoothstep(-0.018, -0.036, y) * smoothstep(-0.118, -0.100, y) * smoothstep(-0.005, 0.02, z)
    area *= 1 - smoothstep(0.072, 0.082, np.abs(x))
    area *= 1 - np.exp(-((x / 0.016) ** 2 + ((y + 0.030) / 0.006) ** 2))  # the nostrils' shadow is not stubble
    area *= (1 - lip_mask(v)) * f.skin
    return area[:, None] * (STUBBLE - SKIN)


def attribute_dirs(head: Head) -> tuple[np.ndarray, np.ndarray]:
    """``(geometry [V, 3, K], albedo [V, 3, K])`` of :data:`~modeling_tdmm.subjects.ATTRIBUTE_COMPONENTS` at coefficient 1."""
    f = _Fields(head)
    zero = np.zeros_like(head.vertices)
    long_geometry, long_colour = _long_hair(f)
    columns = {
        "brow ridge": _brow_ridge(f),
        "neck thickness": (_neck(f), zero),
        "long hair": (long_geometry, long_colour),
        "hair volume": (_hair_volume(f), zero),
        "grey hair": (zero, _grey_hair(f)),
        "child proportions": (_child(f), zero),
        "sagging": (_sagging(f), zero),
        "body weight": (_body_weight(f), zero),
        "beard shadow": (zero, _beard_shadow(f)),
    }
    return (np.stack([columns[n][0] for n in ATTRIBUTE_COMPONENTS], -1),
            np.stack([columns[n][1] for n in ATTRIBUTE_COMPONENTS], -1))


__all__ = ["attribute_dirs"]

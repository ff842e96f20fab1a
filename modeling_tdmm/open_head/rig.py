"""Assemble open-head-v1: skin + parts, skinning weights, joint regressor and colours."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .parts import Part, eyeball, mouth_cavity, teeth_arch
from .surface import MOUTH_HALF_WIDTH, Y_EYE, Y_MOUTH, Surface, build_surface, gauss, smoothstep

SKIN = np.array([0.80, 0.62, 0.52])
LIPS = np.array([0.70, 0.38, 0.37])
BROWS = np.array([0.30, 0.22, 0.16])
HAIR = np.array([0.24, 0.17, 0.12])
NOSTRIL = np.array([0.45, 0.28, 0.24])

GLOBAL, NECK, JAW, LEFT_EYE, RIGHT_EYE = range(5)
PARENTS = np.array([-1, GLOBAL, NECK, NECK, NECK])


@dataclass
class Head:
    """The assembled rest mesh and per-vertex labels (all arrays indexed by vertex)."""

    vertices: np.ndarray
    faces: np.ndarray
    colors: np.ndarray
    part: np.ndarray            # 0 skin, 1 left eye, 2 right eye, 3 upper teeth, 4 lower teeth, 5 cavity
    surface: Surface
    weights: np.ndarray = field(default_factory=lambda: np.zeros((0, 5)))
    regressor: np.ndarray = field(default_factory=lambda: np.zeros((5, 0)))
    landmarks: dict[str, int] = field(default_factory=dict)

    @property
    def num_skin(self) -> int:
        return len(self.surface.vertices)


def skin_colors(v: np.ndarray) -> np.ndarray:
    """Albedo for skin vertices ``[N, 3]``: skin, lips, brows, nostrils and a short hair cap."""
    x, y, z = v[:, 0], v[:, 1], v[:, 2]
    colors = np.tile(SKIN, (len(v), 1))
    lips = lip_mask(v)
    colors = colors * (1 - lips[:, None]) + LIPS * lips[:, None]
    brows = 0.85 * brow_mask(v)
    colors = colors * (1 - brows[:, None]) + BROWS * brows[:, None]
    nostril = gauss(np.abs(x), y, 0.0075, -0.0315, 0.0035, 0.0018) * (z > 0.08)
    colors = colors * (1 - nostril[:, None]) + NOSTRIL * nostril[:, None]
    hair = hair_cap(v)
    return colors * (1 - hair[:, None]) + HAIR * hair[:, None]


def lip_mask(v: np.ndarray) -> np.ndarray:
    """How much each skin vertex ``[N]`` is lip (red), in [0, 1]."""
    ax, y = np.abs(v[:, 0]), v[:, 1]
    return np.clip(1 - (ax / MOUTH_HALF_WIDTH) ** 4, 0, 1) * np.exp(-(((y - Y_MOUTH) / 0.0068) ** 6)) * (v[:, 2] > 0.02)


def brow_mask(v: np.ndarray) -> np.ndarray:
    """How much each skin vertex ``[N]`` lies on an eyebrow, in [0, 1]."""
    ax, y = np.abs(v[:, 0]), v[:, 1]
    brow_y = 0.034 + 0.004 * np.exp(-(((ax - 0.030) / 0.012) ** 2)) - 0.002 * (ax > 0.045)
    return (np.exp(-(((y - brow_y) / 0.0026) ** 4)) * smoothstep(0.010, 0.016, ax) * (1 - smoothstep(0.050, 0.056, ax))
            * (v[:, 2] > 0.02))


def hair_cap(v: np.ndarray) -> np.ndarray:
    """How much of the short hair cap covers each skin vertex ``[N]``, in [0, 1].

    The hairline is high on the forehead and comes down to the ears at the sides and the
    nape at the back; the ears stay bare."""
    x, y, z = v[:, 0], v[:, 1], v[:, 2]
    azimuth = np.arctan2(x, z)
    hairline = 0.068 - 0.05 * smoothstep(0.9, 1.6, np.abs(azimuth)) - 0.05 * smoothstep(2.2, 2.9, np.abs(azimuth))
    hair = smoothstep(hairline - 0.004, hairline + 0.004, y)
    return hair * (1 - np.exp(-(((y - 0.006) / 0.03) ** 2 + ((z + 0.012) / 0.02) ** 2)) * (np.abs(x) > 0.06))


def _jaw_weight(v: np.ndarray, mouth_side: np.ndarray) -> np.ndarray:
    """How much each skin vertex follows the jaw joint, in [0, 1]."""
    x, y, z = v[:, 0], v[:, 1], v[:, 2]
    ax = np.abs(x)
    # Below a line from the mouth corners rising to the jaw hinge in front of the ears.
    line = Y_MOUTH + (ax - MOUTH_HALF_WIDTH).clip(0) / 0.035 * 0.035
    cheek = smoothstep(line + 0.006, line - 0.010, y)
    in_mouth = 1 - smoothstep(MOUTH_HALF_WIDTH - 0.006, MOUTH_HALF_WIDTH + 0.006, ax)
    lower = np.where(mouth_side < 0, 1.0, np.where(mouth_side > 0, 0.0, 0.5))
    w = in_mouth * lower + (1 - in_mouth) * cheek
    w = np.where((ax < MOUTH_HALF_WIDTH) & (mouth_side > 0), 0.0, w)
    # Fade out behind the jaw angle and down the neck.
    w *= smoothstep(-0.015, 0.02, z)
    w *= smoothstep(-0.125, -0.100, y) * (1 - smoothstep(-0.012, 0.0, y))
    return w


def rig(head: Head) -> None:
    """Fill skinning ``weights [V, 5]`` and the joint ``regressor [5, V]``."""
    v = head.vertices
    s = head.surface
    num_skin = head.num_skin
    weights = np.zeros((len(v), 5))
    w_jaw = np.zeros(len(v))
    w_jaw[:num_skin] = _jaw_weight(v[:num_skin], s.mouth_side)
    w_global = smoothstep(-0.115, -0.165, v[:, 1])
    w_global[head.part != 0] = 0.0
    w_jaw[head.part == 4] = 1.0
    cavity = head.part == 5
    w_jaw[cavity] = smoothstep(Y_MOUTH + 0.004, Y_MOUTH - 0.010, v[cavity, 1])
    weights[:, JAW] = w_jaw * (1 - w_global)
    weights[:, GLOBAL] = w_global
    weights[:, NECK] = 1 - weights[:, JAW] - weights[:, GLOBAL]
    for part, joint in ((1, LEFT_EYE), (2, RIGHT_EYE)):
        weights[head.part == part] = 0.0
        weights[head.part == part, joint] = 1.0
    head.weights = weights

    # Joints as weighted averages of vertices, so they follow identity changes.
    regressor = np.zeros((5, len(v)))
    rows_y = np.round(v[:num_skin, 1], 6)

    def ring_centre(target_y: float) -> np.ndarray:
        levels = np.unique(rows_y)
        level = levels[np.argmin(np.abs(levels - target_y))]
        ring = np.nonzero(rows_y == level)[0]
        w = np.zeros(len(v))
        w[ring] = 1.0 / len(ring)
        return w

    regressor[GLOBAL] = ring_centre(-0.120)
    regressor[NECK] = ring_centre(-0.080)
    hinge = [head.landmarks["left_ear"], head.landmarks["right_ear"]]
    regressor[JAW, hinge] = 0.5
    for part, joint in ((1, LEFT_EYE), (2, RIGHT_EYE)):
        members = np.nonzero(head.part == part)[0]
        regressor[joint, members] = 1.0 / len(members)
    head.regressor = regressor


def assemble() -> Head:
    """Skin surface plus eyeballs, teeth and cavity, coloured, with rig and landmarks."""
    surface = build_surface()
    lip_z = surface.vertices[surface.landmarks["upper_lip"], 2]
    parts: list[tuple[int, Part]] = [
        (1, eyeball(surface.eye_centres[0])),
        (2, eyeball(surface.eye_centres[1])),
        (3, teeth_arch(lip_z - 0.0075, upper=True)),
        (4, teeth_arch(lip_z - 0.0075, upper=False)),
        (5, mouth_cavity(lip_z - 0.004)),
    ]
    verts = [surface.vertices]
    faces = [surface.faces]
    colors = [skin_colors(surface.vertices)]
    labels = [np.zeros(len(surface.vertices), dtype=np.int64)]
    offset = len(surface.vertices)
    for label, part in parts:
        verts.append(part.vertices)
        faces.append(part.faces + offset)
        colors.append(part.colors)
        labels.append(np.full(len(part.vertices), label))
        offset += len(part.vertices)
    head = Head(np.concatenate(verts), np.concatenate(faces), np.concatenate(colors), np.concatenate(labels), surface)
    head.landmarks = dict(surface.landmarks)
    eye_ids = {1: "left", 2: "right"}
    for label, tag in eye_ids.items():
        members = np.nonzero(head.part == label)[0]
        head.landmarks[f"{tag}_pupil"] = int(members[np.argmax(head.vertices[members, 2])])
    rig(head)
    return head


__all__ = ["BROWS", "HAIR", "SKIN", "Head", "assemble", "brow_mask", "hair_cap", "lip_mask", "rig", "skin_colors", "Y_EYE"]

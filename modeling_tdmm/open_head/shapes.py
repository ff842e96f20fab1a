"""Blendshapes of open-head-v1: 50 FACS action units, eyelid closure and an identity basis.

Every shape is a displacement field ``[V, 3]`` in metres at full activation (coefficient 1 =
the action unit at its apex; identity coefficients are in standard deviations). Fields are
smooth radial falloffs around landmarks with a direction per action unit; the mouth and
eye slits are respected through the side labels, so a shape can move one lip and not the other.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..facs import expression_names
from .rig import Head
from .surface import (
    EYE_OPEN_DOWN,
    EYE_OPEN_UP,
    EYE_X,
    LID_MARGIN,
    MOUTH_HALF_WIDTH,
    Y_EYE,
    Y_MOUTH,
    eye_aperture,
    eyeball_front_z,
    smoothstep,
)


class _Fields:
    """Geometry helpers bound to one head."""

    def __init__(self, head: Head) -> None:
        self.head = head
        self.v = head.vertices
        n = len(self.v)
        self.skin = np.zeros(n)
        self.skin[: head.num_skin] = 1.0
        self.front = self.skin * smoothstep(0.0, 0.03, self.v[:, 2])
        self.mouth_side = np.zeros(n)
        self.mouth_side[: head.num_skin] = head.surface.mouth_side
        self.eye_side = np.zeros(n)
        self.eye_side[: head.num_skin] = head.surface.eye_side
        self.eye_of = np.zeros(n)
        self.eye_of[: head.num_skin] = head.surface.eye_of

    def point(self, name: str) -> np.ndarray:
        return self.v[self.head.landmarks[name]]

    def blob(self, centre: np.ndarray, radius: float | tuple[float, float, float]) -> np.ndarray:
        r = np.broadcast_to(np.asarray(radius, dtype=float), (3,))
        return np.exp(-((((self.v - centre) / r) ** 2).sum(1))) * self.front

    def side(self, s: int) -> np.ndarray:
        """Soft mask of the subject's left (s = +1, +x) or right (s = -1) half."""
        return smoothstep(-0.004, 0.004, s * self.v[:, 0])

    def upper_lip(self) -> np.ndarray:
        return (self.mouth_side > 0) + 0.5 * (self.mouth_side == 0)

    def lower_lip(self) -> np.ndarray:
        return (self.mouth_side < 0) + 0.5 * (self.mouth_side == 0)

    def lips(self, reach: float = 0.010) -> np.ndarray:
        """Weight of the lip region around the mouth line (both lips)."""
        x, y = self.v[:, 0], self.v[:, 1]
        across = np.clip(1 - (np.abs(x) / (MOUTH_HALF_WIDTH + 0.004)) ** 2, 0, 1)
        return across * np.exp(-(((y - Y_MOUTH) / reach) ** 2)) * self.front

    def lid(self, s: int, upper: bool, reach: float) -> np.ndarray:
        """Weight of one eyelid, 1 at the rim's centre, fading towards the brow/cheek."""
        x, y = self.v[:, 0], self.v[:, 1]
        on_side = (self.eye_of == s) & ((self.eye_side > 0) if upper else (self.eye_side < 0))
        aperture = eye_aperture(x, s)
        rim = Y_EYE + EYE_OPEN_UP * aperture if upper else Y_EYE - EYE_OPEN_DOWN * aperture
        distance = (y - rim) if upper else (rim - y)
        fade = np.exp(-((np.clip(distance, 0, None) / reach) ** 2))
        return on_side * aperture * fade


Shape = Callable[[_Fields, int], np.ndarray]


def _vec(w: np.ndarray, d: tuple[float, float, float]) -> np.ndarray:
    return w[:, None] * np.asarray(d)[None, :]


def _lid_to(f: _Fields, s: int, upper: bool, fraction: float, reach: float) -> np.ndarray:
    """Move one lid rim ``fraction`` of the rest opening towards the other lid, over the eyeball."""
    gap = (EYE_OPEN_UP + EYE_OPEN_DOWN) * eye_aperture(f.v[:, 0], s)
    w = f.lid(s, upper, reach)
    d = np.zeros_like(f.v)
    d[:, 1] = (-1 if upper else 1) * fraction * gap * w
    centre = f.head.surface.eye_centres[0 if s > 0 else 1]
    moved_y = f.v[:, 1] + d[:, 1]
    on_ball = eyeball_front_z(f.v[:, 0], moved_y, centre) + LID_MARGIN
    lift = np.clip(on_ball - f.v[:, 2], 0, None) * (w > 0)
    d[:, 2] = lift * np.clip(w * 2, 0, 1)
    return d


def _corner(f: _Fields, s: int, d: tuple[float, float, float], radius: float = 0.013) -> np.ndarray:
    c = f.point("left_mouth_corner" if s > 0 else "right_mouth_corner")
    return _vec(f.blob(c, radius), (s * d[0], d[1], d[2]))


def _au1(f, s):
    c = f.point("left_brow_inner" if s > 0 else "right_brow_inner")
    return _vec(f.blob(c, (0.016, 0.016, 0.03)), (s * 0.001, 0.0075, 0.0005))


def _au2(f, s):
    c = f.point("left_brow_outer" if s > 0 else "right_brow_outer")
    return _vec(f.blob(c, (0.017, 0.016, 0.03)), (0.0, 0.0075, 0.0))


def _au4(f, s):
    c = f.point("left_brow_inner" if s > 0 else "right_brow_inner")
    return _vec(f.blob(c + [s * 0.006, 0, 0], (0.02, 0.014, 0.03)), (-s * 0.004, -0.0055, 0.0015))


def _au5(f, s):
    return _vec(f.lid(s, True, 0.010), (0.0, 0.0032, 0.0008))


def _au6(f, s):
    c = f.point("left_cheek" if s > 0 else "right_cheek")
    cheek = _vec(f.blob(c + [0, 0.004, 0], 0.018), (0.0, 0.0045, 0.0022))
    return cheek + _lid_to(f, s, False, 0.35, 0.006)


def _au7(f, s):
    return _lid_to(f, s, False, 0.45, 0.006) + _lid_to(f, s, True, 0.2, 0.008)


def _au9(f, s):
    c = f.point("left_nostril" if s > 0 else "right_nostril") + [s * 0.002, 0.012, 0]
    nose = _vec(f.blob(c, (0.009, 0.014, 0.03)), (s * 0.0008, 0.005, 0.0018))
    brow = _vec(f.blob(f.point("glabella") + [s * 0.01, 0, 0], 0.012), (0.0, -0.004, 0.0))
    lip = _vec(f.blob(f.point("upper_lip_top") + [s * 0.008, 0, 0], 0.01) * f.upper_lip(), (0.0, 0.002, 0.0))
    return (nose + brow + lip) * f.side(s)[:, None]


def _au10(f, s):
    c = f.point("upper_lip") + [s * 0.010, 0.002, 0]
    return _vec(f.blob(c, (0.013, 0.012, 0.03)) * f.upper_lip(), (0.0, 0.0045, 0.002))


def _au11(f, s):
    c = np.array([s * 0.031, Y_MOUTH + 0.016, 0.0]) + [0, 0, f.point("left_cheek")[2]]
    return _vec(f.blob(c, (0.007, 0.015, 0.04)), (0.0, 0.002, -0.004))


def _au12(f, s):
    bulge = _vec(f.blob(f.point("left_cheek" if s > 0 else "right_cheek") + [0, -0.015, 0], 0.014), (0.0, 0.002, 0.0025))
    return _corner(f, s, (0.0065, 0.0065, -0.003)) + bulge


def _au13(f, s):
    bulge = _vec(f.blob(f.point("left_cheek" if s > 0 else "right_cheek") + [0, -0.012, 0], 0.014), (0.0, 0.0015, 0.004))
    return _corner(f, s, (0.0015, 0.0075, 0.0), radius=0.010) + bulge


def _au14(f, s):
    c = f.point("left_mouth_corner" if s > 0 else "right_mouth_corner") + [s * 0.007, 0, 0]
    dimple = _vec(f.blob(c, 0.006), (0.0, 0.0, -0.0045))
    return _corner(f, s, (0.004, 0.0, -0.005), radius=0.011) + dimple


def _au15(f, s):
    return _corner(f, s, (0.0015, -0.0065, 0.0), radius=0.013)


def _au16(f, s):
    c = f.point("lower_lip") + [s * 0.009, -0.003, 0]
    return _vec(f.blob(c, (0.013, 0.012, 0.03)) * f.lower_lip(), (s * 0.001, -0.006, 0.0025))


def _au17(f, s):
    chin = _vec(f.blob(f.point("chin") + [0, 0.004, 0], (0.02, 0.014, 0.03)) * f.lower_lip(), (0.0, 0.0045, 0.002))
    lip = _vec(f.lips(0.008) * f.lower_lip(), (0.0, 0.0015, 0.003))
    return chin + lip


def _lips(f, reach: float, squeeze: float = 0.0, upper_dy: float = 0.0, lower_dy: float = 0.0, dz: float = 0.0,
          centred: bool = False) -> np.ndarray:
    """A lip action: pull the lips towards the midline by ``squeeze`` (fraction of x), move the
    upper and lower lip vertically and both forward (m). ``centred`` fades it out at the corners."""
    w = f.lips(reach)
    if centred:
        w = w * np.clip(1 - (f.v[:, 0] / MOUTH_HALF_WIDTH) ** 2, 0, 1)
    d = np.zeros_like(f.v)
    d[:, 0] = -squeeze * f.v[:, 0] * w
    d[:, 1] = upper_dy * w * f.upper_lip() + lower_dy * w * f.lower_lip()
    d[:, 2] = dz * w
    return d


def _au18(f, s):
    return _lips(f, 0.012, squeeze=0.38, dz=0.0075)


def _au20(f, s):
    return _corner(f, s, (0.0095, -0.002, -0.0025), radius=0.014)


def _au21(f, s):
    d = np.zeros_like(f.v)
    for side in (1, -1):
        w = np.exp(-(((f.v[:, 0] - side * 0.018) / 0.006) ** 2) - ((f.v[:, 1] + 0.135) / 0.03) ** 2) * f.skin
        d[:, 2] += 0.004 * w * (f.v[:, 2] > 0)
    return d


def _au22(f, s):
    return _lips(f, 0.011, squeeze=0.22, upper_dy=0.0035, lower_dy=-0.0035, dz=0.007)


def _au23(f, s):
    return _lips(f, 0.007, squeeze=0.14, upper_dy=-0.0022, lower_dy=0.0022, dz=-0.0035)


def _au24(f, s):
    return _lips(f, 0.009, upper_dy=-0.0022, lower_dy=0.0022, dz=-0.005)


def _au25(f, s):
    return _lips(f, 0.010, upper_dy=0.0030, lower_dy=-0.0042, centred=True)


def _au27(f, s):
    return _lips(f, 0.014, squeeze=0.15, upper_dy=0.0035, lower_dy=-0.0065)


def _au28(f, s):
    return _lips(f, 0.0065, upper_dy=-0.003, lower_dy=0.003, dz=-0.008)


def _au29(f, s):
    jaw = smoothstep(0.0, 1.0, f.head.weights[:, 2]) * f.skin
    return _vec(jaw, (0.0, 0.0, 0.006))


def _au31(f, s):
    d = np.zeros_like(f.v)
    for side in (1, -1):
        w = f.blob(np.array([side * 0.056, -0.055, f.point("left_jaw_angle")[2] + 0.01]), 0.014)
        d[:, 0] += side * 0.0045 * w
    return d


def _au34(f, s):
    c = f.point("left_cheek" if s > 0 else "right_cheek") + [s * -0.004, -0.026, 0]
    w = f.blob(c, (0.017, 0.016, 0.04))
    return _vec(w, (s * 0.008, 0.0, 0.0065))


def _au35(f, s):
    d = np.zeros_like(f.v)
    for side in (1, -1):
        c = f.point("left_cheek" if side > 0 else "right_cheek") + [side * -0.004, -0.024, 0]
        d += _vec(f.blob(c, (0.013, 0.014, 0.04)), (-side * 0.005, 0.0, -0.006))
    return d


def _au38(f, s):
    d = np.zeros_like(f.v)
    for side in (1, -1):
        d += _vec(f.blob(f.point("left_nostril" if side > 0 else "right_nostril"), 0.006), (side * 0.0038, 0.0008, 0.0))
    return d


def _au39(f, s):
    return -_au38(f, s) * 0.75


def _au41(f, s):
    return _lid_to(f, s, True, 0.4, 0.010)


def _au44(f, s):
    return _lid_to(f, s, True, 0.35, 0.008) + _lid_to(f, s, False, 0.45, 0.006)


_BUILDERS: dict[str, Shape] = {
    "AU1": _au1, "AU2": _au2, "AU4": _au4, "AU5": _au5, "AU6": _au6, "AU7": _au7, "AU9": _au9,
    "AU10": _au10, "AU11": _au11, "AU12": _au12, "AU13": _au13, "AU14": _au14, "AU15": _au15,
    "AU16": _au16, "AU17": _au17, "AU18": _au18, "AU20": _au20, "AU21": _au21, "AU22": _au22,
    "AU23": _au23, "AU24": _au24, "AU25": _au25, "AU27": _au27, "AU28": _au28, "AU29": _au29,
    "AU31": _au31, "AU34": _au34, "AU35": _au35, "AU38": _au38, "AU39": _au39, "AU41": _au41,
    "AU44": _au44,
}


def expression_dirs(head: Head) -> np.ndarray:
    """``[V, 3, 50]`` expression displacements, in :func:`expression_names` order."""
    f = _Fields(head)
    columns = []
    for name in expression_names():
        code, _, side = name.partition("_")
        columns.append(_BUILDERS[code](f, -1 if side == "R" else 1))
    return np.stack(columns, -1)


def eyelid_dirs(head: Head) -> np.ndarray:
    """``[V, 3, 2]`` full closure of the left and right eye (upper lid down, lower lid up a bit)."""
    f = _Fields(head)
    closures = []
    for s in (1, -1):
        closures.append(_lid_to(f, s, True, 0.82, 0.011) + _lid_to(f, s, False, 0.18, 0.005))
    return np.stack(closures, -1)


def identity_dirs(head: Head) -> np.ndarray:
    """``[V, 3, 12]`` identity displacements (1 = one standard deviation), see ``subjects.IDENTITY_COMPONENTS``."""
    f = _Fields(head)
    v = head.vertices
    x, y, z = v[:, 0], v[:, 1], v[:, 2]
    head_region = smoothstep(-0.13, -0.10, y)
    eyes = (head.part == 1) | (head.part == 2)
    cols = []
    d = np.zeros_like(v); d[:, 0] = 0.045 * x * head_region; cols.append(d)                               # head width
    d = np.zeros_like(v); d[:, 1] = 0.07 * np.clip(y - Y_EYE, None, 0) * smoothstep(-0.16, -0.10, y); cols.append(d)  # face length
    low = smoothstep(-0.02, -0.07, y) * smoothstep(-0.13, -0.10, y) * f.skin
    d = np.zeros_like(v); d[:, 0] = 0.10 * x * low; cols.append(d)                                           # jaw width
    nose = f.blob(f.point("nose_tip") + [0, 0.012, -0.01], (0.012, 0.026, 0.03))
    cols.append(_vec(nose, (0.0, -0.002, 0.0035)))                                                             # nose length
    nose_w = f.blob(f.point("nose_tip") + [0, -0.004, -0.01], (0.016, 0.014, 0.03))
    d = np.zeros_like(v); d[:, 0] = 0.16 * x * nose_w; cols.append(d)                                        # nose width
    cheeks = sum(f.blob(f.point(n), 0.02) for n in ("left_cheek", "right_cheek"))
    d = np.zeros_like(v); d[:, 0] = 0.003 * np.sign(x) * cheeks; d[:, 2] = 0.0025 * cheeks; cols.append(d)  # cheek fullness
    brow = np.exp(-(((y - 0.04) / 0.02) ** 2)) * f.front * (1 - eyes)
    cols.append(_vec(brow, (0.0, 0.003, 0.0015)))                                                              # brow height
    chin = f.blob(f.point("chin"), (0.02, 0.016, 0.03))
    cols.append(_vec(chin, (0.0, -0.002, 0.005)))                                                              # chin projection
    d = np.zeros_like(v); d[:, 2] = 0.07 * np.clip(z, None, 0) * head_region; cols.append(d)                 # head depth
    cols.append(_vec(f.lips(0.009), (0.0, 0.0, 0.0022)) + _vec(f.lips(0.009) * (f.upper_lip() - f.lower_lip()), (0.0, 0.0012, 0.0)))  # lip fullness
    spacing = np.exp(-((np.abs(x) - EYE_X) / 0.016) ** 2 - ((y - Y_EYE) / 0.014) ** 2) * f.front
    spacing = np.where(eyes, 1.0, spacing)
    d = np.zeros_like(v); d[:, 0] = 0.0025 * np.sign(x) * spacing; cols.append(d)                            # eye spacing
    round_ = np.exp(-(((y + 0.07) / 0.03) ** 2)) * f.skin * smoothstep(-0.02, 0.02, z)
    d = np.zeros_like(v); d[:, 0] = 0.08 * x * round_; d[:, 2] = 0.002 * round_; cols.append(d)               # face roundness
    return np.stack(cols, -1)


__all__ = ["expression_dirs", "eyelid_dirs", "identity_dirs"]

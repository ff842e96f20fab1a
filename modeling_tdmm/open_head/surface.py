"""The skin surface of open-head-v1: a (height x azimuth) grid with a mouth slit and eye openings.

Units are metres; y is up, the face looks along +z, the subject's left is +x. Each horizontal
cross-section is a superellipse whose half-width, front and back depth vary with height;
facial features (brow ridge, eye sockets, nose, lips, chin, cheekbones, ears) are smooth
offsets on top. Rows are spaced by arc length along the midline profile, so the nose, lips
and chin get as many rows as they need.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.interpolate import PchipInterpolator

# Average adult proportions (m), rounded from anthropometric tables.
Y_TOP = 0.125          # vertex of the skull
Y_DOME = 0.05          # the cranial dome starts curving in above this height
Y_BROW = 0.032         # brow ridge
Y_EYE = 0.015          # eye line (palpebral fissure)
Y_NOSE_TIP = -0.024
Y_SUBNASALE = -0.034
Y_MOUTH = -0.052       # stomion (where the lips meet)
Y_CHIN = -0.086        # chin prominence
Y_NECK_BOTTOM = -0.175
EYE_X = 0.032          # eye centre distance from the midline
EYE_HALF_WIDTH = 0.0122
MOUTH_HALF_WIDTH = 0.0245
EYEBALL_RADIUS = 0.0128
LID_MARGIN = 0.0016    # lids sit this far in front of the eyeball
EYE_OPEN_UP = 0.0052   # rest opening of the upper lid above the eye line
EYE_OPEN_DOWN = 0.0036

# Cross-section control points: height, half-width, front depth, back depth, centre z, exponent.
_PROFILE = np.array([
    # y      a      f      b      c      p
    [-0.175, 0.052, 0.050, 0.056, -0.022, 1.0],
    [-0.130, 0.050, 0.049, 0.055, -0.022, 1.0],
    [-0.112, 0.052, 0.052, 0.058, -0.020, 1.0],
    [-0.100, 0.054, 0.076, 0.066, -0.012, 1.25],
    [-0.085, 0.058, 0.086, 0.078, -0.006, 1.2],
    [-0.060, 0.063, 0.086, 0.090, 0.000, 1.0],
    [-0.030, 0.068, 0.088, 0.100, 0.000, 0.85],
    [0.000, 0.071, 0.089, 0.104, 0.000, 0.8],
    [0.030, 0.073, 0.089, 0.105, 0.000, 0.8],
    [Y_DOME, 0.074, 0.086, 0.104, 0.000, 0.82],
])


def smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def gauss(x: np.ndarray, y: np.ndarray, cx: float, cy: float, sx: float, sy: float) -> np.ndarray:
    return np.exp(-(((x - cx) / sx) ** 2) - ((y - cy) / sy) ** 2)


def _profile_curves() -> list[PchipInterpolator]:
    return [PchipInterpolator(_PROFILE[:, 0], _PROFILE[:, k]) for k in range(1, 6)]


_CURVES = _profile_curves()


def cross_section(y: np.ndarray) -> tuple[np.ndarray, ...]:
    """Half-width, front depth, back depth, centre z and superellipse exponent at heights ``y``."""
    y = np.asarray(y, dtype=np.float64)
    base = [curve(np.minimum(y, Y_DOME)) for curve in _CURVES]
    dome = np.sqrt(np.clip(1 - ((y - Y_DOME) / (Y_TOP - Y_DOME)) ** 2, 0, 1))
    scale = np.where(y > Y_DOME, dome, 1.0)
    a, f, b, c, p = base
    return a * scale, f * scale, b * scale, c, p


def _signed_pow(u: np.ndarray, p: np.ndarray) -> np.ndarray:
    return np.sign(u) * np.abs(u) ** p


def nose_offset(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Forward (z) protrusion of the nose (m)."""
    ys = np.array([0.026, 0.018, 0.0, Y_NOSE_TIP + 0.004, Y_NOSE_TIP, Y_NOSE_TIP - 0.005, Y_SUBNASALE, -0.040])
    height = np.array([0.0, 0.006, 0.015, 0.024, 0.026, 0.019, 0.006, 0.0])
    width = np.array([0.006, 0.0065, 0.0075, 0.0095, 0.0105, 0.0125, 0.013, 0.012])
    order = np.argsort(ys)
    h = np.interp(y, ys[order], height[order], left=0.0, right=0.0)
    w = np.interp(y, ys[order], width[order])
    bridge = h * np.clip(1 - (x / w) ** 2, 0, 1) ** 1.5
    alae = 0.009 * (gauss(np.abs(x), y, 0.0135, Y_SUBNASALE + 0.006, 0.0055, 0.0055))
    return bridge + alae


def front_offset(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Forward (z) offsets of the facial features on top of the cross-sections (m)."""
    ax = np.abs(x)
    dz = np.zeros_like(x)
    dz += 0.006 * gauss(ax, y, 0.022, Y_BROW, 0.026, 0.0055)                       # brow ridge
    dz += -0.0035 * gauss(x, y, 0.0, Y_BROW - 0.012, 0.008, 0.006)                 # nasion dip
    dz += -0.013 * gauss(ax, y, EYE_X, Y_EYE, 0.017, 0.011)                        # eye sockets
    dz += nose_offset(x, y)
    dz += 0.010 * gauss(ax, y, 0.047, -0.004, 0.014, 0.013)                        # cheekbones
    dz += -0.004 * gauss(ax, y, 0.045, -0.040, 0.012, 0.016)                       # cheek hollows
    dz += 0.004 * gauss(ax, y, 0.0, Y_SUBNASALE - 0.006, 0.018, 0.006)             # upper-lip base
    upper_lip = gauss(ax, y, 0.0, Y_MOUTH + 0.0035, MOUTH_HALF_WIDTH * 0.95, 0.0042)
    lower_lip = gauss(ax, y, 0.0, Y_MOUTH - 0.0048, MOUTH_HALF_WIDTH * 0.85, 0.0048)
    dz += 0.0085 * upper_lip + 0.0085 * lower_lip
    dz += -0.0018 * gauss(ax, y, 0.0, Y_MOUTH + 0.008, 0.0028, 0.006)              # philtrum groove
    dz += -0.003 * gauss(ax, y, MOUTH_HALF_WIDTH + 0.002, Y_MOUTH, 0.004, 0.004)   # mouth-corner pits
    dz += -0.0045 * gauss(ax, y, 0.0, Y_MOUTH - 0.016, 0.016, 0.004)               # mentolabial sulcus
    dz += 0.0085 * gauss(ax, y, 0.0, Y_CHIN, 0.017, 0.010)                         # chin
    dz += -0.003 * gauss(ax, y, 0.062, 0.030, 0.010, 0.015)                        # temples
    return dz


def ear_offset(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Outward (|x|) protrusion of the ears, placed on the sides of the head (m)."""
    r2 = ((y - 0.006) / 0.029) ** 2 + ((z + 0.012) / 0.016) ** 2
    shell = np.clip(1 - r2, 0, 1) ** 0.6
    rim = np.exp(-((np.sqrt(r2) - 0.78) / 0.13) ** 2) * (r2 < 1.3)
    return 0.016 * shell + 0.005 * rim


@dataclass
class Surface:
    """The skin mesh and the labels the rig needs.

    ``mouth_side``/``eye_side``: +1 for vertices topologically above the slit (upper lip,
    upper lid), -1 below, 0 at the shared corners. ``eye_of``: +1 near the left eye (+x),
    -1 near the right, 0 elsewhere.
    """

    vertices: np.ndarray
    faces: np.ndarray
    mouth_side: np.ndarray
    eye_side: np.ndarray
    eye_of: np.ndarray
    landmarks: dict[str, int] = field(default_factory=dict)
    eye_centres: np.ndarray = field(default_factory=lambda: np.zeros((2, 3)))
    upper_lid_rim: dict[int, np.ndarray] = field(default_factory=dict)
    lower_lid_rim: dict[int, np.ndarray] = field(default_factory=dict)


def _row_heights(num_rows: int) -> np.ndarray:
    """Heights of the grid rows, equally spaced in face-weighted arc length along the midline."""
    y = np.linspace(Y_NECK_BOTTOM, Y_TOP, 4000)
    a, f, b, c, p = cross_section(y)
    z_front = c + f + front_offset(np.zeros_like(y), y)
    z_back = c - b
    step = np.hypot(np.diff(y), np.diff(z_front)) + 0.5 * np.hypot(np.diff(y), np.diff(z_back))
    weight = 1.0 + 1.6 * smoothstep(-0.125, -0.11, y[1:]) * (1 - smoothstep(0.04, 0.06, y[1:]))
    s = np.concatenate([[0.0], np.cumsum(step * weight)])
    rows = np.interp(np.linspace(0, s[-1], num_rows + 1)[:-1], s, y)  # the top itself is a pole
    for target in (Y_EYE, Y_MOUTH):
        rows[np.argmin(np.abs(rows - target))] = target
    return rows


def _column_angles(num_cols: int) -> np.ndarray:
    """Azimuths (0 = front, +pi/2 = subject's left), dense on the face, sparse at the back."""
    s = np.linspace(-1, 1, num_cols, endpoint=False) + 1.0 / num_cols
    return np.pi * (0.36 * s + 0.64 * s**3)


def build_surface(num_rows: int = 78, num_cols: int = 96) -> Surface:
    """Build the skin grid with the mouth slit and both eye openings (eyes at rest, open)."""
    rows = _row_heights(num_rows)
    theta = _column_angles(num_cols)
    yy, tt = np.meshgrid(rows, theta, indexing="ij")  # [R, C]
    a, f, b, c, p = cross_section(yy)
    front = smoothstep(-0.25, 0.25, np.cos(tt))
    depth = b + (f - b) * front
    x = a * _signed_pow(np.sin(tt), p)
    z = c + depth * _signed_pow(np.cos(tt), p)
    z = z + front_offset(x, yy) * smoothstep(0.15, 0.55, np.cos(tt))
    side = smoothstep(0.75, 0.95, np.abs(np.sin(tt))) * (np.cos(tt) < 0.5)
    x = x + np.sign(x) * ear_offset(z, yy) * side
    grid = np.stack([x, yy, z], -1)  # [R, C, 3]

    j_eye = int(np.argmin(np.abs(rows - Y_EYE)))
    j_mouth = int(np.argmin(np.abs(rows - Y_MOUTH)))
    verts = list(grid.reshape(-1, 3))
    index = np.arange(num_rows * num_cols).reshape(num_rows, num_cols)
    below = index.copy()  # vertex ids used by faces lying below a slit row

    def open_slit(j: int, lo: float, hi: float) -> np.ndarray:
        cols = np.nonzero((grid[j, :, 0] > lo) & (grid[j, :, 0] < hi) & (np.cos(theta) > 0))[0]
        for col in cols:
            below[j, col] = len(verts)
            verts.append(grid[j, col].copy())
        return cols

    mouth_cols = open_slit(j_mouth, -MOUTH_HALF_WIDTH, MOUTH_HALF_WIDTH)
    eye_cols = {
        s: open_slit(j_eye, s * EYE_X - EYE_HALF_WIDTH, s * EYE_X + EYE_HALF_WIDTH) for s in (1, -1)
    }
    pole = len(verts)
    verts.append(np.array([0.0, Y_TOP, 0.0]))
    vertices = np.array(verts)

    faces = []
    for j in range(num_rows - 1):
        for i in range(num_cols):
            k = (i + 1) % num_cols
            v00, v01 = index[j, i], index[j, k]          # lower row of the quad
            v10, v11 = below[j + 1, i], below[j + 1, k]  # upper row, lower-side copies at a slit
            faces.append((v00, v01, v11))
            faces.append((v00, v11, v10))
    top = num_rows - 1
    for i in range(num_cols):
        faces.append((index[top, i], index[top, (i + 1) % num_cols], pole))
    faces = np.array(faces, dtype=np.int64)

    # Labels: which side of the mouth / eye slit each vertex is on.
    row_of = np.concatenate([np.repeat(np.arange(num_rows), num_cols), np.full(len(vertices) - num_rows * num_cols, -1)])
    row_of[num_rows * num_cols:pole] = np.where(
        np.isin(np.arange(num_rows * num_cols, pole), below[j_mouth]), j_mouth, j_eye
    )
    dup = np.zeros(len(vertices), dtype=bool)
    dup[num_rows * num_cols:pole] = True
    row_of[pole] = num_rows

    def side_labels(j: int, cols_sets: list[np.ndarray]) -> np.ndarray:
        sides = np.sign(row_of - j).astype(np.int64)
        on_row = row_of == j
        sides[on_row & ~dup] = 1
        sides[on_row & dup] = -1
        for cols in cols_sets:  # shared corners are on neither side
            for col in (cols.min() - 1, cols.max() + 1):
                sides[index[j, col]] = 0
        return sides

    mouth_side = side_labels(j_mouth, [mouth_cols])
    eye_side = side_labels(j_eye, list(eye_cols.values()))
    eye_of = np.where(np.abs(np.abs(vertices[:, 0]) - EYE_X) < 0.04, np.sign(vertices[:, 0]), 0).astype(np.int64)
    eye_of[(vertices[:, 1] < Y_EYE - 0.04) | (vertices[:, 1] > Y_EYE + 0.04) | (vertices[:, 2] < 0.0)] = 0

    surface = Surface(vertices, faces, mouth_side, eye_side, eye_of)
    for s in (1, -1):
        surface.upper_lid_rim[s] = index[j_eye, eye_cols[s]]
        surface.lower_lid_rim[s] = below[j_eye, eye_cols[s]]
    _open_eyes(surface)
    _name_landmarks(surface, index, below, j_eye, j_mouth, mouth_cols, eye_cols, pole)
    return surface


def eye_aperture(x: np.ndarray, side: int) -> np.ndarray:
    """Almond profile in [0, 1] across the eye opening, 0 at the corners."""
    t = (x - side * EYE_X) / EYE_HALF_WIDTH
    return np.clip(1 - t**2, 0, 1) ** 0.65


def eyeball_front_z(x: np.ndarray, y: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """z of the front of an eyeball sphere at ``(x, y)``; far below the surface outside it."""
    r2 = EYEBALL_RADIUS**2 - (x - centre[0]) ** 2 - (y - centre[1]) ** 2
    return np.where(r2 > 0, centre[2] + np.sqrt(np.clip(r2, 0, None)), -1.0)


def _open_eyes(surface: Surface) -> None:
    """Place the eyeballs, open the lids into almonds and drape the lids over the eyeballs."""
    v = surface.vertices
    centres = []
    for s in (1, -1):
        x0, y0 = s * EYE_X, Y_EYE
        a, f, b, c, p = cross_section(np.array([y0]))
        theta = np.arcsin(np.clip((abs(x0) / a[0]) ** (1 / p[0]), 0, 1))
        z_skin = c[0] + f[0] * np.cos(theta) ** p[0] + 0.003
        centres.append(np.array([x0, y0, z_skin - 0.0065 - EYEBALL_RADIUS]))
    surface.eye_centres = np.array(centres)

    for s, centre in zip((1, -1), surface.eye_centres):
        near = surface.eye_of == s
        aperture = eye_aperture(v[:, 0], s)
        up = near & (surface.eye_side > 0)
        down = near & (surface.eye_side < 0)
        dy_up = EYE_OPEN_UP * aperture * np.exp(-(((v[:, 1] - Y_EYE) / 0.009) ** 2))
        dy_down = EYE_OPEN_DOWN * aperture * np.exp(-(((Y_EYE - v[:, 1]) / 0.008) ** 2))
        v[up, 1] += dy_up[up]
        v[down, 1] -= dy_down[down]
        # Drape skin near the eye over the eyeball (soft maximum), rims exactly on it.
        target = eyeball_front_z(v[:, 0], v[:, 1], centre) + LID_MARGIN
        dist = np.hypot(v[:, 0] - centre[0], v[:, 1] - centre[1])
        influence = near * (1 - smoothstep(0.012, 0.022, dist))
        soft = np.logaddexp(v[:, 2] / 0.0015, target / 0.0015) * 0.0015
        v[:, 2] = v[:, 2] + influence * (soft - v[:, 2])
        rims = np.concatenate([surface.upper_lid_rim[s], surface.lower_lid_rim[s]])
        v[rims, 2] = np.maximum(v[rims, 2], eyeball_front_z(v[rims, 0], v[rims, 1], centre) + LID_MARGIN)


def _name_landmarks(surface, index, below, j_eye, j_mouth, mouth_cols, eye_cols, pole) -> None:
    v = surface.vertices
    lm = surface.landmarks

    def nearest(x: float, y: float) -> int:
        d = (v[:, 0] - x) ** 2 + (v[:, 1] - y) ** 2 + 1.0 * (v[:, 2] < 0.0)
        return int(np.argmin(d))

    for s, tag in ((1, "left"), (-1, "right")):
        cols = eye_cols[s]
        corner_a, corner_b = index[j_eye, cols.min() - 1], index[j_eye, cols.max() + 1]
        if abs(v[corner_a, 0]) > abs(v[corner_b, 0]):
            corner_a, corner_b = corner_b, corner_a
        lm[f"{tag}_eye_inner"] = int(corner_a)
        lm[f"{tag}_eye_outer"] = int(corner_b)
        mid = cols[np.argmin(np.abs(v[index[j_eye, cols], 0] - s * EYE_X))]
        lm[f"{tag}_upper_lid"] = int(index[j_eye, mid])
        lm[f"{tag}_lower_lid"] = int(below[j_eye, mid])
        lm[f"{tag}_brow_inner"] = nearest(s * 0.016, Y_BROW + 0.002)
        lm[f"{tag}_brow_mid"] = nearest(s * EYE_X, Y_BROW + 0.004)
        lm[f"{tag}_brow_outer"] = nearest(s * 0.050, Y_BROW)
        lm[f"{tag}_mouth_corner"] = int(index[j_mouth, (mouth_cols.max() + 1) if s > 0 else (mouth_cols.min() - 1)])
        lm[f"{tag}_cheek"] = nearest(s * 0.045, -0.012)
        lm[f"{tag}_nostril"] = nearest(s * 0.0135, Y_SUBNASALE + 0.006)
        lm[f"{tag}_jaw_angle"] = nearest(s * 0.058, -0.075)
        lm[f"{tag}_ear"] = int(np.argmax(s * v[:, 0] - 10 * np.abs(v[:, 1] - 0.006) - 10 * np.abs(v[:, 2] + 0.012)))
    centre_col = mouth_cols[np.argmin(np.abs(v[index[j_mouth, mouth_cols], 0]))]
    lm["upper_lip"] = int(index[j_mouth, centre_col])
    lm["lower_lip"] = int(below[j_mouth, centre_col])
    lm["upper_lip_top"] = nearest(0.0, Y_MOUTH + 0.0075)
    lm["lower_lip_bottom"] = nearest(0.0, Y_MOUTH - 0.0095)
    lm["nose_tip"] = int(np.argmax(v[:, 2] - 10 * np.abs(v[:, 0])))
    lm["nose_bridge"] = nearest(0.0, Y_EYE)
    lm["subnasale"] = nearest(0.0, Y_SUBNASALE)
    lm["chin"] = nearest(0.0, Y_CHIN)
    lm["menton"] = nearest(0.0, -0.101)
    lm["glabella"] = nearest(0.0, Y_BROW)
    lm["forehead"] = nearest(0.0, 0.065)
    lm["crown"] = int(pole)

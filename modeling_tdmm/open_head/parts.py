"""Separate meshes inside the head: eyeballs, teeth and the mouth cavity (metres)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .surface import EYEBALL_RADIUS, MOUTH_HALF_WIDTH, Y_MOUTH

SCLERA = np.array([0.93, 0.92, 0.88])
IRIS = np.array([0.33, 0.22, 0.13])
PUPIL = np.array([0.03, 0.03, 0.03])
TEETH = np.array([0.92, 0.90, 0.84])
CAVITY = np.array([0.35, 0.10, 0.10])


@dataclass
class Part:
    vertices: np.ndarray  # [N, 3]
    faces: np.ndarray     # [M, 3], counter-clockwise seen from where the part is viewed
    colors: np.ndarray    # [N, 3]


def uv_sphere(centre: np.ndarray, radii: np.ndarray, rings: int, segments: int, inward: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A sphere whose poles lie on the z axis (the +z pole faces the viewer)."""
    polar = np.linspace(0, np.pi, rings + 1)[1:-1]
    azimuth = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    pp, aa = np.meshgrid(polar, azimuth, indexing="ij")
    ring = np.stack([np.sin(pp) * np.cos(aa), np.sin(pp) * np.sin(aa), np.cos(pp)], -1).reshape(-1, 3)
    unit = np.concatenate([[[0, 0, 1.0]], ring, [[0, 0, -1.0]]])
    verts = centre + unit * radii
    faces = []
    n = segments
    for i in range(n):  # front cap
        faces.append((0, 1 + (i + 1) % n, 1 + i))
    for r in range(rings - 2):
        for i in range(n):
            a, b = 1 + r * n + i, 1 + r * n + (i + 1) % n
            c, d = a + n, b + n
            faces.append((a, b, d))
            faces.append((a, d, c))
    last = len(verts) - 1
    base = 1 + (rings - 2) * n
    for i in range(n):
        faces.append((base + i, base + (i + 1) % n, last))
    faces = np.array(faces, dtype=np.int64)
    # Outward winding check on the first face; flip to taste.
    tri = verts[faces[0]] - centre
    outward = np.dot(np.cross(tri[1] - tri[0], tri[2] - tri[0]), tri.mean(0)) > 0
    if outward == inward:
        faces = faces[:, ::-1].copy()
    return verts, faces


def eyeball(centre: np.ndarray) -> Part:
    """An eyeball looking along +z: white sclera, brown iris, black pupil."""
    verts, faces = uv_sphere(centre, np.full(3, EYEBALL_RADIUS), rings=14, segments=20)
    cos_angle = (verts[:, 2] - centre[2]) / EYEBALL_RADIUS
    colors = np.where((cos_angle > np.cos(np.radians(13)))[:, None], PUPIL,
                      np.where((cos_angle > np.cos(np.radians(30)))[:, None], IRIS, SCLERA))
    return Part(verts, faces, colors)


def teeth_arch(z_front: float, upper: bool) -> Part:
    """A U-shaped strip of teeth just behind the lips (outward-facing)."""
    angles = np.linspace(-1.1, 1.1, 17)
    radius_x, radius_z = MOUTH_HALF_WIDTH * 0.95, 0.022
    y_edge = Y_MOUTH + (0.0008 if upper else -0.0008)
    y_root = Y_MOUTH + (0.0095 if upper else -0.0095)
    ring = np.stack([radius_x * np.sin(angles), np.zeros_like(angles), z_front - radius_z * (1 - np.cos(angles))], -1)
    verts = np.concatenate([ring + [0, y_root, 0], ring + [0, y_edge, 0]])
    n = len(angles)
    faces = []
    for i in range(n - 1):
        a, b, c, d = i, i + 1, n + i, n + i + 1  # a,b on the root row; c,d on the edge row
        faces += [(a, b, d), (a, d, c)] if not upper else [(a, d, b), (a, c, d)]
    return Part(verts, np.array(faces, dtype=np.int64), np.tile(TEETH, (len(verts), 1)))


def mouth_cavity(z_front: float) -> Part:
    """A dark ellipsoidal bag behind the lips, seen from inside."""
    centre = np.array([0.0, Y_MOUTH - 0.004, z_front - 0.03])
    verts, faces = uv_sphere(centre, np.array([MOUTH_HALF_WIDTH * 1.05, 0.02, 0.03]), rings=10, segments=16, inward=True)
    return Part(verts, faces, np.tile(CAVITY, (len(verts), 1)))

"""All rotation maths in one place: axis-angle, rotation matrices and the continuous 6D form.

Axis-angle vectors are ``[..., 3]`` in radians (direction = axis, norm = angle); matrices are
``[..., 3, 3]``; 6D is the first two matrix columns ``[..., 6]`` (Zhou et al. 2019). Plain
torch, no package imports, so it travels with the remote code of saved models.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["axis_angle_to_matrix", "matrix_to_axis_angle", "axis_angle_to_6d", "sixd_to_axis_angle",
           "axis_angle_to_quaternion", "slerp_axis_angle"]


def axis_angle_to_matrix(rotvec: torch.Tensor) -> torch.Tensor:
    """Rodrigues' formula. ``rotvec [..., 3]`` (radians) -> rotation matrices ``[..., 3, 3]``.

    Uses a Taylor expansion near zero so gradients stay finite at the identity.
    """
    theta2 = (rotvec * rotvec).sum(-1, keepdim=True)
    small = theta2 < 1e-8
    theta2_safe = torch.where(small, torch.ones_like(theta2), theta2)
    theta = theta2_safe.sqrt()
    # sin(t)/t and (1 - cos(t))/t^2, with series fallbacks for tiny angles.
    a = torch.where(small, 1.0 - theta2 / 6.0, torch.sin(theta) / theta)
    b = torch.where(small, 0.5 - theta2 / 24.0, (1.0 - torch.cos(theta)) / theta2_safe)
    x, y, z = rotvec.unbind(-1)
    zero = torch.zeros_like(x)
    skew = torch.stack([zero, -z, y, z, zero, -x, -y, x, zero], -1).reshape(*rotvec.shape[:-1], 3, 3)
    eye = torch.eye(3, dtype=rotvec.dtype, device=rotvec.device)
    return eye + a[..., None] * skew + b[..., None] * (skew @ skew)


def matrix_to_axis_angle(matrix: torch.Tensor) -> torch.Tensor:
    """Rotation matrices ``[..., 3, 3]`` -> axis-angle ``[..., 3]`` (radians), via quaternions."""
    m = matrix
    trace = m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2]
    candidates = torch.stack([
        1 + trace, 1 + m[..., 0, 0] - m[..., 1, 1] - m[..., 2, 2],
        1 - m[..., 0, 0] + m[..., 1, 1] - m[..., 2, 2], 1 - m[..., 0, 0] - m[..., 1, 1] + m[..., 2, 2],
    ], -1)
    best = candidates.argmax(-1, keepdim=True)
    w = torch.stack([1 + trace, m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1]], -1)
    x = torch.stack([m[..., 2, 1] - m[..., 1, 2], 1 + m[..., 0, 0] - m[..., 1, 1] - m[..., 2, 2], m[..., 1, 0] + m[..., 0, 1], m[..., 0, 2] + m[..., 2, 0]], -1)
    y = torch.stack([m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] + m[..., 0, 1], 1 - m[..., 0, 0] + m[..., 1, 1] - m[..., 2, 2], m[..., 2, 1] + m[..., 1, 2]], -1)
    z = torch.stack([m[..., 1, 0] - m[..., 0, 1], m[..., 0, 2] + m[..., 2, 0], m[..., 2, 1] + m[..., 1, 2], 1 - m[..., 0, 0] - m[..., 1, 1] + m[..., 2, 2]], -1)
    quats = torch.stack([w, x, y, z], -2)  # [..., 4 candidates, 4]
    q = torch.gather(quats, -2, best.unsqueeze(-1).expand(*best.shape[:-1], 1, 4)).squeeze(-2)
    q = q / q.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    q = torch.where(q[..., :1] < 0, -q, q)
    sin_half = q[..., 1:].norm(dim=-1, keepdim=True)
    angle = 2 * torch.atan2(sin_half, q[..., :1])
    scale = torch.where(sin_half > 1e-6, angle / sin_half.clamp_min(1e-12), 2.0 + angle**2 / 12)
    return q[..., 1:] * scale


def axis_angle_to_6d(rotvec: torch.Tensor) -> torch.Tensor:
    """Axis-angle ``[..., 3]`` -> the continuous 6D representation (first two matrix columns)."""
    return axis_angle_to_matrix(rotvec)[..., :, :2].transpose(-1, -2).reshape(*rotvec.shape[:-1], 6)


def sixd_to_axis_angle(sixd: torch.Tensor) -> torch.Tensor:
    """6D ``[..., 6]`` -> axis-angle ``[..., 3]`` (Gram-Schmidt, then matrix -> axis-angle)."""
    a, b = sixd[..., :3], sixd[..., 3:]
    c1 = F.normalize(a, dim=-1)
    c2 = F.normalize(b - (c1 * b).sum(-1, keepdim=True) * c1, dim=-1)
    c3 = torch.cross(c1, c2, dim=-1)
    return matrix_to_axis_angle(torch.stack([c1, c2, c3], -1))


def axis_angle_to_quaternion(rotvec: np.ndarray) -> np.ndarray:
    """Axis-angle ``[..., 3]`` (radians) -> unit quaternions ``[..., 4]`` in (x, y, z, w) order, as glTF stores them."""
    from scipy.spatial.transform import Rotation

    flat = np.asarray(rotvec, np.float64).reshape(-1, 3)
    return Rotation.from_rotvec(flat).as_quat().reshape(*np.shape(rotvec)[:-1], 4)


def slerp_axis_angle(times: np.ndarray, rotvec: np.ndarray, new_times: np.ndarray) -> np.ndarray:
    """Rotations ``rotvec [T, 3]`` at ``times [T]`` (s, increasing) -> ``[T', 3]`` at ``new_times [T']`` by
    spherical linear interpolation (the shortest arc between neighbouring keys)."""
    from scipy.spatial.transform import Rotation, Slerp

    return Slerp(times, Rotation.from_rotvec(np.asarray(rotvec, np.float64)))(new_times).as_rotvec()

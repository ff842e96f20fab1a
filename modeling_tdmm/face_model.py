"""One differentiable layer for FLAME-format face models (real FLAME files or the embedded open heads).

Inputs follow the clip contract: ``shape [B, S]`` (or ``[S]`` shared by the batch),
``expression [B, E]``, ``jaw_pose``/``head_pose``/``neck_pose [B, 3]`` axis-angle radians,
``eye_pose [B, 6]`` (left then right), ``eyelids [B, 2]`` closure weights (0 = open). The output
is vertices ``[B, V, 3]`` in metres (y up, the face looks along +z).

Real FLAME files are read from the user's path and never copied anywhere; ``open-head-v2``
(the default) and ``open-head-v1`` are our licence-free embedded heads (``modeling_tdmm/assets/``).
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse
import torch
from torch import nn

from .io_utils import NpzArchive, as_real_array, looks_like_npz, read_npy, require_regular_file
from .lbs import rigid_transforms, skin
from .rotations import axis_angle_to_matrix
from .safe_pickle import load_pickle

ASSETS = Path(__file__).parent / "assets"
#: The embedded licence-free heads; v2 = v1 plus subject attribute components (one family, see face_model_family).
EMBEDDED_MODELS = {"open-head-v1": ASSETS / "open-head-v1.npz", "open-head-v2": ASSETS / "open-head-v2.npz"}
DEFAULT_FACE_MODEL = "open-head-v2"
#: Their identity widths (the files' ``num_shape``, checked by the tests), known without reading them.
EMBEDDED_NUM_SHAPE = {"open-head-v1": 12, "open-head-v2": 21}
FLAME_NUM_SHAPE = 300
NUM_JOINTS = 5
JOINT_NAMES = ("global", "neck", "jaw", "left_eye", "right_eye")
REQUIRED_KEYS = ("v_template", "f", "shapedirs", "posedirs", "J_regressor", "weights", "kintree_table")
#: Float arrays that must be finite wherever a file has them.
FLOAT_KEYS = ("v_template", "shapedirs", "posedirs", "J_regressor", "weights", "eyelid_dirs", "vertex_colors", "albedo_dirs")


class FaceModelFormatError(ValueError):
    """A face-model file is missing a key or has an array of the wrong shape, dtype or values."""


def _dense(array: Any) -> np.ndarray:
    return np.asarray(array.toarray() if scipy.sparse.issparse(array) else array)


def _indices(arrays: dict[str, Any], key: str, source: str, count: int, what: str) -> np.ndarray:
    """Integer array ``arrays[key]`` whose values all lie in ``[0, count)``."""
    values = as_real_array(arrays[key], f"{source}: key '{key}'", FaceModelFormatError)
    if values.dtype.kind not in "iu":
        raise FaceModelFormatError(f"{source}: key '{key}' should hold integer {what}, got dtype {values.dtype}")
    if values.size and (values.min() < 0 or values.max() >= count):
        raise FaceModelFormatError(f"{source}: key '{key}' should hold {what} in [0, {count}), "
                                   f"got values in [{values.min()}, {values.max()}]")
    return values


def _check_values(arrays: dict[str, Any], source: str) -> None:
    """Value ranges (after :func:`_check_layout`): faces index existing vertices, the kinematic
    tree lists each joint's parent before it, float arrays are finite, ``num_shape`` fits."""
    num_v = np.shape(arrays["v_template"])[0]
    _indices(arrays, "f", source, num_v, "vertex indices")
    parents = as_real_array(arrays["kintree_table"], f"{source}: key 'kintree_table'", FaceModelFormatError)[0]
    if parents.dtype.kind not in "iu" or any(not 0 <= parents[j] < j for j in range(1, NUM_JOINTS)):
        raise FaceModelFormatError(f"{source}: key 'kintree_table' row 0 should give each joint j > 0 a parent in [0, j) "
                                   f"(parents before children, no cycles), got {parents.tolist()}")
    for key in FLOAT_KEYS:
        if key in arrays:
            values = as_real_array(_dense(arrays[key]), f"{source}: key '{key}'", FaceModelFormatError)
            if not np.isfinite(values).all():
                raise FaceModelFormatError(f"{source}: key '{key}' has NaN/inf values; a face model must be finite")
    if "landmark_indices" in arrays:
        _indices(arrays, "landmark_indices", source, num_v, "vertex indices")
    if "num_shape" in arrays:
        num_shape = as_real_array(arrays["num_shape"], f"{source}: key 'num_shape'", FaceModelFormatError)
        columns = np.shape(arrays["shapedirs"])[2]
        if num_shape.ndim != 0 or num_shape.dtype.kind not in "iu" or not 0 <= num_shape < columns:
            raise FaceModelFormatError(f"{source}: key 'num_shape' should be one integer in [0, {columns}), got {num_shape!r:.40}")


def _check_layout(arrays: dict[str, Any], source: str) -> None:
    missing = [k for k in REQUIRED_KEYS if k not in arrays]
    if missing:
        raise FaceModelFormatError(f"{source}: missing key(s) {missing}; a FLAME-format file needs {list(REQUIRED_KEYS)}")
    num_v = np.shape(arrays["v_template"])[0]
    expected = {
        "v_template": (num_v, 3),
        "shapedirs": (num_v, 3, None),
        "posedirs": (num_v, 3, (NUM_JOINTS - 1) * 9),
        "J_regressor": (NUM_JOINTS, num_v),
        "weights": (num_v, NUM_JOINTS),
        "kintree_table": (2, NUM_JOINTS),
        "f": (None, 3),
    }
    if "vertex_colors" in arrays:
        expected["vertex_colors"] = (num_v, 3)
    for key, shape in expected.items():
        got = np.shape(arrays[key])
        if len(got) != len(shape) or any(e is not None and e != g for e, g in zip(shape, got)):
            want = "[" + ", ".join("N" if e is None else str(e) for e in shape) + "]"
            raise FaceModelFormatError(f"{source}: key '{key}' should have shape {want}, got {list(got)}")


def read_face_model_arrays(path: str | os.PathLike) -> dict[str, Any]:
    """Read a FLAME ``.pkl`` (restricted unpickler, no chumpy needed) or a layout ``.npz``.

    Regular files only; an ``.npz`` is checked member by member from its headers (required keys
    real numbers, no objects, sizes within limits) before loading. Shapes and value ranges are
    checked (:func:`_check_layout`, :func:`_check_values`).
    """
    source = require_regular_file(path, "face model file")
    if looks_like_npz(source):
        with NpzArchive(source, FaceModelFormatError) as archive:
            arrays = {k: archive.load(k, kinds="iuf" if k in REQUIRED_KEYS else "biufUS") for k in archive.files}
    else:
        arrays = load_pickle(source, strict=False)  # unused exotic chumpy entries must not block loading
        if not isinstance(arrays, dict):
            raise FaceModelFormatError(f"{source}: expected a pickled dict of arrays, got {type(arrays).__name__}")
    _check_layout(arrays, source)
    _check_values(arrays, source)
    return arrays


def _eyelid(path: Path, shape: tuple[int, ...]) -> np.ndarray:
    """One of SMIRK's eyelid blendshapes ``[V, 3]`` (a regular, finite ``.npy`` of ``shape``)."""
    try:
        values = read_npy(path, "eyelid blendshape", FaceModelFormatError, shape=shape)
    except OSError as exc:  # a folder, FIFO or device where the .npy should be
        raise FaceModelFormatError(str(exc)) from None
    if not np.isfinite(values).all():
        raise FaceModelFormatError(f"{path}: eyelid blendshape has NaN/inf values; it must be finite")
    return values


def face_model_family(name: str) -> str:
    """Models whose clips mean the same motion count as one family: ``flame2020`` and ``flame2023``
    share FLAME's parameter layout (``"flame"``); ``open-head-v1`` and ``open-head-v2`` share every
    array but v2's appended identity columns (``"open-head"``)."""
    if name.startswith("flame"):
        return "flame"
    return "open-head" if name in EMBEDDED_MODELS else name


def _guess_flame_name(source: str) -> str:
    lowered = os.path.basename(source).lower()
    return "flame2023" if "2023" in lowered else "flame2020"


class FaceModel(nn.Module):
    """FLAME-format face model: identity + expression blendshapes, pose correctives, 5-joint LBS.

    Attributes:
        name: ``"open-head-v1"``, ``"flame2020"``, ``"flame2023"`` or the file stem.
        faces: ``LongTensor [F, 3]``.
        num_shape, num_expression: widths of the identity and expression bases.
        expression_names: names of the expression shapes (FACS action units for open-head-v1),
            ``None`` for FLAME's PCA basis.
        landmarks: ``{name: vertex index}`` where the model defines them.
    """

    def __init__(self, arrays: dict[str, Any], num_shape: int, name: str, source: str = "") -> None:
        super().__init__()
        self.name = name
        self.source = source
        v_template = np.asarray(arrays["v_template"], dtype=np.float64)
        num_v = v_template.shape[0]
        dirs = np.asarray(arrays["shapedirs"], dtype=np.float64)
        if dirs.shape[2] <= num_shape:
            raise FaceModelFormatError(
                f"{source}: 'shapedirs' has {dirs.shape[2]} columns, expected {num_shape} identity columns plus expression columns"
            )
        regressor = _dense(arrays["J_regressor"]).astype(np.float64)
        parents = np.asarray(arrays["kintree_table"])[0].astype(np.int64)
        parents[0] = -1
        self.parents = [int(p) for p in parents]
        self.num_shape = num_shape
        self.num_expression = dirs.shape[2] - num_shape
        self.num_vertices = num_v
        names = arrays.get("expression_names")
        self.expression_names = [str(n) for n in names] if names is not None else None
        self.landmarks = (
            {str(n): int(i) for n, i in zip(arrays["landmark_names"], arrays["landmark_indices"])}
            if "landmark_names" in arrays
            else {}
        )

        # Vertex data is stored coordinate-major ([x_0..x_V, y_0..y_V, z_0..z_V]) so that every
        # per-frame step works on contiguous rows; see lbs.skin.
        def flat(d: np.ndarray) -> torch.Tensor:  # [V, 3, K] -> [K, 3*V]
            return torch.tensor(d.transpose(2, 1, 0).reshape(d.shape[2], -1).copy(), dtype=torch.float32)

        def joint_dirs(d: np.ndarray) -> torch.Tensor:  # [V, 3, K] -> [K, J*3]
            return torch.tensor(np.einsum("jv,vck->kjc", regressor, d).reshape(d.shape[2], -1), dtype=torch.float32)

        self.register_buffer("v_template", torch.tensor(v_template.T.reshape(1, -1).copy(), dtype=torch.float32))
        self.register_buffer("identity_dirs", flat(dirs[:, :, :num_shape]))
        self.register_buffer("expression_dirs", flat(dirs[:, :, num_shape:]))
        self.register_buffer("pose_dirs", flat(np.asarray(arrays["posedirs"], dtype=np.float64)))
        self.register_buffer("joint_template", torch.tensor((regressor @ v_template).reshape(1, -1), dtype=torch.float32))
        self.register_buffer("joint_identity_dirs", joint_dirs(dirs[:, :, :num_shape]))
        self.register_buffer("joint_expression_dirs", joint_dirs(dirs[:, :, num_shape:]))
        self.register_buffer("lbs_weights", torch.tensor(np.asarray(arrays["weights"]), dtype=torch.float32))
        self.register_buffer("lbs_weights_t", self.lbs_weights.T.contiguous())
        self.register_buffer("faces", torch.tensor(np.asarray(arrays["f"]).astype(np.int64)))
        eyelids = arrays.get("eyelid_dirs")
        self.register_buffer("eyelid_dirs", None if eyelids is None else flat(np.asarray(eyelids, dtype=np.float64)))
        colors = arrays.get("vertex_colors")
        self.register_buffer("vertex_colors", None if colors is None else torch.tensor(np.asarray(colors), dtype=torch.float32))
        albedo_dirs = arrays.get("albedo_dirs")
        if albedo_dirs is not None and colors is None:
            raise FaceModelFormatError(f"{source}: key 'albedo_dirs' (colour changes) needs the base colours 'vertex_colors' [{num_v}, 3]")
        if albedo_dirs is not None and np.shape(albedo_dirs) != (num_v, 3, num_shape):
            raise FaceModelFormatError(f"{source}: key 'albedo_dirs' should have shape [{num_v}, 3, {num_shape}] "
                                       f"(one colour change per identity column), got {list(np.shape(albedo_dirs))}")
        self.register_buffer("albedo_dirs", None if albedo_dirs is None else torch.tensor(np.asarray(albedo_dirs), dtype=torch.float32))
        self._warned_no_eyelids = False

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, name_or_path: str | os.PathLike = DEFAULT_FACE_MODEL, eyelids_dir: str | os.PathLike | None = None) -> "FaceModel":
        """Load an embedded model (``"open-head-v2"``, ``"open-head-v1"``), a FLAME ``.pkl`` (2020/2023) or a FLAME-layout ``.npz``.

        For FLAME, SMIRK's eyelid blendshapes (``l_eyelid.npy``, ``r_eyelid.npy``, each
        ``[5023, 3]``) are picked up from ``eyelids_dir`` or the model's own folder if present.
        """
        key = os.fspath(name_or_path)
        if key in EMBEDDED_MODELS:
            arrays = read_face_model_arrays(EMBEDDED_MODELS[key])
            return cls(arrays, int(arrays["num_shape"]), key, source=key)
        if not os.path.exists(key):
            raise FileNotFoundError(
                f"face model '{key}' is neither an embedded model {sorted(EMBEDDED_MODELS)} nor an existing file"
            )
        arrays = read_face_model_arrays(key)
        if "num_shape" in arrays:
            num_shape = int(arrays["num_shape"])
            name = str(arrays["name"]) if "name" in arrays else Path(key).stem
        else:
            num_shape = FLAME_NUM_SHAPE
            name = _guess_flame_name(key)
            folder = Path(eyelids_dir) if eyelids_dir else Path(key).parent
            left, right = folder / "l_eyelid.npy", folder / "r_eyelid.npy"
            if left.exists() and right.exists():
                arrays["eyelid_dirs"] = np.stack([_eyelid(p, np.shape(arrays["v_template"])) for p in (left, right)], -1)
        return cls(arrays, num_shape, name, source=key)

    # ------------------------------------------------------------------ evaluation
    @property
    def has_eyelids(self) -> bool:
        return self.eyelid_dirs is not None

    def _coeffs(self, value: torch.Tensor | None, width: int, field: str, batch: int) -> torch.Tensor | None:
        if value is None:
            return None
        value = torch.as_tensor(value, dtype=self.v_template.dtype, device=self.v_template.device)
        if value.dim() == 1:
            value = value.unsqueeze(0)
        if value.dim() != 2 or value.shape[1] > width or value.shape[0] not in (1, batch):
            raise ValueError(f"{self.name}: '{field}' should be [B, <= {width}] with B = {batch} (or 1), got {list(value.shape)}")
        return value  # narrower than the basis: the missing trailing coefficients are zero

    def _pose(self, value: torch.Tensor | None, width: int, field: str, batch: int) -> torch.Tensor:
        if value is None:
            return self.v_template.new_zeros(batch, width)
        value = torch.as_tensor(value, dtype=self.v_template.dtype, device=self.v_template.device)
        if value.dim() == 1:
            value = value.unsqueeze(0)
        if value.dim() != 2 or value.shape[1] != width or value.shape[0] not in (1, batch):
            raise ValueError(f"{self.name}: '{field}' should be [B, {width}] with B = {batch}, got {list(value.shape)}")
        return value.expand(batch, width)

    def forward(
        self,
        shape: torch.Tensor | None = None,
        expression: torch.Tensor | None = None,
        jaw_pose: torch.Tensor | None = None,
        head_pose: torch.Tensor | None = None,
        eyelids: torch.Tensor | None = None,
        neck_pose: torch.Tensor | None = None,
        eye_pose: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Vertices ``[B, V, 3]`` (m). A 1-D ``shape`` is shaped once and shared by all frames."""
        sizes = [np.shape(t) for t in (shape, expression, jaw_pose, head_pose, eyelids, neck_pose, eye_pose) if t is not None]
        batch = max((s[0] for s in sizes if len(s) == 2), default=1)
        betas = self._coeffs(shape, self.num_shape, "shape", batch)
        expr = self._coeffs(expression, self.num_expression, "expression", batch)

        verts = self.v_template
        joints = self.joint_template
        if betas is not None:
            k = betas.shape[1]
            verts = verts + betas @ self.identity_dirs[:k]
            joints = joints + betas @ self.joint_identity_dirs[:k]
        if expr is not None:
            k = expr.shape[1]
            verts = verts + expr @ self.expression_dirs[:k]
            joints = joints + expr @ self.joint_expression_dirs[:k]
        if eyelids is not None:
            lids = self._pose(eyelids, 2, "eyelids", batch)
            if self.eyelid_dirs is not None:
                verts = verts + lids @ self.eyelid_dirs
            elif not self._warned_no_eyelids and bool((lids != 0).any()):
                warnings.warn(f"{self.name} has no eyelid blendshapes: eyelid closure is ignored", stacklevel=2)
                self._warned_no_eyelids = True

        pose = torch.cat(
            [
                self._pose(head_pose, 3, "head_pose", batch),
                self._pose(neck_pose, 3, "neck_pose", batch),
                self._pose(jaw_pose, 3, "jaw_pose", batch),
                self._pose(eye_pose, 6, "eye_pose", batch),
            ],
            1,
        ).view(batch, NUM_JOINTS, 3)
        rotations = axis_angle_to_matrix(pose)
        eye = torch.eye(3, dtype=rotations.dtype, device=rotations.device)
        pose_feature = (rotations[:, 1:] - eye).reshape(batch, -1)
        verts = torch.addmm(verts, pose_feature, self.pose_dirs).view(batch, 3, -1)
        joints = joints.expand(batch, -1).reshape(batch, NUM_JOINTS, 3)
        _, transforms = rigid_transforms(rotations, joints, self.parents)
        return skin(verts, self.lbs_weights_t, transforms).transpose(1, 2).contiguous()

    # ------------------------------------------------------------------ vertex subsets
    def most_active_vertices(self, count: int) -> torch.Tensor:
        """Indices ``[count]`` of the vertices that expression, eyelids and jaw move most."""
        def motion(dirs: torch.Tensor | None) -> torch.Tensor:
            if dirs is None:
                return torch.zeros(self.num_vertices)
            return dirs.view(dirs.shape[0], 3, -1).norm(dim=1).sum(0)

        score = motion(self.expression_dirs) + motion(self.eyelid_dirs) + 0.01 * self.lbs_weights[:, 2]
        return score.topk(min(count, self.num_vertices)).indices.sort().values

    def subset(self, indices: torch.Tensor) -> "FaceModel":
        """The same model evaluated on vertices ``indices`` only (joints still from the full mesh).

        For losses on the moving part of the face: far cheaper than the whole head. The
        subset has no faces.
        """
        indices = torch.as_tensor(indices, dtype=torch.long)
        part = object.__new__(FaceModel)
        nn.Module.__init__(part)
        part.__dict__.update({k: v for k, v in self.__dict__.items() if k not in ("_buffers", "_modules", "_parameters")})

        def rows(buffer: torch.Tensor | None) -> torch.Tensor | None:  # [K, 3V] coordinate-major
            return None if buffer is None else buffer.view(buffer.shape[0], 3, -1)[:, :, indices].reshape(buffer.shape[0], -1)

        for name, value in self._buffers.items():
            if name in ("v_template", "identity_dirs", "expression_dirs", "pose_dirs", "eyelid_dirs"):
                value = rows(value)
            elif name in ("lbs_weights", "vertex_colors"):
                value = None if value is None else value[indices]
            elif name == "lbs_weights_t":
                value = value[:, indices].contiguous()
            elif name == "faces":
                value = value.new_zeros(0, 3)
            part.register_buffer(name, value)
        part.num_vertices = len(indices)
        return part

    # ------------------------------------------------------------------ bases as [K, V, 3]
    def offsets(self, basis: str) -> torch.Tensor:
        """Blendshape displacements ``[K, V, 3]`` (m) of ``"identity"``, ``"expression"`` or ``"eyelids"``."""
        dirs = {"identity": self.identity_dirs, "expression": self.expression_dirs, "eyelids": self.eyelid_dirs}[basis]
        if dirs is None:
            raise ValueError(f"{self.name} has no {basis} blendshapes")
        return dirs.view(dirs.shape[0], 3, -1).transpose(1, 2)

    def rest(self, shape: torch.Tensor | np.ndarray | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Unposed vertices ``[V, 3]`` and joints ``[5, 3]`` for one identity ``shape [<= S]``."""
        verts, joints = self.v_template, self.joint_template
        betas = self._coeffs(shape, self.num_shape, "shape", 1)
        if betas is not None and betas.shape[1]:
            verts = verts + betas @ self.identity_dirs[: betas.shape[1]]
            joints = joints + betas @ self.joint_identity_dirs[: betas.shape[1]]
        return verts.view(3, -1).T, joints.view(NUM_JOINTS, 3)

    def identity_for(self, clip: Any) -> torch.Tensor:
        """The clip's identity ``[<= S]`` if it was made for this model (family), else neutral.

        Identity coefficients do not carry over between face models, so a clip made for
        another one is shown with the neutral identity (and a warning).
        """
        if face_model_family(clip.face_model) == face_model_family(self.name):
            return torch.as_tensor(clip.shape[: self.num_shape])
        warnings.warn(
            f"clip '{clip.clip_id or clip.origin}' was made for {clip.face_model}, shown with {self.name}: "
            "neutral identity, expression read in this model's basis",
            stacklevel=3,
        )
        return torch.zeros(0)

    @torch.no_grad()
    def clip_vertices(self, clip: Any, chunk: int = 256, shape: torch.Tensor | None = None) -> np.ndarray:
        """Vertices ``[T, V, 3]`` (float32, m) for every frame of a :class:`FaceClip`, on identity ``shape``
        (default :meth:`identity_for` the clip)."""
        shape = self.identity_for(clip) if shape is None else shape
        out = []
        for start in range(0, clip.num_frames, chunk):
            sl = slice(start, start + chunk)
            out.append(
                self(
                    shape=shape,
                    expression=torch.as_tensor(clip.expression[sl, : self.num_expression]),
                    jaw_pose=torch.as_tensor(clip.jaw_pose[sl]),
                    head_pose=torch.as_tensor(clip.head_pose[sl]),
                    eyelids=torch.as_tensor(clip.eyelids[sl]),
                    neck_pose=None if clip.neck_pose is None else torch.as_tensor(clip.neck_pose[sl]),
                    eye_pose=None if clip.eye_pose is None else torch.as_tensor(clip.eye_pose[sl]),
                ).numpy()
            )
        return np.concatenate(out)

    def albedo(self, shape: torch.Tensor | np.ndarray | None = None) -> np.ndarray | None:
        """Per-vertex base colours ``[V, 3]`` in [0, 1] where the model has them, for identity
        ``shape [<= S]`` where the model's identity columns change colour (``albedo_dirs``)."""
        if self.vertex_colors is None:
            return None
        colors = self.vertex_colors
        if self.albedo_dirs is None:  # colour does not depend on the identity
            return colors.numpy()
        betas = self._coeffs(shape, self.num_shape, "shape", 1)
        if betas is not None and betas.shape[1]:
            colors = (colors + torch.einsum("vck,k->vc", self.albedo_dirs[:, :, : betas.shape[1]], betas[0])).clamp(0.0, 1.0)
        return colors.numpy()

"""Synthetic FLAME-format files with FLAME's real dimensions (no licensed data involved).

:func:`flame_like_arrays` is random (right sizes, no face); :func:`face_like_flame_arrays` is a face:
open-head-v1 disguised as a FLAME file (vertices reordered, the head reshaped and moved, the
expression basis mixed like a PCA basis), for testing retargeting against a known answer.

``write_chumpy_pickle`` writes the arrays the way the FLAME release does: Python-2 protocol
pickles (``copy_reg``/``__builtin__`` names) whose arrays are wrapped in ``chumpy.ch.Ch`` and
``chumpy.reordering.Select`` objects, with a scipy sparse ``J_regressor``. chumpy itself is
never imported: stand-in classes registered under chumpy's module names produce the same
pickle opcodes, and are removed again before anything is loaded.
"""
from __future__ import annotations

import pickle
import sys
import types
from pathlib import Path

import numpy as np
import scipy.sparse

from .io_utils import atomic_path

NUM_VERTICES, NUM_FACES, NUM_SHAPE, NUM_EXPR = 5023, 9976, 300, 100


def flame_like_arrays(seed: int = 0) -> dict[str, object]:
    """Random but well-formed FLAME arrays (metres-scale, normalised weights and regressor)."""
    rng = np.random.default_rng(seed)
    direction = rng.normal(size=(NUM_VERTICES, 3))
    v_template = 0.1 * direction / np.linalg.norm(direction, axis=1, keepdims=True)
    faces = rng.integers(0, NUM_VERTICES, size=(NUM_FACES, 3)).astype(np.uint32)
    shapedirs = rng.normal(scale=2e-3, size=(NUM_VERTICES, 3, NUM_SHAPE + NUM_EXPR))
    posedirs = rng.normal(scale=2e-3, size=(NUM_VERTICES, 3, 36))
    regressor = np.zeros((5, NUM_VERTICES))
    for j in range(5):
        idx = rng.choice(NUM_VERTICES, 24, replace=False)
        regressor[j, idx] = rng.dirichlet(np.ones(24))
    weights = rng.dirichlet(np.full(5, 0.4), size=NUM_VERTICES)
    kintree = np.array([[4294967295, 0, 1, 1, 1], [0, 1, 2, 3, 4]], dtype=np.int64)
    return {
        "v_template": v_template,
        "f": faces,
        "shapedirs": shapedirs,
        "posedirs": posedirs,
        "J_regressor": scipy.sparse.csc_matrix(regressor),
        "weights": weights,
        "kintree_table": kintree,
        "J": regressor @ v_template,
        "bs_style": "lbs",
        "bs_type": "lrotmin",
    }


def _warp(points: np.ndarray) -> np.ndarray:
    """A smooth, non-rigid change of head shape ``[N, 3] -> [N, 3]`` (m): a wider lower face, a larger nose,
    then 10% larger and moved (what a similarity cannot undo and a registration must)."""
    x, y, z = points.T
    wider = 1 + 0.08 / (1 + np.exp((y + 0.05) / 0.02))
    nose = 0.004 * np.exp(-(x**2 + (y + 0.02) ** 2) / (2 * 0.015**2))
    return 1.1 * np.stack([x * wider, y, z + nose], 1) + np.array([0.0, 0.02, -0.01])


def face_like_flame_arrays(seed: int = 0) -> tuple[dict[str, object], np.ndarray, np.ndarray]:
    """open-head-v1 as a FLAME-layout file: ``(arrays, mixing, eyelids)``.

    The vertices are permuted, the head is warped (:func:`_warp`; blendshape displacements carried through
    it), the 50 FACS shapes are replaced by ``E @ mixing`` (``mixing [50, 50]`` a random orthogonal matrix, so
    the columns look like PCA components), padded with zero columns to FLAME's 300 identity and 100 expression
    columns; no names or colours. Like FLAME, the file has no eyelid shapes: ``eyelids [V, 3, 2]`` (left, right)
    are open-head-v1's, carried the same way, for :func:`write_smirk_eyelids`. A clip with open-head-v1
    expression ``e [T, 50]`` is the same motion on this model with expression ``e @ mixing`` (to first order:
    the warp is not linear, so a displacement carried through it is exact only at small amplitudes).
    """
    from .face_model import EMBEDDED_MODELS, read_face_model_arrays

    head = read_face_model_arrays(EMBEDDED_MODELS["open-head-v1"])
    rng = np.random.default_rng(seed)
    template = np.asarray(head["v_template"], np.float64)
    order = rng.permutation(len(template))  # new vertex i is old vertex order[i]
    new_index = np.argsort(order)
    mixing, _ = np.linalg.qr(rng.normal(size=(50, 50)))
    num_shape = int(head["num_shape"])

    def carried(dirs: np.ndarray) -> np.ndarray:  # [V, 3, K] displacements through the warp, reordered
        moved = np.stack([_warp(template + dirs[:, :, k]) - _warp(template) for k in range(dirs.shape[2])], 2)
        return moved[order]

    dirs = np.asarray(head["shapedirs"], np.float64)
    identity, expression = carried(dirs[:, :, :num_shape]), carried(dirs[:, :, num_shape:num_shape + 50]) @ mixing
    shapedirs = np.zeros((len(template), 3, NUM_SHAPE + NUM_EXPR))
    shapedirs[:, :, :num_shape] = identity
    shapedirs[:, :, NUM_SHAPE:NUM_SHAPE + 50] = expression
    regressor = np.asarray(head["J_regressor"], np.float64)[:, order]
    v_template = _warp(template)[order]
    arrays = {
        "v_template": v_template,
        "f": new_index[np.asarray(head["f"])].astype(np.uint32),
        "shapedirs": shapedirs,
        "posedirs": carried(np.asarray(head["posedirs"], np.float64)),
        "J_regressor": scipy.sparse.csc_matrix(regressor),
        "weights": np.asarray(head["weights"], np.float64)[order],
        "kintree_table": np.asarray(head["kintree_table"]),
        "J": regressor @ v_template,
        "bs_style": "lbs",
        "bs_type": "lrotmin",
    }
    return arrays, mixing, carried(np.asarray(head["eyelid_dirs"], np.float64))


def write_smirk_eyelids(eyelids: np.ndarray, folder: Path) -> Path:
    """SMIRK's eyelid blendshapes beside a model: ``l_eyelid.npy`` and ``r_eyelid.npy`` from ``eyelids [V, 3, 2]``."""
    for side, name in enumerate(("l_eyelid.npy", "r_eyelid.npy")):
        with atomic_path(folder / name) as tmp, open(tmp, "wb") as handle:
            np.save(handle, eyelids[:, :, side].astype(np.float32))
    return folder


class _FakeChumpy:
    """Registers ``chumpy.ch.Ch`` and ``chumpy.reordering.Select`` stand-ins while pickling."""

    def __enter__(self) -> tuple[type, type]:
        ch_mod = types.ModuleType("chumpy.ch")
        reorder_mod = types.ModuleType("chumpy.reordering")

        class Ch:
            def __init__(self, x):
                self.x = x

            def __getstate__(self):  # chumpy drops _parents/_cache; x holds the array
                return {"x": self.x, "_dirty_vars": set(), "_itr": None}

        class Select:
            def __init__(self, a, idxs, preferred_shape):
                self.a, self.idxs, self.preferred_shape = a, idxs, preferred_shape

            def __getstate__(self):
                return {"a": self.a, "idxs": self.idxs, "preferred_shape": self.preferred_shape}

        for cls, mod in ((Ch, ch_mod), (Select, reorder_mod)):
            cls.__module__ = mod.__name__
            cls.__qualname__ = cls.__name__
            setattr(mod, cls.__name__, cls)
        self.saved = {k: sys.modules.get(k) for k in ("chumpy", "chumpy.ch", "chumpy.reordering")}
        sys.modules["chumpy"] = types.ModuleType("chumpy")
        sys.modules["chumpy.ch"] = ch_mod
        sys.modules["chumpy.reordering"] = reorder_mod
        return Ch, Select

    def __exit__(self, *exc) -> None:
        for key, value in self.saved.items():
            if value is None:
                sys.modules.pop(key, None)
            else:
                sys.modules[key] = value


def write_plain_pickle(arrays: dict[str, object], path: Path) -> Path:
    with open(path, "wb") as handle:
        pickle.dump(arrays, handle, protocol=2)
    return path


def write_chumpy_pickle(arrays: dict[str, object], path: Path) -> Path:
    """FLAME-release style: chumpy-wrapped arrays, protocol 2 with Python-2 global names."""
    with _FakeChumpy() as (Ch, Select):
        wrapped = dict(arrays)
        wrapped["v_template"] = Ch(arrays["v_template"])
        wrapped["shapedirs"] = Ch(arrays["shapedirs"])
        wrapped["weights"] = Ch(arrays["weights"])
        posedirs = np.asarray(arrays["posedirs"])
        wrapped["posedirs"] = Select(Ch(posedirs.ravel()), np.arange(posedirs.size), posedirs.shape)
        with open(path, "wb") as handle:
            pickle.dump(wrapped, handle, protocol=2, fix_imports=True)
    return path


def write_smplx_folder(arrays: dict[str, object], folder: Path) -> Path:
    """What smplx's FLAME wants: FLAME_NEUTRAL.pkl + flame_static_embedding.pkl in one folder."""
    folder.mkdir(parents=True, exist_ok=True)
    write_plain_pickle(arrays, folder / "FLAME_NEUTRAL.pkl")
    rng = np.random.default_rng(1)
    embedding = {"lmk_face_idx": rng.integers(0, NUM_FACES, 51), "lmk_b_coords": rng.dirichlet(np.ones(3), 51)}
    with open(folder / "flame_static_embedding.pkl", "wb") as handle:
        pickle.dump(embedding, handle, protocol=2)
    return folder

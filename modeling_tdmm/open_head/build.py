"""Build the embedded open-head face model files (v1 and v2) from code.

    python -m modeling_tdmm.open_head.build [--out-dir modeling_tdmm/assets]

open-head-v2 is open-head-v1 with the subject attribute components of
:mod:`.attributes` appended to its 12 identity columns (and their colour changes as
``albedo_dirs``); vertices, faces, expression and eyelid shapes, rig and landmarks are the
same, so v1 and v2 are one face-model family. Each file has FLAME's layout (``v_template``, ``f``, ``shapedirs`` = identity then expression
columns, ``posedirs``, ``J_regressor``, ``weights``, ``kintree_table``) plus ``num_shape``,
``expression_names``, ``eyelid_dirs``, ``vertex_colors`` (v2: ``albedo_dirs``) and named landmarks. No pickle.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..io_utils import atomic_savez
from ..subjects import ATTRIBUTE_COMPONENTS, IDENTITY_COMPONENTS
from .attributes import attribute_dirs
from .rig import PARENTS, assemble
from .shapes import expression_dirs, expression_names, eyelid_dirs, identity_dirs

DEFAULT_OUT_DIR = Path(__file__).resolve().parents[1] / "assets"
VERSIONS = ("open-head-v1", "open-head-v2")


def build_arrays(version: str = "open-head-v2") -> dict[str, np.ndarray]:
    """All arrays of ``version`` (one of :data:`VERSIONS`; float32 geometry, metres)."""
    if version not in VERSIONS:
        raise ValueError(f"unknown open-head version {version!r}; expected one of {VERSIONS}")
    head = assemble()
    ident = identity_dirs(head)
    identity_names = list(IDENTITY_COMPONENTS)
    extra = {}
    if version == "open-head-v2":
        geometry, albedo = attribute_dirs(head)
        ident = np.concatenate([ident, geometry], -1)
        identity_names += ATTRIBUTE_COMPONENTS
        extra["albedo_dirs"] = np.concatenate([np.zeros((len(albedo), 3, len(IDENTITY_COMPONENTS))), albedo], -1).astype(np.float32)
    expr = expression_dirs(head)
    num_v = len(head.vertices)
    names = sorted(head.landmarks)
    return extra | {
        "v_template": head.vertices.astype(np.float32),
        "f": head.faces.astype(np.int32),
        "shapedirs": np.concatenate([ident, expr], -1).astype(np.float32),
        "posedirs": np.zeros((num_v, 3, 36), dtype=np.float32),
        "J_regressor": head.regressor.astype(np.float32),
        "weights": head.weights.astype(np.float32),
        "kintree_table": np.stack([PARENTS, np.arange(5)]).astype(np.int64),
        "num_shape": np.array(ident.shape[-1]),
        "identity_names": np.array(identity_names),
        "expression_names": np.array(expression_names()),
        "eyelid_dirs": eyelid_dirs(head).astype(np.float32),
        "vertex_colors": head.colors.astype(np.float32),
        "vertex_part": head.part.astype(np.int8),
        "landmark_names": np.array(names),
        "landmark_indices": np.array([head.landmarks[n] for n in names], dtype=np.int64),
        "name": np.array(version),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    args = parser.parse_args(argv)
    for version in VERSIONS:
        arrays = build_arrays(version)
        out = args.out_dir / f"{version}.npz"
        atomic_savez(out, arrays, compressed=True)
        print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB, {len(arrays['v_template'])} vertices, "
              f"{int(arrays['num_shape'])} identity components)")


if __name__ == "__main__":
    main()

"""Build the embedded open-head-v1 face model file from code.

    python -m modeling_tdmm.open_head.build [--out modeling_tdmm/assets/open-head-v1.npz]

The file has FLAME's layout (``v_template``, ``f``, ``shapedirs`` = identity then expression
columns, ``posedirs``, ``J_regressor``, ``weights``, ``kintree_table``) plus ``num_shape``,
``expression_names``, ``eyelid_dirs``, ``vertex_colors`` and named landmarks. No pickle.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..io_utils import atomic_savez
from .rig import PARENTS, assemble
from .shapes import IDENTITY_COMPONENTS, expression_dirs, expression_names, eyelid_dirs, identity_dirs

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "assets" / "open-head-v1.npz"


def build_arrays() -> dict[str, np.ndarray]:
    """All arrays of open-head-v1 (float32 geometry, metres)."""
    head = assemble()
    ident = identity_dirs(head)
    expr = expression_dirs(head)
    num_v = len(head.vertices)
    names = sorted(head.landmarks)
    return {
        "v_template": head.vertices.astype(np.float32),
        "f": head.faces.astype(np.int32),
        "shapedirs": np.concatenate([ident, expr], -1).astype(np.float32),
        "posedirs": np.zeros((num_v, 3, 36), dtype=np.float32),
        "J_regressor": head.regressor.astype(np.float32),
        "weights": head.weights.astype(np.float32),
        "kintree_table": np.stack([PARENTS, np.arange(5)]).astype(np.int64),
        "num_shape": np.array(ident.shape[-1]),
        "identity_names": np.array(IDENTITY_COMPONENTS),
        "expression_names": np.array(expression_names()),
        "eyelid_dirs": eyelid_dirs(head).astype(np.float32),
        "vertex_colors": head.colors.astype(np.float32),
        "vertex_part": head.part.astype(np.int8),
        "landmark_names": np.array(names),
        "landmark_indices": np.array([head.landmarks[n] for n in names], dtype=np.int64),
        "name": np.array("open-head-v1"),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    arrays = build_arrays()
    atomic_savez(args.out, arrays, compressed=True)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, {len(arrays['v_template'])} vertices)")


if __name__ == "__main__":
    main()

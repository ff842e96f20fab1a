from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from modeling_tdmm import FaceModel  # noqa: E402
from modeling_tdmm.clip import FaceClip  # noqa: E402
from modeling_tdmm.synthetic_flame import flame_like_arrays, write_chumpy_pickle, write_smplx_folder  # noqa: E402


@pytest.fixture(scope="session")
def open_head() -> FaceModel:
    return FaceModel.load("open-head-v1")


@pytest.fixture(scope="session")
def flame_files(tmp_path_factory) -> dict[str, Path]:
    """A FLAME-sized model written three ways: smplx folder, chumpy-style pickle, npz."""
    root = tmp_path_factory.mktemp("flame")
    arrays = flame_like_arrays()
    smplx_dir = write_smplx_folder(arrays, root / "smplx")
    chumpy_pkl = write_chumpy_pickle(arrays, root / "generic_model.pkl")
    npz = root / "flame_layout.npz"
    dense = {k: (v.toarray() if hasattr(v, "toarray") else v) for k, v in arrays.items() if isinstance(v, np.ndarray) or hasattr(v, "toarray")}
    np.savez(npz, **dense)
    return {"smplx_dir": smplx_dir, "chumpy_pkl": chumpy_pkl, "npz": npz}


def make_clip(num_frames: int = 30, fps: float = 25.0, seed: int = 0, **metadata) -> FaceClip:
    rng = np.random.default_rng(seed)
    return FaceClip(
        expression=rng.normal(scale=0.3, size=(num_frames, 50)),
        jaw_pose=np.abs(rng.normal(scale=0.1, size=(num_frames, 3))),
        eyelids=rng.uniform(0, 1, size=(num_frames, 2)),
        head_pose=rng.normal(scale=0.2, size=(num_frames, 3)),
        shape=rng.normal(size=12),
        fps=fps,
        **metadata,
    )


@pytest.fixture
def clip() -> FaceClip:
    return make_clip(clip_id="test", prompt="a test clip", captions=["one", "two"], source="procedural")

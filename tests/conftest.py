from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # the app tests make no request off this machine

from modeling_tdmm import FaceModel
from modeling_tdmm.clip import FaceClip
from modeling_tdmm.synthetic_flame import flame_like_arrays, write_chumpy_pickle, write_smplx_folder


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


TINY_CODEBOOK = 16


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> Path:
    """A ``make demo``-like folder of tiny untrained models: ``tokenizer/`` (a geometry tokenizer with its
    validation figures and training record), ``l2m/`` and ``m2l/`` (both recording that tokenizer)."""
    import json

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from modeling_tdmm.configuration_geometry_tokenizer import GeometryTokenizerConfig
    from modeling_tdmm.configuration_language2motion import Language2MotionConfig
    from modeling_tdmm.language2motion import Language2Motion
    from modeling_tdmm.modeling_geometry_tokenizer import GeometryTokenizer
    from modeling_tdmm.modeling_language2motion import Language2MotionModel
    from modeling_tdmm.processing_face_tokens import FaceTokenProcessor
    from modeling_tdmm.text_encoders import resolve_text_encoder
    from tdmm_hub.cards import write_training_record
    from tdmm_train.m2l_backbone import build_backbone

    root = tmp_path_factory.mktemp("models")
    tokenizer = root / "tokenizer"
    torch.manual_seed(0)
    config = GeometryTokenizerConfig(codebook_size=TINY_CODEBOOK, code_dim=8, hidden_size=16, num_res_blocks=1)
    GeometryTokenizer(config).save_pretrained(tokenizer)
    (tokenizer / "eval_results.json").write_text(json.dumps({"mean_vertex_error_mm": 3.0, "blink_recall": 0.9, "codes_used_pct": 50}))
    write_training_record(tokenizer, "python -m tdmm_train.train_tokenizer --max_steps 3", "procedural Open3DFaceVid, 60 clips")
    processor = FaceTokenProcessor.for_tokenizer(GeometryTokenizer.from_pretrained(tokenizer).eval(), str(tokenizer))
    l2m_config = Language2MotionConfig(codebook_size=TINY_CODEBOOK, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                       intermediate_size=64, max_motion_tokens=128, max_text_tokens=24)
    Language2Motion(Language2MotionModel.from_text_encoder(l2m_config).eval(),
                    AutoTokenizer.from_pretrained(resolve_text_encoder("all-MiniLM-L6-v2")), processor).save_pretrained(root / "l2m")
    (root / "l2m" / "eval_results.json").write_text(json.dumps({"eval_token_accuracy": 0.3}))
    m2l = build_backbone(["The person smiles and nods.", "A face looks worried, then blinks."] * 20, root / "m2l",
                         vocab_size=300, hidden_size=32, num_layers=1, num_heads=2, num_kv_heads=1, intermediate_size=64,
                         max_position_embeddings=512)
    text_tokenizer, model = AutoTokenizer.from_pretrained(m2l), AutoModelForCausalLM.from_pretrained(m2l)
    processor.add_to_tokenizer(text_tokenizer)
    model.resize_token_embeddings(len(text_tokenizer))
    model.save_pretrained(m2l)
    text_tokenizer.save_pretrained(m2l)
    processor.save_pretrained(m2l, tokenizer_path=str(tokenizer))
    return root

"""The evaluation report regenerates every number from the same models, corpus and seed."""
import json

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from modeling_tdmm.configuration_geometry_tokenizer import GeometryTokenizerConfig
from modeling_tdmm.configuration_language2motion import Language2MotionConfig
from modeling_tdmm.configuration_motion_evaluator import MotionEvaluatorConfig
from modeling_tdmm.language2motion import Language2Motion
from modeling_tdmm.modeling_geometry_tokenizer import GeometryTokenizer
from modeling_tdmm.modeling_language2motion import Language2MotionModel
from modeling_tdmm.modeling_motion_evaluator import MotionEvaluator
from modeling_tdmm.processing_face_tokens import FaceTokenProcessor
from modeling_tdmm.text_encoders import resolve_text_encoder
from open3dfacevid.corpus import build_corpus
from tdmm_eval.__main__ import main as tdmm_eval
from tdmm_eval.evaluator_labels import label_vocabularies
from tdmm_eval.report import run_report
from tdmm_train.m2l_backbone import build_backbone


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A run folder as `make demo` leaves it, with tiny untrained models (numbers mean nothing; they must repeat)."""
    root = tmp_path_factory.mktemp("run")
    build_corpus(root / "corpus", "procedural", num_clips=1000, seed=0, num_shards=1)
    text_tokenizer = AutoTokenizer.from_pretrained(resolve_text_encoder("all-MiniLM-L6-v2"))
    torch.manual_seed(0)
    evaluator = MotionEvaluator.from_text_encoder(MotionEvaluatorConfig(hidden_size=16, num_layers=1, embed_dim=8,
                                                                        **label_vocabularies()))
    evaluator.save_pretrained(root / "evaluator")
    text_tokenizer.save_pretrained(root / "evaluator")
    geometry = GeometryTokenizer(GeometryTokenizerConfig(codebook_size=16, code_dim=8, hidden_size=16, num_res_blocks=1)).eval()
    geometry.save_pretrained(root / "tokenizer")
    l2m = Language2MotionModel.from_text_encoder(Language2MotionConfig(
        codebook_size=16, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
        max_motion_tokens=160, max_text_tokens=64))
    Language2Motion(l2m, text_tokenizer, FaceTokenProcessor.for_tokenizer(geometry, str(root / "tokenizer"))).save_pretrained(root / "l2m")
    folder = build_backbone(["The person smiles and nods.", "A face looks worried, then blinks."] * 20, root / "m2l",
                            vocab_size=300, hidden_size=32, num_layers=1, num_heads=2, num_kv_heads=1, intermediate_size=64,
                            max_position_embeddings=512)
    tokenizer, model = AutoTokenizer.from_pretrained(folder), AutoModelForCausalLM.from_pretrained(folder)
    processor = FaceTokenProcessor.for_tokenizer(geometry)
    processor.add_to_tokenizer(tokenizer)
    model.resize_token_embeddings(len(tokenizer))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    processor.save_pretrained(folder, tokenizer_path=str(root / "tokenizer"))
    return root


def test_same_command_and_seed_give_the_same_numbers(models, tmp_path):
    first = run_report(models, tmp_path / "a", quick=True, seed=3, max_clips=32)
    second = run_report(models, tmp_path / "b", quick=True, seed=3, max_clips=32)
    for section in ("evaluator", "tokenizer", "m2l", "l2m"):
        timing = {"generation_s"}
        strip = lambda d: json.loads(json.dumps(d), object_hook=lambda o: {k: v for k, v in o.items() if k not in timing})
        assert strip(first[section]) == strip(second[section]), section
    report = (tmp_path / "a" / "REPORT.md").read_text()
    assert "## Motion2Language (Table 1)" in report and "| nearest clip (evaluator) |" in report
    assert "## Language2Motion (Table 3)" in report and "| real motion |" in report and "kept (target >= 95%)" in report
    assert (tmp_path / "a" / "embeddings_tsne.png").stat().st_size > 1000
    rows = first["l2m"]["rows"]
    assert set(rows) == {"real motion", "retrieval (closest training prompt)", "Language2Motion"}
    assert rows["real motion"]["fid"] == pytest.approx(0.0, abs=1e-6)


def test_report_command_names_what_is_missing(tmp_path, capsys):
    assert tdmm_eval(["report", "--models", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "evaluator not found" in capsys.readouterr().err

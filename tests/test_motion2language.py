import json

import numpy as np
import pytest
from conftest import make_clip
from transformers import AutoModelForCausalLM, AutoTokenizer

from modeling_tdmm.cli import main as tdmm
from modeling_tdmm.configuration_geometry_tokenizer import GeometryTokenizerConfig
from modeling_tdmm.modeling_geometry_tokenizer import GeometryTokenizer
from modeling_tdmm.motion2language import ClipTooLongError, Motion2Language
from modeling_tdmm.processing_face_tokens import FaceTokenProcessor
from tdmm_train.m2l_backbone import build_backbone


@pytest.fixture(scope="module")
def m2l_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("m2l")
    geometry = GeometryTokenizer(GeometryTokenizerConfig(codebook_size=16, code_dim=8, hidden_size=16, num_res_blocks=1))
    geometry.save_pretrained(root / "geometry")
    folder = build_backbone(["The person smiles and nods.", "A face looks worried, then blinks."] * 20, root / "model",
                            vocab_size=300, hidden_size=32, num_layers=1, num_heads=2, num_kv_heads=1,
                            intermediate_size=64, max_position_embeddings=512)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder)
    processor = FaceTokenProcessor.for_tokenizer(geometry.eval())
    processor.add_to_tokenizer(tokenizer)
    model.resize_token_embeddings(len(tokenizer))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    processor.save_pretrained(folder, tokenizer_path=str(root / "geometry"))
    return folder


def test_describe_answers_each_clip_in_a_batch(m2l_folder):
    m2l = Motion2Language.from_pretrained(m2l_folder)
    answers = m2l.describe([make_clip(num_frames=20, seed=1), make_clip(num_frames=10, seed=2)], max_new_tokens=6)
    assert len(answers) == 2 and all(isinstance(a, str) for a in answers)


def test_long_clips_are_windowed_or_refused_never_truncated(m2l_folder):
    m2l = Motion2Language.from_pretrained(m2l_folder)
    long_clip = make_clip(num_frames=600, seed=3, clip_id="long")
    with pytest.raises(ClipTooLongError, match=r"long: 600 face tokens \(24.0 s\) do not fit the model.s context of 512"):
        m2l.describe([long_clip], max_new_tokens=4, windows=False)
    (answer,) = m2l.describe([long_clip], max_new_tokens=4)
    spans = [tuple(map(float, s)) for s in __import__("re").findall(r"From ([0-9.]+) s to ([0-9.]+) s", answer)]
    assert len(spans) >= 2 and spans[0][0] == 0.0 and spans[-1][1] == pytest.approx(24.0)
    assert all(a[1] == pytest.approx(b[0]) for a, b in zip(spans, spans[1:]))  # windows tile the clip


def test_cli_describe_json_and_tracker_files(tmp_path, m2l_folder, capsys):
    make_clip(num_frames=12, seed=4).save(tmp_path / "a.npz")
    make_clip(num_frames=8, seed=5).save(tmp_path / "b.npz")
    assert tdmm(["describe", str(tmp_path / "a.npz"), str(tmp_path / "b.npz"), "--model", str(m2l_folder),
                 "--json", "--max-new-tokens", "4", "--question", "What emotion is shown?"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [line["file"] for line in lines] == [str(tmp_path / "a.npz"), str(tmp_path / "b.npz")]
    # a DECA file is FLAME 2020 motion: an open-head-v1 model must not describe it
    np.savez(tmp_path / "deca.npz", exp=np.zeros((8, 50)), pose=np.zeros((8, 6)))
    assert tdmm(["describe", str(tmp_path / "deca.npz"), "--model", str(m2l_folder)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "'flame2020' motion but the geometry tokenizer was trained on 'open-head-v2'" in err


def test_pipeline_describes_clips_and_files(tmp_path, m2l_folder):
    from transformers import pipeline

    import modeling_tdmm.pipelines  # noqa: F401  (registers the task)

    describe = pipeline("face-motion-description", model=str(m2l_folder))
    clip = make_clip(num_frames=12, seed=5)
    clip.save(tmp_path / "c.npz")
    one = describe(clip, max_new_tokens=4)
    assert set(one) == {"generated_text"} and isinstance(one["generated_text"], str)
    many = describe([clip, str(tmp_path / "c.npz")], question="How does the head move?", max_new_tokens=4)
    assert len(many) == 2 and many[0] == many[1]  # same clip, greedy decoding

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import make_clip
from huggingface_hub import ModelCard

from modeling_tdmm import FaceModel
from modeling_tdmm.cli import main as tdmm
from modeling_tdmm.configuration_geometry_tokenizer import GeometryTokenizerConfig
from modeling_tdmm.modeling_geometry_tokenizer import REMOTE_CODE_FILES, GeometryTokenizer
from modeling_tdmm.motion_data import MotionCollator
from modeling_tdmm.processing_face_tokens import FaceTokenError, FaceTokenProcessor
from tdmm_eval.tokenizer_eval import blink_events, evaluate_tokenizer
from tdmm_hub.card_lint import lint_folder

ROOT = Path(__file__).resolve().parents[1]


def tiny(downsample=1, codebook=32):
    return GeometryTokenizer(GeometryTokenizerConfig(codebook_size=codebook, code_dim=16, hidden_size=32, num_res_blocks=1,
                                                     downsample=downsample, vertex_loss_vertices=300, vertex_loss_frames=64))


def batch(b=3, t=21, seed=0):
    g = torch.Generator().manual_seed(seed)
    return {
        "expression": torch.rand(b, t, 50, generator=g) * 0.5,
        "jaw_pose": torch.randn(b, t, 3, generator=g) * 0.1,
        "eyelids": torch.rand(b, t, 2, generator=g),
        "head_pose": torch.randn(b, t, 3, generator=g) * 0.2,
    }


@pytest.mark.parametrize("down", [1, 2, 4])
def test_encode_decode_shapes_and_masks(down):
    model = tiny(down).eval()
    x = batch(t=21)
    mask = torch.ones(3, 21, dtype=torch.bool)
    mask[1, 9:] = False
    codes = model.encode(**x, mask=mask)
    expected = -(-21 // down)
    assert codes.shape == (3, expected) and codes.dtype == torch.long
    assert (codes[0] >= 0).all() and (codes[0] < 32).all()
    valid_latents = -(-9 // down)
    assert (codes[1, :valid_latents] >= 0).all() and (codes[1, valid_latents:] == -1).all()
    out = model.decode(codes.clamp_min(0))
    assert set(out) == {"expression", "jaw_pose", "eyelids", "head_pose"}
    assert out["expression"].shape == (3, expected * down, 50) and out["jaw_pose"].shape == (3, expected * down, 3)
    assert model.decode(codes.clamp_min(0), num_frames=21)["eyelids"].shape == (3, 21, 2)
    with pytest.raises(ValueError, match=r"code ids must be in \[0, 32\)"):
        model.decode(torch.tensor([[0, 32]]))


def test_wrong_feature_widths_are_clear_errors():
    model = tiny().eval()
    x = batch()
    x["expression"] = torch.zeros(3, 21, 40)
    with pytest.raises(ValueError, match=r"'expression' should have shape \[B, T, 50\], got \[3, 21, 40\]"):
        model.encode(**x)
    x = batch()
    x["head_pose"] = torch.zeros(3, 20, 3)
    with pytest.raises(ValueError, match="disagree on"):
        model.encode(**x)
    with pytest.raises(ValueError, match=r"'mask' should have shape \[B, T\]"):
        model.encode(**batch(), mask=torch.ones(3, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match="downsample must be 1, 2 or 4"):
        GeometryTokenizerConfig(downsample=3)


def test_training_steps_lower_the_loss_with_the_mesh_loss(open_head):
    torch.manual_seed(0)
    model = tiny()
    model.attach_face_model(open_head)
    x = batch(b=4, t=32)
    shape = torch.zeros(4, 12)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = None
    for _ in range(40):
        out = model(**x, shape=shape)
        assert out.vertex_loss is not None and out.codes.shape == (4, 32)
        first = first if first is not None else float(out.loss)
        optimizer.zero_grad()
        out.loss.backward()
        optimizer.step()
    assert float(out.loss) < 0.6 * first


def test_training_under_bf16_autocast_quantises_in_fp32():
    """The trainer runs under bf16 autocast on CPUs with native bf16: the codes are still chosen from
    fp32 latents with fp32 distances, and the loss trains."""
    torch.manual_seed(0)
    model = tiny()
    x = batch(b=4, t=32)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(30):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = model(**x)
        assert out.codes.shape == (4, 32) and torch.isfinite(out.loss)
        losses.append(float(out.loss))
        optimizer.zero_grad()
        out.loss.backward()
        optimizer.step()
    assert losses[-1] < 0.7 * losses[0]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        latents, _ = model._latents(model.raw_features(model.motion_inputs(**x)), model._mask(None, 4, 32))
    assert latents.dtype == torch.float32


def test_ema_codebook_and_dead_code_reset():
    model = tiny(codebook=64)
    model.train()
    before = model.quantizer.codebook.clone()
    model(**batch(b=2, t=8))
    assert bool(model.quantizer.initialized) and not torch.equal(before, model.quantizer.codebook)
    assert model.quantizer.last_reset > 0  # 64 codes, 16 latents: most codes are dead and get reset


def test_save_load_round_trip(tmp_path):
    model = tiny(2).eval()
    model.set_normalization(torch.rand(64), torch.rand(64) + 0.5)
    model.save_pretrained(tmp_path)
    assert (tmp_path / "face_model.npz").exists() and json.loads((tmp_path / "config.json").read_text())["auto_map"]
    again = GeometryTokenizer.from_pretrained(tmp_path).eval()
    codes = torch.tensor([[1, 5, 7, 0, 31]])
    for key, value in model.decode(codes).items():
        assert torch.equal(value, again.decode(codes)[key]), key
    assert torch.equal(model.encode(**batch()), again.encode(**batch()))


def test_flame_is_never_saved(tmp_path, flame_files):
    flame = FaceModel.load(flame_files["npz"])
    model = GeometryTokenizer(GeometryTokenizerConfig(codebook_size=16, code_dim=8, hidden_size=16, num_res_blocks=1,
                                                      face_model=flame.name, face_model_num_shape=300, vertex_loss_vertices=100))
    model.attach_face_model(flame)
    model.save_pretrained(tmp_path)
    assert not (tmp_path / "face_model.npz").exists()
    size = sum(p.stat().st_size for p in tmp_path.iterdir())
    assert size < 2_000_000  # FLAME's arrays alone are > 80 MB
    again = GeometryTokenizer.from_pretrained(tmp_path)
    with pytest.raises(ValueError, match="trained with flame2020.*load_face_model"):
        again.decode(torch.tensor([[1, 2]]), shape=torch.zeros(300))
    again.load_face_model(str(flame_files["npz"]))
    assert again.decode(torch.tensor([[1, 2]]), shape=torch.zeros(300))["vertices"].shape == (1, 2, 5023, 3)


REMOTE = textwrap.dedent("""
    import sys
    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("modeling_tdmm", "open3dfacevid"):
                raise ImportError("package deliberately not importable")
    sys.meta_path.insert(0, Block())
    import numpy as np, torch
    from transformers import AutoModel
    model = AutoModel.from_pretrained(sys.argv[1], trust_remote_code=True).eval()
    assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
    out = model.decode(torch.tensor([[1, 5, 7, 0, 31]]), shape=torch.zeros(12))
    np.savez(sys.argv[2], **{k: v.numpy() for k, v in out.items()})
""")


def test_fresh_process_remote_code_load_without_the_package(tmp_path):
    model = tiny(2).eval()
    model.set_normalization(torch.rand(64), torch.rand(64) + 0.5)
    saved = tmp_path / "saved"
    model.save_pretrained(saved)
    assert sorted(p.name for p in saved.glob("*.py")) == sorted(REMOTE_CODE_FILES)  # exactly the listed files
    moved = tmp_path / "elsewhere" / "copy"
    shutil.copytree(saved, moved)
    shutil.rmtree(saved)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_MODULES_CACHE=str(tmp_path / "modules"))
    result = subprocess.run([sys.executable, "-c", REMOTE, str(moved), str(tmp_path / "out.npz")], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    remote = np.load(tmp_path / "out.npz")
    local = model.decode(torch.tensor([[1, 5, 7, 0, 31]]), shape=torch.zeros(12))
    for key in ("expression", "jaw_pose", "eyelids", "head_pose", "vertices"):
        np.testing.assert_array_equal(remote[key], local[key].numpy(), err_msg=key)


def _hf_tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"[UNK]": 0, "the": 1, "face": 2, "smiles": 3}
    raw = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="[UNK]")


def test_processor_text_round_trip_and_added_tokens(tmp_path):
    processor = FaceTokenProcessor(codebook_size=512)
    codes = np.array([17, 402, 0, 511])
    text = processor.codes_to_text(codes)
    assert text == "<|face_start|><|face_17|><|face_402|><|face_0|><|face_511|><|face_end|>"
    np.testing.assert_array_equal(processor.text_to_codes(f"Describe this: {text} please."), codes)
    with pytest.raises(FaceTokenError, match="no face span"):
        processor.text_to_codes("just words")
    with pytest.raises(FaceTokenError, match="index 512 is outside the codebook"):
        processor.text_to_codes("<|face_start|><|face_3|><|face_512|><|face_end|>")
    tokenizer = _hf_tokenizer()
    before = len(tokenizer)
    assert processor.add_to_tokenizer(tokenizer) == 514 and len(tokenizer) == before + 514
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert len(ids) == len(codes) + 2  # one id per face token
    assert processor.add_to_tokenizer(tokenizer) == 0  # idempotent


def test_processor_save_load_and_clip_round_trip(tmp_path):
    model = tiny(1).eval()
    model_dir = tmp_path / "tok"
    model.save_pretrained(model_dir)
    FaceTokenProcessor.for_tokenizer(model).save_pretrained(tmp_path / "m2l", tokenizer_path=str(model_dir))
    processor = FaceTokenProcessor.from_pretrained(tmp_path / "m2l")
    clip = make_clip(num_frames=10)
    text = processor.clip_to_text(clip)
    assert text.count("<|face_") == 10 + 2  # ten codes and the two markers
    back = processor.text_to_clip(text, clip_id="x")
    assert back.num_frames == 10 and back.face_model == "open-head-v2"
    np.testing.assert_array_equal(processor.clip_to_codes(back).shape, (10,))


def test_blink_events_and_evaluation_metrics(open_head):
    lids = np.zeros((30, 2))
    lids[5:8] = 1.0
    lids[20:22, 0] = 1.0  # a wink is not a blink
    assert blink_events(lids) == [(5, 8)]
    model = tiny()
    model.attach_face_model(open_head)
    rows = [dict(make_clip(num_frames=20, seed=s).to_dict()) for s in range(3)]
    for row in rows:
        row["shape"] = np.zeros(12, np.float32)
    metrics = evaluate_tokenizer(model, rows)
    assert metrics["num_frames"] == 60 and metrics["tokens_per_second"] == pytest.approx(25.0)
    assert metrics["mean_vertex_error_mm"] > 0 and metrics["p95_vertex_error_mm"] >= metrics["mean_vertex_error_mm"]
    assert 0 < metrics["codes_used_pct"] <= 100


def test_collator_windows_and_padding():
    rows = [make_clip(num_frames=n, seed=n).to_dict() for n in (30, 7)]
    out = MotionCollator(window=16, multiple_of=4, seed=0)(rows)
    assert out["expression"].shape == (2, 16, 50) and out["mask"].sum(1).tolist() == [16, 7]
    whole = MotionCollator(window=None, multiple_of=4)(rows)
    assert whole["expression"].shape == (2, 32, 50) and whole["mask"].sum(1).tolist() == [30, 7]


def test_cli_tokenize_prints_tokens(tmp_path, capsys):
    model = tiny(2).eval()
    model.save_pretrained(tmp_path / "tok")
    clip = make_clip(num_frames=12)
    clip.save(tmp_path / "clip.npz")
    assert tdmm(["tokenize", str(tmp_path / "clip.npz"), "--geometry-tokenizer", str(tmp_path / "tok")]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("<|face_start|>") and line.endswith("<|face_end|>") and line.count("<|face_") == 6 + 2
    assert tdmm(["tokenize", str(tmp_path / "clip.npz"), "--tokenizer", str(tmp_path / "tok")]) == 2  # renamed, no alias


def test_clips_of_another_face_model_are_refused_flame_family_accepted(tmp_path, capsys):
    np.savez(tmp_path / "deca.npz", exp=np.zeros((8, 50)), pose=np.zeros((8, 6)))  # a DECA file: flame2020
    tiny().save_pretrained(tmp_path / "open_head_tok")
    assert tdmm(["tokenize", str(tmp_path / "deca.npz"), "--geometry-tokenizer", str(tmp_path / "open_head_tok")]) == 2
    err = capsys.readouterr().err
    assert "'flame2020' motion but the geometry tokenizer was trained on 'open-head-v2'" in err and "Traceback" not in err
    flame = GeometryTokenizer(GeometryTokenizerConfig(codebook_size=16, code_dim=8, hidden_size=16, num_res_blocks=1,
                                                      face_model="flame2023", face_model_num_shape=300))
    flame.save_pretrained(tmp_path / "flame_tok")
    assert tdmm(["tokenize", str(tmp_path / "deca.npz"), "--geometry-tokenizer", str(tmp_path / "flame_tok")]) == 0
    assert capsys.readouterr().out.count("<|face_") == 8 + 2
    with pytest.raises(FaceTokenError, match="tdmm retarget"):
        FaceTokenProcessor.for_tokenizer(flame).clip_to_codes(make_clip(num_frames=4))  # open-head-v1 clip


def test_training_script_runs_and_resumes(tmp_path):
    out = tmp_path / "run"
    common = [sys.executable, str(ROOT / "trainers" / "train_tokenizer.py"), "--config", str(ROOT / "trainers/configs/tokenizer.yaml"),
              "--output_dir", str(out), "--procedural_clips", "60", "--hidden_size", "16", "--code_dim", "8",
              "--codebook_size", "32", "--num_res_blocks", "1", "--per_device_train_batch_size", "4", "--window", "16",
              "--vertex_loss_vertices", "200", "--vertex_loss_frames", "32", "--logging_steps", "2", "--save_steps", "3",
              "--eval_steps", "3", "--max_eval_clips", "4"]
    env = {**os.environ, "HF_DATASETS_CACHE": str(tmp_path / "hf")}
    first = subprocess.run([*common, "--max_steps", "3"], capture_output=True, text=True, env=env, timeout=600)
    assert first.returncode == 0, first.stderr[-3000:]
    assert (out / "checkpoint-3").is_dir() and (out / "face_token_processor.json").exists()
    assert "codes_in_use_pct" in first.stdout + first.stderr and "perplexity" in first.stdout + first.stderr
    metrics = json.loads((out / "eval_results.json").read_text())
    assert {"mean_vertex_error_mm", "blink_recall", "perplexity"} <= set(metrics)
    card = ModelCard.load(out / "README.md")  # written at the end of training, with the figures it measured
    assert lint_folder(out, "model") == [] and card.data.pipeline_tag == "feature-extraction"
    assert {r.metric_type: r.metric_value for r in card.data.eval_results}["blink_recall"] == round(metrics["blink_recall"], 4)
    assert "--procedural_clips 60" in card.text
    second = subprocess.run([*common, "--max_steps", "5", "--resume_from_checkpoint", str(out / "checkpoint-3")],
                            capture_output=True, text=True, env=env, timeout=600)
    assert second.returncode == 0, second.stderr[-3000:]
    state = json.loads((out / "checkpoint-5" / "trainer_state.json").read_text())
    assert state["global_step"] == 5
    # Resumed, not restarted: only step 4 is logged (a fresh 5-step run logs steps 2 and 4).
    assert second.stdout.count("'loss':") == 1


def test_training_script_under_accelerate_with_two_processes(tmp_path):
    out = tmp_path / "ddp"
    command = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
               "--mixed_precision", "no", "--dynamo_backend", "no", str(ROOT / "trainers" / "train_tokenizer.py"),
               "--config", str(ROOT / "trainers/configs/tokenizer.yaml"), "--output_dir", str(out),
               "--procedural_clips", "60", "--hidden_size", "16", "--code_dim", "8", "--codebook_size", "32",
               "--num_res_blocks", "1", "--per_device_train_batch_size", "4", "--window", "16",
               "--vertex_loss_vertices", "200", "--vertex_loss_frames", "32", "--logging_steps", "2",
               "--save_strategy", "no", "--eval_strategy", "no", "--max_eval_clips", "4", "--max_steps", "4"]
    env = {**os.environ, "HF_DATASETS_CACHE": str(tmp_path / "hf")}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    state = json.loads((out / "config.json").read_text())
    assert state["codebook_size"] == 32 and (out / "model.safetensors").exists()
    # 4 steps x 4 clips x 2 processes: the data was split between the two ranks.
    assert "'epoch': '0.57" in result.stdout  # a fresh 1-process run would be at epoch 0.29


def test_head_frame_mesh_loss_ignores_head_rotation(open_head):
    """In the head's frame the mesh loss measures the face only; head rotation is left to the parameter loss."""
    x = {k: v[:, :8] for k, v in batch(b=2).items()}
    turned = dict(x, head_pose=x["head_pose"] + 0.3)
    mask, shape = torch.ones(2, 8, dtype=torch.bool), torch.zeros(2, 12)
    losses = {}
    for frame in ("world", "head"):
        model = GeometryTokenizer(GeometryTokenizerConfig(hidden_size=32, num_res_blocks=1, vertex_loss_vertices=300,
                                                          vertex_loss_frame=frame))
        model.attach_face_model(open_head)
        losses[frame] = (float(model._vertex_l1(turned, x, shape, mask)),
                         float(model._vertex_l1(dict(x, expression=x["expression"] + 0.2), x, shape, mask)))
    assert losses["world"][0] > 1.0 and losses["head"][0] == pytest.approx(0.0, abs=1e-4)
    assert losses["head"][1] > 0.1  # a changed face still counts
    with pytest.raises(ValueError, match="vertex_loss_frame must be 'world' or 'head'"):
        GeometryTokenizerConfig(vertex_loss_frame="camera")


def test_factorised_face_and_head_codes(tmp_path):
    """One token per frame whose id is face_code * H + head_code; the face part never sees the head's rotation."""
    config = GeometryTokenizerConfig(codebook_size=64, head_codebook_size=8, code_dim=16, hidden_size=32, num_res_blocks=1)
    model = GeometryTokenizer(config)
    assert model.quantizer.codebook_size == 8 and model.head_quantizer.codebook_size == 8
    model.train()
    out = model(**batch(b=4, t=24))  # EMA updates initialise both codebooks from the batch
    assert out.codes.shape == (4, 24) and int(out.codes.max()) < 64
    model.eval()
    x = batch(b=2, t=24, seed=1)
    codes = model.encode(**x)
    turned = model.encode(**dict(x, head_pose=x["head_pose"] + 0.4))
    assert torch.equal(codes // 8, turned // 8)  # same face codes
    assert not torch.equal(codes % 8, turned % 8)  # other head codes
    assert model.decode(codes)["head_pose"].shape == (2, 24, 3)
    model.save_pretrained(tmp_path)
    again = GeometryTokenizer.from_pretrained(tmp_path).eval()
    assert torch.equal(again.encode(**x), codes)
    assert torch.equal(again.decode(codes)["expression"], model.decode(codes)["expression"])
    with pytest.raises(ValueError, match="head_codebook_size must be 0, or at least 2 and a proper divisor of codebook_size"):
        GeometryTokenizerConfig(codebook_size=64, head_codebook_size=6)


def test_output_smoothing_low_passes_the_face_and_head_but_keeps_blink_edges(tmp_path):
    """Codes that flicker frame to frame decode to smoother motion; eyelids are left as decoded."""
    config = dict(codebook_size=16, code_dim=8, hidden_size=16, num_res_blocks=1)
    torch.manual_seed(0)
    plain = GeometryTokenizer(GeometryTokenizerConfig(**config)).eval()
    smooth = GeometryTokenizer(GeometryTokenizerConfig(**config, output_smoothing=1.5)).eval()
    smooth.load_state_dict(plain.state_dict())
    flicker = torch.tensor([[0, 9] * 20])
    a, b = plain.decode(flicker), smooth.decode(flicker)
    speed = {k: float(m["expression"].diff(dim=1).abs().mean()) for k, m in (("plain", a), ("smooth", b))}
    assert speed["smooth"] < 0.3 * speed["plain"]
    assert torch.equal(a["eyelids"], b["eyelids"])
    assert b["expression"].shape == a["expression"].shape == (1, 40, 50)
    smooth.save_pretrained(tmp_path)
    assert GeometryTokenizer.from_pretrained(tmp_path).config.output_smoothing == 1.5
    with pytest.raises(ValueError, match="output_smoothing must be a number of frames >= 0"):
        GeometryTokenizerConfig(output_smoothing=-1)

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import datasets
import numpy as np
import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from modeling_tdmm.configuration_geometry_tokenizer import GeometryTokenizerConfig
from modeling_tdmm.modeling_geometry_tokenizer import GeometryTokenizer
from modeling_tdmm.processing_face_tokens import FaceTokenProcessor
from open3dfacevid.prompts import sample_specs
from open3dfacevid.synthesizer import synthesize
from tdmm_hub.card_lint import lint_folder
from tdmm_train.conversations import build_conversation
from tdmm_train.m2l_backbone import IM_END, build_backbone

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def geometry(tmp_path_factory):
    folder = tmp_path_factory.mktemp("geometry")
    model = GeometryTokenizer(GeometryTokenizerConfig(codebook_size=16, code_dim=8, hidden_size=16, num_res_blocks=1))
    model.save_pretrained(folder)
    return folder


def test_sft_masks_everything_but_the_answers(tmp_path, geometry):
    from trl import SFTConfig, SFTTrainer

    clips = [synthesize(s) for s in sample_specs(6, seed=0)]
    backbone = build_backbone([t for c in clips for t in (c.prompt, *c.captions)], tmp_path / "bb", vocab_size=400,
                              hidden_size=32, num_layers=1, num_heads=2, num_kv_heads=1, intermediate_size=64)
    tokenizer = AutoTokenizer.from_pretrained(backbone)
    model = AutoModelForCausalLM.from_pretrained(backbone)
    processor = FaceTokenProcessor.from_pretrained(geometry) if (geometry / "face_token_processor.json").exists() else \
        FaceTokenProcessor.for_tokenizer(GeometryTokenizer.from_pretrained(geometry).eval())
    before = len(tokenizer)
    assert processor.add_to_tokenizer(tokenizer) == 18
    model.resize_token_embeddings(len(tokenizer))
    assert model.get_input_embeddings().weight.shape[0] == before + 18
    rng = np.random.default_rng(0)
    rows = [build_conversation(processor.clip_to_text(c), c.attributes, c.captions, c.fps, rng, task="emotion") for c in clips]
    args = SFTConfig(output_dir=str(tmp_path / "out"), assistant_only_loss=True, max_steps=1, report_to="none", use_cpu=True)
    trainer = SFTTrainer(model=model, args=args, train_dataset=datasets.Dataset.from_list(rows), processing_class=tokenizer)
    example = trainer.train_dataset[0]
    ids = example["input_ids"]
    mask = example["assistant_masks"] if "assistant_masks" in example else [label != -100 for label in example["labels"]]
    trained = tokenizer.decode([i for i, m in zip(ids, mask) if m])
    assert trained == rows[0]["messages"][-1]["content"] + IM_END
    assert "<|face_" not in trained and "<|face_start|>" in tokenizer.decode(ids)


def test_sft_script_lowers_the_loss_and_saves_a_loadable_model(tmp_path, geometry):
    out = tmp_path / "m2l"
    command = [sys.executable, str(ROOT / "trainers" / "sft_m2l.py"), "--config", str(ROOT / "trainers/configs/m2l.yaml"),
               "--output_dir", str(out), "--geometry_tokenizer", str(geometry), "--procedural_clips", "60",
               "--max_steps", "30", "--logging_steps", "5", "--eval_strategy", "no", "--save_strategy", "no",
               "--per_device_train_batch_size", "8", "--max_length", "256", "--learning_rate", "3e-3", "--warmup_steps", "0",
               "--reading_tasks", ""]  # the mix alone: a reading pass first makes the loss jump when the long answers start
    env = {**os.environ, "HF_DATASETS_CACHE": str(tmp_path / "hf")}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    losses = [float(x) for x in re.findall(r"'loss': '([0-9.]+)'", result.stdout)]
    assert len(losses) >= 4 and losses[-1] < 0.7 * losses[0], losses
    tokenizer = AutoTokenizer.from_pretrained(out, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(out, local_files_only=True)
    assert "<|face_15|>" in tokenizer.get_vocab() and model.config.vocab_size >= len(tokenizer)
    processor = json.loads((out / "face_token_processor.json").read_text())
    assert processor["codebook_size"] == 16 and (out / processor["tokenizer_path"]).resolve() == geometry.resolve()
    # our card, not TRL's: no measurement yet (the report fills model-index), the command that trained it
    assert lint_folder(out, "model", require_model_index=False) == []
    assert "text-generation" in (out / "README.md").read_text() and "--procedural_clips 60" in (out / "README.md").read_text()


def test_lora_trains_the_new_face_token_rows_and_merges(tmp_path, geometry):
    out = tmp_path / "lora"
    command = [sys.executable, str(ROOT / "trainers" / "sft_m2l.py"), "--config", str(ROOT / "trainers/configs/m2l.yaml"),
               "--output_dir", str(out), "--geometry_tokenizer", str(geometry), "--procedural_clips", "60",
               "--max_steps", "6", "--logging_steps", "3", "--eval_strategy", "no", "--save_strategy", "no",
               "--per_device_train_batch_size", "8", "--max_length", "256", "--use_peft", "true", "--lora_r", "4",
               "--lora_alpha", "8", "--learning_rate", "1e-2"]
    env = {**os.environ, "HF_DATASETS_CACHE": str(tmp_path / "hf")}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    merged = AutoModelForCausalLM.from_pretrained(out, local_files_only=True)
    base = AutoModelForCausalLM.from_pretrained(out / "backbone", local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(out, local_files_only=True)
    assert not any("lora" in name for name, _ in merged.named_parameters())  # adapters merged away
    rows = merged.get_input_embeddings().weight
    old = base.get_input_embeddings().weight.shape[0]
    face_ids = tokenizer.convert_tokens_to_ids(["<|face_start|>", "<|face_3|>"])
    assert min(face_ids) >= old and rows.shape[0] == len(tokenizer)
    assert not torch.allclose(rows[:old], base.get_input_embeddings().weight)  # embeddings were trainable


def test_sft_script_with_two_processes(tmp_path, geometry):
    out = tmp_path / "ddp"
    command = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
               "--mixed_precision", "no", "--dynamo_backend", "no", str(ROOT / "trainers" / "sft_m2l.py"),
               "--config", str(ROOT / "trainers/configs/m2l.yaml"), "--output_dir", str(out), "--geometry_tokenizer",
               str(geometry), "--procedural_clips", "60", "--max_steps", "4", "--logging_steps", "2",
               "--eval_strategy", "no", "--save_strategy", "no", "--per_device_train_batch_size", "4", "--max_length", "256",
               "--reading_tasks", ""]
    env = {**os.environ, "HF_DATASETS_CACHE": str(tmp_path / "hf")}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("saved Motion2Language") == 1  # only rank 0 saves
    epochs = [float(x) for x in re.findall(r"'epoch': '([0-9.]+)'", result.stdout)]
    # 4 steps x 4 examples x 2 ranks of ~165 training conversations: the ranks share the data.
    assert epochs and epochs[-1] > 0.15
    assert (out / "model.safetensors").exists()


def test_face_tokens_train_as_input_only_and_save_as_plain_rows(tmp_path):
    from tdmm_train.m2l_vocabulary import train_face_tokens_as_input, write_face_rows

    backbone = build_backbone(["a face smiles", "the head nods"], tmp_path / "bb", vocab_size=300, hidden_size=16,
                              num_layers=1, num_heads=2, num_kv_heads=1, intermediate_size=32)
    tokenizer = AutoTokenizer.from_pretrained(backbone)
    model = AutoModelForCausalLM.from_pretrained(backbone)
    processor = FaceTokenProcessor(codebook_size=8)  # factorised: 4 face codes x 2 head codes
    text_vocab = len(tokenizer)
    processor.add_to_tokenizer(tokenizer)
    model.resize_token_embeddings(len(tokenizer))
    first = tokenizer.convert_tokens_to_ids("<|face_start|>")
    assert first == text_vocab
    train_face_tokens_as_input(model, first, codebook_size=8, head_codebook_size=2)
    rows = model.face_rows
    ids = torch.tensor([[first, first + 2 + 5, 7]])  # the start marker, token 5 = face 2 x head 1, a text token
    embedded = model.get_input_embeddings()(ids)[0]
    torch.testing.assert_close(embedded[1], rows.face[2] + rows.head[1])
    torch.testing.assert_close(embedded[2], model.get_input_embeddings().weight[7])
    assert model.get_output_embeddings()(embedded).shape == (3, text_vocab)  # answers are scored over text only
    embedded.sum().backward()
    assert rows.face.grad is not None and model.get_input_embeddings().weight.grad[first + 2 + 5].abs().sum() == 0

    write_face_rows(model, first)
    assert not hasattr(model, "face_rows") and model.get_output_embeddings() is model.lm_head
    torch.testing.assert_close(model.get_input_embeddings()(ids)[0, 1], embedded[1].detach())
    assert model.generation_config.suppress_tokens == list(range(first, len(tokenizer)))
    model.save_pretrained(tmp_path / "saved")
    loaded = AutoModelForCausalLM.from_pretrained(tmp_path / "saved")
    with torch.no_grad():  # even with face rows that would win, generation writes text
        loaded.get_input_embeddings().weight[first:] *= 50
    out = loaded.generate(ids, max_new_tokens=6, do_sample=False)[0, 3:]
    assert int(out.max()) < first


def test_a_resumed_run_restores_the_factorised_face_rows(tmp_path, geometry):
    """Checkpoints hold the face rows trained apart from the embedding matrix, and a re-run resumes them."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    out = tmp_path / "m2l"
    base = [sys.executable, "-m", "tdmm_train.sft_m2l", "--config", str(ROOT / "trainers/configs/m2l.yaml"),
            "--output_dir", str(out), "--geometry_tokenizer", str(geometry), "--procedural_clips", "40",
            "--logging_steps", "1", "--eval_strategy", "no", "--save_strategy", "steps", "--save_steps", "2",
            "--per_device_train_batch_size", "4", "--max_length", "256", "--resume_from_checkpoint", "last"]
    env = {**os.environ, "HF_DATASETS_CACHE": str(tmp_path / "hf")}
    first = subprocess.run([*base, "--max_steps", "2"], capture_output=True, text=True, env=env, timeout=900)
    assert first.returncode == 0, first.stderr[-3000:]
    weights = out / "checkpoint-2" / "model.safetensors"
    with safe_open(str(weights), "pt") as f:
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    assert {"face_rows.face", "face_rows.head"} <= set(tensors)
    tensors["face_rows.face"] = tensors["face_rows.face"] + 1.0  # a mark only a restored run carries on
    save_file(tensors, str(weights), metadata={"format": "pt"})
    second = subprocess.run([*base, "--max_steps", "3"], capture_output=True, text=True, env=env, timeout=900)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "resuming from" in second.stdout and second.stdout.count("'loss':") == 1  # step 3 only
    with safe_open(str(out / "checkpoint-3" / "model.safetensors"), "pt") as f:
        moved = (f.get_tensor("face_rows.face") - tensors["face_rows.face"]).abs().max()
    assert float(moved) < 0.05  # one more step from the marked rows


def test_the_reading_pass_comes_first_then_the_mix():
    from tdmm_train.sft_m2l import ScriptArguments, reading_then_mix

    clips = [synthesize(s) for s in sample_specs(8, seed=2)]
    rows = datasets.Dataset.from_list([{"attributes": json.dumps(c.attributes), "captions": list(c.captions), "fps": c.fps}
                                       for c in clips])
    script = ScriptArguments(examples_per_clip=2, reading_examples_per_clip=3)
    texts = ["<|face_start|><|face_1|><|face_end|>"] * len(clips)
    data = reading_then_mix(rows, texts, 1, script, 0, ("describe", "blinks"), ("emotion", "head_motion"))
    truth = [bool(c.attributes.get("emotions")) for c in clips]
    assert all(truth) and len(data) == 8 * 3 + 8 * 2
    assert set(data["task"][:24]) == {"emotion", "head_motion"} and set(data["task"][24:]) == {"describe", "blinks"}

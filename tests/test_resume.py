"""An interrupted training resumes from its last complete checkpoint, as the demo and README say."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tdmm_train.launch import config_path, run_trainer
from tdmm_train.training_utils import checkpoint_to_resume, last_checkpoint

TINY = ["--procedural_clips", "60", "--hidden_size", "16", "--code_dim", "8", "--codebook_size", "32", "--num_res_blocks", "1",
        "--per_device_train_batch_size", "4", "--window", "16", "--vertex_loss_vertices", "200", "--vertex_loss_frames", "32",
        "--logging_steps", "1", "--save_steps", "3", "--eval_strategy", "no", "--max_eval_clips", "4", "--save_total_limit", "10"]


def test_last_checkpoint_skips_incomplete_ones(tmp_path):
    assert last_checkpoint(tmp_path / "missing") is None
    for step, complete in ((3, True), (12, True), (15, False)):
        (tmp_path / f"checkpoint-{step}").mkdir()
        if complete:
            (tmp_path / f"checkpoint-{step}" / "trainer_state.json").write_text("{}")
    (tmp_path / "checkpoint-14").mkdir()
    (tmp_path / "checkpoint-14" / "trainer_state.json").write_text('{"global_step": 1')  # killed mid-write
    (tmp_path / "checkpoint-last").mkdir()
    assert last_checkpoint(tmp_path) == str(tmp_path / "checkpoint-12")  # 12 > 3 numerically; 14 and 15 were cut off mid-save
    assert checkpoint_to_resume("true", tmp_path) == checkpoint_to_resume("last", tmp_path) == str(tmp_path / "checkpoint-12")
    assert checkpoint_to_resume(None, tmp_path) is None and checkpoint_to_resume("false", tmp_path) is None
    assert checkpoint_to_resume("true", tmp_path / "fresh") is None  # nothing to resume: start from scratch
    with pytest.raises(FileNotFoundError, match="not a checkpoint folder"):
        checkpoint_to_resume(str(tmp_path / "checkpoint-15"), tmp_path)


def test_training_killed_after_a_checkpoint_resumes_where_it_stopped(tmp_path, capfd, monkeypatch):
    out = tmp_path / "run"
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf"))
    command = [sys.executable, "-m", "tdmm_train.train_tokenizer", "--config", str(config_path("tokenizer.yaml")),
               "--output_dir", str(out), *TINY, "--max_steps", "200"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
    try:
        deadline = time.time() + 300
        while last_checkpoint(out) is None and process.poll() is None and time.time() < deadline:
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    found = last_checkpoint(out)
    assert found is not None, "the training wrote no checkpoint before it was killed"
    step = json.loads((out / os.path.basename(found) / "trainer_state.json").read_text())["global_step"]
    assert not (out / "model.safetensors").exists()

    run_trainer("train_tokenizer.py", "tokenizer.yaml", out, *TINY, "--max_steps", str(step + 2))  # as `make demo` re-runs a stage
    printed = capfd.readouterr()
    assert f"resuming from {found}" in printed.out
    assert (out / "model.safetensors").exists()
    assert printed.out.count("'loss':") == 2  # steps step+1 and step+2 only: resumed, not restarted

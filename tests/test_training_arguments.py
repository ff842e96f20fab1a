"""What the training scripts add to their command line on a CPU machine: ``--use_cpu`` (so data parallelism
is set up) and, for the transformer trainers, bf16 autocast only where the CPU computes bf16 natively."""
import pytest
import torch

from tdmm_train import training_utils
from tdmm_train.launch import CONFIGS, config_path
from tdmm_train.training_utils import cpu_flag_without_gpu, cpu_has_native_bf16


@pytest.fixture
def no_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


def cpuinfo(tmp_path, flags: str):
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nflags\t\t: fpu sse2 avx2 {flags}\n")
    return path


def test_native_bf16_is_read_from_the_cpu_flags(tmp_path):
    assert cpu_has_native_bf16(cpuinfo(tmp_path, "avx512f avx512_bf16"))
    assert cpu_has_native_bf16(cpuinfo(tmp_path, "amx_tile amx_bf16"))
    assert not cpu_has_native_bf16(cpuinfo(tmp_path, "avx512f avx512_vnni"))  # AVX-512 without bf16: emulated
    assert not cpu_has_native_bf16(tmp_path / "missing")  # no /proc/cpuinfo (macOS, Windows): fp32


@pytest.mark.parametrize("native", [True, False])
def test_bf16_is_added_only_where_native_and_never_over_the_users_choice(monkeypatch, no_cuda, native):
    monkeypatch.setattr(training_utils, "cpu_has_native_bf16", lambda: native)
    assert cpu_flag_without_gpu(["--max_steps", "5"]) == ["--max_steps", "5", "--use_cpu", "true"]
    added = cpu_flag_without_gpu(["--max_steps", "5"], bf16_where_native=True)
    assert added == ["--max_steps", "5", "--use_cpu", "true"] + (["--bf16", "true"] if native else [])
    assert cpu_flag_without_gpu(["--bf16", "false"], bf16_where_native=True) == ["--bf16", "false", "--use_cpu", "true"]
    assert cpu_flag_without_gpu(["--bf16=false"], bf16_where_native=True) == ["--bf16=false", "--use_cpu", "true"]


@pytest.mark.parametrize("config", sorted(p.name for p in CONFIGS.glob("*.yaml")))
def test_every_config_parses_with_its_script(no_cuda, config, tmp_path):
    """A misspelt or retired key in a packaged config fails here, not an hour into a run (GPU configs are parsed on
    the CPU: a key transformers no longer knows fails the same way on either)."""
    import importlib

    from trl import TrlParser

    script = {"tokenizer": "train_tokenizer", "evaluator": "train_evaluator", "m2l": "sft_m2l", "l2m": "train_l2m"}[
        config.split(".")[0].split("_")[0]]  # a new kind of config must be added here
    module = importlib.import_module(f"tdmm_train.{script}")
    parsed = TrlParser(module.ARGUMENT_CLASSES).parse_args_and_config(
        args=["--config", str(config_path(config)), "--output_dir", str(tmp_path), "--use_cpu", "true"])
    training = next(p for p in parsed if hasattr(p, "max_steps"))
    assert (training.max_steps > 0 or training.num_train_epochs > 0) and training.output_dir == str(tmp_path)

"""Run a training script of this package as a subprocess, on one process or several (data parallel).

The scripts are modules of the installed ``tdmm_train`` package (``python -m tdmm_train.train_l2m``,
the same files as ``trainers/*.py`` in a checkout), and their YAML configs are package data, so
the demo and the benchmarks train the same way from a checkout or a ``pip install``.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CONFIGS = Path(__file__).resolve().parent / "configs"


def config_path(name: str) -> Path:
    """The packaged YAML config ``name`` (e.g. ``"l2m.yaml"``)."""
    path = CONFIGS / name
    if not path.is_file():
        raise FileNotFoundError(f"{name}: no such training config; known: {sorted(p.name for p in CONFIGS.glob('*.yaml'))}")
    return path


def run_trainer(script: str, config: str, output_dir: Path, *overrides: str, processes: int = 1,
                batch_size: int | None = None) -> None:
    """Run ``tdmm_train.<script>`` with the packaged ``config``, resuming from the last checkpoint in
    ``output_dir`` if there is one.

    ``processes`` > 1 launches data-parallel ranks with ``accelerate launch`` (on CPU when there
    is no GPU), as many as there are CPU cores at most; ``batch_size`` is then the global batch,
    split between them.
    """
    module = f"tdmm_train.{Path(script).stem}"
    processes = max(1, min(processes, os.cpu_count() or 1))
    launcher = [sys.executable, "-m"]
    if processes > 1:
        launcher = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", str(processes),
                    "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "--module"]
    command = [*launcher, module, "--config", str(config_path(config)), "--output_dir", str(output_dir),
               "--resume_from_checkpoint", "last", *overrides]
    if batch_size is not None:
        command += ["--per_device_train_batch_size", str(max(1, batch_size // processes))]
    subprocess.run(command, check=True)

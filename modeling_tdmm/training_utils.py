"""Small helpers shared by the training scripts in ``trainers/``."""
from __future__ import annotations

import sys

import torch


def cpu_flag_without_gpu(argv: list[str] | None = None) -> list[str]:
    """Command-line arguments with ``--use_cpu true`` added on a machine without CUDA.

    `transformers` only sets up CPU data parallelism (gloo, data split between ranks) when
    ``use_cpu`` is set, and it reads it while the arguments are parsed; without it,
    ``accelerate launch --multi_gpu --num_processes 2`` or ``torchrun`` on a CPU machine
    would run unsynchronised copies on the same batches. Pass the result to the parser.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if not torch.cuda.is_available() and not any(a.split("=")[0] == "--use_cpu" for a in argv):
        argv += ["--use_cpu", "true"]
    return argv


def finish_distributed(accelerator) -> None:
    """Wait for every rank, then tear the process group down before the interpreter exits.

    Without it a rank that finishes first can exit while gloo threads are alive, and dies with
    "terminate called without an active exception" (SIGABRT), failing the whole launch.
    """
    accelerator.wait_for_everyone()
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()

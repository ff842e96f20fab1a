"""Small helpers shared by the training scripts in ``trainers/``."""
from __future__ import annotations

import os
import sys
from collections import defaultdict
from typing import Any

import torch
from transformers import Trainer


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
    """The last call of a training script: wait for every rank, then end a multi-process run.

    With several processes every rank meets at a barrier (so none exits while another still
    writes), then leaves with ``os._exit(0)`` after flushing its output, skipping interpreter
    teardown: exiting normally while gloo threads are alive can abort with "terminate called
    without an active exception" (SIGABRT), and ``destroy_process_group`` itself sometimes
    hangs on CPU (pytorch/pytorch#75097; seen here as one rank waiting forever after the other
    had left). A single-process run returns normally.
    """
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return
    accelerator.wait_for_everyone()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


class RunningMetricsTrainer(Trainer):
    """`transformers.Trainer` that adds per-step metrics to its logs.

    ``compute_loss`` implementations call ``self.record(model, name, value)``; training values
    are averaged into the next training log (names in ``summed`` are summed), evaluation values
    into the evaluation log as ``eval_<name>``.
    """

    summed: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._running: dict[bool, dict[str, list[float]]] = {True: defaultdict(list), False: defaultdict(list)}

    def record(self, model: torch.nn.Module, name: str, value: float) -> None:
        self._running[model.training][name].append(float(value))

    def log(self, logs: dict[str, float], *args: Any, **kwargs: Any) -> None:
        for training, prefix, marker in ((True, "", "loss"), (False, "eval_", "eval_loss")):
            if marker in logs and self._running[training]:
                for name, values in self._running[training].items():
                    logs[prefix + name] = sum(values) if name in self.summed else sum(values) / len(values)
                self._running[training].clear()
        super().log(logs, *args, **kwargs)

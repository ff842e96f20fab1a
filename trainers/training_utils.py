"""Small helpers shared by the training scripts in ``trainers/``."""
from __future__ import annotations

import dataclasses
import inspect
import json
import os
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import torch
from transformers import Trainer

from tdmm_hub.cards import model_card, write_card, write_training_record

RESUME_LAST = ("true", "last", "yes", "1")
RESUME_NEVER = ("", "false", "no", "0", "none")


def config_arguments(config_class: type, names: tuple[str, ...], class_name: str) -> type:
    """A dataclass of command-line arguments ``names`` whose defaults, types and help come from
    ``config_class.__init__`` and its docstring, so a script never restates a model's defaults."""
    parameters = inspect.signature(config_class.__init__).parameters
    doc = inspect.getdoc(config_class) or ""
    fields = []
    for name in names:
        parameter = parameters[name]
        match = re.search(rf"^( *)(?:\w+, )*{name}(?:, \w+)*: (.+(?:\n\1 +.+)*)", doc, re.M)
        help_text = " ".join(match.group(2).split()) if match else f"see {config_class.__name__}"
        fields.append((name, parameter.annotation, dataclasses.field(default=parameter.default, metadata={"help": help_text})))
    return dataclasses.make_dataclass(class_name, fields)


def last_checkpoint(output_dir: str | os.PathLike) -> str | None:
    """The newest complete ``checkpoint-N`` folder in ``output_dir`` (one with a trainer state), or None.

    A run killed while saving can leave a checkpoint folder without ``trainer_state.json``, or with one
    cut off mid-write (the trainer does not write it atomically): it is skipped, so resuming falls back
    to the checkpoint before it.
    """
    folder = Path(output_dir)
    steps = [(int(p.name.split("-")[1]), p) for p in folder.glob("checkpoint-*") if p.name.split("-")[1].isdigit()] if folder.is_dir() else []
    complete = [p for _, p in sorted(steps) if _readable_state(p / "trainer_state.json")]
    return str(complete[-1]) if complete else None


def _readable_state(path: Path) -> bool:
    """Whether ``path`` is a whole trainer state (a JSON object), not missing or cut off."""
    try:
        return isinstance(json.loads(path.read_text()), dict)
    except (OSError, ValueError):
        return False


def checkpoint_to_resume(resume_from_checkpoint: str | None, output_dir: str | os.PathLike) -> str | None:
    """What ``--resume_from_checkpoint`` asks for: ``true``/``last`` -> the last complete checkpoint
    in ``output_dir`` (or a fresh start when there is none), a path -> that checkpoint, unset -> None."""
    value = str(resume_from_checkpoint or "").strip()
    if value.lower() in RESUME_NEVER:
        return None
    if value.lower() in RESUME_LAST:
        found = last_checkpoint(output_dir)
        print(f"resuming from {found}" if found else f"no checkpoint in {output_dir} yet: starting from scratch", flush=True)
        return found
    if not (Path(value) / "trainer_state.json").is_file():
        raise FileNotFoundError(f"--resume_from_checkpoint {value}: not a checkpoint folder (no trainer_state.json); "
                                "pass a checkpoint-N folder, or 'last' for the newest one in --output_dir")
    return value


#: CPU flags (``/proc/cpuinfo``) of instruction sets that compute bf16 matrix products natively.
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_has_native_bf16(cpuinfo: str | os.PathLike = "/proc/cpuinfo") -> bool:
    """Whether this CPU multiplies bf16 matrices in hardware (AVX512-BF16 or AMX; read from ``cpuinfo``,
    so False where there is no such file). Elsewhere bf16 autocast is emulated and slower than fp32."""
    try:
        flags = set(Path(cpuinfo).read_text(errors="replace").split())
    except OSError:
        return False
    return any(flag in flags for flag in NATIVE_BF16_FLAGS)


def cpu_flag_without_gpu(argv: list[str] | None = None, bf16_where_native: bool = False) -> list[str]:
    """Command-line arguments with ``--use_cpu true`` added on a machine without CUDA.

    `transformers` only sets up CPU data parallelism (gloo, data split between ranks) when
    ``use_cpu`` is set, and it reads it while the arguments are parsed; without it,
    ``accelerate launch --multi_gpu --num_processes 2`` or ``torchrun`` on a CPU machine
    would run unsynchronised copies on the same batches. Pass the result to the parser.

    ``bf16_where_native``: also add ``--bf16 true`` (bf16 autocast, fp32 weights) when the CPU computes
    bf16 natively (:func:`cpu_has_native_bf16`) and the arguments do not set ``--bf16`` themselves; the
    Language2Motion trainer uses it (1.4x faster steps on an AVX512-BF16 CPU, the same validation figures;
    BENCHMARKS.md). ``--bf16 false`` keeps fp32.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if not torch.cuda.is_available() and not any(a.split("=")[0] == "--use_cpu" for a in argv):
        argv += ["--use_cpu", "true"]
        if bf16_where_native and cpu_has_native_bf16() and not any(a.split("=")[0] == "--bf16" for a in argv):
            argv += ["--bf16", "true"]
    return argv


def write_model_card(out: str | os.PathLike, kind: str, dataset: str) -> None:
    """End of training: record this run's command and ``dataset`` (words) in ``out`` and write its model card
    (kinds: :data:`tdmm_hub.model_index.KINDS`) with the figures it measured; the demo and ``tdmm publish``
    render it again with the evaluation suite's test figures."""
    command = " ".join([f"python -m tdmm_train.{Path(sys.argv[0]).stem}", *sys.argv[1:]])
    write_training_record(Path(out), command, dataset)
    write_card(Path(out), model_card(Path(out), kind))


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

"""The report's figures beyond the embedding plot: training curves (the paper's Fig. 12) and one-word
emotion control rendered side by side with the evaluator's reading (Fig. 13)."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from modeling_tdmm.clip import FaceClip
from modeling_tdmm.io_utils import atomic_path

ONE_WORD_TEMPLATE = "A young woman looks extremely {}."
ONE_WORD_EMOTIONS = ("happy", "angry", "sad", "surprised", "afraid", "disgusted")
#: the emotions of the intensity-word figure (each as a weak / strong pair of tdmm_eval.heldout_prompts)
INTENSITY_FIGURE_EMOTIONS = ("happy", "angry", "sad", "surprised")


def training_curve(folder: Path) -> list[tuple[int, float]]:
    """``(step, validation token accuracy)`` pairs of a trained Language2Motion folder, from the
    ``trainer_state.json`` of its newest checkpoint (empty when no checkpoint is left)."""
    checkpoints = [p for p in folder.glob("checkpoint-*") if re.fullmatch(r"checkpoint-\d+", p.name)]
    if not checkpoints:
        return []
    newest = max(checkpoints, key=lambda p: int(p.name.split("-")[1]))
    state = newest / "trainer_state.json"
    if not state.is_file():
        return []
    history = json.loads(state.read_text()).get("log_history", [])
    return [(int(h["step"]), float(h["eval_token_accuracy"])) for h in history if "eval_token_accuracy" in h]


def model_size_label(config: Any, parameters: int) -> str:
    """``"256x4 (7.1M)"``: hidden width x layers and trainable parameters (text encoder excluded)."""
    return f"{config.hidden_size}x{config.num_hidden_layers} ({parameters / 1e6:.1f}M)"


def training_curves_figure(curves: dict[str, list[tuple[int, float]]], path: Path) -> Path:
    """Plot validation token accuracy over training steps, one line per model (name -> curve)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6.5, 4))
    for name, curve in curves.items():
        if curve:
            steps, accuracy = zip(*curve)
            axis.plot(steps, accuracy, marker="o", label=name)
    axis.set_xlabel("training step")
    axis.set_ylabel("validation token accuracy")
    axis.set_title("Language2Motion: face-token accuracy over training")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    plt.close(figure)
    return path


def key_frames(clip: FaceClip, count: int = 3) -> FaceClip:
    """The clip cut to ``count`` evenly spaced frames (at 1/4, 2/4, 3/4 of it for three)."""
    index = np.linspace(0, clip.num_frames - 1, count + 2).round().astype(int)[1:-1]
    return replace(clip, **{name: values[index] for name, values in clip.motion().items()})


def one_word_figure(clips: list[FaceClip], readings: list[dict[str, Any]], face_model: Any, path: Path,
                    size: int = 144) -> Path:
    """One row per generated clip: three key frames rendered with ``face_model``, captioned with the
    prompt's emotion word and the evaluator's reading (family, intensity). Written as one PNG."""
    from PIL import Image

    from modeling_tdmm.video import caption_frame, render_clip

    rows = []
    for clip, reading in zip(clips, readings):
        frames = render_clip(key_frames(clip), face_model, size=size)
        label = f"'{clip.prompt}' read: {reading['emotion_family']}, {reading['intensity']}"
        strip = np.concatenate(list(frames), 1)
        rows.append(caption_frame(strip, label, size=12))
    with atomic_path(path) as tmp:
        Image.fromarray(np.concatenate(rows, 0)).save(tmp, format="PNG")
    return path

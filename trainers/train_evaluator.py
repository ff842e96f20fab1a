"""Train the text-motion evaluator: motion and text in one embedding, plus attribute heads.

    accelerate launch trainers/train_evaluator.py --config trainers/configs/evaluator.yaml [--key value ...]

The motion encoder reads raw FLAME-layout parameters of whole clips; the text side is the
frozen packaged all-MiniLM-L6-v2 with a trained projection (its sentence features are computed
once, before training). Loss: symmetric InfoNCE between each clip and one of its texts (the
prompt or a caption, drawn at random each time; near-duplicate texts are not negatives) plus
cross-entropy on emotion family, head-motion kind and intensity and a multi-label loss on the
facial actions present. Trained on the train split; choices are made on the validation split;
the held-out figures on the test split are written to ``evaluator_results.json`` (reported, never
tuned on). Resume with ``--resume_from_checkpoint last``.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoTokenizer, TrainingArguments, set_seed
from trl import TrlParser

from modeling_tdmm.configuration_motion_evaluator import MotionEvaluatorConfig
from modeling_tdmm.modeling_motion_evaluator import MotionEvaluator
from modeling_tdmm.motion_data import MotionCollator
from modeling_tdmm.text_encoders import resolve_text_encoder
from modeling_tdmm.text_motion_evaluator import TextMotionEvaluator
from open3dfacevid.features import clip_texts
from open3dfacevid.loading import CorpusArguments
from tdmm_eval.evaluator_figures import evaluator_figures
from tdmm_eval.evaluator_labels import attributes_of, clip_labels, label_vocabularies
from tdmm_train.training_utils import (
    RunningMetricsTrainer,
    checkpoint_to_resume,
    config_arguments,
    cpu_flag_without_gpu,
    finish_distributed,
    write_model_card,
)

EvaluatorArguments = config_arguments(MotionEvaluatorConfig, (
    "hidden_size", "num_layers", "kernel_size", "temporal_stride", "embed_dim", "dropout", "contrastive_temperature", "text_encoder", "max_text_tokens", "text_bf16",
    "attribute_weight", "amplitude_features", "noise_augmentation", "duplicate_threshold"), "EvaluatorArguments")


@dataclass
class ScriptArguments(CorpusArguments):
    max_eval_clips: int = 400
    texts_per_clip: int = field(default=3, metadata={"help": "texts a clip is paired with: its prompt, then captions"})


class EvaluatorExamples(torch.utils.data.Dataset):
    """Clips with the sentence features of all their texts and their attribute labels."""

    def __init__(self, rows: Any, evaluator: TextMotionEvaluator, vocab: dict[str, list[str]], texts_per_clip: int) -> None:
        fields = evaluator.config.motion_field_names
        self.clips = [{k: np.asarray(row[k], np.float32) for k in (*fields, "shape")} for row in rows]
        texts = [clip_texts(row)[:texts_per_clip] for row in rows.select_columns(["prompt", "captions"])]
        flat = [t for clip in texts for t in clip]
        features = evaluator.sentence_features(flat, progress=True)
        bounds = np.cumsum([0] + [len(t) for t in texts])
        self.sentences = [features[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
        self.labels = [clip_labels(attributes_of(row), vocab) for row in rows.select_columns(["attributes"])]

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return {**self.clips[index], "sentences": self.sentences[index], **self.labels[index]}


class EvaluatorCollator:
    """Whole clips padded to the batch's longest, one of each clip's texts drawn at random, labels stacked."""

    def __init__(self, seed: int = 0) -> None:
        self.motion = MotionCollator(window=None)
        self.rng = np.random.default_rng(seed)

    def __call__(self, examples: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        batch = self.motion(examples)
        batch["sentence_features"] = torch.stack([e["sentences"][int(self.rng.integers(len(e["sentences"])))] for e in examples])
        for key in ("emotion_labels", "precise_emotion_labels", "head_labels", "intensity_labels"):
            batch[key] = torch.tensor([e[key] for e in examples])
        batch["action_labels"] = torch.from_numpy(np.stack([e["action_labels"] for e in examples]))
        return batch


class EvaluatorTrainer(RunningMetricsTrainer):
    """Logs each part of the loss (contrastive, emotion, head, intensity, action)."""

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        outputs = model(**inputs)
        for name, value in outputs.losses.items():
            self.record(model, f"loss_{name}", value)
        return (outputs.loss, outputs) if return_outputs else outputs.loss


def normalization(model: MotionEvaluator, clips: list[dict[str, np.ndarray]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and std ``[2 * D]`` of the evaluator's per-frame features over ``clips``."""
    batch = MotionCollator(window=None)(clips[:2000])
    training = model.training
    model.eval()  # statistics of the clean clips (no noise augmentation)
    features = model.motion_features(batch["mask"], **{k: batch[k] for k in model.config.motion_field_names})
    model.train(training)
    valid = features[batch["mask"]]
    return valid.mean(0), valid.std(0)


#: the dataclasses a config file and the command line fill, in order
ARGUMENT_CLASSES = (ScriptArguments, EvaluatorArguments, TrainingArguments)


def main() -> None:
    parser = TrlParser(ARGUMENT_CLASSES)
    script, model_args, training_args = parser.parse_args_and_config(args=cpu_flag_without_gpu())
    training_args.remove_unused_columns = False
    set_seed(training_args.seed)

    corpus = script.load().with_format("numpy")
    vocab = label_vocabularies()
    fps = float(corpus["train"][0]["fps"])
    config = MotionEvaluatorConfig(**asdict(model_args), **vocab, fps=fps,
                                   face_model=str(corpus["train"][0]["face_model"]))
    model = MotionEvaluator.from_text_encoder(config)
    text_tokenizer = AutoTokenizer.from_pretrained(resolve_text_encoder(config.text_encoder))
    evaluator = TextMotionEvaluator(model, text_tokenizer)
    validation = corpus["validation"].select(range(min(script.max_eval_clips, len(corpus["validation"]))))
    train_set = EvaluatorExamples(corpus["train"], evaluator, vocab, script.texts_per_clip)
    eval_set = EvaluatorExamples(validation, evaluator, vocab, script.texts_per_clip)
    model.set_normalization(*normalization(model, train_set.clips))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(f"text-motion evaluator: {trainable / 1e6:.2f}M trainable parameters; {len(train_set)} training clips, "
          f"{len(eval_set)} validation clips")

    trainer = EvaluatorTrainer(model=model, args=training_args, train_dataset=train_set, eval_dataset=eval_set,
                               data_collator=EvaluatorCollator(training_args.seed))
    trainer.train(resume_from_checkpoint=checkpoint_to_resume(training_args.resume_from_checkpoint, training_args.output_dir))
    if trainer.is_world_process_zero():
        out = Path(training_args.output_dir)
        trained = TextMotionEvaluator(trainer.accelerator.unwrap_model(trainer.model), text_tokenizer)
        results = {split: evaluator_figures(trained, corpus[split].select(range(min(len(corpus[split]), 2000))))
                   for split in ("validation", "test")}
        trainer.save_model(str(out))
        text_tokenizer.save_pretrained(out)
        (out / "evaluator_results.json").write_text(json.dumps(results, indent=2))
        write_model_card(out, "evaluator", script.describe())
        print(json.dumps(results, indent=2))
    finish_distributed(trainer.accelerator)


if __name__ == "__main__":
    main()

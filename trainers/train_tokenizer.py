"""Train the geometry tokenizer (mesh-supervised VQ-VAE).

    accelerate launch trainers/train_tokenizer.py --config trainers/configs/tokenizer.yaml [--key value ...]
    accelerate launch --multi_gpu --num_processes 2 trainers/train_tokenizer.py ...   # 2 processes (GPUs, or CPU with gloo)

Runs unchanged on CPU (one or several processes), one GPU or many. Resume with
``--resume_from_checkpoint last`` (or ``true``: the newest complete checkpoint in output_dir) or a checkpoint path.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from transformers import TrainingArguments, set_seed
from trl import TrlParser

from modeling_tdmm import FaceModel
from modeling_tdmm.configuration_geometry_tokenizer import GeometryTokenizerConfig
from modeling_tdmm.modeling_geometry_tokenizer import GeometryTokenizer
from modeling_tdmm.motion_data import MotionCollator
from modeling_tdmm.processing_face_tokens import FaceTokenProcessor
from open3dfacevid.loading import CorpusArguments
from tdmm_eval.tokenizer_eval import evaluate_tokenizer
from tdmm_train.tokenizer_training import TokenizerTrainer, feature_statistics
from tdmm_train.training_utils import (
    checkpoint_to_resume,
    config_arguments,
    cpu_flag_without_gpu,
    finish_distributed,
    write_model_card,
)


@dataclass
class ScriptArguments(CorpusArguments):
    window: int = field(default=64, metadata={"help": "training crop length in frames"})
    face_model: str = field(default="open-head-v2", metadata={"help": "open-head-v2, open-head-v1 or a FLAME .pkl/.npz path"})
    max_eval_clips: int = 200


TokenizerArguments = config_arguments(GeometryTokenizerConfig, (
    "codebook_size", "head_codebook_size", "code_dim", "hidden_size", "num_res_blocks", "downsample", "ema_decay", "dead_code_threshold",
    "commitment_weight", "vertex_weight", "param_weight", "velocity_weight", "eyelid_weight", "vertex_loss_vertices",
    "vertex_loss_frames", "head_weight", "vertex_loss_frame", "output_smoothing"), "TokenizerArguments")


#: the dataclasses a config file and the command line fill, in order
ARGUMENT_CLASSES = (ScriptArguments, TokenizerArguments, TrainingArguments)


def main() -> None:
    parser = TrlParser(ARGUMENT_CLASSES)
    script, model_args, training_args = parser.parse_args_and_config(args=cpu_flag_without_gpu())
    training_args.remove_unused_columns = False
    training_args.prediction_loss_only = True
    set_seed(training_args.seed)

    corpus = script.load().with_format("numpy")
    train, validation = corpus["train"], corpus["validation"]
    validation = validation.select(range(min(script.max_eval_clips, len(validation))))

    face = FaceModel.load(script.face_model)
    config = GeometryTokenizerConfig(**asdict(model_args), face_model=face.name, face_model_num_shape=face.num_shape)
    model = GeometryTokenizer(config)
    model.attach_face_model(face)
    model.set_normalization(*feature_statistics(model, train))

    trainer = TokenizerTrainer(
        model=model, args=training_args, train_dataset=train, eval_dataset=validation,
        data_collator=MotionCollator(script.window, config.downsample, training_args.seed),
    )
    trainer.train(resume_from_checkpoint=checkpoint_to_resume(training_args.resume_from_checkpoint, training_args.output_dir))
    if trainer.is_world_process_zero():
        metrics = evaluate_tokenizer(trainer.accelerator.unwrap_model(trainer.model), validation)
        trainer.log({f"final_{k}": v for k, v in metrics.items()})
        out = Path(training_args.output_dir)
        trainer.save_model(str(out))
        FaceTokenProcessor.for_tokenizer(model).save_pretrained(out, tokenizer_path=str(out))
        (out / "eval_results.json").write_text(json.dumps(metrics, indent=2))
        write_model_card(out, "geometry_tokenizer", script.describe())
        print(json.dumps(metrics, indent=2))
    finish_distributed(trainer.accelerator)


if __name__ == "__main__":
    main()

"""Train the geometry tokenizer (mesh-supervised VQ-VAE).

    accelerate launch trainers/train_tokenizer.py --config trainers/configs/tokenizer.yaml [--key value ...]
    accelerate launch --multi_gpu --num_processes 2 trainers/train_tokenizer.py ...   # 2 processes (GPUs, or CPU with gloo)

Runs unchanged on CPU (one or several processes), one GPU or many. Resume with
``--resume_from_checkpoint true`` (latest checkpoint in output_dir) or a checkpoint path.
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
from modeling_tdmm.tokenizer_eval import evaluate_tokenizer
from modeling_tdmm.tokenizer_training import TokenizerTrainer, feature_statistics
from modeling_tdmm.training_utils import cpu_flag_without_gpu, finish_distributed
from open3dfacevid.loading import CorpusArguments


@dataclass
class ScriptArguments(CorpusArguments):
    window: int = field(default=64, metadata={"help": "training crop length in frames"})
    face_model: str = field(default="open-head-v1", metadata={"help": "open-head-v1 or a FLAME .pkl/.npz path"})
    max_eval_clips: int = 200


@dataclass
class TokenizerArguments:
    codebook_size: int = 512
    code_dim: int = 64
    hidden_size: int = 128
    num_res_blocks: int = 2
    downsample: int = 1
    ema_decay: float = 0.99
    dead_code_threshold: float = 1.0
    commitment_weight: float = 0.02
    vertex_weight: float = 0.25
    param_weight: float = 1.0
    velocity_weight: float = 0.5
    eyelid_weight: float = 20.0
    vertex_loss_vertices: int = 1500
    vertex_loss_frames: int = 512


def main() -> None:
    parser = TrlParser((ScriptArguments, TokenizerArguments, TrainingArguments))
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
    trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint or None)
    if trainer.is_world_process_zero():
        metrics = evaluate_tokenizer(trainer.accelerator.unwrap_model(trainer.model), validation)
        trainer.log({f"final_{k}": v for k, v in metrics.items()})
        out = Path(training_args.output_dir)
        trainer.save_model(str(out))
        FaceTokenProcessor.for_tokenizer(model).save_pretrained(out, tokenizer_path=str(out))
        (out / "eval_results.json").write_text(json.dumps(metrics, indent=2))
        print(json.dumps(metrics, indent=2))
    finish_distributed(trainer.accelerator)


if __name__ == "__main__":
    main()

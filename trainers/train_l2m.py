"""Train Language2Motion: text prompt -> face tokens of a trained geometry tokenizer.

    accelerate launch trainers/train_l2m.py --config trainers/configs/l2m.yaml [--key value ...]
    accelerate launch trainers/train_l2m.py --config trainers/configs/l2m.yaml --conditioning global   # T2M-GPT-style baseline

Every clip of the dataset is encoded once with the geometry tokenizer; each training example
pairs its face tokens with one of its texts (the generation prompt, a caption or, with
``--appearance_texts N``, one of N sentences describing the face by its parts without an
emotion word; drawn at random each time). The text encoder (default: the packaged
all-MiniLM-L6-v2) is frozen unless ``--freeze_text_encoder false``. Logs loss and teacher-forced token accuracy; checkpoints and
``--resume_from_checkpoint last`` (or ``true``) continues from the newest checkpoint in ``--output_dir``.
The saved folder holds the model (text encoder included), the text tokenizer, and
``face_token_processor.json`` with the geometry tokenizer's path relative to the folder.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import datasets
from transformers import AutoTokenizer, TrainingArguments, set_seed
from trl import TrlParser

from modeling_tdmm.configuration_language2motion import Language2MotionConfig
from modeling_tdmm.modeling_geometry_tokenizer import GeometryTokenizer
from modeling_tdmm.modeling_language2motion import Language2MotionModel
from modeling_tdmm.motion_data import TextMotionCollator, encode_rows
from modeling_tdmm.processing_face_tokens import FaceTokenProcessor
from modeling_tdmm.text_encoders import resolve_text_encoder
from open3dfacevid.appearance import appearance_texts
from open3dfacevid.features import clip_texts
from open3dfacevid.loading import CorpusArguments
from tdmm_eval.evaluator_labels import attributes_of, clip_labels, label_vocabularies
from tdmm_train.l2m_training import Language2MotionTrainer
from tdmm_train.training_utils import (
    checkpoint_to_resume,
    config_arguments,
    cpu_flag_without_gpu,
    finish_distributed,
    write_model_card,
)


@dataclass
class ScriptArguments(CorpusArguments):
    geometry_tokenizer: str = field(default="outputs/tokenizer", metadata={"help": "a trained geometry tokenizer folder"})
    appearance_texts: int = field(default=0, metadata={"help": "appearance sentences (the face described by its parts, no "
                                                               "emotion word; open3dfacevid.appearance) added to each "
                                                               "training clip's texts; 0 = none"})


ModelArguments = config_arguments(Language2MotionConfig, (
    "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "max_motion_tokens", "dropout",
    "text_encoder", "max_text_tokens", "freeze_text_encoder", "conditioning", "condition_dropout", "token_corruption",
    "family_loss_weight", "intensity_loss_weight", "prompt_family_loss_weight", "prompt_intensity_loss_weight",
    "prompt_head_loss_weight"),
    "ModelArguments")


def token_examples(rows: datasets.Dataset, geometry: GeometryTokenizer, appearance: int = 0, seed: int = 0) -> datasets.Dataset:
    """``{"codes", "texts", "family", "intensity", "head"}`` per clip (ids into ``label_vocabularies()``'s
    ``emotion_families``, ``intensities`` and ``head_motions``, -100 where the clip has none: an emotion transition,
    a neutral face's intensity).
    ``texts`` are the clip's prompt and captions plus ``appearance`` appearance sentences where its attributes allow."""
    codes = encode_rows(rows, geometry)
    attributes = [attributes_of(row) for row in rows.select_columns(["attributes"])]
    texts = [clip_texts(row) + appearance_texts(a, appearance, seed=[seed, i])
             for i, (row, a) in enumerate(zip(rows.select_columns(["prompt", "captions"]), attributes))]
    vocab = label_vocabularies()
    labels = [clip_labels(a, vocab) for a in attributes]
    keep = [i for i, t in enumerate(texts) if t]
    return datasets.Dataset.from_dict({"codes": [codes[i].tolist() for i in keep], "texts": [texts[i] for i in keep],
                                       "family": [int(labels[i]["emotion_labels"]) for i in keep],
                                       "intensity": [int(labels[i]["intensity_labels"]) for i in keep],
                                       "head": [int(labels[i]["head_labels"]) for i in keep]})


#: the dataclasses a config file and the command line fill, in order
ARGUMENT_CLASSES = (ScriptArguments, ModelArguments, TrainingArguments)


def main() -> None:
    parser = TrlParser(ARGUMENT_CLASSES)
    script, model_args, training_args = parser.parse_args_and_config(args=cpu_flag_without_gpu(bf16_where_native=True))
    training_args.remove_unused_columns = False
    set_seed(training_args.seed)

    corpus = script.load().with_format("numpy")
    geometry = GeometryTokenizer.from_pretrained(script.geometry_tokenizer).eval()
    validation = corpus["validation"].select(range(min(script.max_eval_clips, len(corpus["validation"]))))
    train_set = token_examples(corpus["train"], geometry, script.appearance_texts, training_args.seed)
    eval_set = token_examples(validation, geometry)
    fps = float(corpus["train"][0]["fps"])

    vocab = label_vocabularies()
    config = Language2MotionConfig(**asdict(model_args), emotion_families=vocab["emotion_families"],
                                   intensity_levels=vocab["intensities"], head_motions=vocab["head_motions"],
                                   codebook_size=geometry.config.codebook_size,
                                   head_codebook_size=geometry.config.head_codebook_size, fps=fps,
                                   downsample=geometry.config.downsample)
    model = Language2MotionModel.from_text_encoder(config)
    text_tokenizer = AutoTokenizer.from_pretrained(resolve_text_encoder(config.text_encoder))
    if text_tokenizer.pad_token is None:  # decoder LMs (GPT-2 style) have none; prompts are batched with padding
        text_tokenizer.pad_token = text_tokenizer.eos_token
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(f"Language2Motion ({config.conditioning}): {trainable / 1e6:.2f}M trainable parameters; "
          f"{len(train_set)} training clips, {len(eval_set)} validation clips")

    collator = TextMotionCollator(text_tokenizer, config.codebook_size, config.max_motion_tokens, config.max_text_tokens,
                                  training_args.seed)
    trainer = Language2MotionTrainer(model=model, args=training_args, train_dataset=train_set, eval_dataset=eval_set,
                                     data_collator=collator, eval_seed=training_args.seed + 1)
    trainer.train(resume_from_checkpoint=checkpoint_to_resume(training_args.resume_from_checkpoint, training_args.output_dir))
    metrics = trainer.evaluate()  # every rank takes part
    if trainer.is_world_process_zero():
        out = Path(training_args.output_dir)
        trainer.save_model(str(out))
        text_tokenizer.save_pretrained(out)
        # face_token_processor.json records the geometry tokenizer relative to the model folder, as M2L's does
        FaceTokenProcessor.for_tokenizer(geometry, script.geometry_tokenizer).save_pretrained(out)
        (out / "eval_results.json").write_text(json.dumps(metrics, indent=2))
        write_model_card(out, "language2motion", script.describe())
        print(f"saved Language2Motion to {out}: " + json.dumps(metrics))
    finish_distributed(trainer.accelerator)


if __name__ == "__main__":
    main()

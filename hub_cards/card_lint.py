"""Offline lint of a model or dataset card: what the Hub would reject or show wrong, checked without it.

``ModelCard.validate()`` asks the Hub; this checks locally what a card of tdmm-lm must hold: the YAML
header parses, the required metadata is there, ``model-index`` follows the Hub's schema (every result
has a task type, a dataset name and type, and metrics with a type and a finite number), widget outputs
and linked samples are files of the folder, and the sections a reader needs are present.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml
from huggingface_hub import DatasetCard, ModelCard
from huggingface_hub.repocard_data import model_index_to_eval_results

__all__ = ["HUB_TASKS", "lint_card", "lint_folder"]

#: Hub tasks a tdmm-lm card may name (``pipeline_tag``)
HUB_TASKS = {"text-to-3d", "text-generation", "feature-extraction", "image-text-to-text", "any-to-any"}
MODEL_FIELDS = ("library_name", "pipeline_tag", "license", "tags")
MODEL_SECTIONS = ("## Use", "## Results", "## Training", "## Limitations", "## Citation")
DATASET_FIELDS = ("license", "pretty_name", "configs", "dataset_info")
DATASET_SECTIONS = ("## Statistics", "## Use", "## Licence", "## Citation")
_HEADER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
_LINK = re.compile(r"\]\(((?!https?://|#)[^)\s]+)\)")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _model_index(index: Any) -> list[str]:
    """Problems of a ``model-index`` value against the Hub's schema."""
    if not isinstance(index, list) or not index:
        return ["model-index: expected a non-empty list of models"]
    problems = []
    for i, model in enumerate(index):
        if not isinstance(model, dict) or not model.get("name") or not isinstance(model.get("results"), list):
            problems.append(f"model-index[{i}]: expected a mapping with 'name' and a 'results' list")
            continue
        for j, result in enumerate(model["results"]):
            where = f"model-index[{i}].results[{j}]"
            task, dataset = result.get("task") if isinstance(result, dict) else None, result.get("dataset") if isinstance(result, dict) else None
            if not isinstance(task, dict) or not task.get("type"):
                problems.append(f"{where}.task.type: missing")
            if not isinstance(dataset, dict) or not dataset.get("type") or not dataset.get("name"):
                problems.append(f"{where}.dataset: needs 'type' and 'name'")
            metrics = result.get("metrics") if isinstance(result, dict) else None
            if not isinstance(metrics, list) or not metrics:
                problems.append(f"{where}.metrics: expected a non-empty list")
                continue
            for k, metric in enumerate(metrics):
                if not isinstance(metric, dict) or not metric.get("type") or not _number(metric.get("value")):
                    problems.append(f"{where}.metrics[{k}]: needs a 'type' and a finite numeric 'value', got {metric!r}")
    if not problems:
        try:
            model_index_to_eval_results(index)
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"model-index: huggingface_hub cannot read it ({type(exc).__name__}: {exc})")
    return problems


def _files_named(folder: Path, names: list[str], what: str) -> list[str]:
    problems = []
    for name in names:
        target = (folder / name).resolve()
        if not target.is_relative_to(folder.resolve()) or not target.is_file():
            problems.append(f"{what} {name!r} is not a file of {folder}")
    return problems


def lint_card(text: str, kind: str, folder: Path | None = None, require_model_index: bool = True) -> list[str]:
    """Problems of a card's ``text`` (empty: it passes); ``kind`` is ``"model"`` or ``"dataset"``. With
    ``folder``, files the card links or shows as widget outputs must be in it. A card written before any
    measurement (``require_model_index=False``) may lack ``model-index``; one to publish may not."""
    header = _HEADER.match(text)
    if header is None:
        return ["the card has no YAML header (it must start with '---' and close with a '---' line)"]
    try:
        data = yaml.safe_load(header.group(1))
    except yaml.YAMLError as exc:
        return [f"the YAML header does not parse: {' '.join(str(exc).split())}"]
    if not isinstance(data, dict):
        return [f"the YAML header must be a mapping, got {type(data).__name__}"]
    body = text[header.end():]
    fields, sections = (MODEL_FIELDS, MODEL_SECTIONS) if kind == "model" else (DATASET_FIELDS, DATASET_SECTIONS)
    problems = [f"metadata: missing {name!r}" for name in fields if not data.get(name)]
    problems += [f"body: missing section {title!r}" for title in sections if f"\n{title}" not in f"\n{body}"]
    if kind == "model":
        if data.get("pipeline_tag") and data["pipeline_tag"] not in HUB_TASKS:
            problems.append(f"pipeline_tag {data['pipeline_tag']!r} is not one of {sorted(HUB_TASKS)}")
        if "custom_code" not in (data.get("tags") or []):
            problems.append("tags: 'custom_code' is missing (the Hub's snippet then omits trust_remote_code=True)")
        if "model-index" in data:
            problems += _model_index(data["model-index"])
        elif require_model_index:
            problems.append("metadata: missing 'model-index' (render the card with a report's results.json)")
    else:
        for config in data.get("configs") or []:
            if not isinstance(config, dict) or not config.get("config_name") or not config.get("data_files"):
                problems.append(f"configs: each entry needs 'config_name' and 'data_files', got {config!r}")
    if folder is not None:
        widgets = data.get("widget") or []
        urls = [w["output"]["url"] for w in widgets if isinstance(w, dict) and isinstance(w.get("output"), dict) and "url" in w["output"]]
        problems += _files_named(Path(folder), urls, "widget output")
        problems += _files_named(Path(folder), _LINK.findall(body), "linked file")
        if kind == "dataset":
            for config in data.get("configs") or []:
                for entry in config.get("data_files") or []:
                    pattern = entry.get("path") if isinstance(entry, dict) else entry
                    if isinstance(pattern, str) and not list(Path(folder).glob(pattern)):
                        problems.append(f"configs: data_files {pattern!r} matches no file in {folder}")
    if not problems:  # what huggingface_hub itself makes of it (it checks model-index too)
        try:
            (ModelCard if kind == "model" else DatasetCard)(text)
        except (ValueError, yaml.YAMLError) as exc:
            problems.append(f"huggingface_hub cannot read the card: {' '.join(str(exc).split())}")
    return problems


def lint_folder(folder: Path, kind: str, require_model_index: bool = True) -> list[str]:
    """:func:`lint_card` of ``folder/README.md`` (a missing card is a problem)."""
    path = Path(folder) / "README.md"
    if not path.is_file():
        return [f"{path}: no card"]
    return [f"{path}: {problem}" for problem in lint_card(path.read_text(), kind, Path(folder), require_model_index)]

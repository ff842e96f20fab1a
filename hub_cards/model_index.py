"""The numbers a card states, taken from measurement files and never typed by hand.

Two sources, both JSON written by a measurement run:

* the evaluation suite's ``results.json`` (``python -m tdmm_eval report --models DIR --out DIR``):
  test-split figures judged by the text-motion evaluator; what published cards carry;
* the figures a trainer measured on the validation split at the end of training (the geometry
  tokenizer's ``eval_results.json``, the evaluator's ``evaluator_results.json``, Language2Motion's
  ``eval_results.json``): what a card says before any report exists.

Each becomes a list of :class:`Figure` (one metric on one split), from which the card's
``model-index`` and its results table are both rendered.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["KINDS", "Figure", "figures_from_report", "figures_from_training", "read_json"]

#: model kinds a card is written for
KINDS = ("geometry_tokenizer", "motion2language", "language2motion", "evaluator")
REPORT_COMMAND = "python -m tdmm_eval report --models DIR --out DIR"


@dataclass(frozen=True)
class Figure:
    """One measured number: ``metric`` is a machine name (``emotion_family_kept``), ``name`` what a reader
    sees, ``value`` the number in the unit of ``unit`` (``%`` values are stored as percentages), ``split``
    the dataset split it was measured on, ``source`` the command that measured it."""

    metric: str
    name: str
    value: float
    unit: str
    split: str
    source: str

    def shown(self) -> str:
        """The value as the card's table prints it."""
        if self.unit == "%":
            return f"{self.value:.1f}%"
        return f"{self.value:.3g}" + (f" {self.unit}" if self.unit else "")


def read_json(path: Path) -> dict[str, Any]:
    """A measurement file as a dict; a one-line error naming the file if it is unreadable or not an object."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable JSON measurement file ({type(exc).__name__}: {exc})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object of measurements, got {type(data).__name__}")  # noqa: TRY004 (bad file content)
    return data


def _get(data: dict[str, Any], path: str, where: str) -> float | None:
    """The number at ``path``; ``None`` where the file records it as not measured (``null``, e.g. R-precision
    on a split smaller than one batch)."""
    node: Any = data
    for key in path.split("/"):
        if not isinstance(node, dict) or key not in node:
            raise ValueError(f"{where}: missing field {path!r} (expected a number there)")
        node = node[key]
        if node is None:
            return None
    if isinstance(node, bool) or not isinstance(node, (int, float)) or not math.isfinite(node):
        raise ValueError(f"{where}: field {path!r} must be a finite number, got {node!r}")
    return float(node)


def _figures(data: dict[str, Any], where: str, split: str, source: str,
             rows: tuple[tuple[str, str, str, str], ...]) -> list[Figure]:
    """``rows``: (metric, field path in ``data``, name, unit); ``%`` fields hold fractions."""
    out = []
    for metric, path, name, unit in rows:
        value = _get(data, path, where)
        if value is not None:
            out.append(Figure(metric, name, 100 * value if unit == "%" else value, unit, split, source))
    return out


TOKENIZER_REPORT = (
    ("emotion_family_kept", "retained/emotion_family", "emotion family kept (evaluator, reconstructions / originals)", "%"),
    ("head_motion_kept", "retained/head_motion", "head-motion kind kept", "%"),
    ("intensity_kept", "retained/intensity_within_one", "intensity within one level kept", "%"),
    ("facial_actions_kept", "retained/action_recall", "prompted facial actions the evaluator reads, kept", "%"),
    ("expression_error", "groups/expression_error", "expression coefficient error (mean |error|)", ""),
    ("expression_signal", "groups/expression_signal", "expression coefficient signal (mean |value|)", ""),
    ("mean_vertex_error", "mean_vertex_error_mm", "mean vertex error", "mm"),
    ("blink_recall", "blink_recall", "blink recall", ""),
)
M2L_REPORT = (
    ("emotion_family", "emotion", "emotion family named in free descriptions", "%"),
    ("emotion_family_asked", "emotion_when_asked", "emotion family when asked", "%"),
    ("head_motion", "head_motion", "head-motion kind in free descriptions", "%"),
    ("intensity_within_one", "intensity_within_one", "intensity within one level", "%"),
    ("CorE", "CorE", "CorE (1-5, rubric)", ""),
    ("CorM", "CorM", "CorM (1-5, rubric)", ""),
    ("CorI", "CorI", "CorI (1-5, rubric)", ""),
    ("bleu", "bleu4", "BLEU-4", ""),
    ("rouge", "rougeL", "ROUGE-L", ""),
    ("cider", "cider", "CIDEr", ""),
    ("bertscore", "bertscore", "BERTScore (all-MiniLM-L6-v2)", ""),
)
L2M_REPORT = (
    ("emotion_family", "attributes/emotion_family", "generated motion's emotion family matches the prompt's", "%"),
    ("head_motion", "attributes/head_motion", "generated head-motion kind matches", "%"),
    ("intensity_within_one", "attributes/intensity_within_one", "generated intensity within one level", "%"),
    ("facial_actions", "attributes/action_recall", "facial actions the prompt names, read in the generated motion", "%"),
    ("one_word_swap", "swap_lands", "one-word emotion swap lands on the new family", "%"),
    ("r_precision_top1", "r_precision/top1/mean", "R-precision top-1 (batches of 32)", "%"),
    ("r_precision_top3", "r_precision/top3/mean", "R-precision top-3 (batches of 32)", "%"),
    ("fid", "fid", "FID (evaluator embeddings)", ""),
    ("mm_dist", "mm_dist", "MM-Dist", ""),
    ("diversity", "diversity/mean", "Diversity", ""),
    ("multimodality", "multimodality", "MultiModality", ""),
    ("token_accuracy", "token_accuracy", "Tok (next face-token accuracy)", "%"),
)
EVALUATOR_FIGURES = (
    ("emotion_family", "emotion_family", "emotion family (single-emotion clips)", "%"),
    ("head_motion", "head_motion", "head-motion kind", "%"),
    ("intensity_within_one", "intensity_within_one", "intensity within one level", "%"),
    ("r_precision_top1", "r_precision/top1/mean", "R-precision top-1 (batches of 32)", "%"),
    ("r_precision_top3", "r_precision/top3/mean", "R-precision top-3 (batches of 32)", "%"),
)


def _report_section(results: dict[str, Any], kind: str, where: str) -> dict[str, Any]:
    """The part of a report's results.json that measures a model of ``kind``."""
    if kind == "geometry_tokenizer":
        return results.get("tokenizer") or {}
    if kind == "evaluator":
        return (results.get("evaluator") or {}).get("test") or {}
    if kind == "motion2language":
        return ((results.get("m2l") or {}).get("rows") or {}).get("Motion2Language") or {}
    if kind == "language2motion":
        section = results.get("l2m") or {}
        return (section.get("rows") or {}).get(section.get("main", "")) or {}
    raise ValueError(f"{where}: unknown model kind {kind!r}; known: {', '.join(KINDS)}")


def figures_from_report(results: dict[str, Any], kind: str, where: str = "results.json") -> list[Figure]:
    """The test-split figures of a model of ``kind`` in a report's ``results.json`` (``where`` names the file
    in errors); an error if the report has no section for that kind."""
    rows = {"geometry_tokenizer": TOKENIZER_REPORT, "motion2language": M2L_REPORT, "language2motion": L2M_REPORT,
            "evaluator": EVALUATOR_FIGURES}
    section = _report_section(results, kind, where)
    if not section:
        raise ValueError(f"{where}: the report has no figures for a {kind} model (was it written by "
                         f"`{REPORT_COMMAND}` with that model?)")
    source = REPORT_COMMAND + (" --quick" if results.get("quick") else "")
    return _figures(section, where, "test", source, rows[kind])


TOKENIZER_TRAINING = (
    ("mean_vertex_error", "mean_vertex_error_mm", "mean vertex error", "mm"),
    ("blink_recall", "blink_recall", "blink recall", ""),
    ("codes_used", "codes_used_pct", "codes used", ""),
)
L2M_TRAINING = (("token_accuracy", "eval_token_accuracy", "Tok (next face-token accuracy)", "%"),)
#: per kind: the file its trainer writes, the key of the validation figures in it ("": the whole file), the rows
TRAINING_FILES: dict[str, tuple[str, str, tuple]] = {
    "geometry_tokenizer": ("eval_results.json", "", TOKENIZER_TRAINING),
    "language2motion": ("eval_results.json", "", L2M_TRAINING),
    "evaluator": ("evaluator_results.json", "validation", EVALUATOR_FIGURES),
}


def figures_from_training(folder: Path, kind: str, command: str) -> list[Figure]:
    """The validation figures a trainer wrote into ``folder`` (``[]`` for a kind whose trainer measures none
    in a file); ``command`` is the training command that measured them."""
    if kind not in TRAINING_FILES:
        return []
    name, key, rows = TRAINING_FILES[kind]
    path = Path(folder) / name
    if not path.is_file():
        return []
    data = read_json(path)
    return _figures((data.get(key) or {}) if key else data, str(path), "validation", command, rows)

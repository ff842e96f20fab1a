"""Model and dataset cards: rendered from the templates with measured numbers only, and linted offline."""
import json
from pathlib import Path

import pytest
from huggingface_hub import ModelCard

from modeling_tdmm.configuration_geometry_tokenizer import GeometryTokenizerConfig
from modeling_tdmm.configuration_motion_evaluator import MotionEvaluatorConfig
from tdmm_hub.card_lint import lint_card, lint_folder
from tdmm_hub.cards import CardInputs, model_card, model_kind, write_card, write_training_record
from tdmm_hub.model_index import figures_from_report

R = {"mean": 0.5, "ci95": 0.01}
#: a report's results.json as `python -m tdmm_eval report` writes it (the fields the cards read)
RESULTS = {
    "quick": True,
    "evaluator": {"test": {"emotion_family": 0.97, "head_motion": 0.96, "intensity_within_one": 0.9,
                           "r_precision": {"top1": {"mean": 0.93, "ci95": 0.01}, "top3": {"mean": 0.99, "ci95": 0.0}}}},
    "tokenizer": {"retained": {"emotion_family": 0.948, "head_motion": 0.97, "intensity_within_one": 0.85,
                               "action_recall": 0.43},
                  "groups": {"expression_error": 0.0168, "expression_signal": 0.0348},
                  "mean_vertex_error_mm": 2.63, "blink_recall": 1.0},
    "m2l": {"rows": {"Motion2Language": {"emotion": 0.828, "emotion_when_asked": 0.984, "head_motion": 0.594,
                                         "intensity_within_one": 0.689, "CorE": 3.97, "CorM": 2.66, "CorI": 4.16,
                                         "bleu4": 33.8, "rougeL": 54.3, "cider": 0.498, "bertscore": 63.8}}},
    "l2m": {"main": "L2M", "rows": {"L2M": {"attributes": {"emotion_family": 0.712, "head_motion": 0.5,
                                                           "intensity_within_one": 0.289, "action_recall": 0.0},
                                            "swap_lands": 0.875, "r_precision": {"top1": R, "top3": {"mean": 0.585, "ci95": 0.02}},
                                            "fid": 0.39, "mm_dist": 1.06, "diversity": {"mean": 1.31, "ci95": 0.01},
                                            "multimodality": 0.48, "token_accuracy": 0.545}}},
}


def _folder(tmp_path: Path, kind: str) -> Path:
    """A model folder with the files a card reads (config.json and, per kind, its training figures)."""
    folder = tmp_path / kind
    folder.mkdir()
    if kind == "geometry_tokenizer":
        GeometryTokenizerConfig(codebook_size=64, head_codebook_size=4).save_pretrained(folder)
        (folder / "eval_results.json").write_text(json.dumps({"mean_vertex_error_mm": 2.5, "blink_recall": 0.98,
                                                              "codes_used_pct": 40.0}))
    elif kind == "evaluator":
        MotionEvaluatorConfig().save_pretrained(folder)
        split = {"num_clips": 10, "emotion_family": 0.9, "n_emotion": 9, "head_motion": 0.8, "intensity_within_one": 0.7,
                 "n_intensity": 5, "intensity_exact": 0.4, "action_f1": 0.5, "mm_dist": 0.6,
                 "r_precision": {"top1": {"mean": 0.3}, "top3": {"mean": 0.6}}}
        # R-precision is null on a split smaller than one batch of 32: not measured, so not stated
        (folder / "evaluator_results.json").write_text(json.dumps({"validation": {**split, "r_precision": None}, "test": split}))
    elif kind == "language2motion":
        (folder / "config.json").write_text(json.dumps({"model_type": "tdmm_language2motion", "conditioning": "word_prefix",
                                                        "hidden_size": 64, "num_hidden_layers": 2, "max_motion_tokens": 100,
                                                        "text_encoder": "all-MiniLM-L6-v2"}))
        (folder / "eval_results.json").write_text(json.dumps({"eval_token_accuracy": 0.42}))
    else:
        (folder / "config.json").write_text(json.dumps({"model_type": "qwen3", "architectures": ["Qwen3ForCausalLM"],
                                                        "hidden_size": 64, "num_hidden_layers": 2}))
        (folder / "face_token_processor.json").write_text(json.dumps({"codebook_size": 64, "tokenizer_path": "../tok"}))
    write_training_record(folder, f"python -m tdmm_train.x --output_dir {folder}", "procedural Open3DFaceVid, 60 clips")
    return folder


@pytest.mark.parametrize("kind", ["geometry_tokenizer", "motion2language", "language2motion", "evaluator"])
def test_cards_carry_the_reports_numbers_in_model_index_and_table_and_pass_the_lint(tmp_path, kind):
    folder = _folder(tmp_path, kind)
    assert model_kind(folder) == kind
    inputs = CardInputs(results=RESULTS, results_file="report/results.json", repo_id="someone/tdmm-demo", dataset_id="someone/o3dfv")
    card = model_card(folder, inputs=inputs)
    figures = figures_from_report(RESULTS, kind)
    index = {r.metric_type: r for r in card.data.eval_results}
    assert set(index) == {f.metric for f in figures}
    for figure in figures:  # the same numbers in the header and in the table, all on the test split
        assert index[figure.metric].metric_value == round(figure.value, 4) and index[figure.metric].dataset_split == "test"
        assert f"| {figure.name} | {figure.shown()} | test |" in card.text
    assert card.data.datasets == ["someone/o3dfv"] and "custom_code" in card.data.tags
    assert 'from_pretrained("someone/tdmm-demo"' in card.text or 'model="someone/tdmm-demo"' in card.text
    assert "python -m tdmm_train.x" in card.text and "tdmm_eval report" in card.text
    write_card(folder, card)
    assert lint_folder(folder, "model") == []
    assert ModelCard.load(folder / "README.md").data.pipeline_tag == card.data.pipeline_tag


def test_percentages_are_stored_as_percent_and_the_l2m_card_is_text_to_3d(tmp_path):
    card = model_card(_folder(tmp_path, "language2motion"), inputs=CardInputs(results=RESULTS))
    assert card.data.pipeline_tag == "text-to-3d"
    assert {r.metric_type: r.metric_value for r in card.data.eval_results}["r_precision_top3"] == 58.5


def test_without_a_report_the_card_states_the_training_runs_validation_figures(tmp_path):
    card = model_card(_folder(tmp_path, "geometry_tokenizer"))
    assert {(r.metric_type, r.metric_value, r.dataset_split) for r in card.data.eval_results} >= {("blink_recall", 0.98, "validation")}
    evaluator = model_card(_folder(tmp_path, "evaluator"))
    assert {r.metric_type for r in evaluator.data.eval_results} == {"emotion_family", "head_motion", "intensity_within_one"}
    m2l = model_card(_folder(tmp_path, "motion2language"))  # its trainer measures nothing into a file
    assert m2l.data.eval_results is None and "No measurement is recorded" in m2l.text
    assert lint_card(str(m2l), "model", require_model_index=False) == []
    assert any("model-index" in p for p in lint_card(str(m2l), "model"))


def test_a_report_without_a_field_is_a_one_line_error_naming_file_and_field(tmp_path):
    broken = json.loads(json.dumps(RESULTS))
    del broken["tokenizer"]["blink_recall"]
    with pytest.raises(ValueError, match=r"^r\.json: missing field 'blink_recall'"):
        model_card(_folder(tmp_path, "geometry_tokenizer"), inputs=CardInputs(results=broken, results_file="r.json"))
    broken["tokenizer"]["blink_recall"] = float("nan")
    with pytest.raises(ValueError, match="finite number"):
        figures_from_report(broken, "geometry_tokenizer")
    with pytest.raises(ValueError, match="no figures for a language2motion"):
        figures_from_report({"quick": True}, "language2motion")


def test_a_folder_that_is_no_tdmm_model_is_refused(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(ValueError, match="not a tdmm-lm model"):
        model_kind(tmp_path)


@pytest.fixture
def good_card(tmp_path) -> tuple[str, Path]:
    folder = _folder(tmp_path, "language2motion")
    (folder / "generated").mkdir()
    (folder / "generated" / "happy.mp4").write_bytes(b"\0")
    card = model_card(folder, inputs=CardInputs(results=RESULTS, samples=[
        {"prompt": "A young woman looks extremely happy.", "file": "generated/happy.mp4", "caption": "happy"}]))
    return str(card), folder


def test_the_lint_passes_a_rendered_card_with_its_samples(good_card):
    text, folder = good_card
    assert lint_card(text, "model", folder) == []
    assert "url: generated/happy.mp4" in text


@pytest.mark.parametrize("edit, problem", [
    (lambda t: t.replace("---\n", "", 1), "no YAML header"),
    (lambda t: t.replace("pipeline_tag: text-to-3d\n", "pipeline_tag: [\n"), "does not parse"),
    (lambda t: t.replace("- custom_code\n", ""), "custom_code"),
    (lambda t: t.replace("pipeline_tag: text-to-3d", "pipeline_tag: text-to-face"), "pipeline_tag 'text-to-face'"),
    (lambda t: t.replace("license: apache-2.0\n", ""), "missing 'license'"),
    (lambda t: t.replace("value: 58.5", "value: high"), "finite numeric 'value'"),
    (lambda t: t.replace("      type: open3dfacevid\n", ""), "dataset: needs 'type' and 'name'"),
    (lambda t: t.replace("## Limitations", "## Caveats"), "missing section '## Limitations'"),
    (lambda t: t.replace("url: generated/happy.mp4", "url: generated/none.mp4"), "widget output 'generated/none.mp4'"),
    (lambda t: t.replace("url: generated/happy.mp4", "url: ../../etc/passwd"), "widget output '../../etc/passwd'"),
])
def test_the_lint_names_what_is_wrong(good_card, edit, problem):
    text, folder = good_card
    problems = lint_card(edit(text), "model", folder)
    assert any(problem in p for p in problems), problems


def test_a_built_corpus_card_passes_the_lint_and_loads(tmp_path):
    import datasets

    from open3dfacevid.corpus import build_corpus

    build_corpus(tmp_path / "c", "procedural", num_clips=24, seed=1, num_shards=1)
    assert lint_folder(tmp_path / "c", "dataset") == []
    assert datasets.load_dataset(str(tmp_path / "c"), cache_dir=str(tmp_path / "hf"))["train"].num_rows > 0
    text = (tmp_path / "c" / "README.md").read_text()
    broken = text.replace("-*.parquet", "-none-*.parquet")
    assert any("matches no file" in p for p in lint_card(broken, "dataset", tmp_path / "c"))

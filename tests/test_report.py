"""The evaluation report regenerates every number from the same models, corpus and seed."""
import json

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from modeling_tdmm.configuration_geometry_tokenizer import GeometryTokenizerConfig
from modeling_tdmm.configuration_language2motion import Language2MotionConfig
from modeling_tdmm.configuration_motion_evaluator import MotionEvaluatorConfig
from modeling_tdmm.language2motion import Language2Motion
from modeling_tdmm.modeling_geometry_tokenizer import GeometryTokenizer
from modeling_tdmm.modeling_language2motion import Language2MotionModel
from modeling_tdmm.modeling_motion_evaluator import MotionEvaluator
from modeling_tdmm.processing_face_tokens import FaceTokenProcessor
from modeling_tdmm.text_encoders import resolve_text_encoder
from open3dfacevid.corpus import build_corpus
from tdmm_eval.__main__ import main as tdmm_eval
from tdmm_eval.evaluator_labels import label_vocabularies
from tdmm_eval.heldout_prompts import INTENSITY_EMOTIONS, VALIDATION_PARAPHRASES
from tdmm_eval.m2l_validation import action_sentence_counts
from tdmm_eval.report import prompt_truth, reading_accuracy, run_report
from tdmm_eval.report_figures import ONE_WORD_EMOTIONS, training_curve
from tdmm_eval.token_cost import token_cost_rows
from tdmm_train.m2l_backbone import build_backbone


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A run folder as `make demo` leaves it, with tiny untrained models (numbers mean nothing; they must repeat)."""
    root = tmp_path_factory.mktemp("run")
    build_corpus(root / "corpus", "procedural", num_clips=1000, seed=0, num_shards=1)
    text_tokenizer = AutoTokenizer.from_pretrained(resolve_text_encoder("all-MiniLM-L6-v2"))
    torch.manual_seed(0)
    evaluator = MotionEvaluator.from_text_encoder(MotionEvaluatorConfig(hidden_size=16, num_layers=1, embed_dim=8,
                                                                        **label_vocabularies()))
    evaluator.save_pretrained(root / "evaluator")
    text_tokenizer.save_pretrained(root / "evaluator")
    geometry = GeometryTokenizer(GeometryTokenizerConfig(codebook_size=16, code_dim=8, hidden_size=16, num_res_blocks=1)).eval()
    geometry.save_pretrained(root / "tokenizer")
    for name, conditioning in (("l2m", "word_prefix"), ("l2m_global", "global")):
        l2m = Language2MotionModel.from_text_encoder(Language2MotionConfig(
            codebook_size=16, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
            max_motion_tokens=160, max_text_tokens=64, conditioning=conditioning))
        Language2Motion(l2m, text_tokenizer, FaceTokenProcessor.for_tokenizer(geometry, str(root / "tokenizer"))).save_pretrained(root / name)
    folder = build_backbone(["The person smiles and nods.", "A face looks worried, then blinks."] * 20, root / "m2l",
                            vocab_size=300, hidden_size=32, num_layers=1, num_heads=2, num_kv_heads=1, intermediate_size=64,
                            max_position_embeddings=512)
    tokenizer, model = AutoTokenizer.from_pretrained(folder), AutoModelForCausalLM.from_pretrained(folder)
    processor = FaceTokenProcessor.for_tokenizer(geometry)
    processor.add_to_tokenizer(tokenizer)
    model.resize_token_embeddings(len(tokenizer))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    processor.save_pretrained(folder, tokenizer_path=str(root / "tokenizer"))
    (root / "ablation" / "open3dfacevid").mkdir(parents=True)
    for kind in ("l2m", "m2l"):
        (root / "ablation" / "open3dfacevid" / kind).symlink_to(root / kind, target_is_directory=True)
    return root


def test_same_command_and_seed_give_the_same_numbers(models, tmp_path):
    first = run_report(models, tmp_path / "a", quick=True, seed=3, max_clips=32)
    second = run_report(models, tmp_path / "b", quick=True, seed=3, max_clips=32)
    for section in ("evaluator", "tokenizer", "m2l", "l2m", "ablation", "token_cost"):
        timing = {"generation_s"}
        strip = lambda d: json.loads(json.dumps(d), object_hook=lambda o: {k: v for k, v in o.items() if k not in timing})
        assert strip(first[section]) == strip(second[section]), section
    report = (tmp_path / "a" / "REPORT.md").read_text()
    assert "## Motion2Language (Table 1)" in report and "| nearest clip (evaluator) |" in report
    assert "## Language2Motion (Table 3)" in report and "| real motion |" in report and "kept (target >= 95%)" in report
    assert "## Corpus ablation (Tables 4-5)" in report and "emulations made with our synthesizer" in report
    assert "## Token cost" in report and "| CorE | CorM | CorI |" in report
    for figure in ("embeddings_tsne.png", "one_word_control.png", "intensity_words.png"):
        assert (tmp_path / "a" / figure).stat().st_size > 1000, figure
    rows = first["l2m"]["rows"]
    main, global_ = "Language2Motion `l2m` (word_prefix, 32x1)", "Language2Motion `l2m_global` (global, 32x1)"
    assert set(rows) == {"real motion", "retrieval (closest training prompt)", main, global_}
    assert first["l2m"]["main"] == main
    assert rows["real motion"]["fid"] == pytest.approx(0.0, abs=1e-6)
    assert 0.0 <= rows[global_]["token_accuracy"] <= 1.0 and "param_l2" in rows[global_] and "param_l2" not in rows["real motion"]
    assert [w["word"] for w in first["l2m"]["keyword_swap"]["one_word_control"]] == list(ONE_WORD_EMOTIONS)
    ablation = first["ablation"]["open3dfacevid"]
    assert 1.0 <= ablation["m2l"]["CorE"] <= 5.0 and "swap_lands" in ablation["l2m"]


def test_l2m_validation_reads_validation_prompts_only_and_repeats(models, capsys):
    args = ["l2m-validation", "--models", str(models), "--l2m", str(models / "l2m"), "--max-clips", "32"]
    assert tdmm_eval(args) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert tdmm_eval(args) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == first
    assert first["prompts"] == 32 and first["n_emotional"] + first["n_neutral"] <= 32
    assert first["paraphrases"] == len(VALIDATION_PARAPHRASES) and first["intensity_pairs"] == 2 * len(INTENSITY_EMOTIONS)
    for key in ("emotion_family", "head_motion", "swap_lands", "paraphrase_family", "intensity_pairs_stronger",
                "action_recall", "r_precision_top3", "r_precision_top3_real", "r_precision_top3_with_action",
                "r_precision_top3_without_action"):
        assert 0.0 <= first[key] <= 1.0, key
    assert first["sampling"] == {"guidance": None, "temperature": 1.0, "top_k": 0, "top_p": 1.0}
    # generation settings reach every generated clip: the most likely token alone leaves the seed nothing to draw
    greedy = [*args, "--top-k", "1", "--guidance", "1"]
    readings = []
    for seed in ("0", "5"):
        assert tdmm_eval([*greedy, "--seed", seed]) == 0
        readings.append(json.loads(capsys.readouterr().out.strip().splitlines()[-1]))
    assert readings[0]["sampling"] == {"guidance": 1.0, "temperature": 1.0, "top_k": 1, "top_p": 1.0}
    assert {k: v for k, v in readings[0].items() if k != "sampling"} == {k: v for k, v in readings[1].items() if k != "sampling"}
    assert tdmm_eval([*args, "--temperature", "0"]) == 2
    assert "temperature" in capsys.readouterr().err
    assert first["repeats"] == 2
    assert tdmm_eval([*args, "--repeats", "3"]) == 0  # more seeds per paraphrase and pair
    more = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert more["repeats"] == 3 and more["intensity_pairs"] == 3 * len(INTENSITY_EMOTIONS)
    assert more["emotion_family"] == first["emotion_family"]  # the template prompts are generated once either way
    assert tdmm_eval([*args, "--repeats", "0"]) == 2
    assert "--repeats must be >= 1" in capsys.readouterr().err
    assert tdmm_eval(["l2m-validation", "--models", str(models), "--l2m", str(models / "missing")]) == 2
    assert "missing" in capsys.readouterr().err


def test_m2l_validation_reads_validation_clips_and_repeats(models, capsys):
    args = ["m2l-validation", "--models", str(models), "--max-clips", "6"]
    assert tdmm_eval(args) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert tdmm_eval(args) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == first
    assert first["clips"] == 6 and first["m2l"] == str(models / "m2l") and len(first["examples"]) == 3
    for key in ("emotion", "head_motion", "emotion_when_asked"):
        assert 0.0 <= first[key] <= 1.0, key
    assert 0 <= first["hallucinated_action"] <= first["described_action"] <= 6
    assert tdmm_eval(["m2l-validation", "--models", str(models), "--m2l", str(models / "missing")]) == 2
    assert "missing" in capsys.readouterr().err


def test_action_sentences_are_counted_against_the_clips_events():
    with_talk = {"events": [{"type": "talk", "start": 30, "end": 60}]}
    blink_only = {"events": [{"type": "blink", "start": 10, "end": 14}]}
    texts = ["A calm face. From 1.0 s to 2.0 s the person talks.", "A calm face. From 0.5 s to 1.5 s the person yawns.",
             "A calm face. They blink once (at 0.3 s)."]
    counts = action_sentence_counts(texts, [with_talk, blink_only, with_talk])
    assert counts == {"with_action": 2, "described_action": 2, "hallucinated_action": 1, "missed_action": 1}


def test_report_command_names_what_is_missing(tmp_path, capsys):
    assert tdmm_eval(["report", "--models", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "evaluator not found" in capsys.readouterr().err


def test_training_curve_reads_the_newest_checkpoint(tmp_path):
    for step, accuracy in ((100, 0.5), (200, 0.6)):
        (tmp_path / f"checkpoint-{step}").mkdir()
        history = [{"step": s, "eval_token_accuracy": a} for s, a in ((100, 0.5), (200, 0.6)) if s <= step]
        (tmp_path / f"checkpoint-{step}" / "trainer_state.json").write_text(json.dumps({"log_history": history + [{"step": 5, "loss": 1}]}))
    (tmp_path / "checkpoint-300-partial").mkdir()
    assert training_curve(tmp_path) == [(100, 0.5), (200, 0.6)]
    assert training_curve(tmp_path / "checkpoint-100") == []


def test_token_cost_counts_face_tokens_from_the_tokenizer_rate():
    rows = token_cost_rows(fps=25.0, downsample=1, seconds=5.0)
    assert rows[0]["tokens"] == 125 and rows[0]["ratio"] == 1.0
    assert {r["name"]: r["tokens"] for r in rows[1:]}["Video-LLaVA-style (8 sampled frames, 16x16 ViT patches)"] == 2048
    assert token_cost_rows(fps=25.0, downsample=4, seconds=5.0)[0]["tokens"] == 32  # 125 frames -> ceil(125 / 4)


def test_readings_count_the_facial_actions_a_prompt_names():
    vocab = label_vocabularies()
    winks = {"emotions": ["neutral"], "emotion_families": ["neutral"], "actions": ["wink", "cheek puff"]}
    calm = {"emotions": ["calm"], "emotion_families": ["calm"], "intensity": "mild", "actions": []}
    truths = [prompt_truth(winks, vocab), prompt_truth(calm, vocab)]
    assert truths[0]["actions"] == ["wink", "cheek puff"] and truths[1]["actions"] == []
    read = {"emotion_family": "neutral", "head_motion": "still", "intensity": "mild"}
    frowns = prompt_truth({"emotions": ["neutral"], "emotion_families": ["neutral"], "actions": ["frown"]}, vocab)
    shown = reading_accuracy([{**read, "actions": ["wink"]}, {**read, "emotion_family": "calm", "actions": ["smile"]},
                              {**read, "actions": ["frown", "lip press"]}], [*truths, frowns], vocab)
    # the wink and the frown of three named actions; the unasked smile and lip press count for nothing
    assert shown["action_recall"] == pytest.approx(2 / 3)
    assert shown["emotion_family"] == 1.0
    none_asked = reading_accuracy([{**read, "actions": ["smile"]}], truths[1:], vocab)
    assert none_asked["action_recall"] is None  # not measured: no prompt names an action (a card leaves it out)

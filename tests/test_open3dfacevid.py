import json
import pickle
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import datasets
import numpy as np
import pytest
import yaml

from open3dfacevid.__main__ import main as o3dfv
from open3dfacevid.corpus import build_corpus
from open3dfacevid.features import SPLITS, row_to_clip
from open3dfacevid.lexicon import CATEGORIES, by_category, get, lexicon
from open3dfacevid.paraphrase import OpenAIParaphraser, TemplateParaphraser
from open3dfacevid.prompts import FOCI, sample_specs, spec_at
from open3dfacevid.subjects import subject_categories
from open3dfacevid.synthesizer import recipe_vectors, synthesize

ROOT = Path(__file__).resolve().parents[1]


def test_lexicon_size_categories_and_required_entries():
    entries = lexicon()
    assert len(entries) >= 200
    assert {d.category for d in entries} == set(CATEGORIES)
    names = {d.name for d in entries}
    for word in ("joyful", "amused", "proud", "relieved", "content", "sad", "grieving", "disappointed", "worried",
                 "anxious", "afraid", "terrified", "surprised", "astonished", "confused", "angry", "irritated",
                 "enraged", "disgusted", "contemptuous", "bored", "embarrassed", "skeptical", "determined",
                 "blink", "double blink", "wink", "squint", "brow raise", "frown", "smirk", "grin", "pout", "lip press",
                 "lip pucker", "jaw drop", "cheek puff", "nose wrinkle", "sneer", "yawn",
                 "nod", "head shake", "tilt left", "turn right", "look up", "look down", "still",
                 "subtle", "intense", "slowly", "suddenly"):
        assert word in names, word
    for d in by_category("emotion") + by_category("action"):
        expr, lids, jaw = recipe_vectors(d.name)  # every AU in every recipe exists on open-head-v1
        assert -1 <= d.valence <= 1 and -1 <= d.arousal <= 1
        assert d.synonyms, d.name
        if d.name != "neutral" and d.category == "emotion":
            assert expr.sum() + lids.sum() > 0, d.name
    assert dict(get("smirk").recipe).keys() >= {"AU12_L", "AU14_L"} and "AU12_R" not in dict(get("smirk").recipe)


def test_sampler_is_balanced_and_deterministic():
    emotions = by_category("emotion")
    n = 3 * len(emotions) * 2
    specs = sample_specs(n, seed=5)
    focus = Counter(s.focus for s in specs)
    assert set(focus.values()) == {n // 3} and set(focus) == set(FOCI)
    per_emotion = Counter(s.emotion for s in specs if s.focus == "emotion")
    assert set(per_emotion.values()) == {2} and len(per_emotion) == len(emotions)
    subjects = Counter(s.subject.category for s in specs)
    assert max(subjects.values()) - min(subjects.values()) <= 1 and len(subjects) == len(subject_categories())
    intensities = Counter(s.intensity for s in specs)
    assert max(intensities.values()) - min(intensities.values()) <= 1
    assert spec_at(17, seed=5).to_dict() == specs[17].to_dict()  # spec i depends only on (seed, i)
    assert spec_at(17, seed=6).to_dict() != specs[17].to_dict()
    assert all(4.0 <= s.duration <= 6.0 for s in specs)


def test_synthesis_is_deterministic_by_seed():
    spec = spec_at(3, seed=1)
    a, b = synthesize(spec), synthesize(spec)
    for name in ("expression", "jaw_pose", "eyelids", "head_pose", "shape"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.captions == b.captions and a.attributes == b.attributes
    other = synthesize(spec_at(3, seed=2))
    assert not np.array_equal(a.head_pose, other.head_pose[: len(a.head_pose)]) or a.num_frames != other.num_frames


@pytest.fixture(scope="module")
def clips():
    return [synthesize(s) for s in sample_specs(600, seed=11)]


def test_clip_shape_rate_and_liveliness(clips):
    for clip in clips:
        assert clip.fps == 25 and 100 <= clip.num_frames <= 150
        assert clip.face_model == "open-head-v2" and clip.source == "procedural"
        assert clip.head_pose.std(0).max() > 0.002  # idle motion: never frozen
        assert clip.expression.min() >= 0 and clip.expression.max() <= 1.2


def test_eyelid_events_match_the_eyelids(clips):
    blinks = 0
    for clip in clips:
        spans = [(e["start"], e["end"]) for e in clip.attributes["events"]
                 if e["type"] in ("blink", "wink", "eyes_closed", "yawn")]
        for event in clip.attributes["events"]:
            if event["type"] in ("blink", "wink"):
                blinks += 1
                column = {"both": slice(0, 2), "left": slice(0, 1), "right": slice(1, 2)}[event["side"]]
                assert clip.eyelids[event["start"]:event["end"], column].min() >= 0.5
        closed = np.nonzero(clip.eyelids.max(1) >= 0.75)[0]
        for frame in closed:
            assert any(s - 1 <= frame < e + 1 for s, e in spans), (clip.clip_id, frame)
    rate = blinks / sum(c.duration for c in clips) * 60
    assert 6 < rate < 30  # spontaneous blinking at a natural rate (per minute)


def test_head_motion_attributes_match_the_pose(clips):
    seen = Counter()
    for clip in clips:
        head = clip.attributes["head_motion"]
        if head["kind"] == "still":
            continue
        seen[head["kind"]] += 1
        axis = head["axis"]
        span = clip.head_pose[head["start"]:head["end"], axis]
        assert np.ptp(clip.head_pose[:, axis]) >= 0.5 * abs(head["amplitude"])
        if head["kind"] in ("nod", "shake"):  # cyclic: both ways around the posture it started from
            centred = span - np.median(span)
            assert centred.max() > 0.3 * abs(head["amplitude"]) and centred.min() < -0.3 * abs(head["amplitude"])
            assert np.ptp(span) >= abs(head["amplitude"])  # swings both ways
    assert {"nod", "shake", "tilt", "turn", "look"} <= set(seen)


def test_micro_expressions_are_short_and_visible(clips):
    found = 0
    for clip in clips:
        for event in clip.attributes["events"]:
            if event["type"] == "micro_expression":
                found += 1
                assert (event["end"] - event["start"]) / clip.fps <= 0.5
                expr, _, _ = recipe_vectors(event["name"])
                units = expr > 0
                inside = clip.expression[event["start"]:event["end"], units].mean()
                before = clip.expression[max(0, event["start"] - 12):max(1, event["start"] - 6), units].mean()
                assert inside > before + 0.1
    assert found > 0


def test_captions_agree_with_attributes(clips):
    for clip in clips[:200]:
        assert len(clip.captions) >= 3 and len(set(clip.captions)) == len(clip.captions)
        a = clip.attributes
        text = " ".join(clip.captions).lower()
        for emotion in a["emotions"]:
            if emotion != "neutral":
                assert any(w.lower() in text for w in get(emotion).words), (emotion, clip.captions)
        assert f"blinks: {a['blink_count']}" in text
        if a["head_motion"]["kind"] == "nod":
            assert "nod" in text


ARTICLE_ERRORS = re.compile(r"\b(?:[Aa] (?!u)[aeiou]|[Aa]n (?![aeiou])[a-z])")  # "a u..." may be "a uniform"


def test_captions_and_prompts_use_the_right_article(clips):
    assert ARTICLE_ERRORS.search("A extremely happy face, an sad one") and not ARTICLE_ERRORS.search("An angry face, a uniform")
    texts = [text for clip in clips for text in (clip.prompt, *clip.captions)]
    texts += [spec.prompt for spec in sample_specs(300, seed=4)]
    wrong = [text for text in texts if ARTICLE_ERRORS.search(text)]
    assert not wrong, wrong[:5]
    assert any(text.startswith(("An extremely", "An intensely")) for text in texts)


def test_transitions_are_recorded_in_order(clips):
    transitions = [c for c in clips if len(c.attributes["emotions"]) == 2]
    assert transitions
    for clip in transitions:
        first, second = clip.attributes["emotion_spans"]
        assert first["start"] < second["start"] and ", then " in clip.prompt


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus")
    stats = build_corpus(out, "procedural", num_clips=120, seed=3, num_shards=2)
    return out, stats


def test_splits_are_disjoint_and_complete(corpus):
    out, stats = corpus
    ds = datasets.load_dataset(str(out))
    ids = {split: set(ds[split]["clip_id"]) for split in SPLITS}
    assert sum(len(v) for v in ids.values()) == 120
    assert not (ids["train"] & ids["validation"]) and not (ids["train"] & ids["test"]) and not (ids["validation"] & ids["test"])
    assert stats["num_clips"] == 120 and abs(stats["hours"] - 120 * 5 / 3600) < 0.05


def test_typed_features_round_trip(corpus):
    out, _ = corpus
    ds = datasets.load_dataset(str(out), split="train").with_format("numpy")
    assert isinstance(ds.features["expression"], datasets.Array2D)
    row = ds[0]
    assert isinstance(row["expression"], np.ndarray) and row["expression"].shape[1] == 50
    clip = row_to_clip(row)
    index = int(clip.clip_id.rsplit("-", 1)[1])
    expected = synthesize(spec_at(index, seed=3))
    np.testing.assert_array_equal(clip.expression, expected.expression)
    np.testing.assert_array_equal(clip.head_pose, expected.head_pose)
    assert clip.attributes == json.loads(json.dumps(expected.attributes)) and clip.captions == expected.captions


def test_card_yaml_describes_the_folder(corpus):
    out, _ = corpus
    text = (out / "README.md").read_text()
    assert text.startswith("---\n")
    header = yaml.safe_load(text.split("---\n")[1])
    config = header["configs"][0]
    assert config["config_name"] == "procedural" and config["default"] is True
    assert {f["split"] for f in config["data_files"]} == set(SPLITS)
    features = {f["name"]: f for f in header["dataset_info"]["features"]}
    assert features["expression"]["dtype"]["array2_d"]["shape"] == [None, 50]
    assert sum(s["num_examples"] for s in header["dataset_info"]["splits"]) == 120
    assert (out / "stats.png").stat().st_size > 10_000 and json.loads((out / "stats.json").read_text())["num_clips"] == 120


def test_streaming_and_split_by_node(corpus):
    from datasets.distributed import split_dataset_by_node

    out, _ = corpus
    stream = datasets.load_dataset(str(out), split="train", streaming=True)
    parts = [[r["clip_id"] for r in split_dataset_by_node(stream, rank=k, world_size=2)] for k in range(2)]
    total = datasets.load_dataset(str(out), split="train").num_rows
    assert len(parts[0]) + len(parts[1]) == total and not set(parts[0]) & set(parts[1])


def test_repo_folder_loads_the_committed_sample(monkeypatch):
    monkeypatch.chdir(ROOT)
    ds = datasets.load_dataset("open3dfacevid")
    assert set(ds) == set(SPLITS)
    assert 200 <= sum(ds[s].num_rows for s in SPLITS) <= 600
    row = ds["validation"].with_format("numpy")[0]
    assert row["eyelids"].shape[1] == 2 and row["source"] == "procedural"


def test_committed_sample_matches_the_current_synthesizer(monkeypatch):
    """Rebuild with: python -m open3dfacevid build --num-clips 300 --out open3dfacevid --config-name sample
    --data-dir data/sample --num-proc 2"""
    monkeypatch.chdir(ROOT)
    ds = datasets.load_dataset("open3dfacevid")
    for split in SPLITS:
        for row in ds[split].select_columns(["clip_id", "prompt", "captions", "attributes"]):
            expected = synthesize(spec_at(int(row["clip_id"].rsplit("-", 1)[1]), seed=0))
            assert (row["prompt"], row["captions"]) == (expected.prompt, expected.captions), row["clip_id"]
            assert json.loads(row["attributes"]) == json.loads(json.dumps(expected.attributes))


def _smirk(frames, rng):
    widths = {"expression": 50, "pose": 3, "eyelid": 2, "jaw": 3, "identity": 300, "camera_pose": 3}
    return {k: [rng.normal(size=w).astype(np.float32) * 0.1 for _ in range(frames)] for k, w in widths.items()}


def test_tracks_build_reports_every_rejected_file(tmp_path):
    rng = np.random.default_rng(0)
    tracks = tmp_path / "tracks"
    (tracks / "coeff" / "happy").mkdir(parents=True)
    (tracks / "coeff" / "happy" / "good1.pkl").write_bytes(pickle.dumps(_smirk(60, rng)))
    np.savez(tracks / "good2.npz", exp=rng.normal(size=(50, 50)), pose=rng.normal(size=(50, 6)) * 0.1)
    (tracks / "broken.pkl").write_bytes(b"not a pickle at all")
    nan = _smirk(40, rng)
    nan["jaw"][3][0] = np.nan
    (tracks / "nan.pkl").write_bytes(pickle.dumps(nan))
    (tracks / "short.pkl").write_bytes(pickle.dumps(_smirk(4, rng)))
    (tracks / "noprompt.pkl").write_bytes(pickle.dumps(_smirk(30, rng)))
    (tracks / "orphan.pkl").write_bytes(pickle.dumps(_smirk(30, rng)))
    manifest = tmp_path / "manifest.jsonl"
    rows = [
        {"file": "coeff/happy/good1.pkl", "prompt": "A woman smiles warmly.", "captions": ["She smiles.", "A warm smile."]},
        {"file": "good2.npz", "prompt": "A man frowns."},
        {"file": "broken.pkl", "prompt": "x"},
        {"file": "nan.pkl", "prompt": "y"},
        {"file": "short.pkl", "prompt": "z"},
        {"file": "noprompt.pkl", "prompt": ""},
        {"file": "missing.pkl", "prompt": "gone"},
    ]
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "built"
    assert o3dfv(["build", "--config", "tracks", "--tracks-dir", str(tracks), "--manifest", str(manifest), "--out", str(out)]) == 0
    rejected = {r["file"]: r["reason"] for r in map(json.loads, (out / "rejected.jsonl").read_text().splitlines())}
    assert set(rejected) == {"broken.pkl", "nan.pkl", "short.pkl", "noprompt.pkl", "missing.pkl", "orphan.pkl"}
    assert rejected["broken.pkl"].startswith("malformed") and rejected["nan.pkl"].startswith("NaN")
    assert rejected["short.pkl"].startswith("too short") and rejected["noprompt.pkl"] == "missing prompt"
    assert rejected["missing.pkl"] == "file not found" and "no manifest entry" in rejected["orphan.pkl"]
    ds = datasets.concatenate_datasets(list(datasets.load_dataset(str(out)).values()))
    by_id = {r["clip_id"]: r for r in ds}
    assert set(by_id) == {"coeff/happy/good1.pkl", "good2.npz"}
    assert by_id["coeff/happy/good1.pkl"]["captions"] == ["She smiles.", "A warm smile."]
    assert by_id["good2.npz"]["captions"] == ["A man frowns."] and by_id["good2.npz"]["face_model"] == "flame2020"


def test_prompts_cli_writes_jsonl_with_paraphrases(tmp_path):
    out = tmp_path / "prompts.jsonl"
    assert o3dfv(["prompts", "--num", "9", "--seed", "2", "--out", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 9 and {line["focus"] for line in lines} == set(FOCI)
    for line in lines:
        assert "The frame remains steady" in line["prompt"] or "camera" in line["prompt"] or "frame" in line["prompt"]
        assert len(line["paraphrases"]) >= 2 and line["prompt"] not in line["paraphrases"]


def test_openai_compatible_paraphraser_on_a_local_server():
    seen = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            seen["body"] = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen["path"] = self.path
            reply = {"choices": [{"message": {"content": "1. A person grins widely at the camera, head still.\n"
                                                          "2. Someone breaks into a broad grin; the shot stays steady."}}]}
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    spec = spec_at(0, seed=0)
    out = OpenAIParaphraser(f"http://127.0.0.1:{server.server_port}/v1", model="local-model", api_key="k")(spec, 2)
    thread.join(5)
    server.server_close()
    assert seen["path"] == "/v1/chat/completions" and seen["body"]["model"] == "local-model"
    assert spec.prompt in seen["body"]["messages"][0]["content"]
    assert out == ["A person grins widely at the camera, head still.", "Someone breaks into a broad grin; the shot stays steady."]


def test_template_paraphrases_keep_the_content():
    spec = spec_at(4, seed=0)
    for text in TemplateParaphraser()(spec, 3):
        assert spec.subject.label in text


def test_hf_paraphraser_runs_any_local_causal_lm(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    from open3dfacevid.paraphrase import HFParaphraser

    words = ["[UNK]", "[EOS]", "a", "person", "smiles", "at", "the", "camera", "steady", "frame", "nods", "\n", "."]
    raw = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="[UNK]", eos_token="[EOS]")
    tokenizer.chat_template = "{% for m in messages %}{{ m['content'] }} {% endfor %}"
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(words), n_embd=16, n_layer=1, n_head=2, n_positions=512))
    folder = tmp_path / "tiny-lm"
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    spec = spec_at(1, seed=0)
    out = HFParaphraser(str(folder), max_new_tokens=12)(spec, 3)
    assert isinstance(out, list) and all(isinstance(t, str) and t != spec.prompt for t in out)

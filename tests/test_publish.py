"""`tdmm publish`: a Hub-ready folder that loads without tdmm-lm, never holds FLAME data or pickles, and
uploads through the Hub API only when asked (an injected fake here: no network)."""
import base64
import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import TINY_CODEBOOK as K
from conftest import make_clip
from huggingface_hub import ModelCard

from modeling_tdmm.clip import FaceClip
from modeling_tdmm.language2motion import Language2Motion
from modeling_tdmm.motion2language import Motion2Language
from tdmm_hub.cli import main
from tdmm_hub.publish import PublishError, publish

RESULTS = {"quick": True,
           "tokenizer": {"retained": {"emotion_family": 0.95, "head_motion": 0.97, "intensity_within_one": 0.85, "action_recall": 0.4},
                         "groups": {"expression_error": 0.017, "expression_signal": 0.035},
                         "mean_vertex_error_mm": 2.6, "blink_recall": 1.0}}


class FakeHubApi:
    """Records what would be sent to the Hub."""

    def __init__(self):
        self.calls = []

    def create_repo(self, repo_id, **kwargs):
        self.calls.append(("create_repo", repo_id, kwargs))

    def upload_folder(self, **kwargs):
        self.calls.append(("upload_folder", kwargs["repo_id"], kwargs))
        self.uploaded = sorted(p.relative_to(kwargs["folder_path"]).as_posix() for p in Path(kwargs["folder_path"]).rglob("*")
                               if p.is_file())
        return "https://huggingface.co/someone/x/commit/0123"


@pytest.fixture(scope="module")
def project(tiny_models) -> Path:
    """The tiny models, with files beside the tokenizer that must never be published."""
    tokenizer = tiny_models / "tokenizer"
    for name in ("generic_model.pkl", "flame2023_arrays.npz", "training_args.bin", "optimizer.pt", ".secret",
                 "checkpoint-3/model.safetensors", "notes.txt"):
        (tokenizer / name).parent.mkdir(parents=True, exist_ok=True)
        (tokenizer / name).write_bytes(b"never published")
    (tiny_models / "outside.safetensors").write_bytes(b"outside")
    if not (tokenizer / "linked.safetensors").is_symlink():
        os.symlink(tiny_models / "outside.safetensors", tokenizer / "linked.safetensors")
    (tiny_models / "report").mkdir(exist_ok=True)
    (tiny_models / "report" / "results.json").write_text(json.dumps(RESULTS))
    return tiny_models


def endpoint(folder: Path):
    """The published folder's handler.py, loaded as Inference Endpoints does: ``EndpointHandler(path)``."""
    spec = importlib.util.spec_from_file_location(f"handler_{folder.name}", folder / "handler.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (folder / "requirements.txt").read_text().startswith("tdmm-lm[render]")
    return module.EndpointHandler(str(folder))


def test_dry_run_assembles_a_folder_that_loads_without_tdmm_lm_and_leaves_out_what_must_never_go(project, tmp_path, capsys):
    assert main(["publish", str(project / "tokenizer"), "--repo-id", "someone/tdmm-tokenizer", "--dry-run",
                 "--out", str(tmp_path / "hub")]) == 0
    printed = capsys.readouterr().out
    published = sorted(p.relative_to(tmp_path / "hub").as_posix() for p in (tmp_path / "hub").rglob("*") if p.is_file())
    assert {"config.json", "model.safetensors", "modeling_geometry_tokenizer.py", "face_model.npz", "README.md"} <= set(published)
    for never in ("generic_model.pkl", "flame2023_arrays.npz", "training_args.bin", "optimizer.pt", ".secret",
                  "checkpoint-3/model.safetensors", "notes.txt", "linked.safetensors"):
        assert never not in published
    assert "loads without tdmm-lm: AutoModel: 10 frames -> 10 face tokens" in printed and "dry run: nothing uploaded" in printed
    assert "card pipeline_tag: feature-extraction" in printed and "card lint: passed" in printed
    handler = endpoint(tmp_path / "hub")  # a clip as parameters -> its face tokens
    zeros = {"expression": np.zeros((6, 50)).tolist(), "jaw_pose": np.zeros((6, 3)).tolist(),
             "eyelids": np.zeros((6, 2)).tolist(), "head_pose": np.zeros((6, 3)).tolist()}
    tokens = handler({"inputs": zeros})
    assert len(tokens["codes"]) == 6 and tokens["text"].startswith("<|face_start|>") and tokens["fps"] == 25.0
    with pytest.raises(ValueError, match="missing motion field"):
        handler({"inputs": {"expression": zeros["expression"]}})
    card = ModelCard.load(tmp_path / "hub" / "README.md")  # the report beside the folder fills the test figures
    assert {r.metric_type: (r.metric_value, r.dataset_split) for r in card.data.eval_results}["emotion_family_kept"] == (95.0, "test")
    assert 'AutoModel.from_pretrained("someone/tdmm-tokenizer"' in card.text


def test_l2m_gets_its_geometry_tokenizer_and_uploads_through_the_api(project, tmp_path):
    api = FakeHubApi()
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"quick": False, "l2m": {"main": "m", "rows": {"m": {
        "attributes": {"emotion_family": 0.8, "head_motion": 0.6, "intensity_within_one": 0.3, "action_recall": 0.1},
        "swap_lands": 0.9,
        "r_precision": {"top1": {"mean": 0.3}, "top3": {"mean": 0.6}}, "fid": 0.4, "mm_dist": 1.0,
        "diversity": {"mean": 1.3}, "multimodality": 0.5, "token_accuracy": 0.5}}}}))
    plan, url = publish(project / "l2m", "someone/tdmm-l2m", out=tmp_path / "hub", results=results, private=True,
                        create_pr=True, api=api)
    assert url == "https://huggingface.co/someone/x/commit/0123"
    assert [c[0] for c in api.calls] == ["create_repo", "upload_folder"]
    assert api.calls[0][2] == {"repo_type": "model", "private": True, "exist_ok": True}
    assert api.calls[1][2]["create_pr"] is True and api.calls[1][2]["folder_path"] == str(tmp_path / "hub")
    assert "geometry_tokenizer/model.safetensors" in api.uploaded and "geometry_tokenizer/generic_model.pkl" not in api.uploaded
    assert json.loads((tmp_path / "hub" / "face_token_processor.json").read_text())["tokenizer_path"] == "geometry_tokenizer"
    assert plan.load_check.startswith("pipeline(text-to-face-motion): a prompt -> 5 face tokens")
    assert ModelCard.load(tmp_path / "hub" / "README.md").data.pipeline_tag == "text-to-3d"

    from transformers import pipeline  # the registered remote pipeline gives what the installed classes give

    remote = pipeline(model=str(tmp_path / "hub"), trust_remote_code=True)("a person frowns", seconds=0.6, seed=3)
    ((clip, codes),) = Language2Motion.from_pretrained(project / "l2m").generate_with_codes(["a person frowns"], seconds=0.6, seed=3)
    assert remote["codes"].tolist() == codes.tolist() and remote["fps"] == clip.fps
    np.testing.assert_allclose(remote["parameters"]["expression"], clip.expression, atol=1e-6)
    np.testing.assert_allclose(remote["shape"], clip.shape, atol=1e-6)  # the subject's identity, as installed
    elderly = pipeline(model=str(tmp_path / "hub"), trust_remote_code=True)("an elderly man frowns", seconds=0.6, seed=3)
    ((old, _),) = Language2Motion.from_pretrained(project / "l2m").generate_with_codes(["an elderly man frowns"], seconds=0.6, seed=3)
    np.testing.assert_allclose(elderly["shape"], old.shape, atol=1e-6)
    assert np.abs(elderly["shape"] - remote["shape"]).max() > 0.1

    handler = endpoint(tmp_path / "hub")  # text -> parameters, face tokens and an animated glTF
    (item,) = handler({"inputs": "a person smiles", "parameters": {"seconds": 0.4, "seed": 1, "formats": ["glb"]}})
    assert item["num_frames"] == 10 and len(item["codes"]) == 10 and max(item["codes"]) < K
    assert np.asarray(item["parameters"]["expression"]).shape == (10, 50) and np.asarray(item["parameters"]["eyelids"]).shape == (10, 2)
    assert base64.b64decode(item["glb"])[:4] == b"glTF" and "mp4" not in item
    with pytest.raises(ValueError, match=r"parameters\.formats"):
        handler({"inputs": "a smile", "parameters": {"formats": ["fbx"]}})
    with pytest.raises(ValueError, match="inputs"):
        handler({"prompt": "a smile"})


def test_m2l_publishes_with_its_geometry_tokenizer_and_its_handler_reads_clip_files(project, tmp_path):
    results = tmp_path / "results.json"
    row = {"emotion": 0.8, "emotion_when_asked": 0.9, "head_motion": 0.6, "intensity_within_one": 0.7, "CorE": 4.0,
           "CorM": 3.0, "CorI": 4.0, "bleu4": 30.0, "rougeL": 50.0, "cider": 0.5, "bertscore": 60.0}
    results.write_text(json.dumps({"m2l": {"rows": {"Motion2Language": row}}}))
    plan, _ = publish(project / "m2l", "someone/tdmm-m2l", out=tmp_path / "hub", results=results, dry_run=True)
    assert plan.kind == "motion2language" and plan.load_check.startswith("pipeline(face-motion-description): 10 frames")
    assert "geometry_tokenizer/modeling_geometry_tokenizer.py" in plan.files
    clip_file = tmp_path / "clip.npz"
    make_clip(num_frames=12, seed=3).save(clip_file)
    from transformers import pipeline

    remote = pipeline(model=str(tmp_path / "hub"), trust_remote_code=True)(str(clip_file), question="What emotion?", max_new_tokens=5)
    installed = Motion2Language.from_pretrained(project / "m2l").describe([FaceClip.load(clip_file)], question="What emotion?",
                                                                         max_new_tokens=5)
    assert remote["generated_text"] == installed[0]
    answer = endpoint(tmp_path / "hub")({"inputs": {"file": base64.b64encode(clip_file.read_bytes()).decode(), "name": "clip.npz"},
                                         "parameters": {"question": "What emotion?", "max_new_tokens": 4}})
    assert isinstance(answer["generated_text"], str)
    from modeling_tdmm.arkit_io import write_live_link_csv
    from modeling_tdmm.arkit_rig import ARKitRig

    write_live_link_csv(ARKitRig.default().fit(make_clip(num_frames=40, seed=4)), tmp_path / "take.csv")  # a phone capture
    answer = endpoint(tmp_path / "hub")({"inputs": {"file": base64.b64encode((tmp_path / "take.csv").read_bytes()).decode(),
                                                    "name": "take.csv"}, "parameters": {"max_new_tokens": 4}})
    assert isinstance(answer["generated_text"], str)
    with pytest.raises(ValueError, match="not valid base64"):
        endpoint(tmp_path / "hub")({"inputs": {"file": "***"}})


def test_a_corpus_publishes_as_a_dataset_that_load_dataset_reads(tmp_path):
    from open3dfacevid.corpus import build_corpus

    build_corpus(tmp_path / "corpus", "procedural", num_clips=24, seed=2, num_shards=1)
    (tmp_path / "corpus" / "data" / "flame_generic_model.pkl").write_bytes(b"no")
    plan, _ = publish(tmp_path / "corpus", "someone/o3dfv", out=tmp_path / "hub", dry_run=True)
    assert plan.repo_type == "dataset" and "load_dataset" in plan.load_check
    assert "README.md" in plan.files and not any("flame" in f for f in plan.files)


@pytest.mark.parametrize("env, message", [({"HF_HUB_OFFLINE": "1"}, "offline"), ({"HF_HUB_OFFLINE": "0"}, "no Hugging Face token")])
def test_uploading_from_an_offline_or_tokenless_machine_is_one_line_before_any_work(project, tmp_path, monkeypatch, capsys, env, message):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # no stored token
    assert main(["publish", str(project / "tokenizer"), "--repo-id", "someone/x", "--out", str(tmp_path / "hub")]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and not (tmp_path / "hub").exists()


def test_a_card_without_test_figures_is_not_published(project, tmp_path):
    os.makedirs(tmp_path / "alone")
    for name in ("config.json", "model.safetensors"):
        (tmp_path / "alone" / name).write_bytes((project / "tokenizer" / name).read_bytes())
    with pytest.raises(PublishError, match="does not pass the lint.*model-index.*--results"):
        publish(tmp_path / "alone", "someone/x", out=tmp_path / "hub", dry_run=True)  # no figures at all
    assert not (tmp_path / "hub").exists()


def test_python_that_is_not_tdmm_lm_s_own_remote_code_runs_only_with_consent(project, tmp_path):
    import shutil

    folder = tmp_path / "tokenizer"
    shutil.copytree(project / "tokenizer", folder, ignore=shutil.ignore_patterns("linked.safetensors"))
    with open(folder / "modeling_geometry_tokenizer.py", "a") as handle:
        handle.write("\nprint('this runs when the folder loads')\n")
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "results.json").write_text(json.dumps(RESULTS))
    with pytest.raises(PublishError, match=r"modeling_geometry_tokenizer\.py differ from tdmm-lm's own remote code.*--trust-remote-code"):
        publish(folder, "someone/x", out=tmp_path / "hub", dry_run=True)
    plan, _ = publish(folder, "someone/x", out=tmp_path / "hub", dry_run=True, trust_remote_code=True)
    assert plan.load_check.startswith("AutoModel")


def test_bad_arguments_are_one_line_errors(project, tmp_path, capsys):
    assert main(["publish", str(project / "tokenizer"), "--repo-id", "no-org", "--dry-run"]) == 2
    assert main(["publish", str(tmp_path / "missing"), "--repo-id", "a/b", "--dry-run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "expected ORG/NAME" in err[0] and "no such folder" in err[1]

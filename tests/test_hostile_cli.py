"""Hostile inputs to ``tdmm`` and the model wrappers: no Python from a model folder runs without
consent, the wrong folder or face model is named in one line, and every bad argument or file is
``tdmm <command>: error: <one line>`` with exit status 2."""
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import make_clip
from transformers import AutoTokenizer

from modeling_tdmm import cli
from modeling_tdmm.cli import main as tdmm
from modeling_tdmm.cli import write_clip
from modeling_tdmm.configuration_geometry_tokenizer import GeometryTokenizerConfig
from modeling_tdmm.configuration_language2motion import Language2MotionConfig
from modeling_tdmm.gltf import clip_to_glb
from modeling_tdmm.language2motion import Language2Motion
from modeling_tdmm.limits import LimitError
from modeling_tdmm.modeling_geometry_tokenizer import GeometryTokenizer
from modeling_tdmm.modeling_language2motion import Language2MotionModel
from modeling_tdmm.motion2language import Motion2Language
from modeling_tdmm.processing_face_tokens import FaceTokenProcessor, ModelFolderError
from modeling_tdmm.text_encoders import resolve_text_encoder
from modeling_tdmm.video import render_clip, write_frames

ROOT = Path(__file__).resolve().parents[1]
K = 16


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """``{geometry, l2m, m2l}`` folders: a tiny geometry tokenizer, a Language2Motion model recording
    it, and the outside of a Motion2Language folder (config + face_token_processor.json, no weights)."""
    root = tmp_path_factory.mktemp("models")
    geometry = GeometryTokenizer(GeometryTokenizerConfig(codebook_size=K, code_dim=8, hidden_size=16, num_res_blocks=1)).eval()
    geometry.save_pretrained(root / "geometry")
    torch.manual_seed(0)
    config = Language2MotionConfig(codebook_size=K, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                   intermediate_size=64, max_motion_tokens=40, max_text_tokens=24)
    text_tokenizer = AutoTokenizer.from_pretrained(resolve_text_encoder("all-MiniLM-L6-v2"))
    processor = FaceTokenProcessor.for_tokenizer(geometry, str(root / "geometry"))
    Language2Motion(Language2MotionModel.from_text_encoder(config), text_tokenizer, processor).save_pretrained(root / "l2m")
    m2l = root / "m2l"
    m2l.mkdir()
    (m2l / "config.json").write_text(json.dumps({
        "model_type": "qwen3", "architectures": ["Qwen3ForCausalLM"], "vocab_size": 64, "hidden_size": 8,
        "intermediate_size": 16, "num_hidden_layers": 1, "num_attention_heads": 1, "num_key_value_heads": 1, "head_dim": 8}))
    processor.save_pretrained(m2l)
    return {"geometry": root / "geometry", "l2m": root / "l2m", "m2l": m2l}


@pytest.fixture
def clip_file(tmp_path):
    clip = make_clip(num_frames=6, clip_id="c", prompt="a person smiles")
    clip.shape = np.zeros(12, np.float32)
    clip.save(tmp_path / "clip.npz")
    return tmp_path / "clip.npz"


def run(capsys, *argv) -> tuple[int, str]:
    """Exit status and the last stderr line of ``tdmm argv``; an error must be one line, no traceback."""
    code = tdmm([str(a) for a in argv])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, (err.strip().splitlines() or [""])[-1]


def assert_error(code: int, line: str, command: str, *fragments: str) -> None:
    assert code == 2 and line.startswith(f"tdmm {command}: error: ") and len(line) < 700, line
    for fragment in fragments:
        assert fragment in line, line


# ----------------------------------------------------------------------------- 1: consent
EVIL = "import pathlib\npathlib.Path({marker!r}).write_text('remote code ran')\nraise RuntimeError('evil code ran')\n"


def evil_copy(source: Path, target: Path) -> Path:
    """``source`` copied with an ``auto_map`` pointing at its own Python, which writes ``target/MARKER``."""
    shutil.copytree(source, target)
    config = json.loads((target / "config.json").read_text())
    config["auto_map"] = {"AutoConfig": "configuration_evil.EvilConfig", "AutoModel": "modeling_evil.EvilModel",
                          "AutoModelForCausalLM": "modeling_evil.EvilModel"}
    (target / "config.json").write_text(json.dumps(config))
    for name in ("configuration_evil.py", "modeling_evil.py"):
        (target / name).write_text(EVIL.format(marker=str(target / "MARKER")))
    return target


def test_model_folders_run_no_python_without_consent(tmp_path, capsys, models, clip_file):
    l2m, geometry, m2l = (evil_copy(models[k], tmp_path / k) for k in ("l2m", "geometry", "m2l"))
    assert run(capsys, "generate", "a person smiles", "--model", l2m, "--seconds", "0.2", "-o", tmp_path / "g.npz")[0] == 0
    assert run(capsys, "tokenize", clip_file, "--geometry-tokenizer", geometry)[0] == 0  # installed classes load them
    code, line = run(capsys, "describe", clip_file, "--model", m2l)  # no weights: a one-line error, nothing ran
    assert_error(code, line, "describe")
    assert not any((folder / "MARKER").exists() for folder in (l2m, geometry, m2l))
    with pytest.raises(OSError):  # the Python wrappers take the same default
        Motion2Language.from_pretrained(m2l)
    Language2Motion.from_pretrained(l2m)
    assert not (l2m / "MARKER").exists() and not (m2l / "MARKER").exists()


CONSENTING = textwrap.dedent("""
    import sys
    from modeling_tdmm.cli import main
    clip, l2m, geometry, m2l, out = sys.argv[1:]
    main(["generate", "a smile", "--model", l2m, "-o", out, "--trust-remote-code"])
    main(["tokenize", clip, "--geometry-tokenizer", geometry, "--trust-remote-code"])
    main(["describe", clip, "--model", m2l, "--trust-remote-code"])
""")


def test_trust_remote_code_lets_transformers_run_the_folder_code(tmp_path, models, clip_file):
    folders = [evil_copy(models[k], tmp_path / k) for k in ("l2m", "geometry", "m2l")]
    env = {**os.environ, "HF_MODULES_CACHE": str(tmp_path / "modules"), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-c", CONSENTING, str(clip_file), *map(str, folders), str(tmp_path / "g.npz")],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert all((folder / "MARKER").exists() for folder in folders), result.stderr[-3000:]


@pytest.mark.parametrize("command, folder, fragments", [
    ("generate", "m2l", ["is a Motion2Language model (tdmm describe); expected a Language2Motion model (tdmm generate)"]),
    ("generate", "geometry", ["is a geometry tokenizer (tdmm tokenize --geometry-tokenizer); expected a Language2Motion"]),
    ("generate", "empty", ["not a saved model folder (no config.json); expected a Language2Motion model"]),
    ("generate", "file", ["is a file; expected the folder of a Language2Motion model"]),
    ("generate", "missing", ["not found; expected the folder of a Language2Motion model"]),
    ("describe", "geometry", ["is a geometry tokenizer", "expected a Motion2Language model (tdmm describe)"]),
    ("describe", "l2m", ["is a Language2Motion model (tdmm generate); expected a Motion2Language model"]),
    ("describe", "plain_lm", ["is a 'qwen3' model without face tokens (no face_token_processor.json)"]),
    ("tokenize", "l2m", ["is a Language2Motion model (tdmm generate); expected a geometry tokenizer"]),
])
def test_the_wrong_folder_is_named_in_one_line(tmp_path, capsys, models, clip_file, command, folder, fragments):
    (tmp_path / "empty").mkdir()
    (tmp_path / "file").write_text("x")
    (tmp_path / "plain_lm").mkdir()
    shutil.copy(models["m2l"] / "config.json", tmp_path / "plain_lm")
    path = models[folder] if folder in models else tmp_path / folder
    argv = {"generate": ["generate", "a smile", "--model", path, "-o", tmp_path / "g.npz"],
            "describe": ["describe", clip_file, "--model", path],
            "tokenize": ["tokenize", clip_file, "--geometry-tokenizer", path]}[command]
    assert_error(*run(capsys, *argv), command, *fragments)


def test_generate_with_the_m2l_folder_as_geometry_tokenizer(tmp_path, capsys, models):
    code, line = run(capsys, "generate", "a smile", "--model", models["l2m"], "--geometry-tokenizer", models["m2l"],
                     "-o", tmp_path / "g.npz")
    assert_error(code, line, "generate", "is a Motion2Language model", "expected a geometry tokenizer")
    with pytest.raises(ModelFolderError, match="expected a Language2Motion model"):
        Language2Motion.from_pretrained(models["geometry"])


# ----------------------------------------------------------------------------- 3: metadata never chooses files
def test_clip_metadata_selects_only_embedded_face_models(tmp_path, capsys, flame_files):
    clip = make_clip(num_frames=3)
    clip.face_model = str(flame_files["npz"])  # a file that would load
    clip.save(tmp_path / "path.npz")
    code, line = run(capsys, "render", tmp_path / "path.npz", "-o", tmp_path / "x.png", "--size", "32")
    assert_error(code, line, "render", "is not an embedded model", "--face-model PATH")
    assert not (tmp_path / "x.png").exists()
    clip.face_model = "/dev/stdin"  # reading it would block forever
    for suffix in (".glb", ".gif"):
        with pytest.raises(ValueError, match="not an embedded model"):
            write_clip(clip, tmp_path / f"x{suffix}")
    clip.face_model = "open-head-v1"
    write_clip(clip, tmp_path / "x.glb")
    assert (tmp_path / "x.glb").exists()


# ----------------------------------------------------------------------------- 4: one-line errors
@pytest.mark.parametrize("option, value, fragment", [
    ("--seconds", "inf", "must be in (0, inf), got inf"), ("--seconds", "nan", "got nan"), ("--seconds", "0", "(0, inf)"),
    ("--seconds", "-1", "(0, inf)"), ("--guidance", "nan", "[0, inf)"), ("--guidance", "inf", "[0, inf)"),
    ("--guidance", "-1", "[0, inf)"), ("--seed", str(2**70), "[0, 9223372036854775807]"), ("--seed", "-1", "[0, "),
    ("--temperature", "0", "(0, inf)"), ("--temperature", "nan", "(0, inf)"), ("--top-p", "0", "(0, 1]"),
    ("--top-p", "1.5", "(0, 1]"), ("--top-k", "-1", "[0, inf)"), ("--top-k", "2.5", "expected an integer"),
    ("--tokenizer", "x", "unrecognized arguments"),
])
def test_generate_arguments_state_their_range(tmp_path, capsys, option, value, fragment):
    code, line = run(capsys, "generate", "a smile", "--model", tmp_path, "-o", tmp_path / "g.npz", option, value)
    assert_error(code, line, "generate", fragment)


@pytest.mark.parametrize("argv, fragment", [
    (["render", "{clip}", "-o", "{tmp}/x.mp4", "--size", "0"], "argument --size: must be in [8, 4096], got 0"),
    (["render", "{clip}", "-o", "{tmp}/x.mp4", "--size", "100000"], "[8, 4096]"),
    (["render", "{clip}", "-o", "{tmp}/x.mp4", "--supersample", "0"], "argument --supersample: must be in [1, 8]"),
    (["describe", "{clip}", "--model", "{tmp}", "--max-new-tokens", "0"], "argument --max-new-tokens: must be in [1, inf)"),
    (["convert", "{clip}", "-o", "{tmp}/c.npz", "--fps", "nan"], "argument --fps"),
    (["render", "{tmp}", "-o", "{tmp}/x.mp4"], "is a folder"),
    (["describe", "{tmp}", "--model", "{tmp}"], "is a folder"),
    (["render", "{clip}", "-o", "{tmp}"], "is a folder; expected an output file name"),
    (["render", "{clip}", "-o", "{clip}/out.mp4"], "is a file, not a folder"),
    (["export", "{clip}", "-o", "{tmp}/x.glb", "--face-model", "{tmp}"], "is a folder; expected a face model file"),
    (["export", "{clip}", "-o", "{tmp}/x.glb", "--face-model", "no-such-head"], "not found"),
    (["generate", "a smile", "--model", "{tmp}", "-o", "{clip}/g.npz"], "is a file, not a folder"),
])
def test_bad_paths_and_ranges_are_one_line_errors(tmp_path, capsys, clip_file, argv, fragment):
    argv = [a.format(clip=clip_file, tmp=tmp_path) for a in argv]
    assert_error(*run(capsys, *argv), argv[0], fragment)


@pytest.mark.parametrize("error", [IsADirectoryError(21, "Is a directory", "x"), NotADirectoryError("x/y: not a folder"),
                                   KeyError("expression"), TypeError("bad type"), RecursionError("too deep"), MemoryError(),
                                   OverflowError("too big"), RuntimeError("line one\nline two\n" * 200)])
def test_user_errors_are_one_line_and_traceback_on_request(tmp_path, capsys, monkeypatch, clip_file, error):
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr("modeling_tdmm.readers.read_tracker_file", fail)
    code, line = run(capsys, "convert", clip_file, "-o", tmp_path / "c.npz")
    assert_error(code, line, "convert")
    assert len(line) <= len("tdmm convert: error: ") + cli.MAX_MESSAGE
    monkeypatch.setenv("TDMM_TRACEBACK", "1")
    with pytest.raises(type(error)):
        tdmm(["convert", str(clip_file), "-o", str(tmp_path / "c.npz")])


def test_frame_rates_outputs_cannot_play_are_refused(tmp_path, capsys, open_head):
    clip = make_clip(num_frames=4)
    clip.shape = np.zeros(12, np.float32)
    frames = np.zeros((4, 16, 16, 3), np.uint8)
    for fps in (1e300, 1e-300, float("nan")):
        clip.fps = fps  # as a hostile file could declare
        with pytest.raises(ValueError, match="frame rate"):
            clip_to_glb(clip, open_head, tmp_path / "x.glb")  # zero or infinite keyframe times
        with pytest.raises(ValueError, match="frame rate"):
            write_frames(frames, tmp_path / "x.mp4", fps)
    with pytest.raises(ValueError, match="at most 100 fps"):
        write_frames(frames, tmp_path / "x.gif", 150.0)  # GIF delays are in 1/100 s
    assert not list(tmp_path.iterdir())
    fast = make_clip(num_frames=4, fps=150.0)
    fast.save(tmp_path / "fast.npz")
    assert_error(*run(capsys, "render", tmp_path / "fast.npz", "-o", tmp_path / "fast.gif"), "render", "at most 100 fps")


def test_render_memory_is_checked_before_work(tmp_path, capsys, monkeypatch, open_head, clip_file):
    clip = make_clip(num_frames=12)
    clip.shape = np.zeros(12, np.float32)
    monkeypatch.setattr(type(open_head), "clip_vertices", lambda *a: pytest.fail("rendering started"))
    monkeypatch.setenv("TDMM_MAX_RENDER_BYTES", "1000000")
    with pytest.raises(LimitError, match="12 frames at 256x512 px.*TDMM_MAX_RENDER_BYTES"):
        render_clip(clip, open_head, size=256, side_view=True)
    assert_error(*run(capsys, "render", clip_file, "-o", tmp_path / "x.mp4"), "render", "TDMM_MAX_RENDER_BYTES")
    for bad in ({"size": 0}, {"supersample": 0}, {"size": 2.5}):
        with pytest.raises(ValueError, match="whole number"):
            render_clip(clip, open_head, **bad)
    with pytest.raises(ValueError, match="frames should be uint8"):
        write_frames(np.zeros((0, 8, 8, 3), np.uint8), tmp_path / "x.mp4", 25.0)


# ----------------------------------------------------------------------------- 5: prompts
def test_prompts_without_known_words_are_refused(tmp_path, capsys, models):
    code, line = run(capsys, "generate", "\U0001F600\U0001F389", "--model", models["l2m"], "-o", tmp_path / "g.npz")
    assert_error(code, line, "generate", "has no words the text encoder knows")
    assert not (tmp_path / "g.npz").exists()

"""The interactive face agent: its conversation logic on tiny models, and the Gradio app through
gradio_client (both directions: text -> face, face -> text)."""
import socket
from pathlib import Path

import numpy as np
import pytest
from conftest import make_clip

from modeling_tdmm.clip import FaceClip
from tdmm_hub.face_agent import FaceAgent, is_question


@pytest.fixture(scope="module")
def agent(tiny_models, tmp_path_factory) -> FaceAgent:
    return FaceAgent(tiny_models, workdir=tmp_path_factory.mktemp("agent"), render_size=48)


@pytest.mark.parametrize("message, question", [
    ("What emotion does the person show?", True), ("describe it", True), ("When does the person blink", True),
    ("does the head move?", True), ("A young woman looks extremely happy, nodding.", False),
    ("an old man frowns", False), ("Is this happy?", True),
])
def test_questions_go_to_the_clip_prompts_to_generation(message, question):
    assert is_question(message) is question


def test_a_prompt_makes_a_face_that_the_next_question_is_about(agent):
    clip, reply = agent.respond("a person smiles and nods", None, seconds=0.4, seed=1)
    assert isinstance(clip, FaceClip) and clip.num_frames == 10 and clip.prompt == "a person smiles and nods"
    face = reply.face
    assert face.mp4.stat().st_size > 0 and face.glb.read_bytes()[:4] == b"glTF"
    np.testing.assert_allclose(FaceClip.load(face.npz).expression, clip.expression)
    same, answer = agent.respond("What emotion does the person show?", clip)
    assert same is clip and answer.face is None and isinstance(answer.text, str)
    again, _ = agent.respond("a person smiles and nods", None, seconds=0.4, seed=1)
    np.testing.assert_array_equal(again.expression, clip.expression)  # the seed makes it reproducible


def test_a_question_without_a_clip_asks_for_one_and_an_empty_message_explains(agent):
    clip, reply = agent.respond("what emotion is it?", None)
    assert clip is None and "Load a clip" in reply.text
    assert "Type a prompt" in agent.respond("   ", None)[1].text


def test_uploaded_clips_and_tracker_files_load(agent, tmp_path):
    path = tmp_path / "upload.npz"
    make_clip(num_frames=12, seed=4).save(path)
    clip, reply = agent.load(path=path)
    assert clip.num_frames == 12 and "12 frames" in reply.text and reply.face.glb.is_file()
    with pytest.raises(ValueError, match="upload a clip"):
        agent.load()
    (tmp_path / "bad.npz").write_bytes(b"not a clip")
    with pytest.raises(ValueError):
        agent.load(path=tmp_path / "bad.npz")


def test_one_word_swap_renders_both_side_by_side(agent):
    video, readings = agent.swap("a person looks happy", "happy", "angry", seconds=0.4)
    assert video.is_file() and video.suffix == ".mp4" and '"happy"' in readings and '"angry"' in readings
    with pytest.raises(ValueError, match="no word 'sad'"):
        agent.swap("a person looks happy", "sad", "angry")


def test_missing_models_are_one_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="run `make demo` first"):
        FaceAgent(tmp_path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(agent):
    from tdmm_hub.face_agent_app import build_app

    app = build_app(agent)
    port = _free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
               allowed_paths=[str(agent.workdir)])
    yield f"http://127.0.0.1:{port}/"
    app.close()


def test_the_app_generates_and_describes_through_gradio_client(app_url, tmp_path):
    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False)
    assert {"/chat", "/generate", "/describe", "/swap", "/load_sample"} <= set(client.view_api(return_format="dict")["named_endpoints"])
    glb, mp4, files, _ = client.predict("a person frowns", 1, 2, 3, api_name="/generate")
    assert Path(glb).read_bytes()[:4] == b"glTF" and Path(mp4).stat().st_size > 0
    assert sorted(Path(f).suffix for f in files) == [".glb", ".npz"]
    clip_file = tmp_path / "clip.npz"
    make_clip(num_frames=10, seed=5).save(clip_file)
    history = client.predict(handle_file(str(clip_file)), "What emotion does the person show?", [], api_name="/describe")
    assert history[-1]["role"] == "assistant" and history[0]["role"] == "user"
    history, message, glb, mp4, files, reading = client.predict("an old man frowns", [], 1, 0, 3, api_name="/chat")
    assert "Here is" in str(history[-1]["content"]) and message == "" and Path(glb).read_bytes()[:4] == b"glTF"
    assert len(files) == 2 and isinstance(reading, str)
    video, readings = client.predict("a person looks happy", "happy", "sad", 1, 0, 3, api_name="/swap")
    assert Path(video).stat().st_size > 0 and '"sad"' in readings


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (make test installs it)")
def test_in_a_headless_browser_a_prompt_becomes_a_3d_face_and_a_video_with_no_request_off_this_machine(app_url, tmp_path):
    from urllib.parse import urlparse

    from playwright.sync_api import sync_playwright

    hosts = set()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda request: hosts.add(urlparse(request.url).hostname))
        page.goto(app_url, wait_until="domcontentloaded")
        page.wait_for_selector("#message textarea", timeout=60_000)
        page.locator("#message textarea").fill("a person smiles and nods")
        page.locator("#generate").click()
        page.wait_for_selector("#video video[src]", state="attached", timeout=120_000)
        page.wait_for_selector("#viewer canvas", state="attached", timeout=120_000)
        page.screenshot(path=str(tmp_path / "face_agent.png"), full_page=True)
        browser.close()
    assert (tmp_path / "face_agent.png").stat().st_size > 10_000
    assert hosts - {"127.0.0.1", "localhost", None} == set(), f"requests off this machine: {hosts}"


SPACE = Path(__file__).resolve().parents[1] / "hub_cards" / "space"


def test_the_space_folder_declares_gradio_and_python_3_11_and_runs_the_same_app(tiny_models, monkeypatch):
    import runpy

    import gradio as gr
    import yaml

    header = yaml.safe_load((SPACE / "README.md").read_text().split("---")[1])
    assert header["sdk"] == "gradio" and header["sdk_version"] == gr.__version__ and header["python_version"] == "3.11"
    assert (SPACE / header["app_file"]).is_file() and header["models"] and header["datasets"]
    assert (SPACE / "requirements.txt").read_text().startswith("tdmm-lm")
    monkeypatch.setenv("TDMM_MODELS", str(tiny_models))  # the Space downloads its models; here, the tiny ones
    space = runpy.run_path(str(SPACE / "app.py"))
    assert isinstance(space["demo"], gr.Blocks) and space["agent"].models == tiny_models

"""The face agent as a Gradio app: ``python -m tdmm_hub.face_agent_app --models outputs/demo`` (``make app``).

One conversation (left) and the face it is about (right: the animated glTF in the 3D viewer, the front
and profile video, the ``.npz`` / ``.glb`` downloads). Named API endpoints for ``gradio_client``:

* ``/chat`` (message, history, seconds, seed, guidance) -> (history, "", glb, mp4, downloads, evaluator reading):
  a question about the current clip, or a prompt to generate;
* ``/generate`` (prompt, seconds, seed, guidance) -> (glb, mp4, [npz, glb], evaluator reading);
* ``/describe`` (clip or tracker file, question, history) -> history with Motion2Language's answer;
* ``/load_sample`` (sample name, history) -> (history, glb, mp4, downloads, reading); the sample becomes
  the current clip;
* ``/swap`` (prompt, word, replacement, seconds, seed, guidance) -> (side-by-side mp4, readings).
"""
from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modeling_tdmm.io_utils import one_line

from .face_agent import FaceAgent, Reply

__all__ = ["build_app", "main"]

EXAMPLE_PROMPT = "A young woman looks extremely happy, nodding the head. A steady frontal shot."
INTRO = ("**TDMM-LM face agent.** Type a prompt to get a 3D face (\"an elderly man looks clearly sad\"), or load a clip "
         "(upload a clip `.npz`, a SMIRK / DECA-family tracker file or an ARKit capture: Live Link Face `.csv`, MediaPipe "
         "blendshapes; or pick a test clip) and ask about it: "
         "*describe it*, *what emotion does the person show?*, *how does the head move?*, *when does the person blink?*. "
         "A generated face becomes the clip your next question is about.")


def _shown_to_the_user(handler: Callable) -> Callable:
    """``handler`` with a user error (bad file, unknown word, prompt too long) shown in the page as one line."""
    import gradio as gr

    @functools.wraps(handler)
    def wrapped(*args: Any) -> Any:
        try:
            return handler(*args)
        except (ValueError, RuntimeError, OSError) as exc:
            raise gr.Error(one_line(exc)) from None

    return wrapped


def build_app(agent: FaceAgent) -> Any:
    """The ``gr.Blocks`` app around ``agent``."""
    import gradio as gr

    def shown(reply: Reply) -> tuple[Any, Any, Any, Any]:
        """The viewer, video, downloads and evaluator reading of the reply's face (unchanged without one)."""
        if reply.face is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return str(reply.face.glb), str(reply.face.mp4), [str(p) for p in reply.files], reply.face.reading

    @_shown_to_the_user
    def chat_turn(message, history, clip, seconds, seed, guidance):
        history = list(history or [])
        clip, reply = agent.respond(message, clip, seconds, int(seed), guidance)
        history += [{"role": "user", "content": message}, {"role": "assistant", "content": reply.text}]
        return (history, "", clip, *shown(reply))

    @_shown_to_the_user
    def load_into_chat(path, sample, history):
        history = list(history or [])
        clip, reply = agent.load(path=path, sample=sample)
        history.append({"role": "assistant", "content": reply.text})
        return (history, clip, *shown(reply))

    @_shown_to_the_user
    def describe_file(path, question, history):
        history = list(history or [])
        if not path:
            raise gr.Error("upload a clip .npz or a tracker file first")
        clip, _ = agent.load(path=path)
        reply = agent.answer(clip, question or "Describe what this face does.")
        history += [{"role": "user", "content": f"{Path(path).name}: {question or 'describe it'}"},
                    {"role": "assistant", "content": reply.text}]
        return history, clip

    @_shown_to_the_user
    def generate(prompt, seconds, seed, guidance):
        clip, reply = agent.generate(prompt, seconds, int(seed), guidance)
        return (*shown(reply), clip)

    @_shown_to_the_user
    def swap(prompt, word, replacement, seconds, seed, guidance):
        video, readings = agent.swap(prompt, word, replacement, seconds, int(seed), guidance)
        return str(video), readings

    with gr.Blocks(title="TDMM-LM face agent") as app:
        clip_state = gr.State(None)
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="conversation", height=430)
                message = gr.Textbox(label="prompt or question", placeholder=EXAMPLE_PROMPT, elem_id="message")
                with gr.Row():
                    send = gr.Button("Send", variant="primary", elem_id="send")
                    make = gr.Button("Generate this prompt", elem_id="generate")
                with gr.Row():
                    upload = gr.File(label="clip .npz, tracker file or ARKit capture (.csv / .json)", type="filepath")
                    sample = gr.Dropdown(choices=list(agent.samples), value=None, label="or a test clip of the corpus")
                ask = gr.Button("Ask about the uploaded file")
                with gr.Accordion("Generation settings", open=False):
                    seconds = gr.Slider(1, 12, value=5, step=0.5, label="seconds")
                    seed = gr.Number(value=0, precision=0, label="seed")
                    guidance = gr.Slider(1, 6, value=3, step=0.5, label="guidance scale")
            with gr.Column(scale=2):
                viewer = gr.Model3D(label="3D preview (animated glTF)", clear_color=[0.92, 0.92, 0.92, 1.0], elem_id="viewer")
                video = gr.Video(label="front and profile", autoplay=True, elem_id="video")
                reading = gr.Textbox(label="the evaluator reads", interactive=False)
                downloads = gr.File(label="downloads (.npz clip, .glb)", file_count="multiple")
        with gr.Accordion("One-word swap: the same prompt and seed, one emotion word changed", open=False):
            swap_prompt = gr.Textbox(value=EXAMPLE_PROMPT, label="prompt")
            with gr.Row():
                word = gr.Textbox(value="happy", label="word")
                replacement = gr.Textbox(value="angry", label="replaced by")
                swap_button = gr.Button("Compare")
            swap_video = gr.Video(label="side by side", autoplay=True)
            swap_reading = gr.Textbox(label="the evaluator reads", interactive=False)

        turn = {"fn": chat_turn, "inputs": [message, chat, clip_state, seconds, seed, guidance],
                "outputs": [chat, message, clip_state, viewer, video, downloads, reading]}
        send.click(**turn, api_name="chat")
        message.submit(**turn, api_visibility="private")
        make.click(generate, [message, seconds, seed, guidance], [viewer, video, downloads, reading, clip_state], api_name="generate")
        upload.upload(lambda path, history: load_into_chat(path, None, history), [upload, chat],
                      [chat, clip_state, viewer, video, downloads, reading], api_visibility="private")
        sample.input(lambda name, history: load_into_chat(None, name, history), [sample, chat],
                     [chat, clip_state, viewer, video, downloads, reading], api_name="load_sample")
        ask.click(describe_file, [upload, message, chat], [chat, clip_state], api_name="describe")
        swap_button.click(swap, [swap_prompt, word, replacement, seconds, seed, guidance], [swap_video, swap_reading],
                          api_name="swap")
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The TDMM-LM face agent (Gradio), on CPU with the demo models.")
    parser.add_argument("--models", type=Path, default=Path("outputs/demo"), help="a make demo output folder")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7860)
    args = parser.parse_args(argv)
    agent = FaceAgent(args.models)
    build_app(agent).launch(server_name=args.host, server_port=args.port, allowed_paths=[str(agent.workdir)])


if __name__ == "__main__":
    main()

"""The LLM judge client against a real OpenAI-compatible server: ``transformers serve`` with two tiny Qwen3-style
models built here (nothing is downloaded). One has random weights, so its replies are noise: the tests check the
round trip and how unparsable replies are reported. The other is wired by hand to answer every prompt with
:data:`ANSWER`, so the whole path from prompt to parsed scores runs through the real server. Reply parsing is also
checked on fixed strings."""
import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import torch
from transformers import AutoConfig, AutoTokenizer, Qwen3ForCausalLM

from tdmm_eval.__main__ import main
from tdmm_eval.llm_judge import LLMJudge, parse_scores
from tdmm_train.m2l_backbone import build_backbone

TRUTH = {"emotions": ["happy"], "intensity": "moderate", "head_motion": {"name": "nod", "kind": "nod"},
         "actions": [], "events": [], "blink_count": 1}
ANSWER = '{"CorE": 5, "CorM": 4, "CorI": 3}'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answering_model(source: Path, out: Path, answer: str) -> Path:
    """A copy of the model at ``source`` (tokenizer and config) whose greedy reply to any prompt is ``answer``:
    ``answer`` becomes one added token, attention and MLP outputs are zero so each position's hidden state is its
    token's embedding, every embedding but ``answer``'s points along one axis that the head maps to ``answer``,
    and ``answer``'s along another that the head maps to end-of-turn."""
    tokenizer = AutoTokenizer.from_pretrained(source)
    tokenizer.add_tokens([answer])
    answer_id = tokenizer.convert_tokens_to_ids(answer)
    config = AutoConfig.from_pretrained(source)
    config.vocab_size, config.tie_word_embeddings = len(tokenizer), False
    model = Qwen3ForCausalLM(config)
    with torch.no_grad():
        for name, weight in model.named_parameters():
            if "norm" not in name:
                weight.zero_()
        embeddings, head = model.get_input_embeddings().weight, model.get_output_embeddings().weight
        embeddings[:, 0] = 1.0
        embeddings[answer_id] = torch.nn.functional.one_hot(torch.tensor(1), config.hidden_size).float()
        head[answer_id, 0] = head[tokenizer.eos_token_id, 1] = 100.0
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``(base_url, noise model, answering model)`` of a running ``transformers serve`` that loads either model
    on request (the model name is its folder); stopped after the module."""
    root = tmp_path_factory.mktemp("llm_judge")
    noise = build_backbone(['The person smiles and nods. {"CorE": 5, "CorM": 4, "CorI": 3}'] * 20, root / "tiny",
                           vocab_size=300, hidden_size=32, num_layers=1, num_heads=2, num_kv_heads=1,
                           intermediate_size=64, max_position_embeddings=16384)
    answering = answering_model(noise, root / "answering", ANSWER)
    port = free_port()
    command = [str(Path(sys.executable).with_name("transformers")), "serve", "--host", "127.0.0.1",
               "--port", str(port), "--device", "cpu"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    log_path = root / "serve.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            wait_until_healthy(process, port, log_path)
            yield f"http://127.0.0.1:{port}/v1", str(noise), str(answering)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_healthy(process: subprocess.Popen, port: int, log_path: Path, limit_s: float = 90) -> None:
    """Return once the server answers ``/health``; fail the test with its log's end if it exits or takes too long."""
    deadline = time.monotonic() + limit_s
    while True:
        if process.poll() is not None:
            pytest.fail(f"transformers serve exited with {process.returncode}: {log_path.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"transformers serve not ready in {limit_s:.0f} s: {log_path.read_text()[-2000:]}")
        time.sleep(0.5)


def test_reply_round_trip(server):
    url, model, _ = server
    reply = LLMJudge(url, model, max_tokens=8).reply([{"role": "user", "content": "Score this."}])
    assert isinstance(reply, str)


def test_score_reports_an_unparsable_reply_in_one_line(server):
    url, model, _ = server
    with pytest.raises(ValueError) as error:
        LLMJudge(url, model, max_tokens=8).score("The man looks moderately happy and nods.", TRUTH)
    message = str(error.value)
    assert f"{url}/chat/completions" in message and "CorE/CorM/CorI" in message and "\n" not in message


def test_score_many_counts_unparsable_replies(server):
    url, model, _ = server
    scores = LLMJudge(url, model, max_tokens=8).score_many(["The man looks happy.", "A neutral face."], [TRUTH, TRUTH])
    assert scores["scored"] == 0 and scores["unparsable"] == 2
    assert all(math.isnan(scores[key]) for key in ("CorE", "CorM", "CorI"))


def test_score_parses_a_real_reply(server):
    url, _, model = server
    assert LLMJudge(url, model).score("The man looks moderately happy and nods.", TRUTH) == json.loads(ANSWER)


def test_score_many_means_real_replies(server):
    url, _, model = server
    scores = LLMJudge(url, model).score_many(["The man looks happy.", "A neutral face."], [TRUTH, TRUTH])
    assert scores == {"CorE": 5.0, "CorM": 4.0, "CorI": 3.0, "scored": 2, "unparsable": 0}


def test_judge_command_prints_both_score_sets(server, tmp_path, capsys):
    url, _, model = server
    lines = tmp_path / "descriptions.jsonl"
    lines.write_text(json.dumps({"description": "The man looks moderately happy. He nods.", "attributes": TRUTH}) + "\n")
    assert main(["judge", "--url", url, "--model", model, "--descriptions", str(lines), "--out", str(tmp_path / "s.json")]) == 0
    scores = json.loads((tmp_path / "s.json").read_text())
    assert scores["rubric"] == {"CorE": 5.0, "CorM": 5.0, "CorI": 5.0}
    assert scores["llm_judge"] == {"CorE": 5.0, "CorM": 4.0, "CorI": 3.0, "scored": 1, "unparsable": 0}
    out = capsys.readouterr().out
    assert "| LLM judge | 5.00 | 4.00 | 3.00 |" in out and "| offline rubric | 5.00 | 5.00 | 5.00 |" in out


def test_unreachable_server_is_one_line_naming_the_url():
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(ConnectionError, match=f"cannot reach the LLM judge at {url}/chat/completions"):
        LLMJudge(url, "gpt-4", timeout=5).score("The man looks happy.", TRUTH)


def test_api_key_from_argument_or_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "from-env")
    assert LLMJudge("http://x/v1", "m").api_key == "from-env"
    assert LLMJudge("http://x/v1", "m", api_key="given").api_key == "given"


@pytest.mark.parametrize("reply, expected", [
    ('{"CorE": 4, "CorM": 3, "CorI": 5}', {"CorE": 4, "CorM": 3, "CorI": 5}),
    ('Scores: {"CorE": 1, "CorM": 2, "CorI": 3, "why": "…"} as asked.', {"CorE": 1, "CorM": 2, "CorI": 3}),
    ('{not json} then {"CorE": 5, "CorM": 5, "CorI": 5}', {"CorE": 5, "CorM": 5, "CorI": 5}),
    ('{"CorE": 6, "CorM": 3, "CorI": 3}', None),
    ('{"CorE": 4.5, "CorM": 3, "CorI": 3}', None),
    ('{"CorE": true, "CorM": 3, "CorI": 3}', None),
    ('{"CorE": "4", "CorM": 3, "CorI": 3}', None),
    ('{"CorE": 4, "CorM": 3}', None),
    ('{"other": 1} {"CorE": 4, "CorM": 3, "CorI": 3}', None),
    ("no scores at all", None),
])
def test_parse_scores(reply, expected):
    assert parse_scores(reply) == expected

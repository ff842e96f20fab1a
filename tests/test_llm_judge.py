"""The LLM judge client against a real OpenAI-compatible server: ``transformers serve`` with a tiny random
Qwen3-style model built here (nothing is downloaded). Its replies are noise, so the tests check the round trip
and how unparsable replies are reported; reply parsing is checked on fixed strings."""
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

from tdmm_eval.__main__ import main
from tdmm_eval.llm_judge import LLMJudge, parse_scores
from tdmm_train.m2l_backbone import build_backbone

TRUTH = {"emotions": ["happy"], "intensity": "moderate", "head_motion": {"name": "nod", "kind": "nod"},
         "actions": [], "events": [], "blink_count": 1}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``(base_url, model folder)`` of a running ``transformers serve``; stopped after the module."""
    root = tmp_path_factory.mktemp("llm_judge")
    model = build_backbone(['The person smiles and nods. {"CorE": 5, "CorM": 4, "CorI": 3}'] * 20, root / "tiny",
                           vocab_size=300, hidden_size=32, num_layers=1, num_heads=2, num_kv_heads=1,
                           intermediate_size=64, max_position_embeddings=16384)
    port = free_port()
    command = [str(Path(sys.executable).with_name("transformers")), "serve", str(model), "--host", "127.0.0.1",
               "--port", str(port), "--device", "cpu"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    log = open(root / "serve.log", "wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"transformers serve exited with {process.returncode}: {(root / 'serve.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"transformers serve not ready in 90 s: {(root / 'serve.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/v1", str(model)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_reply_round_trip(server):
    url, model = server
    reply = LLMJudge(url, model, max_tokens=8).reply([{"role": "user", "content": "Score this."}])
    assert isinstance(reply, str)


def test_score_reports_an_unparsable_reply_in_one_line(server):
    url, model = server
    with pytest.raises(ValueError) as error:
        LLMJudge(url, model, max_tokens=8).score("The man looks moderately happy and nods.", TRUTH)
    message = str(error.value)
    assert f"{url}/chat/completions" in message and "CorE/CorM/CorI" in message and "\n" not in message


def test_score_many_counts_unparsable_replies(server):
    url, model = server
    scores = LLMJudge(url, model, max_tokens=8).score_many(["The man looks happy.", "A neutral face."], [TRUTH, TRUTH])
    assert scores["scored"] == 0 and scores["unparsable"] == 2
    assert all(math.isnan(scores[key]) for key in ("CorE", "CorM", "CorI"))


def test_judge_command_prints_both_score_sets(server, tmp_path, capsys):
    url, model = server
    lines = tmp_path / "descriptions.jsonl"
    lines.write_text(json.dumps({"description": "The man looks moderately happy. He nods.", "attributes": TRUTH}) + "\n")
    assert main(["judge", "--url", url, "--model", model, "--descriptions", str(lines), "--out", str(tmp_path / "s.json")]) == 0
    scores = json.loads((tmp_path / "s.json").read_text())
    assert scores["rubric"] == {"CorE": 5.0, "CorM": 5.0, "CorI": 5.0}
    assert scores["llm_judge"]["unparsable"] == 1
    assert "offline rubric | 5.00 | 5.00 | 5.00" in capsys.readouterr().out


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

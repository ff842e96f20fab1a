"""An LLM judge for the paper's Table 1 scores CorE / CorM / CorI, over any OpenAI-compatible chat endpoint.

The paper asked GPT-4; any server speaking ``POST {base_url}/chat/completions`` works (OpenAI,
``transformers serve``, vLLM, ...). The model gets :data:`tdmm_eval.judge_rubric.RUBRIC`, the clip's
ground truth and the description, at temperature 0, and must answer ``{"CorE": n, "CorM": n, "CorI": n}``.
Standard library only.
"""
from __future__ import annotations

import json
import math
import os
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from tqdm.auto import tqdm

from tdmm_eval.judge_rubric import SCORES, rubric_prompt


def parse_scores(reply: str) -> dict[str, int] | None:
    """The scores in the first JSON object of ``reply`` (anywhere in it), or None without one whose
    CorE / CorM / CorI are all integers 1..5."""
    decoder = json.JSONDecoder()
    position = reply.find("{")
    while position != -1:
        try:
            value, _ = decoder.raw_decode(reply, position)
        except json.JSONDecodeError:
            position = reply.find("{", position + 1)
            continue
        if not isinstance(value, dict):
            return None
        scores = {key: value.get(key) for key in SCORES}
        valid = all(type(v) is int and 1 <= v <= 5 for v in scores.values())
        return scores if valid else None
    return None


class LLMJudge:
    """Scores descriptions with a chat model at ``base_url`` (the API root, e.g. ``https://api.openai.com/v1`` or
    ``http://localhost:8000/v1``); ``api_key`` defaults to ``$OPENAI_API_KEY`` (none sent if neither is set)."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout: float = 60.0,
                 max_tokens: int = 256) -> None:
        self.endpoint = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        self.timeout = timeout
        self.max_tokens = max_tokens

    def reply(self, messages: list[dict[str, str]]) -> str:
        """The assistant's text for ``messages``; ConnectionError (one line naming the URL) if the server
        cannot be reached or answers with an HTTP error, ValueError if the answer is not a chat completion."""
        body = json.dumps({"model": self.model, "messages": messages, "temperature": 0,
                           "max_tokens": self.max_tokens}).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.endpoint, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read().decode("utf-8", errors="replace")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", errors="replace")[:200]
            raise ConnectionError(f"LLM judge at {self.endpoint} answered HTTP {exc.code}: {detail!r}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ConnectionError(f"cannot reach the LLM judge at {self.endpoint}: {reason}") from None
        try:
            content = json.loads(raw)["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ValueError(f"LLM judge at {self.endpoint} did not answer with a chat completion: {raw[:120]!r}") from None
        return content or ""

    def score(self, description: str, attributes: dict[str, Any]) -> dict[str, int]:
        """``{"CorE": n, "CorM": n, "CorI": n}`` for one description; ValueError (one line quoting the start of
        the reply) if the reply holds no valid scores."""
        reply = self.reply(rubric_prompt(description, attributes))
        scores = parse_scores(reply)
        if scores is None:
            raise ValueError(f"LLM judge at {self.endpoint} gave no JSON with CorE/CorM/CorI integers 1-5: {reply[:120]!r}")
        return scores

    def score_many(self, descriptions: Sequence[str], attributes: Sequence[dict[str, Any]]) -> dict[str, float]:
        """Mean CorE / CorM / CorI over the replies that hold valid scores (NaN if none), ``scored`` and
        ``unparsable`` (how many replies did not)."""
        if len(descriptions) != len(attributes):
            raise ValueError(f"{len(descriptions)} descriptions but {len(attributes)} ground-truth attribute sets")
        scored: list[dict[str, int]] = []
        for description, attrs in tqdm(list(zip(descriptions, attributes)), desc="LLM judge", unit="clip"):
            try:
                scored.append(self.score(description, attrs))
            except ValueError:
                continue
        means = {key: sum(s[key] for s in scored) / len(scored) if scored else math.nan for key in SCORES}
        return {**means, "scored": len(scored), "unparsable": len(descriptions) - len(scored)}

"""Paraphrasing prompts: template-based offline by default, or any LLM where one is available.

* :class:`TemplateParaphraser` re-renders the spec with lexicon synonyms and other camera
  sentences (deterministic by seed, no network).
* :class:`HFParaphraser` uses any Hugging Face causal LM (name or local path).
* :class:`OpenAIParaphraser` calls an OpenAI-compatible ``/chat/completions`` endpoint.

All return ``n`` distinct paraphrases of a prompt (fewer only if the model repeats itself).
"""
from __future__ import annotations

import json
import os
import urllib.request
from typing import Protocol

import numpy as np

from .prompts import PromptSpec, t2v_prompt

INSTRUCTION = (
    "Rewrite this text-to-video prompt in {n} different ways. Keep the person, the facial "
    "expression, its intensity, every facial action and head movement, and the steady framed "
    "camera. One paraphrase per line, no numbering.\n\nPrompt: {prompt}"
)


class Paraphraser(Protocol):
    def __call__(self, spec: PromptSpec, n: int) -> list[str]: ...


def _clean(lines: list[str], original: str, n: int) -> list[str]:
    out = []
    for line in lines:
        text = line.strip().lstrip("-*0123456789.) ").strip().strip('"')
        if len(text) > 20 and text != original and text not in out:
            out.append(text)
    return out[:n]


class TemplateParaphraser:
    """Offline paraphrases from lexicon synonyms and alternative phrasings."""

    def __call__(self, spec: PromptSpec, n: int = 3) -> list[str]:
        rng = np.random.default_rng([spec.seed, 4, spec.index])
        found: list[str] = []
        for _ in range(8 * n):
            text = t2v_prompt(spec, rng, synonyms=True)
            if text != spec.prompt and text not in found:
                found.append(text)
            if len(found) == n:
                break
        return found


class HFParaphraser:
    """Paraphrases from a Hugging Face causal LM (``model`` is a Hub id or a local folder)."""

    def __init__(self, model: str, max_new_tokens: int = 200, device: str | None = None) -> None:
        from transformers import pipeline

        self.generate = pipeline("text-generation", model=model, device=device)
        self.max_new_tokens = max_new_tokens

    def __call__(self, spec: PromptSpec, n: int = 3) -> list[str]:
        messages = [{"role": "user", "content": INSTRUCTION.format(n=n, prompt=spec.prompt)}]
        result = self.generate(messages, max_new_tokens=self.max_new_tokens, do_sample=False)
        reply = result[0]["generated_text"][-1]["content"]
        return _clean(reply.splitlines(), spec.prompt, n)


class OpenAIParaphraser:
    """Paraphrases from an OpenAI-compatible chat endpoint (vLLM, TGI, llama.cpp, ...)."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout: float = 60.0) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY", "")
        self.timeout = timeout

    def __call__(self, spec: PromptSpec, n: int = 3) -> list[str]:
        body = json.dumps({
            "model": self.model,
            "messages": [{"role": "user", "content": INSTRUCTION.format(n=n, prompt=spec.prompt)}],
            "temperature": 0.7,
        }).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            reply = json.loads(response.read())["choices"][0]["message"]["content"]
        return _clean(reply.splitlines(), spec.prompt, n)


def make_paraphraser(kind: str = "template", model: str | None = None, base_url: str | None = None) -> Paraphraser:
    """``template`` (default), ``hf`` (needs ``model``) or ``openai`` (needs ``base_url`` and ``model``)."""
    if kind == "template":
        return TemplateParaphraser()
    if kind == "hf":
        if not model:
            raise ValueError("--paraphraser hf needs --paraphrase-model (a Hub id or local folder)")
        return HFParaphraser(model)
    if kind == "openai":
        if not (base_url and model):
            raise ValueError("--paraphraser openai needs --paraphrase-url and --paraphrase-model")
        return OpenAIParaphraser(base_url, model)
    raise ValueError(f"unknown paraphraser '{kind}' (template, hf, openai)")

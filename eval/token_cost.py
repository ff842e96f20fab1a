"""How many tokens a language model reads for a clip: face tokens vs a video LLM's visual tokens.

Face tokens are counted from the geometry tokenizer's own config (one code per ``downsample``
frames). The video-LLM rows are arithmetic on published sampling rules, not measurements; each
row states its rule so a reader can check it against the model they care about.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VisualTokenRule:
    """A video LLM's sampling rule: ``frames_per_second`` (or a fixed ``frames_per_clip``) times
    ``tokens_per_frame`` visual tokens."""

    name: str
    tokens_per_frame: int
    frames_per_second: float | None = None
    frames_per_clip: int | None = None

    def tokens(self, seconds: float) -> int:
        frames = self.frames_per_clip if self.frames_per_clip is not None else max(1, round(seconds * self.frames_per_second))
        return frames * self.tokens_per_frame

    def rule(self) -> str:
        sampled = f"{self.frames_per_clip} frames per clip" if self.frames_per_clip is not None else f"{self.frames_per_second:g} frame/s"
        return f"{sampled} x {self.tokens_per_frame} tokens per frame"


VIDEO_LLM_RULES = (
    VisualTokenRule("video LLM reading every frame (the paper's 300-500 tokens per frame, low end)", tokens_per_frame=300,
                    frames_per_second=25.0),
    VisualTokenRule("the same video LLM sampling 2 frames/s", tokens_per_frame=300, frames_per_second=2.0),
    VisualTokenRule("Gemini-style video input (default resolution, audio excluded)", tokens_per_frame=258, frames_per_second=1.0),
    VisualTokenRule("Video-LLaVA-style (8 sampled frames, 16x16 ViT patches)", tokens_per_frame=256, frames_per_clip=8),
)


def token_cost_rows(fps: float, downsample: int, seconds: float = 5.0) -> list[dict[str, object]]:
    """Tokens for a ``seconds``-long clip at ``fps`` frames/s: face tokens (one per ``downsample``
    frames, every frame covered) first, then each video-LLM rule, with the ratio to face tokens."""
    frames = round(seconds * fps)
    face = -(-frames // downsample)
    rows: list[dict[str, object]] = [{"name": "face tokens (this geometry tokenizer)", "tokens": face,
                                      "rule": f"1 token per {downsample} frame(s) at {fps:g} fps", "ratio": 1.0}]
    for rule in VIDEO_LLM_RULES:
        count = rule.tokens(seconds)
        rows.append({"name": rule.name, "tokens": count, "rule": rule.rule(), "ratio": count / face})
    return rows

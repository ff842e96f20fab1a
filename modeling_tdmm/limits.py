"""Limits on what one input may declare, checked before any work starts.

A hostile or broken file can declare far more than it holds (a zip bomb, a pickle whose
shared lists expand exponentially, a clip of a million frames): every reader and renderer
checks what is declared against these limits first and fails with one line that names the
limit and the environment variable that raises it.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass

__all__ = ["Limit", "LimitError", "MAX_FRAMES", "MAX_ARRAY_BYTES", "MAX_RENDER_BYTES", "MAX_FPS", "MAX_PICKLE_ITEMS",
           "MAX_INPUT_BYTES"]


class LimitError(ValueError):
    """An input declares more than a limit allows; the message names the limit and how to raise it."""


@dataclass(frozen=True)
class Limit:
    """One limit: ``value()`` reads ``env`` (if set) or returns ``default``."""

    what: str  # e.g. "frames per clip"
    env: str  # environment variable that overrides the default
    default: float

    def value(self) -> float:
        raw = os.environ.get(self.env)
        if raw is None:
            return self.default
        try:
            value = float(raw)
        except ValueError:
            raise LimitError(f"{self.env}={raw!r} is not a number") from None
        if not value > 0 or math.isnan(value):
            raise LimitError(f"{self.env}={raw!r} must be a positive number")
        return value

    def check(self, amount: float, source: str) -> None:
        """Raise :class:`LimitError` if ``amount`` exceeds the limit; ``source`` names the input."""
        limit = self.value()
        if not amount <= limit:  # also refuses NaN
            raise LimitError(f"{source}: {amount:,.0f} {self.what} exceeds the limit of {limit:,.0f} "
                             f"(set {self.env}=N to raise it)")


#: 20 minutes at 25 fps; the corpus clips are 4-6 s.
MAX_FRAMES = Limit("frames per clip", "TDMM_MAX_FRAMES", 30_000)
#: Bytes one array in an input file (npz member, pickled array) may declare.
MAX_ARRAY_BYTES = Limit("bytes in one array", "TDMM_MAX_ARRAY_BYTES", 2 * 1024**3)
#: Memory for the frames of one render (frames x height x width x 3 bytes).
MAX_RENDER_BYTES = Limit("bytes of rendered frames", "TDMM_MAX_RENDER_BYTES", 4 * 1024**3)
#: Frame rate of a clip, a render or a resampling target.
MAX_FPS = Limit("frames per second", "TDMM_MAX_FPS", 1000)
#: Containers and items a pickle may expand to (shared references counted each time they are reached).
MAX_PICKLE_ITEMS = Limit("pickled items", "TDMM_MAX_PICKLE_ITEMS", 5_000_000)
#: Bytes of arrays one input file may hold in all (npz members together; a pickle's arrays,
#: a shared one counted each time it is reached, as a tree walk would copy it).
MAX_INPUT_BYTES = Limit("bytes of arrays in one input file", "TDMM_MAX_INPUT_BYTES", 4 * 1024**3)

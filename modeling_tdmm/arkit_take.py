"""An ARKit take: per-frame 52 blendshape weights plus head and eye rotations, as Live Link Face records them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .arkit_names import ARKIT_NAMES
from .io_utils import as_frame_rate, as_real_array
from .limits import MAX_FRAMES


def timecode_rate(fps: float) -> int:
    """The integer rate timecode frame fields count at (30 for 29.97), at least 1."""
    return max(1, int(fps + 0.5))

__all__ = ["AXES", "WEIGHT_SLACK", "ARKitFormatError", "ARKitTake", "check_fps"]

#: How far a weight may stray outside [0, 1] (float rounding) before it is an error rather than clipped.
WEIGHT_SLACK = 1e-6
#: Names of the three angles of a head or eye rotation, in order (radians).
AXES = ("yaw", "pitch", "roll")


class ARKitFormatError(ValueError):
    """An ARKit take or file is malformed; the message names the file (or origin), the field and what was expected."""


def check_fps(value: Any, what: str) -> float:
    """``value`` as a frame rate in ``(0, MAX_FPS]``, else :class:`ARKitFormatError` naming ``what``."""
    return as_frame_rate(value, what, ARKitFormatError)


def _as_frames(value: Any, name: str, columns: tuple[str, ...], origin: str) -> np.ndarray:
    """``value`` as a finite ``[T, len(columns)]`` float32 array with ``1 <= T <= MAX_FRAMES``."""
    width = len(columns)
    label = f"{origin}: field '{name}'"
    array = as_real_array(value, f"{label} [T, {width}]", ARKitFormatError)
    if array.ndim != 2 or array.shape[1] != width:
        raise ARKitFormatError(f"{label} should have shape [T, {width}], got {list(array.shape)}")
    if array.shape[0] == 0:
        raise ARKitFormatError(f"{label} has T = 0 frames; at least one frame is required")
    MAX_FRAMES.check(array.shape[0], label)
    array = np.ascontiguousarray(array, dtype=np.float32)
    if not np.isfinite(array).all():
        frame, column = np.argwhere(~np.isfinite(array))[0]
        raise ARKitFormatError(f"{label} has NaN/inf values (first at frame {frame}, column '{columns[column]}')")
    return array


@dataclass
class ARKitTake:
    """``T`` frames of ARKit face capture at ``fps``.

    Attributes:
        weights: ``[T, 52]`` float32 blendshape weights in :data:`ARKIT_NAMES` order, each in
            [0, 1] (values within ``WEIGHT_SLACK`` outside are clipped).
        head: ``[T, 3]`` float32 head yaw, pitch, roll in radians.
        eyes: ``[T, 6]`` float32 left eye yaw, pitch, roll then right eye yaw, pitch, roll, radians
            (the subject's own left and right).
        fps: frames per second, > 0.
        start_frame: timecode of the first frame as a frame count at ``fps`` (0 = 00:00:00:00).
        origin: where the take came from (a file path), used in error messages.
    """

    weights: np.ndarray
    head: np.ndarray
    eyes: np.ndarray
    fps: float
    start_frame: int = 0
    origin: str = field(default="ARKit take", repr=False, compare=False)

    def __post_init__(self) -> None:
        origin = self.origin or "ARKit take"
        self.weights = _as_frames(self.weights, "weights", ARKIT_NAMES, origin)
        self.head = _as_frames(self.head, "head", AXES, origin)
        self.eyes = _as_frames(self.eyes, "eyes", tuple(f"{side} {axis}" for side in ("left", "right") for axis in AXES), origin)
        lengths = {name: len(getattr(self, name)) for name in ("weights", "head", "eyes")}
        if len(set(lengths.values())) > 1:
            detail = ", ".join(f"{k}={v}" for k, v in lengths.items())
            raise ARKitFormatError(f"{origin}: weights, head and eyes must have the same number of frames T, got {detail}")
        outside = (self.weights < -WEIGHT_SLACK) | (self.weights > 1 + WEIGHT_SLACK)
        if outside.any():
            frame, column = np.argwhere(outside)[0]
            raise ARKitFormatError(f"{origin}: field 'weights' frame {frame} '{ARKIT_NAMES[column]}' is "
                                   f"{self.weights[frame, column]:g}; weights should be in [0, 1]")
        self.weights = np.clip(self.weights, 0.0, 1.0)
        self.fps = check_fps(self.fps, f"{origin}: field 'fps'")
        if isinstance(self.start_frame, bool) or not isinstance(self.start_frame, (int, np.integer)) or self.start_frame < 0:
            raise ARKitFormatError(f"{origin}: field 'start_frame' should be an integer frame count >= 0, "
                                   f"got {self.start_frame!r:.40}")
        self.start_frame = int(self.start_frame)

    @property
    def num_frames(self) -> int:
        """``T``."""
        return len(self.weights)

    def calibrated(self, first: int, end: int) -> ARKitTake:
        """This take with frames ``first:end`` (a neutral face, eyes open) as the rest pose: each weight ``w``
        becomes ``(w - rest) / (1 - rest)`` clipped to [0, 1], ``rest`` its mean over those frames, so a tracker's
        resting bias reads as 0 and a full activation still as 1 (what Live Link Face's calibration does; MediaPipe
        has none). Head and eye angles are kept."""
        origin = self.origin or "ARKit take"
        if not 0 <= first < end <= self.num_frames:
            raise ARKitFormatError(f"{origin}: neutral frames {first}:{end} are not a frame range inside the take's "
                                   f"{self.num_frames} frames (0 <= first < end <= {self.num_frames})")
        rest = self.weights[first:end].mean(0)
        weights = np.clip((self.weights - rest) / np.maximum(1.0 - rest, 1e-6), 0.0, 1.0)
        return ARKitTake(weights=weights, head=self.head, eyes=self.eyes, fps=self.fps, start_frame=self.start_frame,
                         origin=self.origin)

    def weight(self, name: str) -> np.ndarray:
        """The ``[T]`` weights of blendshape ``name`` (Apple's camelCase, e.g. ``"jawOpen"``)."""
        if name not in ARKIT_NAMES:
            raise KeyError(f"{name!r} is not one of the 52 ARKit names (camelCase, e.g. 'jawOpen', 'eyeBlinkLeft')")
        return self.weights[:, ARKIT_NAMES.index(name)]

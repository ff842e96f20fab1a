"""Procedural FACS motion: a :class:`PromptSpec` becomes a clip with exact ground-truth labels.

Layers, each a vectorised function of the frame times ``t [T]`` (seconds):

* emotion: the descriptor's recipe times an onset / apex / offset envelope scaled by
  intensity, with an optional transition to a second emotion;
* prompted action: held actions, micro-expressions (under 0.5 s), blinks and winks, eye
  closure, talking and laughing (jaw oscillation), yawns;
* head motion: nods and shakes (cyclic, symmetric, later cycles smaller), tilts, turns and
  looks (held postures), plus the emotion's posture bias;
* spontaneous blinks at the emotion's rate (~15/min) with natural closure durations;
* idle motion: slow head sway and small expression drift, so no clip is frozen.

Every eyelid event and micro-expression is recorded in ``attributes['events']`` with its
frame span (``start`` inclusive, ``end`` exclusive).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from modeling_tdmm.clip import FaceClip
from modeling_tdmm.facs import FACS_APEX_MAX, expression_names

from .captions import write_captions
from .lexicon import Descriptor, get
from .prompts import PromptSpec

FPS = 25.0
NUM_EXPRESSION = 50
EYELID_AU = "AU43_lids"


@lru_cache(maxsize=None)
def recipe_vectors(name: str) -> tuple[np.ndarray, np.ndarray, float]:
    """``(expression [50], eyelids [2], jaw opening)`` at apex for a lexicon descriptor."""
    names = expression_names()
    index = {n: i for i, n in enumerate(names)}
    descriptor = get(name)
    expr = np.zeros(NUM_EXPRESSION, np.float32)
    lids = np.zeros(2, np.float32)
    for au, weight in descriptor.recipe:
        if au == EYELID_AU:
            lids[:] = weight
        elif au in index:
            expr[index[au]] += weight
        elif f"{au}_L" in index:
            expr[index[f"{au}_L"]] += weight
            expr[index[f"{au}_R"]] += weight
        else:
            raise KeyError(f"lexicon entry '{name}' uses {au}, which the open head does not have")
    return expr, lids, descriptor.jaw


def envelope(t: np.ndarray, start: float, onset: float, end: float, offset: float) -> np.ndarray:
    """Raised-cosine rise over ``onset`` s from ``start``, hold, fall over ``offset`` s to ``end``."""
    rise = np.clip((t - start) / max(onset, 1e-3), 0, 1)
    fall = np.clip((end - t) / max(offset, 1e-3), 0, 1)
    return 0.5 - 0.5 * np.cos(np.pi * np.minimum(rise, fall))


def _span(t: np.ndarray, env: np.ndarray, threshold: float = 0.5) -> tuple[int, int]:
    above = np.nonzero(env >= threshold)[0]
    return (int(above[0]), int(above[-1]) + 1) if len(above) else (0, 0)


def _blink_curve(t: np.ndarray, start: float, duration: float) -> np.ndarray:
    """Eyelid closure of one blink: fast close (40%), slower reopening (60%)."""
    close = duration * 0.4
    rise = np.clip((t - start) / close, 0, 1)
    fall = np.clip((start + duration - t) / (duration - close), 0, 1)
    return np.sin(0.5 * np.pi * np.minimum(rise, fall)) ** 2


class _Clip:
    """Accumulates the layers of one clip."""

    def __init__(self, num_frames: int, fps: float, rng: np.random.Generator) -> None:
        self.t = np.arange(num_frames) / fps
        self.fps = fps
        self.rng = rng
        self.duration = num_frames / fps
        self.expression = np.zeros((num_frames, NUM_EXPRESSION), np.float32)
        self.eyelids = np.zeros((num_frames, 2), np.float32)
        self.jaw = np.zeros((num_frames, 3), np.float32)
        self.head = np.zeros((num_frames, 3), np.float32)
        self.events: list[dict] = []
        self.busy_lids = np.zeros(num_frames, bool)  # prompted eyelid actions block spontaneous blinks

    def add_recipe(self, name: str, env: np.ndarray) -> None:
        expr, lids, jaw = recipe_vectors(name)
        self.expression += env[:, None] * expr[None, :]
        self.eyelids += env[:, None] * lids[None, :]
        self.jaw[:, 0] += env * jaw

    def event(self, kind: str, name: str, start: int, end: int, **extra) -> None:
        if end > start:
            self.events.append({"type": kind, "name": name, "start": int(start), "end": int(end), **extra})

    def blink(self, start: float, duration: float, side: str = "both", prompted: bool = False, name: str = "blink") -> None:
        curve = _blink_curve(self.t, start, duration)
        columns = {"both": [0, 1], "left": [0], "right": [1]}[side]
        self.eyelids[:, columns] = np.maximum(self.eyelids[:, columns], curve[:, None])
        first, last = _span(self.t, curve, 0.5)
        self.event("blink" if side == "both" else "wink", name, first, last, side=side, prompted=prompted)
        if prompted:
            self.busy_lids |= curve > 0.05


def _emotion_layers(clip: _Clip, spec: PromptSpec, intensity: float, onset: float) -> list[dict]:
    rng, t, duration = clip.rng, clip.t, clip.duration
    spans = []
    emotions = [spec.emotion] + ([spec.second_emotion] if spec.second_emotion else [])
    switch = rng.uniform(0.4, 0.6) * duration
    for k, name in enumerate(emotions):
        descriptor = get(name)
        if descriptor.family == "neutral" and descriptor.name == "neutral":
            continue
        if len(emotions) == 1:
            start = rng.uniform(0.1, 0.7)
            end = duration + 1.0 if rng.random() < 0.7 else rng.uniform(0.75, 0.9) * duration
        elif k == 0:
            start, end = rng.uniform(0.1, 0.5), switch + 0.3
        else:
            start, end = switch, duration + 1.0
        env = envelope(t, start, onset, end, descriptor.offset) * intensity
        clip.add_recipe(name, env)
        clip.head += env[:, None] * np.asarray(descriptor.head_bias, np.float32)[None, :]
        first, last = _span(t, env / max(intensity, 1e-6), 0.5)
        spans.append({"emotion": name, "family": descriptor.family, "start": first, "end": last})
    return spans


def _action_layer(clip: _Clip, action: Descriptor, intensity: float, tempo: str) -> None:
    rng, t, duration = clip.rng, clip.t, clip.duration
    kind = action.family
    scale = min(1.0, 0.55 + 0.5 * intensity)  # prompted actions stay clearly visible
    if kind == "blink":
        count = int(action.extra.get("count", 1))
        blink_len = 0.45 if action.name == "slow blink" else rng.uniform(0.12, 0.2)
        gap = 0.12 if count > 1 else 0.0
        start = rng.uniform(0.6, max(0.7, duration - count * (blink_len + gap) - 0.3))
        for k in range(count):
            clip.blink(start + k * (blink_len + gap), blink_len, prompted=True, name=action.name)
        return
    start = rng.uniform(0.5, max(0.6, duration * 0.5))
    if kind == "micro":
        total = rng.uniform(0.16, 0.4)  # micro-expressions: under ~200 ms, at most 500 ms
        ramp = total * 0.3
        env = envelope(t, start, ramp, start + total, ramp)
        clip.add_recipe(action.name, env * scale)
        clip.event("micro_expression", action.name, *_span(t, env, 0.5), prompted=True)
        return
    hold = action.apex * (0.6 if tempo == "briefly" else 1.0) * rng.uniform(0.8, 1.3)
    onset = action.onset * (2.0 if tempo == "slowly" else 0.5 if tempo in ("suddenly", "quickly") else 1.0)
    end = min(start + onset + hold, duration - 0.1)
    env = envelope(t, start, onset, end + action.offset, action.offset)
    if kind == "wink":
        side = action.extra["side"]
        clip.blink(start, rng.uniform(0.3, 0.5), side=side, prompted=True, name=action.name)
        clip.add_recipe(action.name, envelope(t, start, 0.1, start + 0.45, 0.15) * scale)
        return
    clip.add_recipe(action.name, env * scale)
    first, last = _span(t, env, 0.5)
    if kind in ("eyes_closed", "yawn"):
        clip.busy_lids |= env > 0.05
    if kind == "talk":
        rate = action.extra.get("rate", 4.0) * rng.uniform(0.85, 1.15)
        syllables = 0.5 + 0.5 * np.sin(2 * np.pi * rate * t + rng.uniform(0, 2 * np.pi))
        clip.jaw[:, 0] += env * action.jaw * scale * (syllables - 0.5)  # jaw moves around its mean opening
    clip.event(kind if kind != "expression" else "action", action.name, first, last, prompted=True)


def _head_layer(clip: _Clip, head: Descriptor, intensity: float, tempo: str) -> dict:
    rng, t, duration = clip.rng, clip.t, clip.duration
    kind, axis = head.family, int(head.extra["axis"])
    if kind == "still":
        return {"name": head.name, "kind": kind, "start": 0, "end": 0, "axis": axis, "amplitude": 0.0}
    amplitude = head.extra["amplitude"] * (0.7 + 0.4 * intensity) * rng.uniform(0.85, 1.15)
    if kind in ("nod", "shake"):
        frequency = head.extra["frequency"] * rng.uniform(0.9, 1.1)
        cycles = int(head.extra["cycles"]) + (2 if tempo == "repeatedly" else 0)
        start = rng.uniform(0.3, max(0.4, duration - cycles / frequency - 0.2))
        phase = 2 * np.pi * frequency * (t - start)
        active = (phase >= 0) & (phase <= 2 * np.pi * cycles)
        shrink = 1.0 - 0.5 * np.clip(phase / (2 * np.pi * max(cycles, 1)), 0, 1)  # later cycles smaller
        motion = np.where(active, amplitude * np.sin(phase) * shrink, 0.0)
        end_time = start + cycles / frequency
    else:
        start = rng.uniform(0.3, duration * 0.4)
        onset = 0.6 if tempo not in ("suddenly", "quickly") else 0.3
        end_time = duration + 1.0 if rng.random() < 0.6 else rng.uniform(0.7, 0.9) * duration
        motion = amplitude * envelope(t, start, onset, end_time, 0.6)
    clip.head[:, axis] += motion
    active_frames = np.nonzero(np.abs(motion) > 0.2 * abs(amplitude))[0]
    first, last = (int(active_frames[0]), int(active_frames[-1]) + 1) if len(active_frames) else (0, 0)
    return {"name": head.name, "kind": kind, "start": first, "end": last, "axis": axis, "amplitude": float(amplitude)}


def _spontaneous_blinks(clip: _Clip, rate_per_min: float) -> None:
    rng, duration = clip.rng, clip.duration
    time = rng.exponential(60.0 / rate_per_min) * rng.uniform(0.2, 1.0)
    while time < duration - 0.2:
        length = rng.choice([rng.uniform(0.1, 0.15), rng.uniform(0.15, 0.3)], p=[0.7, 0.3])  # 100-150 ms typical
        frame = int(time * clip.fps)
        window = clip.busy_lids[max(0, frame - 3): frame + int(length * clip.fps) + 3]
        if not window.any():
            clip.blink(time, length, prompted=False)
        time += max(0.4, rng.exponential(60.0 / rate_per_min))


def _idle(clip: _Clip) -> None:
    rng, t = clip.rng, clip.t
    for axis, amp in ((0, 0.012), (1, 0.016), (2, 0.008)):  # about +-1 degree of sway
        freqs = rng.uniform(0.08, 0.45, size=3)
        phases = rng.uniform(0, 2 * np.pi, size=3)
        clip.head[:, axis] += amp * np.sin(2 * np.pi * freqs[:, None] * t[None, :] + phases[:, None]).sum(0) / 2
    drift_units = rng.choice(NUM_EXPRESSION, size=4, replace=False)
    for unit in drift_units:
        clip.expression[:, unit] += 0.04 * (0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.05, 0.3) * t + rng.uniform(0, 6.3)))
    clip.jaw[:, 0] += 0.006 * (0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.1, 0.3) * t))


def synthesize(spec: PromptSpec, fps: float = FPS, face_model: str = "open-head-v2") -> FaceClip:
    """Motion, attributes and captions for one spec; deterministic given ``spec.seed``/``index``."""
    rng = np.random.default_rng([spec.seed, 1, spec.index])
    num_frames = max(2, int(round(spec.duration * fps)))
    clip = _Clip(num_frames, fps, rng)
    intensity = get(spec.intensity).value
    tempo = get(spec.tempo)
    emotion = get(spec.emotion)

    spans = _emotion_layers(clip, spec, intensity, tempo.value)
    action = get(spec.action) if spec.action else None
    if action:
        _action_layer(clip, action, intensity, spec.tempo)
    head = _head_layer(clip, get(spec.head), intensity, spec.tempo)
    rate = emotion.blink_rate if not spec.second_emotion else 0.5 * (emotion.blink_rate + get(spec.second_emotion).blink_rate)
    _spontaneous_blinks(clip, rate)
    _idle(clip)

    expression = np.clip(clip.expression, 0.0, FACS_APEX_MAX)
    eyelids = np.clip(clip.eyelids, 0.0, 1.0)
    jaw = clip.jaw.copy()
    jaw[:, 0] = np.clip(jaw[:, 0], 0.0, 0.5)
    events = sorted(clip.events, key=lambda e: (e["start"], e["type"]))
    emotions = [s["emotion"] for s in spans]
    attributes = {
        "focus": spec.focus,
        "emotions": emotions or ["neutral"],
        "emotion_families": [s["family"] for s in spans] or ["neutral"],
        "emotion_spans": spans,
        "intensity": spec.intensity,
        "intensity_value": intensity,
        "tempo": spec.tempo,
        "valence": float(np.mean([get(e).valence for e in emotions])) if emotions else 0.0,
        "arousal": float(np.mean([get(e).arousal for e in emotions])) if emotions else 0.0,
        "actions": [spec.action] if spec.action else [],
        "action_kinds": [action.family] if action else [],
        "head_motion": head,
        "events": events,
        "blink_count": sum(1 for e in events if e["type"] == "blink"),
        "subject": spec.subject.to_dict(),
    }
    result = FaceClip(
        expression=expression, jaw_pose=jaw, eyelids=eyelids, head_pose=clip.head,
        shape=spec.subject.sample_identity(np.random.default_rng([spec.seed, 2, spec.index])),
        fps=fps, clip_id=spec.clip_id, prompt=spec.prompt, source="procedural", face_model=face_model,
        attributes=attributes,
    )
    result.captions = write_captions(result, np.random.default_rng([spec.seed, 3, spec.index]))
    return result

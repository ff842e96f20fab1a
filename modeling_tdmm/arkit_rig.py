"""ARKit's 52 blendshapes on open-head-v1, and clips <-> ARKit weights.

Each ARKit shape is a *recipe* in open-head-v1's parameter space: a combination of its FACS
expression shapes, jaw rotation and eyelid closure (:data:`RECIPES`; the table in the README says
which action units each uses). So a set of ARKit weights is a clip (``weights @ recipes``, with held
lid closure read as a drooping lid: what an import does), and a clip is fitted with ARKit weights by
bounded least squares on mesh vertices (what an export does, as NVIDIA's Audio2Face solver and SAiD do):

* the fit minimises ``|| sum_k w_k D_k - (V_t - V_0) ||^2`` over the face region per frame, with
  ``D_k`` the vertex offsets of shape ``k``'s recipe on the clip's identity and ``w_k`` in [0, 1]
  (:func:`bounded_least_squares` on the unknowns' normal equations, all frames at once); the jaw
  turns by linear blend skinning, not linearly, so up to eight fixed-point passes over the frames
  where it turns (until the weights move < 2e-5; each pass shrinks the change ~10x) fit the real model's departure from the linear blend;
* the eye-look shapes come from the eye rotations (``eye_pose``), not from vertices: the eyes are
  separate balls that do not move the skin (:data:`EYE_LOOK_RANGE` radians = weight 1);
* ``tongueOut`` stays 0 (the head has no tongue);
* a drooping upper lid (AU41) has no ARKit shape: it shows as partial lid closure, so the fit gives it
  an unknown of its own (:data:`DROOP`) credited to ``eyeBlink`` at the lid closure it looks like
  (``ARKitRig.droop_closure``, about half a blink), and an import gives the part of ``eyeBlink`` that is
  held longer than a blink (:data:`BLINK_MAX_S`) back to AU41, all of it up to the deepest droop, less
  and less of it from there to shut eyes (:func:`held_droop`), as FACS tells a blink (AU45), a droop
  (AU41) and closed eyes (AU43) apart by duration and depth; so a tired face leaves as ``eyeBlink`` and
  comes back tired, and export -> import -> export still gives the same weights. A capture whose
  ``eyeBlink`` rests above 0 with the eyes open (a tracker's bias) therefore comes back with drooping lids
  unless calibrated first (:meth:`ARKitTake.calibrated`, ``tdmm convert --neutral-frames``);
* mirror pairs (``jawLeft`` / ``jawRight``, ``mouthLeft`` / ``mouthRight``) are one
  signed unknown in [-1, 1], split into the two weights (never both non-zero); open-head-v1 has one
  lip-suck and one lip-press shape, so ``mouthRollLower`` / ``mouthRollUpper`` and
  ``mouthPressLeft`` / ``mouthPressRight`` are each fitted as one unknown given to both (an imported
  take with different values keeps their mean).

Left and Right are the subject's own (``AU12_L`` = the subject's left lip corner = ``mouthSmileLeft``).
Angles: yaw about +y (towards the subject's left is positive), pitch about +x (chin down positive),
roll about +z (towards the subject's right shoulder positive), radians; composed as yaw * pitch * roll.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch

from .arkit_names import ARKIT_NAMES
from .arkit_take import ARKitTake, timecode_rate
from .clip import FaceClip
from .face_model import FaceModel, face_model_family
from .facs import FACS_APEX_MAX, expression_names
from .rotations import axis_angle_to_matrix, matrix_to_axis_angle

__all__ = ["BLINK_MAX_S", "DROOP", "EYE_LOOK_RANGE", "RECIPES", "ARKitRig", "axis_angle_to_euler", "bounded_least_squares",
           "euler_to_axis_angle", "held_droop"]

EXPRESSION = expression_names()
#: Parameter vector of a recipe: 50 expression coefficients, jaw axis-angle (3), eyelid closure (2).
PARAMETERS = (*EXPRESSION, "jaw_x", "jaw_y", "jaw_z", "lid_L", "lid_R")
JAW_OPEN = 0.50   # rad of jaw rotation at jawOpen = 1 (the synthesizer opens the jaw 0.5 rad at most)
JAW_SIDE = 0.06   # rad of jaw yaw at jawLeft = 1 (about 5 mm of chin travel)
#: Eye rotation (rad) that reads as an eye-look weight of 1.
EYE_LOOK_RANGE = 0.5
#: ``FaceClip.attributes`` key of an imported capture's start timecode, in seconds (:func:`capture_start_frame`).
START_KEY = "capture_start_s"
MAX_START_S = 1e7  # about 116 days: larger start times are not timecodes

#: ARKit shape -> {open-head-v1 parameter: value at weight 1}.
RECIPES: dict[str, dict[str, float]] = {
    "browDownLeft": {"AU4_L": 1.0}, "browDownRight": {"AU4_R": 1.0},
    "browInnerUp": {"AU1_L": 1.0, "AU1_R": 1.0},
    "browOuterUpLeft": {"AU2_L": 1.0}, "browOuterUpRight": {"AU2_R": 1.0},
    "cheekPuff": {"AU34_L": 1.0, "AU34_R": 1.0},
    "cheekSquintLeft": {"AU6_L": 1.0}, "cheekSquintRight": {"AU6_R": 1.0},
    "eyeBlinkLeft": {"lid_L": 1.0}, "eyeBlinkRight": {"lid_R": 1.0},
    "eyeSquintLeft": {"AU7_L": 1.0, "AU44_L": 0.5}, "eyeSquintRight": {"AU7_R": 1.0, "AU44_R": 0.5},
    "eyeWideLeft": {"AU5_L": 1.0}, "eyeWideRight": {"AU5_R": 1.0},
    "jawForward": {"AU29": 1.0},
    "jawLeft": {"jaw_y": JAW_SIDE}, "jawRight": {"jaw_y": -JAW_SIDE},
    "jawOpen": {"jaw_x": JAW_OPEN, "AU25": 0.6},
    "mouthClose": {"AU25": -0.6},
    "mouthDimpleLeft": {"AU14_L": 1.0}, "mouthDimpleRight": {"AU14_R": 1.0},
    "mouthFrownLeft": {"AU15_L": 1.0}, "mouthFrownRight": {"AU15_R": 1.0},
    "mouthFunnel": {"AU22": 1.0},
    "mouthLeft": {"AU13_L": 0.5, "AU13_R": -0.5, "AU20_L": 0.6, "AU20_R": -0.6},
    "mouthRight": {"AU13_L": -0.5, "AU13_R": 0.5, "AU20_L": -0.6, "AU20_R": 0.6},
    "mouthLowerDownLeft": {"AU16_L": 1.0}, "mouthLowerDownRight": {"AU16_R": 1.0},
    "mouthPressLeft": {"AU24": 0.5}, "mouthPressRight": {"AU24": 0.5},
    "mouthPucker": {"AU18": 1.0},
    "mouthRollLower": {"AU28": 0.5}, "mouthRollUpper": {"AU28": 0.5},
    "mouthShrugLower": {"AU17": 1.0},
    "mouthShrugUpper": {"AU17": 0.6, "AU23": 0.6},
    "mouthSmileLeft": {"AU12_L": 1.0}, "mouthSmileRight": {"AU12_R": 1.0},
    "mouthStretchLeft": {"AU20_L": 1.0}, "mouthStretchRight": {"AU20_R": 1.0},
    "mouthUpperUpLeft": {"AU10_L": 1.0}, "mouthUpperUpRight": {"AU10_R": 1.0},
    "noseSneerLeft": {"AU9_L": 1.0}, "noseSneerRight": {"AU9_R": 1.0},
}
#: Shapes set from the eye rotations: name -> (eye 0 = left / 1 = right, axis 0 = yaw / 1 = pitch, sign).
EYE_LOOKS = {
    "eyeLookOutLeft": (0, 0, 1.0), "eyeLookInLeft": (0, 0, -1.0), "eyeLookInRight": (1, 0, 1.0), "eyeLookOutRight": (1, 0, -1.0),
    "eyeLookDownLeft": (0, 1, 1.0), "eyeLookUpLeft": (0, 1, -1.0), "eyeLookDownRight": (1, 1, 1.0), "eyeLookUpRight": (1, 1, -1.0),
}
SIGNED = (("jawLeft", "jawRight"), ("mouthLeft", "mouthRight"))
TIED = (("mouthRollLower", "mouthRollUpper"), ("mouthPressLeft", "mouthPressRight"))
UNUSED = ("tongueOut",)
#: ARKit shape -> (the FACS unit with no ARKit shape of its own that the shape shows, the shape's own eyelid parameter);
#: see the module docstring.
DROOP = {"eyeBlinkLeft": ("AU41_L", "lid_L"), "eyeBlinkRight": ("AU41_R", "lid_R")}
#: Longest eyelid closure (s) read as a blink on import; closure held longer is lid droop or closed eyes.
BLINK_MAX_S = 0.5


def _rot(axis: int, angle: torch.Tensor) -> torch.Tensor:
    vector = torch.zeros(*angle.shape, 3, dtype=angle.dtype)
    vector[..., axis] = angle
    return axis_angle_to_matrix(vector)


def euler_to_axis_angle(angles: np.ndarray) -> np.ndarray:
    """Yaw, pitch, roll ``[T, 3]`` (rad; R = R_y(yaw) R_x(pitch) R_z(roll)) -> axis-angle ``[T, 3]``."""
    a = torch.as_tensor(np.asarray(angles, np.float64))
    matrix = _rot(1, a[:, 0]) @ _rot(0, a[:, 1]) @ _rot(2, a[:, 2])
    return matrix_to_axis_angle(matrix).numpy().astype(np.float32)


def axis_angle_to_euler(rotvec: np.ndarray) -> np.ndarray:
    """Axis-angle ``[T, 3]`` -> yaw, pitch, roll ``[T, 3]`` (rad), the inverse of :func:`euler_to_axis_angle`."""
    m = axis_angle_to_matrix(torch.as_tensor(np.asarray(rotvec, np.float64))).numpy()
    pitch = np.arcsin(np.clip(-m[:, 1, 2], -1.0, 1.0))
    yaw = np.arctan2(m[:, 0, 2], m[:, 2, 2])
    roll = np.arctan2(m[:, 1, 0], m[:, 1, 1])
    return np.stack([yaw, pitch, roll], 1).astype(np.float32)


@dataclass
class _Unknowns:
    """The fit's unknowns: ``columns [U, P]`` recipes, bounds ``lower [U]`` / ``upper [U]`` and, per
    unknown, the ARKit shapes it adds to (``(index, factor)``; a signed unknown adds with factor -1 to the
    second shape of its pair, so its negative values go there once weights are clipped to [0, 1])."""

    columns: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    targets: list[list[tuple[int, float]]]


def recipe_label(name: str) -> str:
    """What ARKit shape ``name`` is on open-head-v1, briefly: ``"AU12_L"``, ``"jaw opens 0.50 rad + 0.6 AU25"``,
    ``"eye rotation"``, ``"none"``."""
    if name in EYE_LOOKS:
        return "eye rotation"
    parts = []
    for parameter, value in RECIPES.get(name, {}).items():
        if parameter == "jaw_x":
            text = f"jaw opens {value:.2f} rad"
        elif parameter == "jaw_y":
            text, value = f"jaw turns {'left' if value > 0 else 'right'} {abs(value):.2f} rad", abs(value)
        elif parameter.startswith("lid_"):
            text = f"{'left' if parameter == 'lid_L' else 'right'} lid closes"
        else:
            text = parameter if abs(value) == 1.0 else f"{abs(value):g} {parameter}"
        sign = ("-" if value < 0 else "") if not parts else (" - " if value < 0 else " + ")
        parts.append(sign + text)
    return "".join(parts) or "none"


def eye_look_rotations() -> np.ndarray:
    """``[52, 6]`` eye rotations (axis-angle, left then right eye; x = pitch, y = yaw) of each ARKit shape at weight 1:
    :data:`EYE_LOOK_RANGE` radians for the eye looks, zero elsewhere."""
    eyes = np.zeros((len(ARKIT_NAMES), 6))
    for name, (eye, axis, sign) in EYE_LOOKS.items():
        eyes[ARKIT_NAMES.index(name), 3 * eye + (1 - axis)] = sign * EYE_LOOK_RANGE
    return eyes


def recipe_matrix() -> np.ndarray:
    """``[52, P]`` open-head-v1 parameters of each ARKit shape at weight 1 (zero rows: eye looks, tongue)."""
    matrix = np.zeros((len(ARKIT_NAMES), len(PARAMETERS)), np.float64)
    for name, recipe in RECIPES.items():
        for parameter, value in recipe.items():
            matrix[ARKIT_NAMES.index(name), PARAMETERS.index(parameter)] = value
    return matrix


def _unknowns(recipes: np.ndarray, droop_closure: float) -> _Unknowns:
    """The fit's unknowns; ``droop_closure`` is the lid closure (0-1) that looks like AU41 = 1."""
    index = {name: i for i, name in enumerate(ARKIT_NAMES)}
    grouped = {name for pair in SIGNED + TIED for name in pair}
    columns, lower, upper, targets = [], [], [], []
    for name in RECIPES:
        if name not in grouped:
            columns.append(recipes[index[name]]); lower.append(0.0); upper.append(1.0); targets.append([(index[name], 1.0)])
    for first, second in SIGNED:
        columns.append(recipes[index[first]]); lower.append(-1.0); upper.append(1.0)
        targets.append([(index[first], 1.0), (index[second], -1.0)])
    for group in TIED:
        columns.append(sum(recipes[index[name]] for name in group)); lower.append(0.0); upper.append(1.0)
        targets.append([(index[name], 1.0) for name in group])
    for name, (unit, _) in DROOP.items():
        column = np.zeros(len(PARAMETERS))
        column[PARAMETERS.index(unit)] = 1.0
        columns.append(column); lower.append(0.0); upper.append(FACS_APEX_MAX); targets.append([(index[name], droop_closure)])
    return _Unknowns(np.stack(columns), np.array(lower), np.array(upper), targets)


def held_droop(closure: np.ndarray, fps: float, droop_closure: float) -> np.ndarray:
    """The part ``[T]`` of an eye's closure ``[T]`` (0 open - 1 shut) that is a drooping lid: what stays after
    removing every closure held for no longer than :data:`BLINK_MAX_S` (a grey-scale opening over the odd
    number of frames just above it: the running minimum, then the running maximum; the eyes count as open
    outside the take, so a take's first and last frames are judged as any others), all of it up to the
    deepest droop (``droop_closure`` x the largest AU41), and from there less and less of it, linearly, to
    none for shut eyes."""
    half = math.floor(BLINK_MAX_S * fps / 2)
    window = 2 * half + 1
    lowest = np.lib.stride_tricks.sliding_window_view(np.pad(closure, half), window).min(1)
    held = np.lib.stride_tricks.sliding_window_view(np.pad(lowest, half), window).max(1)
    deepest = droop_closure * FACS_APEX_MAX
    return np.where(held <= deepest, held, deepest * np.clip((1.0 - held) / (1.0 - deepest), 0.0, 1.0))


def capture_start_frame(clip: FaceClip) -> int:
    """The timecode frame count (at :func:`timecode_rate` of ``clip.fps``) a capture started at
    (``attributes[START_KEY]``, seconds; 0 where the clip has none), so an exported take keeps its phone's
    timecodes (audio / video sync)."""
    start = clip.attributes.get(START_KEY, 0)
    if (isinstance(start, bool) or not isinstance(start, (int, float)) or not 0 <= start <= MAX_START_S
            or not math.isfinite(start)):
        raise ValueError(f"{clip.clip_id or clip.origin}: attributes['{START_KEY}'] should be a number of seconds in "
                         f"[0, {MAX_START_S:g}], got {start!r:.40}")
    return round(start * timecode_rate(clip.fps))


def bounded_least_squares(gram: np.ndarray, rhs: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                          start: np.ndarray, iterations: int = 600, tolerance: float = 1e-7) -> np.ndarray:
    """Per row ``t``: ``argmin_x x^T G x - 2 x^T b_t`` with ``lower <= x <= upper``, for ``gram G [U, U]``
    (positive definite) and ``rhs b [T, U]``; ``start [T, U]`` warm-starts it. Returns ``[T, U]``.

    All frames at once: accelerated projected gradient (FISTA) on the diagonally scaled problem, then
    one exact solve per frame on the variables that are off their bounds (kept when it stays inside).
    Stops early once no scaled variable moves by more than ``tolerance`` in an iteration.
    """
    scale = np.sqrt(np.diag(gram))
    g = gram / np.outer(scale, scale)
    b = rhs / scale
    lo, hi = lower * scale, upper * scale
    step = 1.0 / np.linalg.eigvalsh(g)[-1]
    x = np.clip(start * scale, lo, hi)
    y, momentum = x.copy(), 1.0
    for _ in range(iterations):
        new = np.clip(y - step * (y @ g - b), lo, hi)
        next_momentum = (1 + np.sqrt(1 + 4 * momentum**2)) / 2
        y = new + (momentum - 1) / next_momentum * (new - x)
        moved = np.abs(new - x).max(initial=0.0)
        x, momentum = new, next_momentum
        if moved < tolerance:
            break
    margin = 1e-9 * np.maximum(1.0, np.where(np.isfinite(hi - lo), hi - lo, 1.0))  # unbounded: a free variable
    for t in range(len(x)):
        free = (x[t] > lo + margin) & (x[t] < hi - margin)
        if not free.any():
            continue
        exact = x[t].copy()
        exact[free] = np.linalg.solve(g[np.ix_(free, free)], b[t, free] - g[np.ix_(free, ~free)] @ x[t, ~free])
        if np.all(exact >= lo - 1e-12) and np.all(exact <= hi + 1e-12):
            x[t] = exact
    return x / scale


class ARKitRig:
    """ARKit-52 on open-head-v1: :meth:`fit` a clip to a take, :meth:`to_clip` a take back to a clip,
    :meth:`shape_offsets` for morph targets."""

    @classmethod
    @functools.cache
    def default(cls) -> ARKitRig:
        """The rig on the embedded open-head-v2, built once per process."""
        return cls()

    def __init__(self, face_model: FaceModel | None = None, passes: int = 8) -> None:
        self.model = face_model or FaceModel.load("open-head-v2")
        if face_model_family(self.model.name) != "open-head":
            raise ValueError(f"ARKit shapes are defined on the open head (open-head-v2, open-head-v1), not {self.model.name}")
        self.recipes = recipe_matrix()
        self.passes = passes
        moved = self.model.offsets("expression").abs().amax((0, 2)) > 1e-6
        moved |= self.model.offsets("eyelids").abs().amax((0, 2)) > 1e-6
        jaw = self.model.lbs_weights[:, 2]  # the jaw joint's skinning weight [V]
        #: ``[R]`` indices of the face region: skin the expressions, eyelids or jaw move.
        self.region = torch.nonzero(moved | (jaw > 1e-3)).squeeze(1)
        self.face = self.model.subset(self.region)
        #: Lid closure (0-1) whose vertex offsets best match AU41 = 1 (least squares over the mean face's face region).
        self.droop_closure = self._closure_like(*DROOP["eyeBlinkLeft"])
        self.unknowns = _unknowns(self.recipes, self.droop_closure)

    # ------------------------------------------------------------------ geometry
    def _vertices(self, parameters: np.ndarray, shape: torch.Tensor) -> torch.Tensor:
        """Face-region vertices ``[N, R, 3]`` (m, head unposed) of parameter vectors ``[N, P]``."""
        p = torch.as_tensor(parameters, dtype=torch.float32)
        return self.face(shape=shape, expression=p[:, :50], jaw_pose=p[:, 50:53], eyelids=p[:, 53:55])

    @torch.no_grad()
    def _closure_like(self, unit: str, lid: str) -> float:
        """The amount of parameter ``lid`` whose offsets are closest to those of ``unit`` at 1 (mean face)."""
        one = np.zeros((3, len(PARAMETERS)))
        one[1, PARAMETERS.index(unit)] = 1.0
        one[2, PARAMETERS.index(lid)] = 1.0
        rest, target, closure = self._vertices(one, torch.zeros(0)).double().flatten(1)
        return float((target - rest) @ (closure - rest) / (closure - rest).square().sum())

    def shape_offsets(self, shape: np.ndarray | None = None) -> np.ndarray:
        """``[52, V, 3]`` vertex offsets (m) of every ARKit shape at weight 1 on identity ``shape``: the morph
        targets of an ARKit glTF. The jaw and the eyeballs turn by skinning in the clip but are baked into
        their shapes here, as ARKit rigs expect; ``tongueOut`` is all zeros (the head has no tongue)."""
        betas = torch.zeros(0) if shape is None else torch.as_tensor(shape, dtype=torch.float32)
        eyes = eye_look_rotations()
        recipes = torch.as_tensor(self.recipes, dtype=torch.float32)
        with torch.no_grad():
            rest = self.model(shape=betas, expression=torch.zeros(1, 50))
            posed = self.model(shape=betas, expression=recipes[:, :50], jaw_pose=recipes[:, 50:53], eyelids=recipes[:, 53:55],
                               eye_pose=torch.as_tensor(eyes, dtype=torch.float32))
        return (posed - rest).numpy()

    def poses(self) -> list[tuple[str, dict[str, torch.Tensor]]]:
        """Each ARKit shape at weight 1 as ``(label, face-model inputs of one frame)``, for a contact sheet;
        labels name the shape and its recipe's action units."""
        eyes = eye_look_rotations()
        poses = []
        for i, name in enumerate(ARKIT_NAMES):
            row = torch.as_tensor(self.recipes[i], dtype=torch.float32)[None]
            inputs = {"expression": row[:, :50], "jaw_pose": row[:, 50:53], "eyelids": row[:, 53:55]}
            if name in EYE_LOOKS:
                inputs["eye_pose"] = torch.as_tensor(eyes[i], dtype=torch.float32)[None]
            poses.append((f"{name} ({recipe_label(name)})", inputs))
        return poses

    # ------------------------------------------------------------------ clip -> take
    @torch.no_grad()
    def fit(self, clip: FaceClip) -> ARKitTake:
        """ARKit weights ``[T, 52]`` in [0, 1] of an open-head-v1 clip, with head and eye angles."""
        if face_model_family(clip.face_model) != face_model_family(self.model.name):
            raise ValueError(f"{clip.clip_id or clip.origin}: clip is on {clip.face_model}; ARKit weights are fitted on "
                             f"{self.model.name} clips only; move a FLAME clip onto it first: tdmm retarget CLIP --to "
                             f"{self.model.name} --from-model FLAME.pkl -o out.npz")
        shape = torch.as_tensor(clip.shape[: self.model.num_shape], dtype=torch.float32)
        params = np.concatenate([clip.expression[:, :50], clip.jaw_pose, clip.eyelids], 1).astype(np.float64)
        rest = self._vertices(np.zeros((1, len(PARAMETERS))), shape)
        target = (self._vertices(params, shape) - rest).reshape(len(params), -1)                             # [T, 3R]
        basis = (self._vertices(self.unknowns.columns, shape) - rest).reshape(len(self.unknowns.columns), -1)  # [U, 3R]
        gram = (basis.double() @ basis.double().T).numpy()                                                    # [U, U]
        rhs = (target @ basis.T).double().numpy()                                                             # [T, U]
        values = bounded_least_squares(gram, rhs, self.unknowns.lower, self.unknowns.upper, np.zeros_like(rhs))
        jaw = [i for i, column in enumerate(self.unknowns.columns) if column[50:53].any()]
        for _ in range(self.passes):
            turned = np.abs(values[:, jaw]).max(1) > 1e-9  # only frames where the jaw turns depart from the linear blend
            if not turned.any():
                break
            actual = (self._vertices(values[turned] @ self.unknowns.columns, shape) - rest).reshape(int(turned.sum()), -1)
            linear = torch.as_tensor(values[turned], dtype=torch.float32) @ basis
            residual = ((actual - linear) @ basis.T).double().numpy()  # skinning's departure from the linear blend
            previous = values[turned]
            values[turned] = bounded_least_squares(gram, rhs[turned] - residual, self.unknowns.lower, self.unknowns.upper, previous)
            if np.abs(values[turned] - previous).max() < 2e-5:  # float32 vertices: changes below ~1e-5 are noise
                break
        weights = self._weights(values)
        eyes = np.zeros((clip.num_frames, 6), np.float32)
        if clip.eye_pose is not None:
            eyes = np.concatenate([axis_angle_to_euler(clip.eye_pose[:, :3]), axis_angle_to_euler(clip.eye_pose[:, 3:])], 1)
        for name, (eye, axis, sign) in EYE_LOOKS.items():
            weights[:, ARKIT_NAMES.index(name)] = np.clip(sign * eyes[:, 3 * eye + axis] / EYE_LOOK_RANGE, 0.0, 1.0)
        return ARKitTake(weights=weights.astype(np.float32), head=axis_angle_to_euler(clip.head_pose), eyes=eyes,
                         fps=clip.fps, start_frame=capture_start_frame(clip), origin=clip.clip_id or clip.origin)

    def _weights(self, values: np.ndarray) -> np.ndarray:
        """Unknowns ``[T, U]`` -> ARKit weights ``[T, 52]``."""
        weights = np.zeros((len(values), len(ARKIT_NAMES)))
        for column, targets in enumerate(self.unknowns.targets):
            for index, factor in targets:
                weights[:, index] += factor * values[:, column]
        return np.clip(weights, 0.0, 1.0)

    # ------------------------------------------------------------------ take -> clip
    def to_clip(self, take: ARKitTake, shape: np.ndarray | None = None, **metadata) -> FaceClip:
        """An open-head-v1 clip playing ``take``: expression, jaw and eyelids from the weights' recipes (held lid
        closure as a drooping lid: :meth:`_parameters`), head pose from the head angles, eye rotation from the eye
        angles (or, where those are all zero, from the eye-look weights)."""
        params = self._parameters(take)
        eyes = take.eyes.astype(np.float64)
        if not eyes.any():
            eyes = np.zeros_like(eyes)
            for name, (eye, axis, sign) in EYE_LOOKS.items():
                eyes[:, 3 * eye + axis] += sign * take.weights[:, ARKIT_NAMES.index(name)] * EYE_LOOK_RANGE
        eye_pose = np.concatenate([euler_to_axis_angle(eyes[:, :3]), euler_to_axis_angle(eyes[:, 3:])], 1)
        if take.start_frame:  # the capture's start timecode, kept in seconds so that a resampled clip keeps it too
            metadata["attributes"] = {**metadata.get("attributes", {}), START_KEY: take.start_frame / timecode_rate(take.fps)}
        return FaceClip(
            expression=params[:, :50].astype(np.float32), jaw_pose=params[:, 50:53].astype(np.float32),
            eyelids=params[:, 53:55].astype(np.float32), head_pose=euler_to_axis_angle(take.head),
            eye_pose=eye_pose, shape=np.zeros(self.model.num_shape, np.float32) if shape is None else shape,
            fps=take.fps, face_model=self.model.name, origin=take.origin, **metadata,
        )

    def _parameters(self, take: ARKitTake) -> np.ndarray:
        """Open-head parameters ``[T, P]`` of a take: each weight's recipe, with each eye's held, droop-deep
        lid closure moved from the eyelid to AU41 (:data:`DROOP`)."""
        params = take.weights.astype(np.float64) @ self.recipes
        for name, (unit, lid) in DROOP.items():
            droop = held_droop(take.weight(name).astype(np.float64), take.fps, self.droop_closure)
            params[:, PARAMETERS.index(lid)] -= droop
            params[:, PARAMETERS.index(unit)] += droop / self.droop_closure
        return params

    # ------------------------------------------------------------------ measurement
    @torch.no_grad()
    def resynthesis_error(self, clip: FaceClip, take: ARKitTake) -> float:
        """Mean face-region vertex distance (m) between ``clip`` and ``take`` imported back (:meth:`to_clip`'s
        parameters) on the clip's identity, head unposed (head angles are carried separately and exactly)."""
        shape = torch.as_tensor(clip.shape[: self.model.num_shape], dtype=torch.float32)
        params = np.concatenate([clip.expression[:, :50], clip.jaw_pose, clip.eyelids], 1)
        original = self._vertices(params, shape)
        played = self._vertices(self._parameters(take), shape)
        return float((original - played).norm(dim=-1).mean())

"""Retarget face-motion clips between FLAME-format face models (a user's FLAME <-> open-head-v1).

A clip's 50 expression coefficients mean different things on different models (FLAME's PCA
components, open-head-v1's FACS shapes), so a clip moves to another model through geometry:

1. **Landmarks from the skinning** (:func:`skinning_landmarks`): every FLAME-format model has the
   same five joints (global, neck, jaw, left eye, right eye) and skinning weights, so five points
   are found on any of them without a landmark file: the two eye centres and the jaw joint (joint
   positions of the neutral head), the nose tip (the most forward skin vertex near the midline,
   between the chin and the eyes; the mean of those within 0.5 mm of the top) and the menton (the lowest jaw-skinned skin vertex near the
   midline in the front half of the face, i.e. in front of the midpoint between the jaw joint and
   the most forward midline vertex). Eyeball vertices (eye weight > 0.5) are never skin.
2. **Correspondence** (:class:`Correspondence`): a similarity transform (Umeyama) takes the
   source's landmarks onto the target's; then a non-rigid closest-point registration moves a copy
   of the target's neutral mesh onto the source's surface in small smoothed steps (Gaussian
   smoothing over the target mesh, its radius shrinking from 20 to 2 mm over 24 steps). Closest points are
   searched with the jaw and eye skinning weights as extra coordinates, so an upper-lip vertex
   (head-skinned) never matches a lower-lip vertex (jaw-skinned) and skin never matches eyeball.
   Each target vertex takes its source displacement from its 4 nearest source vertices
   (inverse-distance weights); target vertices left further than ``max_distance`` from the
   source surface (e.g. the back of a head the source does not model) are not used.
3. **Per-frame least squares** (:meth:`Retargeter.retarget`): the source's expression displacement
   of every frame, mapped to the target's vertices (rotated and scaled by the similarity), is fitted
   by the target's expression basis on the used vertices; FACS bases (open-head-v1) are bounded to
   ``[0, FACS_APEX_MAX]`` (the synthesizer's range), PCA bases (FLAME) are ridge least squares.
   Eyelid closure is copied where both models have eyelid shapes, folded into the source displacement
   where only the source has them, and, where only the target has them, copied from the clip when it
   carries closure values (SMIRK tracks do, whatever the model file) or else fitted with the expression.
   Jaw, neck, eye and head rotations are copied as they are: FLAME-format models share their axes
   (y up, facing +z) and joints, and the similarity's small rotation reflects the two heads' shapes,
   not a change of convention. The identity is fitted like the expression, from the source clip's
   identity displacement.

Everything is computed in memory from the two models the user gives; no array of either model is
written anywhere (FLAME is licensed and never stored).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import scipy.sparse
from scipy.spatial import cKDTree

from .arkit_rig import bounded_least_squares
from .clip import FaceClip
from .face_model import EMBEDDED_MODELS, FaceModel, face_model_family
from .facs import FACS_APEX_MAX, expression_names
from .motion_fields import MOTION_FIELDS

__all__ = ["LANDMARK_NAMES", "Correspondence", "RetargetReport", "Retargeter", "check_source", "move_clip",
           "skinning_landmarks", "within_family"]

#: The points :func:`skinning_landmarks` finds, in order.
LANDMARK_NAMES = ("left_eye", "right_eye", "jaw", "nose_tip", "menton")
JAW, LEFT_EYE, RIGHT_EYE = 2, 3, 4
#: Metres of closest-point distance one unit of jaw / eye skinning weight counts as (step 2).
SKINNING_METRES = 0.03
NEIGHBOURS = 4
EXPRESSION_WIDTH = MOTION_FIELDS["expression"]  # coefficients a clip stores
RIDGE = 1e-6  # relative to the mean diagonal of the normal equations
#: What two heads that can be registered look like (metres; the similarity between their landmarks).
EYE_DISTANCE_M = (0.03, 0.12)
SCALE_RANGE = (0.5, 2.0)
MAX_ROTATION_DEG = 20.0
MAX_LANDMARK_MISS = 0.15  # eye distances


def _rest(model: FaceModel) -> tuple[np.ndarray, np.ndarray]:
    vertices, joints = model.rest()
    return vertices.double().numpy(), joints.double().numpy()


def _is_eyeball(model: FaceModel) -> np.ndarray:
    weights = model.lbs_weights.numpy()
    return weights[:, LEFT_EYE] + weights[:, RIGHT_EYE] > 0.5


def _extreme(points: np.ndarray, score: np.ndarray, tolerance: float = 0.0005) -> np.ndarray:
    """The mean of ``points [N, 3]`` whose ``score [N]`` (m) is within ``tolerance`` of the highest: one point
    even where a flat tip has two mirror-image vertices at the top."""
    return points[score >= score.max() - tolerance].mean(0)


def skinning_landmarks(model: FaceModel) -> np.ndarray:
    """The :data:`LANDMARK_NAMES` points ``[5, 3]`` (m) of ``model``'s neutral head, found from its joints
    and skinning weights (method in the module docstring). Raises ``ValueError`` where a point cannot be found
    (a model that is not a y-up, +z-facing head with eye and jaw joints)."""
    vertices, joints = _rest(model)
    weights = model.lbs_weights.numpy()
    eyes = joints[LEFT_EYE], joints[RIGHT_EYE]
    eye_distance = float(np.linalg.norm(eyes[0] - eyes[1]))
    midline = (eyes[0][0] + eyes[1][0]) / 2
    near_midline = ~_is_eyeball(model) & (np.abs(vertices[:, 0] - midline) < 0.15 * eye_distance)
    front = (joints[JAW][2] + vertices[near_midline, 2].max(initial=joints[JAW][2])) / 2
    jawed = near_midline & (weights[:, JAW] > 0.5) & (vertices[:, 2] > front)
    if not jawed.any() or eye_distance <= 0:
        raise ValueError(f"{model.name}: no jaw-skinned vertices in front of the jaw joint near the midline; "
                         "retargeting needs a FLAME-format head (y up, facing +z, with jaw and eye joints)")
    menton = _extreme(vertices[jawed], -vertices[jawed, 1])
    face = near_midline & (vertices[:, 1] > menton[1]) & (vertices[:, 1] < min(eyes[0][1], eyes[1][1]))
    if not face.any():
        raise ValueError(f"{model.name}: no skin vertices between the chin and the eyes near the midline")
    nose_tip = _extreme(vertices[face], vertices[face, 2])
    return np.stack([eyes[0], eyes[1], joints[JAW], nose_tip, menton])


def _check_alignment(source: FaceModel, target: FaceModel, source_marks: np.ndarray, target_marks: np.ndarray,
                     scale: float, rotation: np.ndarray, translation: np.ndarray) -> None:
    """One-line ``ValueError`` unless both models are heads in metres whose landmarks a similarity aligns: eye
    distance within :data:`EYE_DISTANCE_M`, scale within :data:`SCALE_RANGE`, rotation under
    :data:`MAX_ROTATION_DEG`, each landmark within :data:`MAX_LANDMARK_MISS` eye distances after the transform."""
    for model, marks in ((source, source_marks), (target, target_marks)):
        eyes = float(np.linalg.norm(marks[0] - marks[1]))
        if not EYE_DISTANCE_M[0] <= eyes <= EYE_DISTANCE_M[1]:
            raise ValueError(f"{model.source or model.name}: its eye joints are {1000 * eyes:.1f} (model units / 1000) apart; "
                             f"retargeting expects a head in metres ({1000 * EYE_DISTANCE_M[0]:.0f}-"
                             f"{1000 * EYE_DISTANCE_M[1]:.0f} mm between the eyes)")
    angle = np.degrees(np.arccos(np.clip((np.trace(rotation) - 1) / 2, -1.0, 1.0)))
    miss = np.linalg.norm(scale * source_marks @ rotation.T + translation - target_marks, axis=1).max()
    eyes = float(np.linalg.norm(target_marks[0] - target_marks[1]))
    if not SCALE_RANGE[0] <= scale <= SCALE_RANGE[1] or angle > MAX_ROTATION_DEG or miss > MAX_LANDMARK_MISS * eyes:
        raise ValueError(f"{source.source or source.name} -> {target.source or target.name}: the landmarks found on the two "
                         f"models do not align as two faces would (scale {scale:.2f}, rotation {angle:.0f} deg, worst "
                         f"landmark {1000 * miss:.1f} mm off); both must be FLAME-format heads, y up, facing +z")


def similarity_transform(source: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Scale ``s``, rotation ``R [3, 3]`` and translation ``t [3]`` with ``s R p + t`` closest to the
    target points for source points ``[N, 3]`` (least squares, Umeyama 1991; no reflection)."""
    mean_s, mean_t = source.mean(0), target.mean(0)
    centred_s, centred_t = source - mean_s, target - mean_t
    u, singular, vt = np.linalg.svd(centred_t.T @ centred_s / len(source))
    sign = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt)) or 1.0])
    rotation = u @ sign @ vt
    scale = float(np.trace(np.diag(singular) @ sign) / centred_s.var(0).sum())
    return scale, rotation, mean_t - scale * rotation @ mean_s


def _smoothing(points: np.ndarray, radius: float) -> scipy.sparse.csr_matrix:
    """Row-normalised Gaussian weights ``[V, V]`` between ``points`` within 2 ``radius`` (sigma = radius)."""
    distances = cKDTree(points).sparse_distance_matrix(cKDTree(points), 2 * radius, output_type="coo_matrix")
    weights = scipy.sparse.coo_matrix((np.exp(-(distances.data / radius) ** 2 / 2), (distances.row, distances.col)),
                                      shape=distances.shape).tocsr()
    weights = weights + scipy.sparse.identity(len(points), format="csr")  # the diagonal (distance 0) is implicit
    return scipy.sparse.diags(1.0 / np.asarray(weights.sum(1)).ravel()) @ weights


@dataclass
class Correspondence:
    """Where each target vertex reads the source's motion.

    Attributes:
        scale, rotation, translation: the similarity ``s R p + t`` from source to target coordinates.
        indices, weights: ``[V_t, 4]`` source vertices and their weights (rows sum to 1) per target vertex.
        distance: ``[V_t]`` metres from the registered target vertex to its nearest source vertex.
        used: ``[V_t]`` bool, target vertices the least squares uses (skin, within ``max_distance``).
    """

    scale: float
    rotation: np.ndarray
    translation: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    distance: np.ndarray
    used: np.ndarray

    @classmethod
    def register(cls, source: FaceModel, target: FaceModel, iterations: int = 24, max_distance: float = 0.005
                 ) -> Correspondence:
        """Landmarks, similarity and non-rigid closest-point registration (steps 1-2 of the module docstring)."""
        source_marks, target_marks = skinning_landmarks(source), skinning_landmarks(target)
        scale, rotation, translation = similarity_transform(source_marks, target_marks)
        _check_alignment(source, target, source_marks, target_marks, scale, rotation, translation)
        source_points = scale * _rest(source)[0] @ rotation.T + translation
        target_points = _rest(target)[0]

        def features(points: np.ndarray, model: FaceModel) -> np.ndarray:
            weights = model.lbs_weights.numpy()
            extra = SKINNING_METRES * np.stack([weights[:, JAW], weights[:, LEFT_EYE] + weights[:, RIGHT_EYE]], 1)
            return np.concatenate([points, extra], 1)

        tree = cKDTree(features(source_points, source))
        target_extra = features(target_points, target)[:, 3:]
        moved = target_points.copy()
        for radius in np.geomspace(0.02, 0.002, iterations):
            _, nearest = tree.query(np.concatenate([moved, target_extra], 1))
            moved = moved + _smoothing(target_points, radius) @ (source_points[nearest] - moved)
        distance, indices = tree.query(np.concatenate([moved, target_extra], 1), k=NEIGHBOURS)
        inverse = 1.0 / np.maximum(distance, 1e-6)
        surface = np.linalg.norm(source_points[indices[:, 0]] - moved, axis=1)
        return cls(scale, rotation, translation, indices, inverse / inverse.sum(1, keepdims=True), surface,
                   ~_is_eyeball(target) & (surface < max_distance))

    def map_offsets(self, offsets: np.ndarray) -> np.ndarray:
        """Source displacements ``[K, V_s, 3]`` (m) -> displacements at the used target vertices ``[K, U, 3]``
        (the target's frame: rotated and scaled by the similarity)."""
        indices, weights = self.indices[self.used], self.weights[self.used]
        gathered = np.einsum("kunc,un->kuc", offsets[:, indices], weights)
        return self.scale * gathered @ self.rotation.T


@dataclass
class RetargetReport:
    """How well a retarget fits: ``residual_mm`` is the mean distance (mm) between the mapped source motion and
    the target's re-synthesis over the used vertices and all frames, ``motion_mm`` the mean length of that mapped
    motion (so ``residual_mm / motion_mm`` is the unexplained share); ``used_vertices`` of ``target_vertices``."""

    residual_mm: float
    motion_mm: float
    used_vertices: int
    target_vertices: int

    def line(self) -> str:
        share = self.residual_mm / self.motion_mm if self.motion_mm > 0 else 0.0
        return (f"fit residual {self.residual_mm:.3f} mm mean ({100 * share:.0f}% of the {self.motion_mm:.3f} mm "
                f"mean expression motion) on {self.used_vertices} of {self.target_vertices} target vertices")


def _regularised_gram(basis: np.ndarray, model: FaceModel, what: str) -> np.ndarray:
    """``basis [K, 3U]`` -> its normal equations ``[K, K]`` with a ridge of :data:`RIDGE` x their mean diagonal;
    a one-line ``ValueError`` where the basis moves none of the used vertices."""
    gram = basis @ basis.T
    if basis.size == 0 or np.trace(gram) <= 0:
        raise ValueError(f"{model.source or model.name}: its {what} shapes move none of the vertices the two models share; "
                         "nothing to fit")
    return gram + RIDGE * np.trace(gram) / len(gram) * np.eye(len(gram))


def check_source(clip: FaceClip, source: FaceModel) -> None:
    """One-line ``ValueError`` when ``clip`` cannot be motion of ``source``: it names an embedded model
    (the open head) that ``source`` is not, or ``source`` is an embedded model of another family. A clip that names
    FLAME may come with any FLAME-format file the user gives."""
    embedded = clip.face_model in EMBEDDED_MODELS or source.name in EMBEDDED_MODELS
    if embedded and face_model_family(clip.face_model) != face_model_family(source.name):
        raise ValueError(f"{clip.origin}: the clip is for {clip.face_model[:60]}, but the model given as its source is "
                         f"{source.name}; give the clip's own face model with --from-model")


def within_family(clip: FaceClip, target: FaceModel) -> tuple[FaceClip, str]:
    """``clip`` on another member of ``target``'s family (open-head-v1 <-> open-head-v2), and a line
    saying what changed: the motion means the same on both, so it is copied; the identity is cut to
    or padded with zeros to ``target``'s identity width (v1 drops v2's appended attributes)."""
    if face_model_family(clip.face_model) != face_model_family(target.name):
        raise ValueError(f"{clip.origin}: {clip.face_model[:60]} and {target.name} are not one face-model family")
    shape = np.zeros(target.num_shape, np.float32)
    kept = min(len(clip.shape), target.num_shape)
    shape[:kept] = clip.shape[:kept]
    dropped = int(np.count_nonzero(clip.shape[kept:]))
    moved = copy.deepcopy(clip)
    moved.shape, moved.face_model = shape, target.name
    note = f"one face-model family: motion copied, {kept} identity numbers kept"
    return moved, note + (f", {dropped} non-zero ones {target.name} does not have dropped" if dropped else "")


def move_clip(clip: FaceClip, source: FaceModel, target: FaceModel) -> tuple[FaceClip, str]:
    """``clip`` (motion of ``source``) on ``target``, and one line on how it moved: copied within the
    open-head family (:func:`within_family`), otherwise through the geometry (:class:`Retargeter`)."""
    check_source(clip, source)
    if target.name in EMBEDDED_MODELS and face_model_family(source.name) == face_model_family(target.name):
        return within_family(clip, target)
    moved, report = Retargeter(source, target).retarget(clip)
    return moved, report.line()


class Retargeter:
    """Moves clips from ``source`` to ``target`` (two :class:`FaceModel` s): ``Retargeter(src, tgt).retarget(clip)``."""

    def __init__(self, source: FaceModel, target: FaceModel, correspondence: Correspondence | None = None) -> None:
        self.source, self.target = source, target
        self.correspondence = correspondence or Correspondence.register(source, target)
        self.fit_eyelids = target.has_eyelids and not source.has_eyelids
        width = min(EXPRESSION_WIDTH, target.num_expression)
        basis = [target.offsets("expression")[:width]] + ([target.offsets("eyelids")] if self.fit_eyelids else [])
        used = self.correspondence.used
        self.basis = np.concatenate([b.double().numpy()[:, used] for b in basis]).reshape(-1, 3 * int(used.sum()))
        self.gram = _regularised_gram(self.basis, target, "expression")
        bounded = target.expression_names == expression_names()  # open-head-v1's FACS shapes
        self.lower = np.full(len(self.gram), -np.inf)
        self.upper = np.full(len(self.gram), np.inf)
        if bounded:
            self.lower[:], self.upper[:width] = 0.0, FACS_APEX_MAX
        self.lower[width:], self.upper[width:] = 0.0, 1.0  # fitted eyelid closure
        self.expression_width = width
        self.source_expression = self._source_offsets("expression", min(EXPRESSION_WIDTH, source.num_expression))
        self.source_eyelids = self._source_offsets("eyelids") if source.has_eyelids and not target.has_eyelids else None

    def _source_offsets(self, basis: str, count: int | None = None) -> np.ndarray:
        """The source's ``basis`` displacements mapped to the used target vertices, ``[K, 3U]`` (m)."""
        offsets = self.source.offsets(basis).double().numpy()[:count]
        return self.correspondence.map_offsets(offsets).reshape(len(offsets), -1)


    def mapped_motion(self, clip: FaceClip) -> np.ndarray:
        """The clip's expression (and, where the target cannot copy them, eyelid) displacements mapped to the
        used target vertices, ``[T, 3U]`` (m)."""
        mapped = clip.expression[:, : self.source_expression.shape[0]].astype(np.float64) @ self.source_expression
        if self.source_eyelids is not None:
            mapped = mapped + clip.eyelids.astype(np.float64) @ self.source_eyelids
        return mapped

    def retarget(self, clip: FaceClip) -> tuple[FaceClip, RetargetReport]:
        """``clip`` on the source model -> the same motion on the target model, and how well it fits."""
        check_source(clip, self.source)
        mapped = self.mapped_motion(clip)
        rhs = mapped @ self.basis.T
        start = np.clip(np.linalg.solve(self.gram, rhs.T).T, self.lower, self.upper)
        if np.isfinite(self.lower).any() or np.isfinite(self.upper).any():
            solution = bounded_least_squares(self.gram, rhs, self.lower, self.upper, start)
        else:
            solution = start
        expression = np.zeros((clip.num_frames, EXPRESSION_WIDTH), np.float32)
        expression[:, : self.expression_width] = solution[:, : self.expression_width]
        if self.source.has_eyelids and not self.target.has_eyelids:
            eyelids = np.zeros_like(clip.eyelids)  # already folded into the expression
        elif self.fit_eyelids and not clip.eyelids.any():
            eyelids = solution[:, self.expression_width:]
        else:  # both models have lid shapes, or the clip carries SMIRK closure values the source cannot show: copied
            eyelids = clip.eyelids
        residual = (solution @ self.basis - mapped).reshape(clip.num_frames, -1, 3)
        report = RetargetReport(1000 * float(np.linalg.norm(residual, axis=2).mean()),
                                1000 * float(np.linalg.norm(mapped.reshape(clip.num_frames, -1, 3), axis=2).mean()),
                                int(self.correspondence.used.sum()), self.target.num_vertices)
        moved = FaceClip(expression=expression, jaw_pose=clip.jaw_pose, eyelids=eyelids.astype(np.float32),
                         head_pose=clip.head_pose, shape=self.retarget_shape(clip.shape), fps=clip.fps,
                         neck_pose=clip.neck_pose, eye_pose=clip.eye_pose, clip_id=clip.clip_id,
                         prompt=clip.prompt, captions=list(clip.captions), source=clip.source,
                         face_model=self.target.name, attributes=copy.deepcopy(clip.attributes), origin=clip.origin)
        return moved, report

    def retarget_shape(self, shape: np.ndarray) -> np.ndarray:
        """Identity coefficients ``[S_s]`` on the source -> ``[S_t]`` on the target: the source identity's displacement
        from its mean head, mapped, fitted by the target's identity basis (ridge least squares on the used vertices).
        A neutral identity stays neutral: the two mean heads' own difference is not carried over."""
        count = min(len(shape), self.source.num_shape)
        if count == 0 or self.target.num_shape == 0 or not np.any(shape[:count]):
            return np.zeros(self.target.num_shape, np.float32)
        mapped = shape[:count].astype(np.float64) @ self._source_offsets("identity", count)
        used = self.correspondence.used
        basis = self.target.offsets("identity").double().numpy()[:, used].reshape(self.target.num_shape, -1)
        return np.linalg.solve(_regularised_gram(basis, self.target, "identity"), basis @ mapped).astype(np.float32)

"""Retargeting between face models (issue 14, item 5), checked against a known answer: a FLAME-format
file that is open-head-v1 with its vertices reordered, its head reshaped and its expression basis mixed
(``synthetic_flame.face_like_flame_arrays``), so every retargeted clip has an exact expected result."""
from __future__ import annotations

import numpy as np
import pytest

from modeling_tdmm.cli import main as tdmm
from modeling_tdmm.clip import FaceClip
from modeling_tdmm.face_model import FaceModel
from modeling_tdmm.facs import FACS_APEX_MAX
from modeling_tdmm.retarget import LANDMARK_NAMES, Retargeter, skinning_landmarks
from modeling_tdmm.synthetic_flame import _warp, face_like_flame_arrays, write_chumpy_pickle, write_smirk_eyelids
from open3dfacevid.prompts import sample_specs
from open3dfacevid.synthesizer import synthesize


@pytest.fixture(scope="module")
def fixture_flame(tmp_path_factory):
    arrays, mixing, eyelids = face_like_flame_arrays()
    path = write_chumpy_pickle(arrays, tmp_path_factory.mktemp("flame") / "generic_model.pkl")
    flame = FaceModel.load(path)
    write_smirk_eyelids(eyelids, path.parent)  # later loads pick up SMIRK's eyelid shapes (test_eyelids_...)
    return path, flame, mixing


@pytest.fixture(scope="module")
def head():
    return FaceModel.load("open-head-v1")


@pytest.fixture(scope="module")
def clips():
    return [synthesize(spec) for spec in sample_specs(6, seed=5)]


def on_fixture(clip: FaceClip, mixing: np.ndarray, name: str) -> FaceClip:
    """The exact same motion on the fixture model (no eyelid shapes there: lids open)."""
    shape = np.zeros(300, np.float32)
    shape[: len(clip.shape)] = clip.shape
    return FaceClip(expression=(clip.expression.astype(np.float64) @ mixing).astype(np.float32), jaw_pose=clip.jaw_pose,
                    eyelids=np.zeros_like(clip.eyelids), head_pose=clip.head_pose, shape=shape, fps=clip.fps,
                    face_model=name, clip_id=clip.clip_id, prompt=clip.prompt)


def vertex_error_mm(model: FaceModel, got: FaceClip, want: FaceClip) -> float:
    return 1000 * float(np.linalg.norm(model.clip_vertices(got) - model.clip_vertices(want), axis=2).mean())


def test_landmarks_are_found_from_the_skinning(head, fixture_flame):
    _, flame, _ = fixture_flame
    on_head = skinning_landmarks(head)
    assert on_head.shape == (len(LANDMARK_NAMES), 3)
    nose = on_head[LANDMARK_NAMES.index("nose_tip")]
    assert np.linalg.norm(nose - head.rest()[0].numpy()[head.landmarks["nose_tip"]]) < 0.003
    # the same points on the reshaped, reordered copy: where the warp takes the open-head-v1 points
    assert np.abs(skinning_landmarks(flame) - _warp(on_head)).max() < 0.006


def test_flame_clip_moves_to_open_head_with_its_expression(head, fixture_flame, clips):
    _, flame, mixing = fixture_flame
    retargeter = Retargeter(flame, head)
    assert retargeter.correspondence.used.sum() > 0.9 * head.num_vertices
    for clip in clips:
        want = FaceClip(**{**clip.motion(), "eyelids": np.zeros_like(clip.eyelids)}, shape=np.zeros(12, np.float32), fps=clip.fps)
        moved, report = retargeter.retarget(on_fixture(clip, mixing, flame.name))
        assert moved.face_model == "open-head-v1" and moved.num_frames == clip.num_frames and moved.fps == clip.fps
        assert moved.expression.min() >= 0 and moved.expression.max() <= FACS_APEX_MAX + 1e-6
        assert np.abs(moved.expression - clip.expression).mean() < 0.01
        np.testing.assert_array_equal(moved.jaw_pose, clip.jaw_pose)
        np.testing.assert_array_equal(moved.head_pose, clip.head_pose)
        moved.shape = np.zeros(12, np.float32)
        assert vertex_error_mm(head, moved, want) < 0.1
        assert report.residual_mm < 0.15 * report.motion_mm + 1e-3


def test_open_head_clip_moves_to_flame_format_model(head, fixture_flame, clips):
    _, flame, mixing = fixture_flame
    retargeter = Retargeter(head, flame)
    for clip in clips:
        clip = FaceClip(**{**clip.motion(), "eyelids": np.zeros_like(clip.eyelids)}, shape=clip.shape[: head.num_shape], fps=clip.fps)
        moved, _ = retargeter.retarget(clip)
        want = on_fixture(clip, mixing, flame.name)
        assert moved.face_model == flame.name and moved.shape.shape == (300,)
        assert np.abs(moved.shape - want.shape).max() < 0.25
        moved.shape = want.shape  # the expression alone from here
        # a PCA-like basis is judged by its geometry (its coefficients trade off where shapes are alike); blinks
        # are left out here (this fixture has no eyelid shapes: see the eyelid test)
        still = FaceClip(**{**moved.motion(), "expression": np.zeros_like(moved.expression)}, shape=want.shape, fps=moved.fps,
                         face_model=flame.name)
        error, motion = vertex_error_mm(flame, moved, want), vertex_error_mm(flame, still, want)
        assert error < 0.1 and error < 0.2 * motion


def test_eyelids_are_copied_where_both_models_have_them(head, fixture_flame, clips):
    path, _, _ = fixture_flame
    with_lids = FaceModel.load(path)
    assert with_lids.has_eyelids
    there, back = Retargeter(head, with_lids), Retargeter(with_lids, head)
    for clip in clips:
        trip, _ = back.retarget(there.retarget(clip)[0])
        np.testing.assert_array_equal(trip.eyelids, clip.eyelids)
        assert np.abs(trip.expression - clip.expression).mean() < 0.01


def test_a_tracks_eyelid_values_survive_a_source_without_eyelid_shapes(head, fixture_flame, clips):
    """A SMIRK track stores lid closure even when the FLAME file beside it has no eyelid shapes: kept, not lost."""
    _, flame, mixing = fixture_flame
    track = on_fixture(clips[0], mixing, flame.name)
    track.eyelids = clips[0].eyelids
    assert track.eyelids.max() > 0.5
    np.testing.assert_array_equal(Retargeter(flame, head).retarget(track)[0].eyelids, clips[0].eyelids)


def test_a_clip_of_another_model_is_refused(head, fixture_flame, clips):
    _, flame, _ = fixture_flame
    with pytest.raises(ValueError, match="--from-model"):
        Retargeter(flame, head).retarget(clips[0])


@pytest.mark.parametrize("change, message", [
    (lambda a: {**a, "v_template": a["v_template"] * 1000, "shapedirs": a["shapedirs"] * 1000}, "metres"),
    (lambda a: {**a, "v_template": a["v_template"] * np.array([1.0, 1.6, 1.0])}, "do not align"),
    (lambda a: {**a, "shapedirs": np.concatenate([a["shapedirs"][:, :, :300], 0 * a["shapedirs"][:, :, 300:]], 2)},
     "expression shapes move none"),
])
def test_models_that_cannot_be_registered_are_refused_in_one_line(head, change, message):
    arrays, _, _ = face_like_flame_arrays()
    with pytest.raises(ValueError, match=message):
        Retargeter(head, FaceModel(change(arrays), 300, "odd", source="odd.pkl"))


def test_cli_retarget_both_ways(tmp_path, fixture_flame, clips, capsys):
    path, flame, mixing = fixture_flame
    source = tmp_path / "smirk_track.npz"
    on_fixture(clips[1], mixing, flame.name).save(source)
    assert tdmm(["retarget", str(source), "--to", "open-head-v1", "-o", str(tmp_path / "x.npz")]) == 2
    assert "--from-model" in capsys.readouterr().err
    out = tmp_path / "on_open_head.npz"
    assert tdmm(["retarget", str(source), "--from-model", str(path), "--to", "open-head-v1", "-o", str(out)]) == 0
    assert "fit residual" in capsys.readouterr().out
    moved = FaceClip.load(out)
    assert moved.face_model == "open-head-v1" and np.abs(moved.expression - clips[1].expression).mean() < 0.01
    back = tmp_path / "on_flame.npz"
    assert tdmm(["retarget", str(out), "--to", str(path), "-o", str(back)]) == 0
    assert FaceClip.load(back).face_model == flame.name
    assert tdmm(["export", str(out), "-o", str(tmp_path / "take.csv")]) == 0  # now ARKit-ready

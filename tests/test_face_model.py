import importlib.util
import os
import pickle
import sys

import numpy as np
import pytest
import torch

from modeling_tdmm import FaceModel
from modeling_tdmm.face_model import FaceModelFormatError
from modeling_tdmm.safe_pickle import UnsafePickleError, load_pickle


def _random_inputs(batch, seed=0):
    g = torch.Generator().manual_seed(seed)
    return {
        "betas": torch.randn(batch, 300, generator=g),
        "expression": torch.randn(batch, 100, generator=g) * 1.5,
        "global_orient": torch.randn(batch, 3, generator=g) * 0.4,
        "neck_pose": torch.randn(batch, 3, generator=g) * 0.3,
        "jaw_pose": torch.randn(batch, 3, generator=g) * 0.3,
        "leye_pose": torch.randn(batch, 3, generator=g) * 0.2,
        "reye_pose": torch.randn(batch, 3, generator=g) * 0.2,
    }


def test_matches_smplx_flame_layer(flame_files):
    smplx = pytest.importorskip("smplx")
    reference = smplx.FLAME(
        model_path=str(flame_files["smplx_dir"]), num_betas=300, num_expression_coeffs=100,
        use_face_contour=False, batch_size=8,
    )
    ours = FaceModel.load(flame_files["chumpy_pkl"])
    inputs = _random_inputs(8)
    with torch.no_grad():
        expected = reference(**inputs, return_verts=True).vertices
        got = ours(
            shape=inputs["betas"], expression=inputs["expression"], head_pose=inputs["global_orient"],
            neck_pose=inputs["neck_pose"], jaw_pose=inputs["jaw_pose"],
            eye_pose=torch.cat([inputs["leye_pose"], inputs["reye_pose"]], 1),
        )
    assert got.shape == (8, 5023, 3)
    assert (got - expected).abs().max().item() < 1e-5
    # Pose correctives are part of the match: without them the result differs.
    assert ours.pose_dirs.abs().max() > 0


def test_shared_identity_fast_path_equals_batched(flame_files):
    model = FaceModel.load(flame_files["npz"])
    g = torch.Generator().manual_seed(3)
    shape = torch.randn(300, generator=g)
    expr = torch.randn(16, 50, generator=g)
    jaw = torch.randn(16, 3, generator=g) * 0.2
    shared = model(shape=shape, expression=expr, jaw_pose=jaw)
    batched = model(shape=shape.expand(16, -1), expression=expr, jaw_pose=jaw)
    assert torch.allclose(shared, batched, atol=1e-6)


def test_chumpy_pickle_loads_without_chumpy(flame_files):
    assert importlib.util.find_spec("chumpy") is None, "chumpy must not be installed for this test"
    arrays = load_pickle(flame_files["chumpy_pkl"])
    assert "chumpy" not in sys.modules
    assert isinstance(arrays["shapedirs"], np.ndarray) and arrays["shapedirs"].shape == (5023, 3, 400)
    assert arrays["posedirs"].shape == (5023, 3, 36)  # chumpy Select rebuilt
    assert arrays["J_regressor"].shape == (5, 5023)
    model = FaceModel.load(flame_files["chumpy_pkl"])
    assert (model.num_vertices, model.num_shape, model.num_expression) == (5023, 300, 100)
    assert model.faces.shape == (9976, 3)
    assert model.name == "flame2020"
    npz_model = FaceModel.load(flame_files["npz"])
    with torch.no_grad():
        expr = torch.randn(2, 100)
        assert torch.allclose(model(expression=expr), npz_model(expression=expr), atol=1e-7)


class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_is_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "generic_model.pkl"
    path.write_bytes(pickle.dumps({"v_template": _RunsCode(marker)}, protocol=2))
    with pytest.raises(UnsafePickleError, match=r"refusing to unpickle global '(posix|os|nt)\.system'"):
        FaceModel.load(path)
    assert not marker.exists()
    eval_payload = b"cbuiltins\neval\n(V__import__('os').system('touch " + str(marker).encode() + b"')\ntR."
    path.write_bytes(eval_payload)
    with pytest.raises(UnsafePickleError, match="builtins.eval"):
        load_pickle(path)
    assert not marker.exists()


def test_bad_model_file_names_key_and_shape(tmp_path, flame_files):
    with np.load(flame_files["npz"]) as data:
        arrays = dict(data)
    arrays["weights"] = arrays["weights"][:, :4]
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    with pytest.raises(FaceModelFormatError, match=r"bad.npz: key 'weights' should have shape \[5023, 5\], got \[5023, 4\]"):
        FaceModel.load(bad)
    del arrays["posedirs"]
    np.savez(bad, **arrays)
    with pytest.raises(FaceModelFormatError, match=r"missing key\(s\) \['posedirs'\]"):
        FaceModel.load(bad)
    with pytest.raises(FileNotFoundError, match="neither an embedded model"):
        FaceModel.load("no-such-model")


def test_wrong_input_width_is_an_error(open_head):
    with pytest.raises(ValueError, match=r"'expression' should be \[B, <= 50\]"):
        open_head(expression=torch.zeros(2, 60))
    with pytest.raises(ValueError, match=r"'jaw_pose' should be \[B, 3\]"):
        open_head(jaw_pose=torch.zeros(2, 6))


def test_open_head_layout_and_names(open_head):
    assert open_head.name == "open-head-v1"
    assert 2000 < open_head.num_vertices < 10000
    assert open_head.num_expression == 50 and len(open_head.expression_names) == 50
    assert len(set(open_head.expression_names)) == 50
    assert all(n.startswith("AU") for n in open_head.expression_names)
    assert {"AU12_L", "AU12_R", "AU45_L"} & set(open_head.expression_names) == {"AU12_L", "AU12_R"}
    assert open_head.num_shape >= 10
    assert open_head.has_eyelids
    for name in ("nose_tip", "chin", "upper_lip", "lower_lip", "left_eye_inner", "right_mouth_corner"):
        assert name in open_head.landmarks
    v = open_head().numpy()[0]
    lm = open_head.landmarks
    # Metres, y up, facing +z: nose in front, brow above mouth, left eye on +x.
    assert v[lm["nose_tip"], 2] > v[lm["chin"], 2] and v[lm["nose_tip"], 2] > 0.08
    assert v[lm["glabella"], 1] > v[lm["nose_tip"], 1] > v[lm["upper_lip"], 1] > v[lm["chin"], 1]
    assert v[lm["left_eye_outer"], 0] > 0 > v[lm["right_eye_outer"], 0]
    assert 0.2 < np.ptp(v[:, 1]) < 0.35 and 0.12 < np.ptp(v[:, 0]) < 0.2


def _lid_gap(model, v, side):
    lm = model.landmarks
    return v[lm[f"{side}_upper_lid"], 1] - v[lm[f"{side}_lower_lid"], 1]


def test_open_head_eyelids_jaw_and_one_sided_smile(open_head):
    rest = open_head().numpy()[0]
    lm = open_head.landmarks
    assert _lid_gap(open_head, rest, "left") > 0.006
    closed_left = open_head(eyelids=torch.tensor([[1.0, 0.0]])).numpy()[0]
    assert _lid_gap(open_head, closed_left, "left") < 0.0015
    assert abs(_lid_gap(open_head, closed_left, "right") - _lid_gap(open_head, rest, "right")) < 1e-6
    opened = open_head(jaw_pose=torch.tensor([[0.3, 0.0, 0.0]])).numpy()[0]
    gap_rest = rest[lm["upper_lip"], 1] - rest[lm["lower_lip"], 1]
    gap_open = opened[lm["upper_lip"], 1] - opened[lm["lower_lip"], 1]
    assert gap_rest < 0.001 and gap_open > 0.02
    assert np.abs(opened[lm["forehead"]] - rest[lm["forehead"]]).max() < 1e-6  # the skull stays
    expr = torch.zeros(1, 50)
    expr[0, open_head.expression_names.index("AU12_L")] = 1.0
    smirk = open_head(expression=expr).numpy()[0]
    left_lift = smirk[lm["left_mouth_corner"], 1] - rest[lm["left_mouth_corner"], 1]
    right_lift = smirk[lm["right_mouth_corner"], 1] - rest[lm["right_mouth_corner"], 1]
    assert left_lift > 0.004 and abs(right_lift) < 0.0005


def test_every_expression_shape_moves_the_face(open_head):
    rest = open_head().numpy()[0]
    moved = open_head(expression=torch.eye(50)).numpy()
    largest = np.abs(moved - rest).max(axis=(1, 2))
    assert (largest > 0.0015).all(), dict(zip(open_head.expression_names, largest.round(4)))


def test_identity_components_change_the_head(open_head):
    rest = open_head().numpy()[0]
    shaped = open_head(shape=torch.eye(open_head.num_shape) * 2).numpy()
    change = np.abs(shaped - rest).max(axis=(1, 2))
    assert (change > 0.002).all()


def test_gradients_flow_to_all_inputs(open_head):
    inputs = {k: torch.zeros(2, w, requires_grad=True) for k, w in
              (("expression", 50), ("jaw_pose", 3), ("head_pose", 3), ("eyelids", 2), ("shape", open_head.num_shape))}
    with torch.no_grad():
        inputs["jaw_pose"] += 0.1
    open_head(**inputs).sum().backward()
    for name, tensor in inputs.items():
        assert tensor.grad is not None and torch.isfinite(tensor.grad).all() and tensor.grad.abs().sum() > 0, name


@pytest.mark.parametrize("version", ["open-head-v1", "open-head-v2"])
def test_committed_asset_is_what_the_builder_makes(version):
    from modeling_tdmm.face_model import EMBEDDED_MODELS
    from modeling_tdmm.open_head.build import build_arrays

    built = build_arrays(version)
    with np.load(EMBEDDED_MODELS[version]) as data:
        assert sorted(data.files) == sorted(built)
        for key in ("v_template", "f", "shapedirs", "weights", "J_regressor", "eyelid_dirs", "vertex_colors", "albedo_dirs"):
            if key in built:
                np.testing.assert_allclose(built[key], data[key], atol=1e-6, err_msg=key)
        assert list(data["expression_names"]) == list(built["expression_names"])
        assert list(data["identity_names"]) == list(built["identity_names"]) and str(data["name"]) == version


def test_unconvertible_unused_chumpy_entry_is_skipped(tmp_path, flame_files):
    from modeling_tdmm.synthetic_flame import _FakeChumpy

    arrays = load_pickle(flame_files["chumpy_pkl"])
    with _FakeChumpy() as (Ch, Select):
        odd = Ch(np.zeros(3))
        odd.__class__.__getstate__ = lambda self: {"mystery": 1}  # not an array-like state
        path = tmp_path / "odd.pkl"
        path.write_bytes(pickle.dumps({**arrays, "J_prior": odd}, protocol=2))
    with pytest.warns(UserWarning, match="skipping key 'J_prior'"):
        model = FaceModel.load(path)
    assert model.num_vertices == 5023
    with pytest.raises(UnsafePickleError, match=r"cannot turn a pickled chumpy object \(state \['mystery'\]\)"):
        load_pickle(path)

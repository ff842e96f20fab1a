import os
import pickle

import numpy as np
import pytest

from modeling_tdmm.cli import main as tdmm
from modeling_tdmm.clip import FaceClip
from modeling_tdmm.readers import TrackerFormatError, read_tracker_file
from modeling_tdmm.safe_pickle import UnsafePickleError

T = 40


def _smirk_dict(rng, frames=T):
    """The TDMM-LM pipeline's SMIRK output: per-frame lists of float32 arrays."""
    per_frame = {"expression": 50, "pose": 3, "eyelid": 2, "jaw": 3, "identity": 300, "camera_pose": 3}
    return {k: [rng.normal(size=w).astype(np.float32) for _ in range(frames)] for k, w in per_frame.items()}


def test_smirk_pickle(tmp_path):
    rng = np.random.default_rng(0)
    data = _smirk_dict(rng)
    path = tmp_path / "coeff" / "happy" / "clip_001.pkl"
    path.parent.mkdir(parents=True)
    path.write_bytes(pickle.dumps(data, protocol=2))
    clip = read_tracker_file(path)
    assert clip.num_frames == T and clip.fps == 25.0
    assert (clip.source, clip.face_model, clip.clip_id) == ("smirk", "flame2020", "clip_001")
    np.testing.assert_array_equal(clip.expression, np.stack(data["expression"]))
    np.testing.assert_array_equal(clip.head_pose, np.stack(data["pose"]))
    np.testing.assert_array_equal(clip.jaw_pose, np.stack(data["jaw"]))
    np.testing.assert_array_equal(clip.eyelids, np.stack(data["eyelid"]))
    np.testing.assert_allclose(clip.shape, np.stack(data["identity"]).mean(0), rtol=1e-6)


def test_deca_family_npz(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "spectre_out.npz"
    exp, pose = rng.normal(size=(T, 50)), rng.normal(size=(T, 6))
    np.savez(path, exp=exp, pose=pose, shape=rng.normal(size=(T, 100)), tex=rng.normal(size=(T, 50)),
             light=rng.normal(size=(T, 9, 3)), cam=rng.normal(size=(T, 3)))
    clip = read_tracker_file(path, fps=30, source="spectre")
    assert clip.num_frames == T and clip.fps == 30.0 and clip.source == "spectre"
    np.testing.assert_allclose(clip.expression, exp, rtol=1e-6)
    np.testing.assert_allclose(clip.head_pose, pose[:, :3], rtol=1e-6)
    np.testing.assert_allclose(clip.jaw_pose, pose[:, 3:], rtol=1e-6)
    assert clip.shape.shape == (100,) and not clip.eyelids.any()


def test_emote_style_wider_expression_is_truncated_and_recorded(tmp_path):
    path = tmp_path / "emoca.npz"
    np.savez(path, exp=np.ones((1, T, 100)), pose=np.zeros((1, T, 6)))
    clip = read_tracker_file(path)
    assert clip.expression.shape == (T, 50)
    assert clip.attributes["dropped_expression_columns"] == 50


def test_own_clip_npz(tmp_path, clip):
    path = tmp_path / "clip.npz"
    clip.save(path)
    again = read_tracker_file(path)
    np.testing.assert_array_equal(again.expression, clip.expression)
    assert read_tracker_file(path, fps=50).num_frames == 2 * clip.num_frames - 1


def test_malformed_files_name_file_key_and_shape(tmp_path):
    rng = np.random.default_rng(2)
    data = _smirk_dict(rng)
    data["jaw"] = [np.zeros(6, np.float32)] * T
    bad = tmp_path / "bad_smirk.pkl"
    bad.write_bytes(pickle.dumps(data))
    with pytest.raises(TrackerFormatError, match=r"bad_smirk.pkl: key 'jaw' should have shape \[T, 3\], got \[40, 6\]"):
        read_tracker_file(bad)
    data = _smirk_dict(rng)
    data["eyelid"] = data["eyelid"][:-3]
    bad.write_bytes(pickle.dumps(data))
    with pytest.raises(TrackerFormatError, match=r"disagree on the number of frames"):
        read_tracker_file(bad)
    npz = tmp_path / "bad_deca.npz"
    np.savez(npz, exp=np.zeros((T, 50)), pose=np.zeros((T, 3)))
    with pytest.raises(TrackerFormatError, match=r"bad_deca.npz: key 'pose' should have shape \[T, 6\], got \[40, 3\]"):
        read_tracker_file(npz)
    other = tmp_path / "other.npz"
    np.savez(other, verts=np.zeros((3, 3)))
    with pytest.raises(TrackerFormatError, match=r"other.npz: unknown tracker format \(keys \['verts'\]\)"):
        read_tracker_file(other)
    nan = _smirk_dict(rng)
    nan["expression"][5][3] = np.nan
    bad.write_bytes(pickle.dumps(nan))
    with pytest.raises(ValueError, match="NaN"):
        read_tracker_file(bad)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo owned > /dev/null",))


def test_malicious_tracker_pickle_refused(tmp_path):
    path = tmp_path / "evil.pkl"
    data = _smirk_dict(np.random.default_rng(3))
    data["expression"] = _Evil()
    path.write_bytes(pickle.dumps(data))
    with pytest.raises(UnsafePickleError, match="evil.pkl: refusing to unpickle global"):
        read_tracker_file(path)


def test_cli_convert_and_errors(tmp_path, capsys):
    src = tmp_path / "in.pkl"
    src.write_bytes(pickle.dumps(_smirk_dict(np.random.default_rng(4))))
    out = tmp_path / "out" / "clip.npz"
    assert tdmm(["convert", str(src), "-o", str(out), "--prompt", "a person nods"]) == 0
    clip = FaceClip.load(out)
    assert clip.prompt == "a person nods" and clip.num_frames == T
    assert tdmm(["convert", str(tmp_path / "missing.pkl"), "-o", str(out)]) == 2
    assert "missing.pkl: no such file" in capsys.readouterr().err

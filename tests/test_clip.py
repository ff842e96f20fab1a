import numpy as np
import pytest
from conftest import make_clip

from modeling_tdmm.clip import ClipValidationError, FaceClip


def _fields(clip, **overrides):
    data = clip.to_dict()
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"expression": np.zeros((30, 40))}, "field 'expression' should have shape [T, 50], got [30, 40]"),
        ({"jaw_pose": np.zeros(30)}, "field 'jaw_pose' should have shape [T, 3], got [30]"),
        ({"eyelids": np.zeros((29, 2))}, "same number of frames T, got expression=30, jaw_pose=30, eyelids=29"),
        ({"shape": np.zeros((2, 5))}, "field 'shape' should be a finite vector"),
        ({"fps": 0}, "field 'fps' should be a positive number, got 0"),
        ({"fps": -25}, "field 'fps' should be a positive number"),
        ({"captions": "just one string"}, "field 'captions' should be a list of strings"),
    ],
)
def test_contract_errors_name_field_and_shape(clip, overrides, message):
    with pytest.raises(ClipValidationError) as err:
        FaceClip.from_dict(_fields(clip, **overrides), origin="some/clip.npz")
    assert message in str(err.value)
    assert "some/clip.npz" in str(err.value)


def test_nan_is_located(clip):
    bad = clip.head_pose.copy()
    bad[7, 1] = np.nan
    with pytest.raises(ClipValidationError, match=r"'head_pose' has NaN/inf values \(first at frame 7, column 1\)"):
        FaceClip.from_dict(_fields(clip, head_pose=bad))


def test_zero_frames_and_missing_field(clip):
    empty = {k: np.zeros((0, v.shape[1])) for k, v in clip.motion().items()}
    with pytest.raises(ClipValidationError, match="T = 0"):
        FaceClip.from_dict(_fields(clip, **empty))
    data = _fields(clip)
    del data["eyelids"]
    with pytest.raises(ClipValidationError, match=r"missing field\(s\) \['eyelids'\]"):
        FaceClip.from_dict(data)


def test_npz_round_trip_keeps_arrays_and_metadata(tmp_path, clip):
    clip.attributes = {"emotions": ["joy"], "events": [{"type": "blink", "start": 3, "end": 7}]}
    clip.eye_pose = np.zeros((clip.num_frames, 6), np.float32)
    path = tmp_path / "clip.npz"
    clip.save(path)
    loaded = FaceClip.load(path)
    for name, values in clip.motion().items():
        np.testing.assert_array_equal(getattr(loaded, name), values)
    assert loaded.metadata() == clip.metadata()
    assert loaded.fps == clip.fps and loaded.num_frames == clip.num_frames
    with np.load(path, allow_pickle=False) as data:  # readable with pickle disabled
        assert "meta_json" in data.files


def test_save_is_atomic(tmp_path, clip, monkeypatch):
    path = tmp_path / "clip.npz"
    clip.save(path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", boom)
    with pytest.raises(OSError):
        clip.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["clip.npz"]


def test_dict_round_trip(clip):
    again = FaceClip.from_dict(clip.to_dict())
    np.testing.assert_array_equal(again.expression, clip.expression)
    assert again.captions == clip.captions


def test_resample_changes_rate_and_keeps_motion():
    clip = make_clip(num_frames=51, fps=25.0)
    clip.attributes = {"events": [{"type": "blink", "start": 10, "end": 14}]}
    up = clip.resample(50.0)
    assert up.fps == 50.0 and up.num_frames == 101
    # Every original frame time exists in the 50 fps clip: values match there.
    np.testing.assert_allclose(up.expression[::2], clip.expression, atol=1e-5)
    np.testing.assert_allclose(up.head_pose[::2], clip.head_pose, atol=1e-5)
    # Midpoints interpolate linearly.
    np.testing.assert_allclose(up.eyelids[1], (clip.eyelids[0] + clip.eyelids[1]) / 2, atol=1e-5)
    assert up.attributes["events"][0] == {"type": "blink", "start": 20, "end": 28}
    down = clip.resample(12.5)
    assert down.num_frames == 26
    np.testing.assert_allclose(down.expression, clip.expression[::2], atol=1e-5)


def test_resample_rotations_use_slerp():
    angles = np.linspace(0, 1.2, 3)
    clip = FaceClip.neutral(3)
    clip.head_pose = np.stack([np.zeros(3), angles, np.zeros(3)], 1).astype(np.float32)
    up = clip.resample(50.0)
    np.testing.assert_allclose(up.head_pose[:, 1], np.linspace(0, 1.2, 5), atol=1e-5)

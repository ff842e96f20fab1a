"""ARKit-52 on open-head-v1: the shapes mean what Apple's names say, a clip is fitted with weights in [0, 1]
that re-synthesise it, ARKit captures become clips and back, and the exports read as players expect."""
import warnings

import numpy as np
import pytest
import torch

from modeling_tdmm.arkit_io import read_arkit_file, write_live_link_csv
from modeling_tdmm.arkit_names import ARKIT_NAMES
from modeling_tdmm.arkit_rig import (
    EYE_LOOK_RANGE,
    EYE_LOOKS,
    RECIPES,
    START_KEY,
    UNUSED,
    ARKitRig,
    axis_angle_to_euler,
    bounded_least_squares,
    euler_to_axis_angle,
    held_droop,
)
from modeling_tdmm.arkit_take import ARKitTake
from modeling_tdmm.cli import main as tdmm
from modeling_tdmm.clip import FaceClip
from modeling_tdmm.facs import expression_names
from modeling_tdmm.readers import read_tracker_file
from open3dfacevid.prompts import sample_specs
from open3dfacevid.synthesizer import synthesize
from open3dfacevid.tracks import scan_tracks


@pytest.fixture(scope="module")
def rig():
    return ARKitRig.default()


@pytest.fixture(scope="module")
def clips():
    return [synthesize(spec) for spec in sample_specs(6, seed=5)]


def _take(weights: dict[str, float], frames: int = 4) -> ARKitTake:
    w = np.zeros((frames, 52), np.float32)
    for name, value in weights.items():
        w[:, ARKIT_NAMES.index(name)] = value
    return ARKitTake(weights=w, head=np.zeros((frames, 3)), eyes=np.zeros((frames, 6)), fps=30.0)


def test_every_arkit_name_has_one_definition():
    defined = [*RECIPES, *EYE_LOOKS, *UNUSED]
    assert sorted(defined) == sorted(ARKIT_NAMES) and len(defined) == 52


def test_the_fit_has_one_answer(rig):
    """The fit's unknowns are linearly independent on the mesh, so the weights of a face are unique."""
    rest = rig._vertices(np.zeros((1, rig.recipes.shape[1])), torch.zeros(0))
    basis = (rig._vertices(rig.unknowns.columns, torch.zeros(0)) - rest).reshape(len(rig.unknowns.columns), -1).double()
    assert torch.linalg.matrix_rank(basis).item() == len(rig.unknowns.columns)


@pytest.mark.parametrize("name, landmark, axis, sign", [
    ("mouthSmileLeft", "left_mouth_corner", 1, 1), ("mouthSmileRight", "right_mouth_corner", 1, 1),
    ("jawOpen", "chin", 1, -1), ("browInnerUp", "left_brow_inner", 1, 1), ("browDownLeft", "left_brow_inner", 1, -1),
    ("eyeBlinkLeft", "left_upper_lid", 1, -1), ("jawLeft", "chin", 0, 1), ("jawRight", "chin", 0, -1),
])
def test_shapes_move_the_part_their_name_says_on_the_subjects_side(rig, name, landmark, axis, sign):
    """Left/Right are the subject's own: +x is the subject's left on open-head-v1."""
    landmarks = rig.model.landmarks
    offsets = rig.shape_offsets()[ARKIT_NAMES.index(name)]
    moved = offsets[landmarks[landmark], axis]
    assert sign * moved > 5e-4, (name, offsets[landmarks[landmark]])
    if name.endswith("Left") and name != "jawLeft":  # the other side stays (nearly) still
        assert abs(offsets[landmarks[landmark.replace("left", "right")]]).max() < 0.2 * abs(moved)


def test_euler_angles_round_trip_and_follow_the_stated_convention():
    rng = np.random.default_rng(0)
    angles = rng.uniform(-0.6, 0.6, (50, 3)).astype(np.float32)
    np.testing.assert_allclose(axis_angle_to_euler(euler_to_axis_angle(angles)), angles, atol=1e-5)
    yaw_left = axis_angle_to_euler(np.array([[0.0, 0.3, 0.0]], np.float32))[0]  # about +y: the face turns to the subject's left
    np.testing.assert_allclose(yaw_left, [0.3, 0.0, 0.0], atol=1e-6)


def test_fit_gives_weights_in_range_that_resynthesise_the_clip(rig, clips):
    errors = []
    for clip in clips:
        take = rig.fit(clip)
        assert take.weights.shape == (clip.num_frames, 52) and take.fps == clip.fps
        assert take.weights.min() >= 0.0 and take.weights.max() <= 1.0
        assert not take.weights[:, ARKIT_NAMES.index("tongueOut")].any()
        np.testing.assert_allclose(euler_to_axis_angle(take.head), clip.head_pose, atol=1e-5)
        errors.append(rig.resynthesis_error(clip, take))
    assert np.mean(errors) < 0.5e-3 and max(errors) < 1e-3  # metres: the aim is <= 0.5 mm on open-head clips


def test_known_weights_are_recovered_from_the_clip_they_make(rig):
    """Signed pairs are never both on, tied pairs share one value: such weights come back exactly."""
    rng = np.random.default_rng(1)
    frames = 6
    weights = np.zeros((frames, 52), np.float32)
    chosen = ["mouthSmileLeft", "browInnerUp", "eyeBlinkRight", "jawOpen", "jawLeft", "cheekSquintLeft", "mouthFunnel",
              "noseSneerRight"]
    for name in chosen:
        weights[:, ARKIT_NAMES.index(name)] = rng.uniform(0.1, 0.9, frames)
    for pair in (("mouthRollLower", "mouthRollUpper"),):
        value = rng.uniform(0.1, 0.5, frames)
        for name in pair:
            weights[:, ARKIT_NAMES.index(name)] = value
    take = ARKitTake(weights=weights, head=rng.uniform(-0.2, 0.2, (frames, 3)), eyes=np.zeros((frames, 6)), fps=30.0)
    back = rig.fit(rig.to_clip(take))
    np.testing.assert_allclose(back.weights, weights, atol=1e-3)
    np.testing.assert_allclose(back.head, take.head, atol=1e-5)


def _lid_clip(droop: tuple[float, float], lids: np.ndarray, fps: float = 25.0) -> FaceClip:
    """A clip whose upper lids droop by AU41 = ``droop`` (left, right) throughout, with eyelid closure ``lids [T]``
    on top of both."""
    frames = len(lids)
    expression = np.zeros((frames, 50), np.float32)
    for side, value in zip("LR", droop):
        expression[:, expression_names().index(f"AU41_{side}")] = value
    return FaceClip(expression=expression, jaw_pose=np.zeros((frames, 3), np.float32),
                    eyelids=np.repeat(lids[:, None], 2, 1).astype(np.float32), head_pose=np.zeros((frames, 3), np.float32),
                    shape=np.zeros(0, np.float32), fps=fps, face_model="open-head-v2")


def _blinks(frames: int, starts: list[int], length: int = 4) -> np.ndarray:
    lids = np.zeros(frames)
    for start in starts:
        lids[start: start + length] = np.sin(np.linspace(0.3, np.pi - 0.3, length))
    return lids


def test_a_drooping_lid_leaves_as_eye_blink_and_comes_back_as_droop(rig):
    """ARKit has no lid-droop shape (AU41): a tired face exports as held partial eyeBlink, and the import gives
    the held part back to AU41 and the blinks on top to the eyelids, each eye its own, so the face reads tired again."""
    droop = (0.6, 0.3)
    au41 = [expression_names().index(f"AU41_{side}") for side in "LR"]
    lids = _blinks(100, [20, 60])
    clip = _lid_clip(droop, lids)
    take = rig.fit(clip)
    for name, value in zip(("eyeBlinkLeft", "eyeBlinkRight"), droop):  # the droop shows as partial closure
        assert take.weight(name)[:15] == pytest.approx(value * rig.droop_closure, abs=0.01)
    back = rig.to_clip(take)
    quiet = lids == 0
    np.testing.assert_allclose(back.expression[quiet][:, au41], np.broadcast_to(droop, (quiet.sum(), 2)), atol=0.01)
    np.testing.assert_allclose(back.eyelids[quiet], 0.0, atol=0.01)
    # in a blink the eye closes as far as before: the lid closes the rest of the way the droop leaves open
    closure = back.eyelids + rig.droop_closure * back.expression[:, au41]
    np.testing.assert_allclose(closure[~quiet], np.minimum(1.0, lids[~quiet, None] + rig.droop_closure * np.array(droop)),
                               atol=0.01)
    assert rig.resynthesis_error(clip, take) < 0.05e-3
    np.testing.assert_allclose(rig.fit(back).weights, take.weights, atol=1e-3)  # export -> import -> export


def test_blinks_and_shut_eyes_stay_eyelid_closure_on_import(rig):
    """Closures briefer than a blink, and eyes held shut, are eyelid closure (AU45 / AU43), not droop."""
    lids = _blinks(150, [0, 30, 50])  # the first blink starts the take
    lids[80:140] = 1.0
    take = rig.fit(_lid_clip((0.0, 0.0), lids))
    back = rig.to_clip(take)
    au41 = expression_names().index("AU41_L")
    assert np.abs(back.expression[:75, au41]).max() < 1e-3
    np.testing.assert_allclose(back.eyelids[:75, 0], lids[:75], atol=0.01)
    np.testing.assert_allclose(back.eyelids[85:135, 0], 1.0, atol=0.01)
    assert np.abs(back.expression[85:135, au41]).max() < 1e-3


def test_held_droop_removes_brief_closures_and_keeps_held_ones():
    closure = np.full(60, 0.2)
    closure[10:14] = 0.9     # a blink (0.16 s at 25 fps) on a slight droop
    closure[30:60] = 0.35    # the lids sink further and stay
    droop = held_droop(closure, 25.0, droop_closure=0.5)
    np.testing.assert_allclose(droop[:30], 0.2)
    np.testing.assert_allclose(droop[38:], 0.35)
    # deeper than the deepest droop (0.5 x 1.2 = 0.6) less and less is droop: none when shut
    np.testing.assert_allclose(held_droop(np.full(60, 0.8), 25.0, droop_closure=0.5), 0.6 * 0.2 / 0.4)
    assert held_droop(np.ones(60), 25.0, droop_closure=0.5) == pytest.approx(np.zeros(60))
    assert held_droop(np.full(60, 0.05), 25.0, droop_closure=0.5).min() == pytest.approx(0.05)
    at_60 = np.zeros(240)    # 60 fps: a 0.45 s slow blink is a blink, a 0.7 s partial closure is held
    at_60[20:47] = 0.4
    at_60[100:142] = 0.4
    at_60[220:] = 0.4        # the take ends 0.33 s into a closure: too brief to call held
    droop = held_droop(at_60, 60.0, droop_closure=0.5)
    assert droop[:100].max() == 0.0 and droop[220:].max() == 0.0
    np.testing.assert_allclose(droop[100:142], 0.4)


def test_eye_rotation_becomes_eye_look_weights_and_back(rig, clips):
    clip = clips[0]
    eye_pose = np.zeros((clip.num_frames, 6), np.float32)
    eye_pose[:, 1] = 0.25 * EYE_LOOK_RANGE  # left eye, about +y: towards the subject's left = outwards
    eye_pose[:, 3] = 0.5 * EYE_LOOK_RANGE   # right eye, about +x: downwards
    clip.eye_pose = eye_pose
    take = rig.fit(clip)
    looks = {name: take.weights[:, ARKIT_NAMES.index(name)].mean() for name in EYE_LOOKS}
    assert looks.pop("eyeLookOutLeft") == pytest.approx(0.25, abs=1e-5)
    assert looks.pop("eyeLookDownRight") == pytest.approx(0.5, abs=1e-5)
    assert max(looks.values()) == 0.0
    np.testing.assert_allclose(rig.to_clip(take).eye_pose, eye_pose, atol=1e-5)
    take.eyes[:] = 0.0  # a capture without eye angles: the eye-look weights turn the eyes
    np.testing.assert_allclose(rig.to_clip(take).eye_pose, eye_pose, atol=1e-5)


def test_clips_on_other_face_models_are_refused(rig, clips):
    clip = clips[0]
    flame = FaceClip(expression=clip.expression, jaw_pose=clip.jaw_pose, eyelids=clip.eyelids, head_pose=clip.head_pose,
                     shape=np.zeros(10, np.float32), fps=clip.fps, face_model="flame2020")
    with pytest.raises(ValueError, match="flame2020.*open-head-v2"):
        rig.fit(flame)


def test_live_link_round_trip_through_the_cli(tmp_path, clips):
    """export -> import -> export reproduces the weights within 1e-3 (the issue's bound)."""
    clips[1].save(tmp_path / "clip.npz")
    assert tdmm(["export", str(tmp_path / "clip.npz"), "-o", str(tmp_path / "take.csv")]) == 0
    assert tdmm(["convert", str(tmp_path / "take.csv"), "-o", str(tmp_path / "phone.npz")]) == 0
    assert tdmm(["export", str(tmp_path / "phone.npz"), "-o", str(tmp_path / "again.csv")]) == 0
    first, again = read_arkit_file(tmp_path / "take.csv"), read_arkit_file(tmp_path / "again.csv")
    assert first.fps == again.fps == clips[1].fps
    np.testing.assert_allclose(again.weights, first.weights, atol=1e-3)
    np.testing.assert_allclose(again.head, first.head, atol=1e-6)
    phone = FaceClip.load(tmp_path / "phone.npz")
    assert phone.face_model == "open-head-v2" and phone.source == "arkit" and phone.num_frames == clips[1].num_frames


def test_bounded_least_squares_solves_unbounded_variables_exactly():
    gram = np.array([[1.0, 0.999999], [0.999999, 1.0]])
    wanted = np.array([[5.0, 0.5]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = bounded_least_squares(gram, wanted @ gram, np.array([-np.inf, 0.0]), np.array([np.inf, 1.0]), np.zeros((1, 2)))
    np.testing.assert_allclose(got, wanted, atol=1e-6)


def test_a_capture_keeps_its_start_timecode_through_convert(tmp_path, rig, clips):
    """Audio / video sync in Unreal: a take that started at 01:02:03:04 exports from its clip at that timecode,
    also after resampling (the start is kept in seconds)."""
    take = rig.fit(clips[2])
    take.start_frame = ((1 * 60 + 2) * 60 + 3) * 25 + 4
    write_live_link_csv(take, tmp_path / "take.csv")
    assert tdmm(["convert", str(tmp_path / "take.csv"), "-o", str(tmp_path / "phone.npz")]) == 0
    phone = FaceClip.load(tmp_path / "phone.npz")
    assert tdmm(["export", str(tmp_path / "phone.npz"), "-o", str(tmp_path / "again.csv")]) == 0
    assert (tmp_path / "again.csv").read_text().splitlines()[1].startswith("01:02:03:04.000,")
    assert rig.fit(phone.resample(50.0)).start_frame == 2 * take.start_frame
    for bad in ("soon", -1.0, 1e308, 10**400, float("nan")):
        phone.attributes[START_KEY] = bad
        with pytest.raises(ValueError, match=START_KEY):
            rig.fit(phone)


def test_arkit_json_export_is_keyed_by_apple_names(tmp_path, clips):
    clips[2].save(tmp_path / "clip.npz")
    assert tdmm(["export", str(tmp_path / "clip.npz"), "-o", str(tmp_path / "anim.json")]) == 0
    import json

    document = json.loads((tmp_path / "anim.json").read_text())
    assert document["names"] == list(ARKIT_NAMES) and len(document["frames"]) == clips[2].num_frames
    assert set(document["frames"][0]["weights"]) == set(ARKIT_NAMES)


def test_arkit_glb_has_52_named_morph_targets_and_their_animation(tmp_path, rig, clips):
    pygltflib = pytest.importorskip("pygltflib")
    clip = clips[3]
    clip.save(tmp_path / "clip.npz")
    assert tdmm(["export", str(tmp_path / "clip.npz"), "-o", str(tmp_path / "face.glb"), "--arkit"]) == 0
    gltf = pygltflib.GLTF2().load(str(tmp_path / "face.glb"))
    mesh = gltf.meshes[0]
    assert mesh.extras["targetNames"] == list(ARKIT_NAMES) and len(mesh.primitives[0].targets) == 52
    sampler = gltf.animations[0].samplers[0]
    acc = gltf.accessors[sampler.output]
    view = gltf.bufferViews[acc.bufferView]
    weights = np.frombuffer(gltf.binary_blob(), np.float32, acc.count, view.byteOffset).reshape(clip.num_frames, 52)
    np.testing.assert_allclose(weights, rig.fit(clip).weights, atol=1e-6)
    rotated = {gltf.nodes[c.target.node].name for c in gltf.animations[0].channels if c.target.path == "rotation"}
    assert rotated == {"global"}  # jaw and eyes move through their ARKit morphs


def test_importer_errors_are_one_line_and_name_the_problem(tmp_path, capsys):
    bad = tmp_path / "take.csv"
    bad.write_text("Timecode,BlendShapeCount,EyeBlinkLeft\n00:00:00:00.000,61,0.5\n")
    assert tdmm(["convert", str(bad), "-o", str(tmp_path / "out.npz")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "take.csv" in err and "EyeLookDownLeft" in err
    assert not (tmp_path / "out.npz").exists()


def test_neutral_frames_calibrate_a_capture_whose_eyes_rest_half_shut(tmp_path, rig, capsys):
    """A tracker whose eyeBlink rests at 0.2 with the eyes open: converted as is, the lids droop (AU41); calibrated on
    the neutral first second, the rest reads 0 and a full blink still 1."""
    frames = 120
    weights = np.zeros((frames, 52), np.float32)
    blink = 0.2 + 0.8 * _blinks(frames, [60, 90], length=5)
    for name in ("eyeBlinkLeft", "eyeBlinkRight"):
        weights[:, ARKIT_NAMES.index(name)] = blink
    weights[:, ARKIT_NAMES.index("mouthSmileLeft")] = np.where(np.arange(frames) < 30, 0.1, 0.7)
    take = tmp_path / "take.csv"
    write_live_link_csv(ARKitTake(weights=weights, head=np.zeros((frames, 3)), eyes=np.zeros((frames, 6)), fps=30.0), take)
    au41 = expression_names().index("AU41_L")
    assert tdmm(["convert", str(take), "-o", str(tmp_path / "raw.npz")]) == 0
    raw = FaceClip.load(tmp_path / "raw.npz")
    assert raw.expression[:, au41].min() == pytest.approx(0.2 / rig.droop_closure, abs=0.01)  # read as drooping lids
    assert tdmm(["convert", str(take), "-o", str(tmp_path / "calm.npz"), "--neutral-frames", "0:30"]) == 0
    calm = FaceClip.load(tmp_path / "calm.npz")
    assert np.abs(calm.expression[:, au41]).max() < 1e-3
    np.testing.assert_allclose(calm.eyelids[:, 0], (blink - 0.2) / 0.8, atol=1e-3)
    smile = expression_names().index("AU12_L")
    np.testing.assert_allclose(calm.expression[30:, smile], (0.7 - 0.1) / 0.9, atol=1e-3)
    capsys.readouterr()
    assert tdmm(["convert", str(take), "-o", str(tmp_path / "x.npz"), "--neutral-frames", "100:130"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "100:130" in err and "120 frames" in err
    clip = tmp_path / "clip.npz"
    FaceClip.load(tmp_path / "raw.npz").save(clip)
    assert tdmm(["convert", str(clip), "-o", str(tmp_path / "x.npz"), "--neutral-frames", "0:30"]) == 2
    assert "not one" in capsys.readouterr().err
    assert tdmm(["convert", str(take), "-o", str(tmp_path / "x.npz"), "--neutral-frames", "30:10"]) == 2
    assert "FIRST:END" in capsys.readouterr().err
    assert not (tmp_path / "x.npz").exists()


def test_a_tracks_corpus_takes_phone_captures(tmp_path, rig, clips):
    folder = tmp_path / "tracks"
    folder.mkdir()
    write_live_link_csv(rig.fit(clips[4]), folder / "take01.csv")
    manifest = folder / "manifest.csv"
    manifest.write_text("file,prompt\ntake01.csv,A person smiles at the phone.\n")
    accepted, rejected = scan_tracks(folder, manifest)
    assert [item.key for item in accepted] == ["take01.csv"] and rejected == []
    clip = read_tracker_file(folder / "take01.csv")
    assert clip.face_model == "open-head-v2" and clip.num_frames == clips[4].num_frames


def test_the_readme_table_says_what_each_shape_is():
    from pathlib import Path

    from modeling_tdmm.arkit_rig import recipe_label

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for name in ARKIT_NAMES:
        assert f"| `{name}` | {recipe_label(name)} |" in readme, name

import imageio_ffmpeg
import numpy as np
import pytest
from conftest import make_clip
from PIL import Image

from modeling_tdmm.cli import main as tdmm
from modeling_tdmm.gltf import clip_to_glb
from modeling_tdmm.render import BACKGROUND_TOP, Camera, render_mesh
from modeling_tdmm.video import render_clip, write_frames


def _small_clip(frames=12, fps=25.0):
    clip = make_clip(num_frames=frames, fps=fps, clip_id="small", prompt="a person smiles")
    clip.shape = np.zeros(12, np.float32)
    return clip


def test_rendered_frames_show_a_face(open_head):
    clip = _small_clip()
    frames = render_clip(clip, open_head, size=96)
    assert frames.shape == (12, 96, 96, 3) and frames.dtype == np.uint8
    background = (BACKGROUND_TOP * 255).astype(int)
    for frame in frames:
        covered = np.abs(frame[0:96].astype(int) - frame[0, 0]).sum(-1) > 30
        assert 0.25 < covered.mean() < 0.9  # a head fills a good part, not all, of the frame
        assert frame.std() > 20
    assert np.abs(frames[0, 0, 0].astype(int) - background).max() < 8
    assert not np.array_equal(frames[0], frames[5])  # motion shows


def test_side_view_and_caption_widen_and_mark_frames(open_head):
    clip = _small_clip(frames=2)
    plain = render_clip(clip, open_head, size=64)
    both = render_clip(clip, open_head, size=64, side_view=True, caption="hello there")
    assert both.shape == (2, 64, 128, 3)
    assert not np.array_equal(both[0, -10:, :64], plain[0, -10:])


def test_backface_culling_and_depth_order():
    # Two squares facing the camera at different depths: the nearer one wins.
    quad = np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], float) * 0.05
    verts = np.concatenate([quad + [0, 0, 0.0], quad * 0.5 + [0, 0, 0.05]])
    faces = np.array([[0, 1, 2], [0, 2, 3], [4, 5, 6], [4, 6, 7]])
    colors = np.concatenate([np.tile([1.0, 0, 0], (4, 1)), np.tile([0, 0, 1.0], (4, 1))])
    cam = Camera(target=(0, 0, 0), distance=0.5, fov_deg=30)
    image = render_mesh(verts, faces, colors, 64, cam)
    centre, edge = image[32, 32], image[32, 22]
    assert centre[2] > centre[0] and edge[0] > edge[2]
    flipped = render_mesh(verts, faces[:, ::-1], colors, 64, cam)  # facing away: culled
    assert np.abs(flipped.astype(int) - flipped[0, 0]).max() < 60


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_video_has_one_frame_per_clip_frame(tmp_path, open_head, suffix):
    clip = _small_clip(frames=15, fps=15.0)
    path = write_frames(render_clip(clip, open_head, size=64), tmp_path / f"out{suffix}", clip.fps)
    if suffix == ".mp4":
        reader = imageio_ffmpeg.read_frames(str(path))
        meta = next(reader)
        assert meta["fps"] == 15.0 and tuple(meta["size"]) == (64, 64)
        assert sum(1 for _ in reader) == 15
    else:
        with Image.open(path) as gif:
            assert gif.n_frames == 15
            assert abs(gif.info["duration"] - 1000 / 15) <= 5  # GIF timing is in 10 ms steps


def test_cli_render_png_sheet_and_bad_suffix(tmp_path, clip):
    clip.shape = np.zeros(12, np.float32)
    clip.face_model = "open-head-v1"
    src = tmp_path / "clip.npz"
    clip.save(src)
    out = tmp_path / "sheet.png"
    assert tdmm(["render", str(src), "-o", str(out), "--size", "64"]) == 0
    with Image.open(out) as sheet:
        assert sheet.size == (5 * 64, 2 * 64)
    assert tdmm(["render", str(src), "-o", str(tmp_path / "x.avi"), "--size", "32"]) == 2


def test_flame_clip_needs_a_flame_path(tmp_path, clip, capsys):
    clip.face_model = "flame2020"
    src = tmp_path / "clip.npz"
    clip.save(src)
    assert tdmm(["render", str(src), "-o", str(tmp_path / "o.mp4")]) == 2
    assert "pass --face-model /path/to/FLAME.pkl" in capsys.readouterr().err


def test_glb_reads_back_with_independent_reader(tmp_path, open_head):
    pygltflib = pytest.importorskip("pygltflib")
    clip = _small_clip(frames=20, fps=25.0)
    path = tmp_path / "clip.glb"
    assert tdmm(["export", _save(clip, tmp_path), "-o", str(path)]) == 0
    gltf = pygltflib.GLTF2().load(str(path))
    blob = gltf.binary_blob()

    def read(index):
        acc = gltf.accessors[index]
        view = gltf.bufferViews[acc.bufferView]
        width = {"SCALAR": 1, "VEC3": 3, "VEC4": 4, "MAT4": 16}[acc.type]
        dtype = {5126: np.float32, 5123: np.uint16, 5125: np.uint32}[acc.componentType]
        data = np.frombuffer(blob, dtype=dtype, count=acc.count * width, offset=(view.byteOffset or 0) + (acc.byteOffset or 0))
        return data.reshape(acc.count, width) if width > 1 else data

    prim = gltf.meshes[0].primitives[0]
    assert len(prim.targets) == 52
    names = gltf.meshes[0].extras["targetNames"]
    assert names[:2] == ["AU1_L", "AU1_R"] and names[-2:] == ["eyelid_L", "eyelid_R"]
    assert gltf.accessors[prim.attributes.POSITION].count == open_head.num_vertices
    assert len(gltf.skins[0].joints) == 5
    anim = gltf.animations[0]
    times = read(anim.samplers[0].input)
    assert len(times) == 20 and times[-1] == pytest.approx(19 / 25.0)
    weights = read(anim.samplers[0].output).reshape(20, 52)
    np.testing.assert_allclose(weights[:, :50], clip.expression, rtol=1e-6)
    np.testing.assert_allclose(weights[:, 50:], clip.eyelids, rtol=1e-6)
    rotation_channels = [c for c in anim.channels if c.target.path == "rotation"]
    assert {gltf.nodes[c.target.node].name for c in rotation_channels} == {"global", "jaw"}
    for channel in rotation_channels:
        quats = read(anim.samplers[channel.sampler].output)
        assert quats.shape == (20, 4) and np.allclose(np.linalg.norm(quats, axis=1), 1, atol=1e-5)
    assert np.allclose(read(prim.attributes.WEIGHTS_0).sum(1), 1, atol=1e-5)


def test_glb_of_rest_pose_matches_model_vertices(tmp_path, open_head):
    pygltflib = pytest.importorskip("pygltflib")
    clip = _small_clip(frames=3)
    clip.shape = np.linspace(-1, 1, 12).astype(np.float32)
    path = tmp_path / "id.glb"
    clip_to_glb(clip, open_head, path)
    gltf = pygltflib.GLTF2().load(str(path))
    acc = gltf.accessors[gltf.meshes[0].primitives[0].attributes.POSITION]
    view = gltf.bufferViews[acc.bufferView]
    rest = np.frombuffer(gltf.binary_blob(), np.float32, acc.count * 3, view.byteOffset).reshape(-1, 3)
    np.testing.assert_allclose(rest, open_head(shape=clip.shape).numpy()[0], atol=1e-6)
    assert acc.min == pytest.approx(rest.min(0).tolist()) and acc.max == pytest.approx(rest.max(0).tolist())


def _save(clip, folder):
    path = folder / "clip.npz"
    clip.save(path)
    return str(path)

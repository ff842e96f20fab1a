"""Heads that show their subject: open-head-v2's attribute components, what "a young woman",
"an elderly man" or "a child" mean in its identity space, and renders that differ by subject."""
import numpy as np
import pytest
import torch

from modeling_tdmm.clip import FaceClip
from modeling_tdmm.configuration_geometry_tokenizer import GeometryTokenizerConfig
from modeling_tdmm.face_model import EMBEDDED_NUM_SHAPE, FaceModel, face_model_family
from modeling_tdmm.render import Camera, render_mesh
from modeling_tdmm.showcase import subject_sheet
from modeling_tdmm.subjects import IDENTITY_NAMES, mean_identity, parse_subject, subject_identity
from modeling_tdmm.video import render_clip
from open3dfacevid.prompts import sample_specs
from open3dfacevid.subjects import Subject
from open3dfacevid.synthesizer import synthesize


@pytest.fixture(scope="module")
def v2() -> FaceModel:
    return FaceModel.load("open-head-v2")


@pytest.fixture(scope="module")
def v1() -> FaceModel:
    return FaceModel.load("open-head-v1")


def _front(model: FaceModel, shape: np.ndarray, camera: Camera) -> np.ndarray:
    betas = torch.as_tensor(shape[: model.num_shape])
    verts = model(shape=betas).numpy()[0]
    return render_mesh(verts, model.faces.numpy(), model.albedo(betas), 160, camera, supersample=1)


def test_v2_is_v1_with_appended_identity_components(v1, v2):
    assert v2.name == "open-head-v2" and v2.num_shape == len(IDENTITY_NAMES) == 21 and v1.num_shape == 12
    assert face_model_family("open-head-v1") == face_model_family("open-head-v2") == "open-head"
    for buffer in ("v_template", "expression_dirs", "eyelid_dirs", "lbs_weights", "faces", "vertex_colors"):
        assert torch.equal(getattr(v1, buffer), getattr(v2, buffer)), buffer
    assert torch.equal(v1.identity_dirs, v2.identity_dirs[:12])
    assert EMBEDDED_NUM_SHAPE == {"open-head-v1": v1.num_shape, "open-head-v2": v2.num_shape}
    # a tokenizer config naming either head knows its identity width
    assert GeometryTokenizerConfig(face_model="open-head-v1").face_model_num_shape == 12
    assert GeometryTokenizerConfig().face_model_num_shape == 21
    # a v1 clip (12 identity numbers) shows the same face on v2, so saved v1 clips keep working
    clip = FaceClip.neutral(5, num_shape=12, face_model="open-head-v1")
    clip.shape[:] = np.linspace(-1, 1, 12)
    clip.expression[:, 3] = 0.8
    np.testing.assert_allclose(v2.clip_vertices(clip), v1.clip_vertices(clip), atol=1e-6)


def test_prompts_name_their_subject():
    assert parse_subject("A young woman looks extremely happy.") == {"age": "young adult", "gender": "woman", "appearance": "", "build": ""}
    assert parse_subject("An elderly man looks clearly sad")["age"] == "elderly"
    assert parse_subject("a child giggles") == {"age": "child", "gender": "person", "appearance": "", "build": ""}
    assert parse_subject("A young girl frowns")["age"] == "child"
    assert parse_subject("An old boy")["age"] == "elderly"
    assert parse_subject("A heavy-set middle-aged man with a square jaw nods") == {
        "age": "middle-aged", "gender": "man", "appearance": "with a square jaw", "build": "heavy-set"}
    # only the subject's own words count: not other people, not other uses of a word
    assert parse_subject("a young man talks to an old woman")["age"] == "young adult"
    assert parse_subject("an old man reads to children") == {"age": "elderly", "gender": "man", "appearance": "", "build": ""}
    assert parse_subject("a woman talks to her kids")["age"] == "young adult"
    assert parse_subject("a 30-year-old woman smiles")["age"] == "young adult"
    assert parse_subject("a man aged 67 nods")["age"] == "elderly"
    assert parse_subject("a 7-year-old boy")["age"] == "child"
    for text in ("a woman lowers her brows into a heavy frown", "a woman presses her lips into a thin line",
                 "a young woman with a heavy brow"):
        assert parse_subject(text)["build"] == "", text
    assert parse_subject("She smiles")["gender"] == "woman" and parse_subject("an old lady")["age"] == "elderly"
    assert parse_subject("Someone smiles") == {"age": "young adult", "gender": "person", "appearance": "", "build": ""}
    np.testing.assert_array_equal(subject_identity("an elderly woman"), mean_identity("elderly", "woman"))
    with pytest.raises(KeyError, match="unknown subject age 'teen'"):
        mean_identity("teen", "woman")


def test_subjects_render_differently(v2):
    """Measured on the renders a user sees: a woman and a man, a child and an adult, an elderly
    and a young man differ in silhouette and colour, not only by a few vertices."""
    camera = Camera.framing(v2().numpy()[0], margin=1.05)
    background = render_mesh(np.zeros((1, 3)), np.zeros((0, 3), np.int64), size=160, camera=camera).astype(int)  # no faces
    images = {k: _front(v2, mean_identity(*k), camera) for k in
              [("young adult", "woman"), ("young adult", "man"), ("elderly", "man"), ("child", "person"), ("young adult", "person")]}

    def silhouette(image):
        return np.abs(image.astype(int) - background).sum(-1) > 30

    def iou(a, b):
        sa, sb = silhouette(images[a]), silhouette(images[b])
        return (sa & sb).sum() / (sa | sb).sum()

    def colour_change(a, b):
        return np.abs(images[a].astype(float) - images[b]).mean()

    woman, man, old_man, child, person = images
    assert iou(woman, man) < 0.93                      # long hair widens the outline below the ears
    assert colour_change(woman, man) > 8
    assert colour_change(old_man, man) > 4             # grey hair
    assert iou(child, person) < 0.97                   # a child's proportions
    # and geometry: the mean vertex distance between a woman's and a man's head
    verts = {k: v2(shape=torch.as_tensor(mean_identity(*k))).numpy()[0] for k in [woman, man]}
    assert np.linalg.norm(verts[woman] - verts[man], axis=1).mean() > 0.002


def test_corpus_subjects_map_to_the_identity_space():
    specs = sample_specs(40, seed=3)
    clips = [synthesize(s) for s in specs]
    long_hair = list(IDENTITY_NAMES).index("long hair")
    grey = list(IDENTITY_NAMES).index("grey hair")
    for spec, clip in zip(specs, clips):
        assert clip.face_model == "open-head-v2" and clip.shape.shape == (21,)
        subject = spec.subject
        if subject.gender == "woman" and subject.age != "elderly":
            assert clip.shape[long_hair] == 1
        if subject.gender == "man":
            assert clip.shape[long_hair] == 0
        assert clip.shape[grey] == (1 if subject.age == "elderly" else 0)
        # the corpus's own prompts parse back to their subject, so generation shows who was asked for
        assert parse_subject(spec.prompt) == {"age": subject.age, "gender": subject.gender,
                                              "appearance": subject.appearance, "build": ""}, spec.prompt
    assert {s.subject.gender for s in specs} == {"woman", "man", "person"}
    # drawn around the subject's mean: proportions vary between two clips of one subject
    rng = np.random.default_rng(0)
    a, b = (Subject("middle-aged", "woman").sample_identity(rng) for _ in range(2))
    assert np.abs(a[:12] - b[:12]).max() > 0.1


def test_renders_and_sheet_show_the_identity(v2, tmp_path):
    clip = FaceClip.neutral(2, num_shape=21, face_model="open-head-v2")
    clip.shape[:] = mean_identity("young adult", "woman")
    woman = render_clip(clip, v2, size=96)
    clip.shape[:] = mean_identity("young adult", "man")
    man = render_clip(clip, v2, size=96)
    assert np.abs(woman.astype(float) - man).mean() > 5
    path = tmp_path / "subjects.png"
    assert subject_sheet(v2, path, tile=64) == 12 and path.stat().st_size > 10_000


def test_retarget_within_the_family_copies_motion_and_cuts_or_pads_the_identity(tmp_path, capsys):
    from modeling_tdmm.cli import main as tdmm

    clip = synthesize(sample_specs(1, seed=5)[0])
    clip.save(tmp_path / "v2.npz")
    assert tdmm(["retarget", str(tmp_path / "v2.npz"), "--to", "open-head-v1", "-o", str(tmp_path / "v1.npz")]) == 0
    assert "motion copied, 12 identity numbers kept" in capsys.readouterr().out
    v1 = FaceClip.load(tmp_path / "v1.npz")
    assert v1.face_model == "open-head-v1" and np.array_equal(v1.shape, clip.shape[:12])
    np.testing.assert_array_equal(v1.expression, clip.expression)
    assert tdmm(["retarget", str(tmp_path / "v1.npz"), "--to", "open-head-v2", "-o", str(tmp_path / "back.npz")]) == 0
    back = FaceClip.load(tmp_path / "back.npz")
    assert back.face_model == "open-head-v2" and back.shape.shape == (21,) and not back.shape[12:].any()


def test_colour_arrays_of_a_face_model_file_are_checked(tmp_path):
    from modeling_tdmm.face_model import EMBEDDED_MODELS, FaceModelFormatError

    with np.load(EMBEDDED_MODELS["open-head-v2"]) as data:
        arrays = dict(data)
    for change, message in [
        (lambda a: a.pop("vertex_colors"), r"'albedo_dirs' \(colour changes\) needs the base colours 'vertex_colors'"),
        (lambda a: a.update(vertex_colors=np.ones((8277, 4), np.float32)), r"'vertex_colors' should have shape \[8277, 3\]"),
        (lambda a: a.update(albedo_dirs=a["albedo_dirs"][:, :, :12]), r"'albedo_dirs' should have shape \[8277, 3, 21\]"),
    ]:
        broken = dict(arrays)
        change(broken)
        np.savez(tmp_path / "head.npz", **broken)
        with pytest.raises(FaceModelFormatError, match=message):
            FaceModel.load(tmp_path / "head.npz")
    # a model without colour changes ignores a wider identity when asked for colours
    assert FaceModel.load("open-head-v1").albedo(np.ones(21, np.float32)).shape == (8277, 3)

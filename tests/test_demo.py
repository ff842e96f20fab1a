from PIL import Image

from modeling_tdmm.showcase import contact_sheet
from tdmm_demo import stages as demo


def test_demo_skips_complete_stages_and_redoes_missing_ones(tmp_path, monkeypatch):
    calls = []

    def stage(out):
        calls.append(1)
        path = out / "thing.txt"
        path.write_text("x")
        return [path]

    monkeypatch.setattr(demo, "STAGES", [("thing", stage)])
    demo.run_demo(tmp_path)
    demo.run_demo(tmp_path)
    assert len(calls) == 1
    (tmp_path / "thing.txt").unlink()
    demo.run_demo(tmp_path)
    assert len(calls) == 2
    demo.run_demo(tmp_path, force=True)
    assert len(calls) == 3


def test_contact_sheet_has_every_shape(tmp_path, open_head):
    path = tmp_path / "sheet.png"
    count = contact_sheet(open_head, path, tile=48, columns=9)
    assert count == 1 + 50 + 3  # neutral, 50 expressions, jaw open, eyes closed, head turned
    with Image.open(path) as sheet:
        assert sheet.size == (9 * 48, 6 * (48 + 44))  # three label lines under each tile


def test_showcase_clip_moves_every_channel(open_head):
    clip = demo.showcase_clip(open_head)
    assert clip.num_frames == 125 and clip.face_model == "open-head-v1"
    for name in ("expression", "jaw_pose", "eyelids", "head_pose"):
        assert getattr(clip, name).std() > 0, name
    assert clip.eyelids.max() > 0.95  # full blinks

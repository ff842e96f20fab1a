import json

import numpy as np
import pytest

from modeling_tdmm.arkit_io import (
    read_arkit_file,
    read_arkit_json,
    read_live_link_csv,
    read_mediapipe,
    write_arkit_json,
    write_live_link_csv,
)
from modeling_tdmm.arkit_names import (
    ARKIT_NAMES,
    CANONICAL_FROM_LIVE_LINK,
    LIVE_LINK_FROM_CANONICAL,
    LIVE_LINK_HEADER,
    LIVE_LINK_NAMES,
    MEDIAPIPE_NAMES,
    camel,
    pascal,
)
from modeling_tdmm.arkit_take import ARKitFormatError, ARKitTake

# Live Link Face's header, copied by hand from FACTS.md (not computed from the module).
REFERENCE_HEADER = (
    "Timecode,BlendShapeCount,EyeBlinkLeft,EyeLookDownLeft,EyeLookInLeft,EyeLookOutLeft,EyeLookUpLeft,EyeSquintLeft,"
    "EyeWideLeft,EyeBlinkRight,EyeLookDownRight,EyeLookInRight,EyeLookOutRight,EyeLookUpRight,EyeSquintRight,"
    "EyeWideRight,JawForward,JawRight,JawLeft,JawOpen,MouthClose,MouthFunnel,MouthPucker,MouthRight,MouthLeft,"
    "MouthSmileLeft,MouthSmileRight,MouthFrownLeft,MouthFrownRight,MouthDimpleLeft,MouthDimpleRight,"
    "MouthStretchLeft,MouthStretchRight,MouthRollLower,MouthRollUpper,MouthShrugLower,MouthShrugUpper,"
    "MouthPressLeft,MouthPressRight,MouthLowerDownLeft,MouthLowerDownRight,MouthUpperUpLeft,MouthUpperUpRight,"
    "BrowDownLeft,BrowDownRight,BrowInnerUp,BrowOuterUpLeft,BrowOuterUpRight,CheekPuff,CheekSquintLeft,"
    "CheekSquintRight,NoseSneerLeft,NoseSneerRight,TongueOut,HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,LeftEyePitch,"
    "LeftEyeRoll,RightEyeYaw,RightEyePitch,RightEyeRoll"
)


def _take(frames=90, fps=60.0, start_frame=0, seed=0):
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0, 1, (frames, 52)).astype(np.float32)
    weights[0, :2] = (0.0, 1.0)
    return ARKitTake(weights=weights, head=rng.uniform(-0.5, 0.5, (frames, 3)),
                     eyes=rng.uniform(-0.3, 0.3, (frames, 6)), fps=fps, start_frame=start_frame)


def _live_link_rows(path, rows):
    path.write_text("\n".join([REFERENCE_HEADER] + rows) + "\n")
    return path


def _row(timecode, count=61, weight="0.5", pose="0.1"):
    return ",".join([timecode, str(count)] + [weight] * 52 + [pose] * (count - 52))


# ----------------------------------------------------------------------------------------------- names


def test_arkit_names_are_the_52_in_apples_sorted_order():
    assert len(ARKIT_NAMES) == 52 and len(set(ARKIT_NAMES)) == 52
    assert list(ARKIT_NAMES) == sorted(ARKIT_NAMES)
    assert ARKIT_NAMES[:3] == ("browDownLeft", "browDownRight", "browInnerUp")
    assert ARKIT_NAMES[-2:] == ("noseSneerRight", "tongueOut")


def test_live_link_names_are_the_same_set_in_its_own_order():
    assert len(LIVE_LINK_NAMES) == 52 and {camel(n) for n in LIVE_LINK_NAMES} == set(ARKIT_NAMES)
    assert LIVE_LINK_NAMES.index("JawRight") < LIVE_LINK_NAMES.index("JawLeft")
    assert LIVE_LINK_NAMES.index("MouthRight") < LIVE_LINK_NAMES.index("MouthLeft")
    assert pascal("jawOpen") == "JawOpen" and camel("MouthSmileLeft") == "mouthSmileLeft"
    weights = np.arange(52)[None]
    live = weights[:, LIVE_LINK_FROM_CANONICAL]
    assert [ARKIT_NAMES[i] for i in live[0]] == [camel(n) for n in LIVE_LINK_NAMES]
    np.testing.assert_array_equal(live[:, CANONICAL_FROM_LIVE_LINK], weights)


def test_mediapipe_names_are_neutral_then_51_without_tongue_out():
    assert MEDIAPIPE_NAMES[0] == "_neutral" and len(MEDIAPIPE_NAMES) == 52
    assert list(MEDIAPIPE_NAMES[1:]) == sorted(set(ARKIT_NAMES) - {"tongueOut"})


def test_live_link_header_is_byte_exact():
    assert LIVE_LINK_HEADER == REFERENCE_HEADER


# ----------------------------------------------------------------------------------------------- take


def test_take_validates_and_clips_and_names_columns():
    take = _take(frames=3)
    np.testing.assert_array_equal(take.weight("jawOpen"), take.weights[:, ARKIT_NAMES.index("jawOpen")])
    nudged = take.weights.copy()
    nudged[0, 0] = 1 + 5e-7
    assert ARKitTake(weights=nudged, head=take.head, eyes=take.eyes, fps=30).weights.max() == 1.0
    nudged[1, 24] = 1.2
    with pytest.raises(ARKitFormatError, match=r"field 'weights' frame 1 'jawOpen'"):
        ARKitTake(weights=nudged, head=take.head, eyes=take.eyes, fps=30, origin="t")
    with pytest.raises(ARKitFormatError, match=r"t: field 'eyes' should have shape \[T, 6\]"):
        ARKitTake(weights=take.weights, head=take.head, eyes=take.eyes[:, :3], fps=30, origin="t")
    with pytest.raises(ARKitFormatError, match="same number of frames"):
        ARKitTake(weights=take.weights, head=take.head[:2], eyes=take.eyes, fps=30)
    with pytest.raises(ARKitFormatError, match="fps"):
        ARKitTake(weights=take.weights, head=take.head, eyes=take.eyes, fps=0)
    with pytest.raises(KeyError, match="JawOpen"):
        take.weight("JawOpen")


# ----------------------------------------------------------------------------------------------- Live Link Face


def test_written_csv_matches_live_link_layout(tmp_path):
    path = tmp_path / "take.csv"
    write_live_link_csv(_take(frames=62, fps=60.0), path)
    data = path.read_bytes()
    assert b"\r" not in data
    lines = data.decode().splitlines()
    assert lines[0] == REFERENCE_HEADER and len(lines) == 63
    rows = [line.split(",") for line in lines[1:]]
    assert all(len(row) == 63 and row[1] == "61" for row in rows)
    assert rows[0][0] == "00:00:00:00.000" and rows[61][0] == "00:00:01:01.000"


def test_timecodes_start_at_start_frame(tmp_path):
    path = tmp_path / "take.csv"
    start = ((1 * 60 + 2) * 60 + 3) * 30 + 29  # 01:02:03:29 at 30 fps
    write_live_link_csv(_take(frames=2, fps=30.0, start_frame=start), path)
    assert [line.split(",")[0] for line in path.read_text().splitlines()[1:]] == ["01:02:03:29.000", "01:02:04:00.000"]
    assert read_live_link_csv(path, fps=30).start_frame == start  # under a whole second: the rate must be given


@pytest.mark.parametrize("fps", [10.0, 24.0, 30.0, 60.0])
def test_live_link_round_trip_infers_fps(tmp_path, fps):
    """Any whole rate, standard or not, is read back from the timecodes of a take longer than a second."""
    take = _take(frames=2 * int(fps) + 15, fps=fps, start_frame=int(fps) * 7 + 3)
    path = tmp_path / "take.csv"
    write_live_link_csv(take, path)
    back = read_live_link_csv(path)
    assert back.fps == fps and back.start_frame == take.start_frame and back.num_frames == take.num_frames
    np.testing.assert_allclose(back.weights, take.weights, atol=1e-6)
    np.testing.assert_allclose(back.head, take.head, atol=1e-6)
    np.testing.assert_allclose(back.eyes, take.eyes, atol=1e-6)


def test_live_link_columns_matched_by_name(tmp_path):
    names = REFERENCE_HEADER.split(",")
    order = [0, 1] + list(range(2, len(names)))[::-1]
    values = {name: f"{i / 100:.2f}" for i, name in enumerate(names)}
    values.update(Timecode="10:00:00:00.000", BlendShapeCount="61")
    path = tmp_path / "shuffled.csv"
    path.write_text(",".join([names[i] for i in order] + ["Extra"]) + "\n"
                    + ",".join([values[names[i]] for i in order] + ["zzz"]) + "\n")
    take = read_live_link_csv(path, fps=60)
    assert take.weight("jawLeft")[0] == pytest.approx(float(values["JawLeft"]))
    assert take.weight("mouthRight")[0] == pytest.approx(float(values["MouthRight"]))
    assert take.head[0, 0] == pytest.approx(float(values["HeadYaw"]))
    assert take.eyes[0, 5] == pytest.approx(float(values["RightEyeRoll"]))
    assert take.start_frame == 10 * 3600 * 60


def test_live_link_without_pose_columns(tmp_path):
    header = ",".join(REFERENCE_HEADER.split(",")[:54])
    path = tmp_path / "weights_only.csv"
    path.write_text(header + "\n" + _row("00:00:00:00.000", count=52) + "\n")
    take = read_live_link_csv(path, fps=60)
    assert not take.head.any() and not take.eyes.any() and take.weights[0, 0] == 0.5


def test_live_link_slightly_outside_is_clipped(tmp_path):
    path = _live_link_rows(tmp_path / "t.csv", [_row("00:00:00:00.000", weight="1.0005")])
    assert read_live_link_csv(path, fps=60).weights.max() == 1.0


@pytest.mark.parametrize("rows, message", [
    ([_row("00:00:00:00.000"), _row("0:00:00:01")], r"row 2 \(line 3\) column 'Timecode': '0:00:00:01'"),
    ([_row("00:00:00:00.000", weight="1.5")], r"row 1 \(line 2\) column 'EyeBlinkLeft': 1.5 is not a weight"),
    ([_row("00:00:00:00.000", count=60)], r"row 1 \(line 2\) column 'BlendShapeCount': 60 should be 61"),
    ([_row("00:00:00:00.000", weight="x")], r"row 1 \(line 2\) column 'EyeBlinkLeft': 'x' is not a number"),
    ([], "has a header but no frames"),
])
def test_live_link_errors_name_row_and_column(tmp_path, rows, message):
    path = _live_link_rows(tmp_path / "bad.csv", rows)
    with pytest.raises(ARKitFormatError, match=message) as info:
        read_live_link_csv(path, fps=60)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_live_link_missing_column_is_named(tmp_path):
    path = tmp_path / "missing.csv"
    path.write_text(REFERENCE_HEADER.replace("JawOpen,", "") + "\n" + _row("00:00:00:00.000")[:-4] + "\n")
    with pytest.raises(ARKitFormatError, match=r"lacks the Live Link Face columns \['JawOpen'\]"):
        read_live_link_csv(path)


def test_live_link_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(ARKitFormatError, match="empty file"):
        read_live_link_csv(path)


def test_live_link_fps_not_inferable_and_frame_field_too_big(tmp_path):
    path = _live_link_rows(tmp_path / "t.csv", [_row("00:00:00:00.000"), _row("00:00:00:00.500")])
    with pytest.raises(ARKitFormatError, match="stay within one second.*--fps"):
        read_live_link_csv(path)
    path = _live_link_rows(tmp_path / "t.csv", [_row("00:00:00:45.000")])
    with pytest.raises(ARKitFormatError, match=r"row 1 .*frame field 45 is not below the frame rate 30"):
        read_live_link_csv(path, fps=30)


def test_dropped_frames_keep_their_time_and_repeated_timecodes_are_refused(tmp_path):
    take = _take(frames=75, fps=30.0)
    path = tmp_path / "take.csv"
    write_live_link_csv(take, path)
    lines = path.read_text().splitlines()
    kept = [lines[0]] + [line for i, line in enumerate(lines[1:]) if i % 3 != 1]  # every third frame lost
    path.write_text("\n".join(kept) + "\n")
    back = read_live_link_csv(path)
    assert back.fps == 30 and back.num_frames == 75  # 2.5 s stays 2.5 s
    np.testing.assert_allclose(back.weights[::3], take.weights[::3], atol=1e-6)
    np.testing.assert_allclose(back.weights[1::3], (take.weights[0:-2:3] + take.weights[2::3]) / 2, atol=1e-6)
    path.write_text("\n".join(lines[:3] + [lines[2]] + lines[3:]) + "\n")
    with pytest.raises(ARKitFormatError, match=r"row 3 .*not after the previous row's timecode"):
        read_live_link_csv(path)


# ----------------------------------------------------------------------------------------------- MediaPipe


def _scores(frames=4):
    return np.linspace(0, 1, frames * 52).reshape(frames, 52)


def test_mediapipe_csv_with_timestamps(tmp_path):
    scores = _scores()
    path = tmp_path / "mp.csv"
    lines = [",".join(("timestamp_ms",) + MEDIAPIPE_NAMES)]
    lines += [",".join([str(1000 + 33.3333 * i)] + [f"{v:.6f}" for v in row]) for i, row in enumerate(scores)]
    path.write_text("\n".join(lines) + "\n")
    take = read_mediapipe(path)
    assert take.fps == 30.0 and take.start_frame == 30
    np.testing.assert_allclose(take.weights[:, :51], scores[:, 1:], atol=1e-6)
    assert not take.weight("tongueOut").any() and not take.head.any()


def test_mediapipe_csv_needs_fps_without_timestamps_and_names_missing(tmp_path):
    path = tmp_path / "mp.csv"
    path.write_text(",".join(MEDIAPIPE_NAMES) + "\n" + ",".join(["0.1"] * 52) + "\n")
    with pytest.raises(ARKitFormatError, match="--fps"):
        read_mediapipe(path)
    assert read_mediapipe(path, fps=25).fps == 25.0
    path.write_text(",".join(n for n in MEDIAPIPE_NAMES if n != "jawOpen") + "\n" + ",".join(["0.1"] * 51) + "\n")
    with pytest.raises(ARKitFormatError, match=r"\['jawOpen'\]"):
        read_mediapipe(path, fps=25)


def test_mediapipe_json_layouts(tmp_path):
    scores = _scores()
    as_dicts = [{"timestamp_ms": 40 * i, **dict(zip(MEDIAPIPE_NAMES, row))} for i, row in enumerate(scores)]
    as_categories = {"frames": [{"timestamp_ms": 40 * i, "face_blendshapes": [[
        {"index": k, "categoryName": n, "score": v} for k, (n, v) in enumerate(zip(MEDIAPIPE_NAMES, row))]]}
        for i, row in enumerate(scores)]}
    snake = {"fps": 50, "frames": [[{"category_name": n, "score": v} for n, v in zip(MEDIAPIPE_NAMES, row)]
                                   for row in scores]}
    for name, data, fps in (("dicts", as_dicts, 25.0), ("categories", as_categories, 25.0), ("snake", snake, 50.0)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(data))
        for take in (read_mediapipe(path), read_arkit_file(path)):
            assert take.fps == fps and take.num_frames == 4
            np.testing.assert_allclose(take.weights[:, :51], scores[:, 1:], atol=1e-6)
    as_dicts[2].pop("browInnerUp")
    path.write_text(json.dumps(as_dicts))
    with pytest.raises(ARKitFormatError, match=r"frame 2 lacks 1 of the 51 MediaPipe blendshapes, e.g. \['browInnerUp'\]"):
        read_mediapipe(path)


def test_mediapipe_frames_without_a_face_are_filled_and_odd_timestamps_refused(tmp_path):
    scores = _scores(frames=5)
    frames = [{"timestamp_ms": 40 * i, "face_blendshapes": [[{"categoryName": n, "score": v} for n, v in zip(MEDIAPIPE_NAMES, row)]]}
              for i, row in enumerate(scores)]
    frames[2]["face_blendshapes"] = []  # the face was lost in this frame
    path = tmp_path / "mp.json"
    path.write_text(json.dumps(frames))
    take = read_mediapipe(path)
    assert take.fps == 25 and take.num_frames == 5
    np.testing.assert_allclose(take.weights[2, :51], (scores[1, 1:] + scores[3, 1:]) / 2, atol=1e-6)
    for frame, stamp in zip(frames, range(0, 5_000_000, 1_000_000)):  # microseconds, not milliseconds
        frame["timestamp_ms"] = stamp
    path.write_text(json.dumps(frames))
    with pytest.raises(ARKitFormatError, match="timestamps should be milliseconds"):
        read_mediapipe(path)


# ----------------------------------------------------------------------------------------------- our JSON, dispatch


def test_arkit_json_round_trip_and_missing_key(tmp_path):
    take = _take(frames=5, fps=24.0, start_frame=48)
    path = tmp_path / "take.json"
    write_arkit_json(take, path)
    data = json.loads(path.read_text())
    assert data["format"] == "tdmm-arkit-v1" and data["names"] == list(ARKIT_NAMES)
    assert data["frames"][1]["time"] == pytest.approx(49 / 24) and set(data["frames"][0]["head"]) == {"yaw", "pitch", "roll"}
    back = read_arkit_json(path)
    assert (back.fps, back.start_frame) == (24.0, 48)
    for field in ("weights", "head", "eyes"):
        np.testing.assert_allclose(getattr(back, field), getattr(take, field), atol=1e-6)
    del data["frames"][3]["weights"]["cheekPuff"]
    path.write_text(json.dumps(data))
    with pytest.raises(ARKitFormatError, match=r"frame 3 'weights' lacks the keys \['cheekPuff'\]"):
        read_arkit_json(path)


def test_read_arkit_file_dispatches_by_content(tmp_path):
    take = _take(frames=70, fps=60.0)
    live, ours = tmp_path / "a.txt", tmp_path / "b.data"
    write_live_link_csv(take, live)
    write_arkit_json(take, ours)
    for path in (live, ours):
        np.testing.assert_allclose(read_arkit_file(path).weights, take.weights, atol=1e-6)
    mediapipe = tmp_path / "c.csv"
    mediapipe.write_text(",".join(MEDIAPIPE_NAMES) + "\n" + ",".join(["0.25"] * 52) + "\n")
    assert read_arkit_file(mediapipe, fps=30).weight("jawOpen")[0] == 0.25
    other = tmp_path / "d.csv"
    other.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(ARKitFormatError, match="not a recognised ARKit file; expected a Live Link Face CSV"):
        read_arkit_file(other)
    with pytest.raises(IsADirectoryError):
        read_arkit_file(tmp_path)

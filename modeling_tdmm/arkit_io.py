"""Read and write ARKit takes: Live Link Face CSV, MediaPipe blendshape CSV/JSON and our own JSON.

* Live Link Face CSV: the header :data:`LIVE_LINK_HEADER`, then per frame a timecode
  ``HH:MM:SS:FF.fff`` (``FF`` the frame within the second, ``.fff`` the sub-frame fraction),
  ``BlendShapeCount`` (61, or 52 when a recording has no head/eye columns), the 52 weights in
  Live Link order and the 9 head/eye rotations in radians.
* MediaPipe face landmarker blendshapes (``_neutral`` + 51 names, no ``tongueOut``), as a CSV
  with one column per name, or as JSON (per frame a dict name -> score or a list of
  ``{"categoryName", "score"}`` objects, as ``FaceLandmarkerResult.face_blendshapes`` serialises).
* Our own JSON, ``{"format": "tdmm-arkit-v1", ...}``, keyed by Apple's names.

Readers accept regular files only and fail with one line naming the file, the row (or frame)
and column, and what was expected. Weights more than ``RANGE_SLACK`` outside [0, 1] are errors;
closer ones are clipped. Writers write atomically.
"""
from __future__ import annotations

import csv
import json
import os
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .arkit_names import (
    ARKIT_NAMES,
    CANONICAL_FROM_LIVE_LINK,
    LIVE_LINK_FROM_CANONICAL,
    LIVE_LINK_HEADER,
    LIVE_LINK_NAMES,
    LIVE_LINK_POSE_NAMES,
    MEDIAPIPE_NAMES,
)
from .arkit_take import AXES, ARKitFormatError, ARKitTake, check_fps, timecode_rate
from .io_utils import atomic_path, one_line, require_regular_file
from .limits import MAX_FRAMES, MAX_INPUT_BYTES

__all__ = [
    "JSON_FORMAT",
    "RANGE_SLACK",
    "STANDARD_FPS",
    "read_arkit_file",
    "read_arkit_json",
    "read_live_link_csv",
    "read_mediapipe",
    "write_arkit_json",
    "write_live_link_csv",
]

#: Frame rates tried, smallest first, when a Live Link Face CSV's rate is inferred from its timecodes.
STANDARD_FPS = (24, 25, 30, 48, 50, 60, 120)
#: The ``format`` value of our own JSON.
JSON_FORMAT = "tdmm-arkit-v1"
#: How far a weight in a file may stray outside [0, 1] before it is an error rather than clipped.
RANGE_SLACK = 1e-3
#: ``BlendShapeCount`` with and without the 9 head/eye columns.
_FULL_COUNT, _WEIGHTS_ONLY_COUNT = len(LIVE_LINK_NAMES) + len(LIVE_LINK_POSE_NAMES), len(LIVE_LINK_NAMES)
_TIMECODE = re.compile(r"(\d{2}):([0-5]\d):([0-5]\d):(\d{2,3})(?:\.(\d{1,6}))?")
_SNAP = 0.03  # timestamp-derived fps within 3% of a standard rate is taken as that rate
_FORMATS = ("a Live Link Face CSV (header 'Timecode,BlendShapeCount,...')", "a MediaPipe blendshapes CSV or JSON",
            f"our JSON ('format': '{JSON_FORMAT}')")

Where = Callable[[int], str]


# ----------------------------------------------------------------------------------------------- shared checks


def _size_checked(path: str | os.PathLike, what: str) -> str:
    source = require_regular_file(path, what)
    MAX_INPUT_BYTES.check(os.path.getsize(source), source)
    return source


def _number(value: Any, what: str) -> float:
    """A JSON value as a float; bools, strings, null and huge integers are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ARKitFormatError(f"{what} should be a number, got {value!r:.40}")
    try:
        return float(value)
    except OverflowError:
        raise ARKitFormatError(f"{what} should be a number, got an integer too large for a float") from None


def _check_values(values: np.ndarray, names: tuple[str, ...], where: Where, source: str, unit: bool) -> np.ndarray:
    """``values`` [T, K] after checking they are finite and (``unit``) within ``RANGE_SLACK`` of [0, 1], then clipped."""
    bad = ~np.isfinite(values)
    if unit:
        bad |= (values < -RANGE_SLACK) | (values > 1 + RANGE_SLACK)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        expected = "a weight in [0, 1]" if unit else "a finite number"
        raise ARKitFormatError(f"{source}: {where(row)} column '{names[column]}': {values[row, column]:g} "
                               f"is not {expected}")
    return np.clip(values, 0.0, 1.0) if unit else values


def _frame_where(i: int) -> str:
    return f"frame {i}"


def _on_frame_grid(positions: np.ndarray, *columns: np.ndarray, last: float | None = None) -> list[np.ndarray]:
    """Rows at increasing frame ``positions [N]`` (floats, >= 0) -> the same columns ``[N, C]`` on every whole frame
    0 .. round(``last``, default the last position), linearly interpolated where frames were dropped (timing kept,
    never closed up) and held at the ends."""
    end = float(positions[-1] if last is None else last)
    grid = np.arange(round(end) + 1, dtype=np.float64)
    return [np.stack([np.interp(grid, positions, column[:, c]) for c in range(column.shape[1])], 1) for column in columns]


# ----------------------------------------------------------------------------------------------- CSV


def _read_csv(path: str | os.PathLike, what: str) -> tuple[str, list[str], list[tuple[int, list[str]]]]:
    """``(source, header names, [(line number, cells)])`` of a CSV with a header and at least one row."""
    source = _size_checked(path, what)
    rows: list[tuple[int, list[str]]] = []
    limit = MAX_FRAMES.value()
    try:
        with open(source, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            for cells in reader:
                if any(cell.strip() for cell in cells):
                    rows.append((reader.line_num, cells))
                    if len(rows) > limit:
                        MAX_FRAMES.check(len(rows), source)
    except UnicodeDecodeError:
        raise ARKitFormatError(f"{source}: not UTF-8 text; expected {what}") from None
    except csv.Error as exc:
        raise ARKitFormatError(f"{source}: line {reader.line_num}: not valid CSV ({one_line(exc)})") from None
    if header is None or not any(cell.strip() for cell in header):
        raise ARKitFormatError(f"{source}: empty file; expected {what} with a header line")
    if not rows:
        raise ARKitFormatError(f"{source}: has a header but no frames; expected {what} with one row per frame")
    return source, [cell.strip() for cell in header], rows


def _columns(header: list[str], required: tuple[str, ...], source: str, what: str) -> dict[str, int]:
    """Column index of every header name; an error names duplicated and missing ``required`` columns."""
    duplicated = sorted(name for name, count in Counter(header).items() if count > 1 and name)
    if duplicated:
        raise ARKitFormatError(f"{source}: header repeats the columns {duplicated}")
    missing = [name for name in required if name not in header]
    if missing:
        raise ARKitFormatError(f"{source}: header lacks the {what} columns {missing}")
    return {name: i for i, name in enumerate(header)}


def _row_where(rows: list[tuple[int, list[str]]]) -> Where:
    return lambda i: f"row {i + 1} (line {rows[i][0]})"


def _floats(rows: list[tuple[int, list[str]]], picks: list[int], columns: list[int], names: tuple[str, ...],
            source: str) -> np.ndarray:
    """``[len(picks), len(columns)]`` float64 values of the picked rows' columns (not yet range-checked)."""
    where, width = _row_where(rows), max(columns) + 1
    values = np.empty((len(picks), len(columns)))
    for k, i in enumerate(picks):
        cells = rows[i][1]
        if len(cells) < width:
            raise ARKitFormatError(f"{source}: {where(i)} has {len(cells)} cells; the header needs at least {width}")
        try:
            values[k] = [float(cells[j]) for j in columns]
        except ValueError:
            name, text = next((n, cells[j]) for n, j in zip(names, columns) if not _is_float(cells[j]))
            raise ARKitFormatError(f"{source}: {where(i)} column '{name}': {text.strip()!r:.40} is not a number") from None
    return values


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _cell(rows: list[tuple[int, list[str]]], i: int, column: int, name: str, source: str) -> str:
    cells = rows[i][1]
    if column >= len(cells):
        raise ARKitFormatError(f"{source}: {_row_where(rows)(i)} has {len(cells)} cells; column '{name}' is cell {column + 1}")
    return cells[column].strip()


def _int_cell(rows: list[tuple[int, list[str]]], i: int, column: int, name: str, source: str) -> int:
    text = _cell(rows, i, column, name, source)
    if not re.fullmatch(r"\d{1,9}", text):
        raise ARKitFormatError(f"{source}: {_row_where(rows)(i)} column '{name}': {text!r:.40} is not a whole number >= 0")
    return int(text)


# ----------------------------------------------------------------------------------------------- Live Link Face


def _timecode(frame: int, rate: int) -> str:
    """Frame count ``frame`` at ``rate`` as ``HH:MM:SS:FF.000`` (hours wrap at 24, as time of day)."""
    seconds, ff = divmod(frame, rate)
    minutes, ss = divmod(seconds, 60)
    hours, mm = divmod(minutes, 60)
    return f"{hours % 24:02d}:{mm:02d}:{ss:02d}:{ff:02d}.000"


def write_live_link_csv(take: ARKitTake, path: str | os.PathLike) -> None:
    """Write ``take`` as Live Link Face's CSV (``\\n`` newlines, 61 values per row, 7 decimals).

    Timecodes count ``take.start_frame + i`` at ``round(take.fps)`` frames per second.
    """
    rate = timecode_rate(take.fps)
    values = np.concatenate([take.weights[:, LIVE_LINK_FROM_CANONICAL], take.head, take.eyes], axis=1).astype(np.float64)
    values = np.round(values, 7) + 0.0  # + 0.0: no "-0.0000000" cells
    lines = [LIVE_LINK_HEADER]
    for i, row in enumerate(values.tolist()):
        cells = ",".join(f"{v:.7f}" for v in row)
        lines.append(f"{_timecode(take.start_frame + i, rate)},{_FULL_COUNT},{cells}")
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as handle:
        handle.write("\n".join(lines) + "\n")


def _parse_timecodes(rows: list[tuple[int, list[str]]], column: int, source: str) -> np.ndarray:
    """``[T, 3]`` (whole seconds of the day, frame field FF, sub-frame fraction) of each row's timecode."""
    parsed = np.empty((len(rows), 3))
    for i in range(len(rows)):
        text = _cell(rows, i, column, "Timecode", source)
        match = _TIMECODE.fullmatch(text)
        if match is None:
            raise ARKitFormatError(f"{source}: {_row_where(rows)(i)} column 'Timecode': {text!r:.40} is not a "
                                   f"timecode HH:MM:SS:FF.fff")
        hh, mm, ss, ff, fraction = match.groups()
        parsed[i] = (int(hh) * 3600 + int(mm) * 60 + int(ss), int(ff), float(f"0.{fraction or 0}"))
    return parsed


def _frame_positions(timecodes: np.ndarray, rate: int, where: Where, source: str) -> np.ndarray:
    """Frame positions ``[T]`` of the rows relative to the first at ``rate``, strictly increasing (midnight wraps)."""
    absolute = timecodes[:, 0] * rate + timecodes[:, 1] + timecodes[:, 2]
    steps = np.diff(absolute)
    steps[steps < -43200 * rate] += 86400 * rate  # the take runs past midnight
    if (steps <= 0).any():
        i = int(np.flatnonzero(steps <= 0)[0]) + 1
        raise ARKitFormatError(f"{source}: {where(i)} column 'Timecode': not after the previous row's timecode "
                               "(rows must be in time order, each frame once)")
    return np.concatenate([[0.0], np.cumsum(steps)])


def _timecode_rate(timecodes: np.ndarray, fallback: float | None, source: str) -> int:
    """The rate the frame fields FF count at: the largest FF + 1 over the seconds the take runs past (their last frame
    was recorded), else ``fallback``; a take within one second without ``fallback`` is an error."""
    seconds = timecodes[:, 0]
    in_order = list(dict.fromkeys(seconds.tolist()))  # order of appearance: a take may run past midnight
    whole = in_order[:-1]  # seconds the take runs past: their last frame field was recorded
    if whole:
        rate = int(timecodes[np.isin(seconds, whole), 1].max()) + 1
        standard = [r for r in STANDARD_FPS if r >= rate]  # a lost last frame of every second must not make 30 fps 29
        return standard[0] if standard and standard[0] <= rate * 1.1 else rate
    if fallback is not None:
        return timecode_rate(check_fps(fallback, f"{source}: fps"))
    raise ARKitFormatError(f"{source}: the timecodes stay within one second, so the frame rate cannot be read from them; "
                           "pass the frame rate (--fps; fps= in Python)")


def read_live_link_csv(path: str | os.PathLike, fps: float | None = None) -> ARKitTake:
    """Read a Live Link Face CSV into an :class:`ARKitTake` (weights reordered to :data:`ARKIT_NAMES`).

    Columns are matched by name (any order; unknown extra columns are ignored). Rows with
    ``BlendShapeCount`` 52 have no head/eye values (zeros). The rate is read from the timecodes
    (the largest frame field FF + 1 over the seconds the take runs past, raised to a standard rate within 10%
    above it, as a dropped last frame of every second would lower it); ``fps`` is used only for a
    take shorter than that. Rows are placed on their timecodes: dropped frames are interpolated,
    never closed up; a repeated or backward timecode is an error. ``start_frame`` is the first
    row's timecode (sub-frame dropped).
    """
    source, header, rows = _read_csv(path, "a Live Link Face CSV")
    columns = _columns(header, ("Timecode", "BlendShapeCount") + LIVE_LINK_NAMES, source, "Live Link Face")
    present = [name for name in LIVE_LINK_POSE_NAMES if name in columns]
    if present and len(present) < len(LIVE_LINK_POSE_NAMES):
        missing = [name for name in LIVE_LINK_POSE_NAMES if name not in columns]
        raise ARKitFormatError(f"{source}: header has some head/eye columns but lacks {missing}")
    where = _row_where(rows)
    counts = [_int_cell(rows, i, columns["BlendShapeCount"], "BlendShapeCount", source) for i in range(len(rows))]
    for i, count in enumerate(counts):
        if count not in (_FULL_COUNT, _WEIGHTS_ONLY_COUNT):
            raise ARKitFormatError(f"{source}: {where(i)} column 'BlendShapeCount': {count} should be "
                                   f"{_FULL_COUNT} (or {_WEIGHTS_ONLY_COUNT} without head/eye values)")
        if count == _FULL_COUNT and not present:
            raise ARKitFormatError(f"{source}: {where(i)} has BlendShapeCount {count} but the header lacks "
                                   f"the head/eye columns {list(LIVE_LINK_POSE_NAMES)}")
    live = _floats(rows, list(range(len(rows))), [columns[n] for n in LIVE_LINK_NAMES], LIVE_LINK_NAMES, source)
    weights = _check_values(live, LIVE_LINK_NAMES, where, source, unit=True)[:, CANONICAL_FROM_LIVE_LINK]
    pose = np.zeros((len(rows), len(LIVE_LINK_POSE_NAMES)))
    full = [i for i, count in enumerate(counts) if count == _FULL_COUNT]
    if full:
        values = _floats(rows, full, [columns[n] for n in LIVE_LINK_POSE_NAMES], LIVE_LINK_POSE_NAMES, source)
        pose[full] = _check_values(values, LIVE_LINK_POSE_NAMES, lambda k: where(full[k]), source, unit=False)
    timecodes = _parse_timecodes(rows, columns["Timecode"], source)
    rate = _timecode_rate(timecodes, fps, source)
    too_big = np.flatnonzero(timecodes[:, 1] >= rate)
    if too_big.size:
        i = int(too_big[0])
        raise ARKitFormatError(f"{source}: {where(i)} column 'Timecode': frame field {int(timecodes[i, 1])} is not "
                               f"below the frame rate {rate}")
    weights, pose = _on_frame_grid(_frame_positions(timecodes, rate, where, source), weights, pose)
    start = int(timecodes[0, 0]) * rate + int(timecodes[0, 1])
    return ARKitTake(weights=weights, head=pose[:, :3], eyes=pose[:, 3:], fps=rate, start_frame=start, origin=source)


# ----------------------------------------------------------------------------------------------- MediaPipe


def _fps_from_times(times_ms: np.ndarray, where: Where, source: str) -> float:
    """Frame rate from the median interval of increasing timestamps (ms), snapped to a standard rate within 3%."""
    bad = np.flatnonzero(~np.isfinite(times_ms) | (times_ms < 0))
    if bad.size:
        i = int(bad[0])
        raise ARKitFormatError(f"{source}: {where(i)} timestamp_ms {times_ms[i]:g} should be a finite number >= 0")
    steps = np.diff(times_ms)
    if (steps <= 0).any():
        i = int(np.flatnonzero(steps <= 0)[0]) + 1
        raise ARKitFormatError(f"{source}: {where(i)} timestamp_ms {times_ms[i]:g} is not after the previous "
                               f"{times_ms[i - 1]:g}")
    fps = 1000.0 / float(np.median(steps))
    if not 1.0 <= fps <= 1000.0:
        raise ARKitFormatError(f"{source}: timestamp_ms steps of {np.median(steps):g} give {fps:g} fps; timestamps "
                               "should be milliseconds (seconds or microseconds?)")
    nearest = min(STANDARD_FPS, key=lambda rate: abs(rate - fps))
    return float(nearest) if abs(nearest - fps) <= _SNAP * nearest else round(fps, 3)


def _mediapipe_take(scores: np.ndarray, times_ms: np.ndarray | None, first_frame: int | None, fps: Any,
                    where: Where, source: str, kept: np.ndarray | None = None, span: tuple[float, float] | None = None
                    ) -> ARKitTake:
    """A take from ``[T, 51]`` MediaPipe scores (tongueOut 0, no head/eyes). The rate comes from the timestamps
    ``times_ms [T]``, else ``fps``. Rows sit on their timestamps (or, without them, on frame indices ``kept [T]``)
    within ``span`` (first and last timestamp or index of the whole recording, frames without a face included);
    frames between or around them are interpolated or held."""
    scores = _check_values(scores, MEDIAPIPE_NAMES[1:], where, source, unit=True)
    if times_ms is not None and len(times_ms) > 1:
        rate = _fps_from_times(times_ms, where, source)
    elif fps is not None:
        rate = check_fps(fps, f"{source}: fps")
    else:
        raise ARKitFormatError(f"{source}: cannot infer the frame rate (needs 'timestamp_ms' on at least two frames); "
                               "pass the frame rate (--fps; fps= in Python)")
    if times_ms is not None:
        start, end = span or (times_ms[0], times_ms[-1])
        positions, last = (times_ms - start) * rate / 1000.0, (end - start) * rate / 1000.0
        first_frame = round(start * rate / 1000.0) if first_frame is None else first_frame
    else:
        start, end = span or (0, len(scores) - 1)
        positions = (np.arange(len(scores)) if kept is None else kept) - start
        last = end - start
    (scores,) = _on_frame_grid(np.asarray(positions, np.float64), scores, last=last)
    weights = np.zeros((len(scores), len(ARKIT_NAMES)))
    weights[:, : len(MEDIAPIPE_NAMES) - 1] = scores  # MediaPipe's 51 are the canonical order minus the last, tongueOut
    zeros = np.zeros((len(scores), 9))
    return ARKitTake(weights=weights, head=zeros[:, :3], eyes=zeros[:, 3:], fps=rate, start_frame=first_frame or 0,
                     origin=source)


def _mediapipe_csv(path: str | os.PathLike, fps: float | None) -> ARKitTake:
    source, header, rows = _read_csv(path, "a MediaPipe blendshapes CSV")
    names = MEDIAPIPE_NAMES[1:]
    columns = _columns(header, names, source, "MediaPipe blendshape")
    every = list(range(len(rows)))
    scores = _floats(rows, every, [columns[n] for n in names], names, source)
    times_ms = first_frame = None
    if "timestamp_ms" in columns:
        times_ms = _check_values(_floats(rows, every, [columns["timestamp_ms"]], ("timestamp_ms",), source),
                                 ("timestamp_ms",), _row_where(rows), source, unit=False)[:, 0]
    elif "frame" in columns:
        first_frame = _int_cell(rows, 0, columns["frame"], "frame", source)
    return _mediapipe_take(scores, times_ms, first_frame, fps, _row_where(rows), source)


def _categories(value: Any, what: str) -> dict[str, Any] | None:
    """``[{"categoryName"|"category_name", "score"}, ...]`` (or a list of those per face: the first) -> name -> score;
    ``None`` for an empty list (no face detected in that frame)."""
    if isinstance(value, list) and value and isinstance(value[0], list):
        value = value[0]
    if isinstance(value, list) and not value:
        return None
    if not isinstance(value, list):
        raise ARKitFormatError(f"{what} should be a list of {{'categoryName', 'score'}} objects, got {type(value).__name__}")
    table = {}
    for k, item in enumerate(value):
        name = item.get("categoryName", item.get("category_name")) if isinstance(item, dict) else None
        if not isinstance(name, str) or "score" not in item:
            raise ARKitFormatError(f"{what} item {k} should be an object with 'categoryName' and 'score', got {item!r:.60}")
        table[name] = item["score"]
    return table


def _mediapipe_frame(frame: Any, what: str) -> tuple[dict[str, Any] | None, Any]:
    """One JSON frame -> (name -> score, or None without a face; timestamp_ms or None)."""
    if isinstance(frame, list):
        return _categories(frame, what), None
    if not isinstance(frame, dict):
        raise ARKitFormatError(f"{what} should be an object or a list of categories, got {type(frame).__name__}")
    for key in ("face_blendshapes", "blendshapes"):
        if key in frame:
            return _categories(frame[key], f"{what} '{key}'"), frame.get("timestamp_ms")
    return frame, frame.get("timestamp_ms")


def _mediapipe_json(data: Any, fps: float | None, source: str) -> ARKitTake:
    frames, declared = data, None
    if isinstance(data, dict):
        if "frames" not in data:
            raise ARKitFormatError(f"{source}: JSON object lacks the key 'frames'; expected a list of frames or "
                                   f"{{'fps': ..., 'frames': [...]}}")
        frames, declared = data["frames"], data.get("fps")
    if not isinstance(frames, list) or not frames:
        raise ARKitFormatError(f"{source}: 'frames' should be a non-empty list of per-frame blendshapes")
    MAX_FRAMES.check(len(frames), source)
    names = MEDIAPIPE_NAMES[1:]
    rows, kept, times = [], [], []
    for i, frame in enumerate(frames):
        table, stamp = _mediapipe_frame(frame, f"{source}: frame {i}")
        times.append(None if stamp is None else _number(stamp, f"{source}: frame {i} 'timestamp_ms'"))
        if table is None:
            continue  # no face in this frame: interpolated from its neighbours
        missing = [name for name in names if name not in table]
        if missing:
            raise ARKitFormatError(f"{source}: frame {i} lacks {len(missing)} of the 51 MediaPipe blendshapes, e.g. "
                                   f"{missing[:3]}; expected MediaPipe face-landmarker blendshapes")
        rows.append([_number(table[name], f"{source}: frame {i} '{name}'") for name in names])
        kept.append(i)
    if not rows:
        raise ARKitFormatError(f"{source}: no frame has blendshapes (no face detected in any frame)")
    stamped = [t is not None for t in times]
    if any(stamped) and not all(stamped):
        raise ARKitFormatError(f"{source}: frame {stamped.index(not stamped[0])} lacks 'timestamp_ms' "
                               f"(some frames have one, so every frame needs one)")
    where = lambda k: _frame_where(kept[k])
    if all(stamped):
        every = np.array(times, dtype=np.float64)
        _fps_from_times(every, _frame_where, source)  # every timestamp valid and increasing, faces or not
        return _mediapipe_take(np.array(rows), every[kept], None, declared if declared is not None else fps, where, source,
                               span=(every[0], every[-1]))
    return _mediapipe_take(np.array(rows), None, None, declared if declared is not None else fps, where, source,
                           kept=np.array(kept), span=(0, len(frames) - 1))


def read_mediapipe(path: str | os.PathLike, fps: float | None = None) -> ARKitTake:
    """Read MediaPipe face-landmarker blendshapes (CSV or JSON, told apart by content) into an :class:`ARKitTake`.

    ``_neutral`` is ignored, ``tongueOut`` is 0 and head/eyes are zeros. The frame rate is
    ``fps`` if given, else the JSON's top-level ``"fps"``, else from the timestamps
    (``timestamp_ms``: median interval, snapped to a standard rate within 3%); without any of
    them it is an error. ``start_frame`` comes from the first timestamp or ``frame`` value.
    """
    source = _size_checked(path, "MediaPipe blendshapes file")
    if _text_start(source).startswith(("{", "[")):
        return _mediapipe_json(_load_json(source), fps, source)
    return _mediapipe_csv(source, fps)


# ----------------------------------------------------------------------------------------------- our JSON


def write_arkit_json(take: ARKitTake, path: str | os.PathLike) -> None:
    """Write ``take`` as our JSON: ``{"format": "tdmm-arkit-v1", "fps", "start_frame", "names", "frames"}``.

    Each frame is ``{"time": s, "weights": {name: w}, "head": {"yaw", "pitch", "roll"},
    "eyes": {"left": {...}, "right": {...}}}`` (radians; values rounded to 7 decimals).
    """
    def tidy(value: float) -> float:
        return round(value, 7) + 0.0  # + 0.0: no -0.0

    def axes(values: list[float]) -> dict[str, float]:
        return {axis: tidy(v) for axis, v in zip(AXES, values)}

    frames = [{"time": round((take.start_frame + i) / take.fps, 9),
               "weights": {name: tidy(v) for name, v in zip(ARKIT_NAMES, weights)},
               "head": axes(head), "eyes": {"left": axes(eyes[:3]), "right": axes(eyes[3:])}}
              for i, (weights, head, eyes) in enumerate(zip(take.weights.tolist(), take.head.tolist(), take.eyes.tolist()))]
    document = {"format": JSON_FORMAT, "fps": take.fps, "start_frame": take.start_frame, "names": list(ARKIT_NAMES),
                "frames": frames}
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as handle:
        json.dump(document, handle, separators=(",", ":"))
        handle.write("\n")


def _mapping(value: Any, keys: tuple[str, ...], what: str) -> list[float]:
    """The numbers under ``keys`` of the JSON object ``value``; an error names ``what`` and the missing keys."""
    if not isinstance(value, dict):
        raise ARKitFormatError(f"{what} should be an object with keys {list(keys)}, got {type(value).__name__}")
    missing = [key for key in keys if key not in value]
    if missing:
        raise ARKitFormatError(f"{what} lacks the keys {missing}")
    return [_number(value[key], f"{what} '{key}'") for key in keys]


def _arkit_json(data: Any, source: str) -> ARKitTake:
    if not isinstance(data, dict) or data.get("format") != JSON_FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise ARKitFormatError(f"{source}: expected a JSON object with 'format': '{JSON_FORMAT}', got {found!r:.40}")
    for key in ("fps", "frames"):
        if key not in data:
            raise ARKitFormatError(f"{source}: lacks the key '{key}'")
    names = data.get("names", list(ARKIT_NAMES))
    if not isinstance(names, list) or sorted(map(str, names)) != list(ARKIT_NAMES):
        raise ARKitFormatError(f"{source}: 'names' should list the 52 ARKit names (camelCase)")
    frames = data["frames"]
    if not isinstance(frames, list) or not frames:
        raise ARKitFormatError(f"{source}: 'frames' should be a non-empty list")
    MAX_FRAMES.check(len(frames), source)
    values = np.empty((len(frames), len(ARKIT_NAMES) + 9))
    for i, frame in enumerate(frames):
        what = f"{source}: frame {i}"
        if not isinstance(frame, dict):
            raise ARKitFormatError(f"{what} should be an object, got {type(frame).__name__}")
        missing = [key for key in ("weights", "head", "eyes") if key not in frame]
        if missing:
            raise ARKitFormatError(f"{what} lacks the keys {missing}")
        eyes = frame["eyes"]
        if not isinstance(eyes, dict) or not {"left", "right"} <= set(eyes):
            raise ARKitFormatError(f"{what} 'eyes' should be an object with keys ['left', 'right']")
        values[i] = (_mapping(frame["weights"], ARKIT_NAMES, f"{what} 'weights'")
                     + _mapping(frame["head"], AXES, f"{what} 'head'")
                     + _mapping(eyes["left"], AXES, f"{what} 'eyes' 'left'")
                     + _mapping(eyes["right"], AXES, f"{what} 'eyes' 'right'"))
    weights = _check_values(values[:, : len(ARKIT_NAMES)], ARKIT_NAMES, _frame_where, source, unit=True)
    pose = _check_values(values[:, len(ARKIT_NAMES):], LIVE_LINK_POSE_NAMES, _frame_where, source, unit=False)
    return ARKitTake(weights=weights, head=pose[:, :3], eyes=pose[:, 3:], fps=data["fps"],
                     start_frame=data.get("start_frame", 0), origin=source)


def read_arkit_json(path: str | os.PathLike) -> ARKitTake:
    """Read our JSON (see :func:`write_arkit_json`); ``start_frame`` defaults to 0, ``time`` is informative only."""
    source = _size_checked(path, "tdmm-arkit JSON file")
    return _arkit_json(_load_json(source), source)


# ----------------------------------------------------------------------------------------------- dispatch


def _text_start(source: str) -> str:
    """The first 64 KiB of ``source`` as text, without a byte-order mark or leading whitespace."""
    with open(source, "rb") as handle:
        return handle.read(65536).decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")


def _load_json(source: str) -> Any:
    try:
        with open(source, encoding="utf-8-sig") as handle:
            return json.load(handle)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ARKitFormatError(f"{source}: not valid JSON ({one_line(exc)}); expected MediaPipe blendshapes or "
                               "tdmm-arkit JSON") from None


def _header_cells(start: str) -> list[str]:
    """The first line of ``start`` split at commas, cells unquoted and stripped."""
    return [cell.strip().strip('"').strip() for cell in start.split("\n", 1)[0].split(",")]


def is_arkit_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` (a regular file) should be read by :func:`read_arkit_file`: a ``.csv`` / ``.json`` / ``.txt``
    name, or content that is JSON or a CSV whose header starts with ``Timecode`` or names MediaPipe blendshapes.
    Pickles and npz archives never qualify (they are checked before this)."""
    if Path(path).suffix.lower() in (".csv", ".json", ".txt"):
        return True
    start = _text_start(os.fspath(path))
    cells = _header_cells(start)
    return start.startswith(("{", "[")) or cells[0].lower() == "timecode" or bool(set(cells) & set(MEDIAPIPE_NAMES))


def read_arkit_file(path: str | os.PathLike, fps: float | None = None) -> ARKitTake:
    """Read any supported ARKit file, recognised by its content.

    JSON with ``"format": "tdmm-arkit-v1"`` is ours, other JSON is MediaPipe; a CSV whose header
    starts with ``Timecode,`` is Live Link Face, one naming MediaPipe blendshapes is MediaPipe.
    ``fps`` overrides the frame rate of the CSV and MediaPipe formats (ours stores its own).
    """
    source = _size_checked(path, "face-capture file (Live Link Face CSV, MediaPipe or tdmm-arkit JSON)")
    with open(source, "rb") as handle:
        if handle.read(2) in (b"\xff\xfe", b"\xfe\xff"):
            raise ARKitFormatError(f"{source}: UTF-16 text; save it as UTF-8 (Live Link Face, MediaPipe and our JSON are UTF-8)")
    start = _text_start(source)
    if start.startswith(("{", "[")):
        data = _load_json(source)
        if isinstance(data, dict) and "format" in data:
            return _arkit_json(data, source)
        return _mediapipe_json(data, fps, source)
    cells = _header_cells(start)
    if cells[0].lower() == "timecode":
        return read_live_link_csv(source, fps)
    if set(cells) & set(MEDIAPIPE_NAMES):
        return _mediapipe_csv(source, fps)
    raise ARKitFormatError(f"{source}: not a recognised ARKit file; expected {', '.join(_FORMATS)}")

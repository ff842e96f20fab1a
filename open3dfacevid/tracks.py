"""Real tracker output as Open3DFaceVid clips: a folder of tracker files plus a manifest.

Tracker files are anything :func:`modeling_tdmm.readers.read_tracker_file` reads: SMIRK / DECA-family
output, clips, and ARKit captures (an iPhone's Live Link Face CSV, MediaPipe blendshapes), which
become open-head-v1 clips through its ARKit shapes.

The manifest is UTF-8 CSV (a byte-order mark, as Excel writes, is fine) or JSONL with
columns ``file`` (relative to the tracks folder), ``prompt`` and optionally ``captions`` (a
JSON list, or ``|``-separated in CSV). Every file that cannot become a clip is reported
with its reason; none is dropped silently and none stops the build: a row naming a file
outside the tracks folder, something that is not a regular file (a folder, FIFO, device),
a file listed twice, a malformed or unsafe file, NaN/inf values, a too short clip, and a
tracker file without a manifest row.
Accepted files are read twice, once to validate them before the build starts (so the
report is complete up front) and once while the dataset is written, both times through
:func:`track_row`; tracker files are small and holding every clip in memory between the
two would not scale.
"""
from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import datasets

from modeling_tdmm.clip import ClipValidationError, FaceClip
from modeling_tdmm.io_utils import require_regular_file
from modeling_tdmm.readers import read_tracker_file

from .features import FEATURES, clip_to_row

#: Files in a tracks folder that should have a manifest row: tracker output, clips and ARKit captures
#: (Live Link Face CSV, MediaPipe blendshapes CSV/JSON, tdmm-arkit JSON; the manifest itself is exempt).
TRACK_SUFFIXES = (".pkl", ".pickle", ".npz", ".csv", ".json")
#: Row columns Arrow stores as strings: a tracker file's attributes must give text there.
TEXT_COLUMNS = tuple(name for name, feature in FEATURES.items()
                     if isinstance(feature, datasets.Value) and feature.dtype == "string")


@dataclass
class TrackItem:
    path: str
    key: str  # path relative to the tracks folder: the clip id and the split key
    prompt: str
    captions: list[str] = field(default_factory=list)


@dataclass
class Rejected:
    file: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"file": self.file, "reason": self.reason}


class _Reject(Exception):
    """A manifest row or tracker file that cannot become a clip; the message is the reason."""


def read_manifest(path: str | Path) -> list[dict]:
    """Rows of a UTF-8 CSV or JSONL manifest; each needs a ``file`` entry.

    Errors name the file (and line): not a regular file, not UTF-8, a JSONL line that is
    not a JSON object, a row without ``file``.
    """
    source = require_regular_file(path, "manifest")
    try:
        text = Path(source).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{source}: the manifest must be UTF-8 text (undecodable byte at offset {exc.start}); "
                         f"save it as UTF-8") from None
    reader = _jsonl_rows if Path(source).suffix.lower() in (".jsonl", ".json") else _csv_rows
    rows = []
    for line, row in reader(source, text):
        if not isinstance(row.get("file"), str) or not row["file"].strip():
            raise ValueError(f"{source}:{line}: no 'file' entry (columns: file, prompt[, captions])")
        rows.append(row)
    return rows


def _jsonl_rows(source: str, text: str) -> list[tuple[int, dict]]:
    """``(line number, object)`` for every non-blank line."""
    rows = []
    for line, content in enumerate(text.splitlines(), 1):
        if not content.strip():
            continue
        try:
            row = json.loads(content)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{source}:{line}: not valid JSON ({exc})") from None
        if not isinstance(row, dict):
            raise ValueError(f"{source}:{line}: expected a JSON object with 'file' and 'prompt', got {type(row).__name__}")
        rows.append((line, row))
    return rows


def _csv_rows(source: str, text: str) -> list[tuple[int, dict]]:
    """``(line number, row)`` for every CSV record after the header."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise ValueError(f"{source}:{reader.line_num}: not valid CSV ({exc})") from None


def _captions(value: object) -> list[str]:
    if not value:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value)
    if text.startswith("["):
        try:
            captions = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _Reject(f"captions are not a valid JSON list ({exc})") from None
        return [str(v) for v in captions] if isinstance(captions, list) else [text]
    return [part.strip() for part in text.split("|") if part.strip()]


def load_track(item: TrackItem, fps: float | None = None) -> FaceClip:
    """Read one tracker file (regular files only) as a clip with its manifest prompt and captions."""
    clip = read_tracker_file(require_regular_file(item.path, "tracker file"), fps=fps)
    if not isinstance(clip.attributes, dict):
        raise ClipValidationError(f"{item.path}: 'attributes' should be a JSON object, got {type(clip.attributes).__name__}")
    clip.clip_id = item.key
    clip.prompt = item.prompt
    clip.captions = item.captions or [item.prompt]
    clip.attributes = {**clip.attributes, "tracker_file": item.key}
    return clip


def track_row(item: TrackItem, fps: float | None = None) -> dict[str, Any]:
    """The dataset row of one tracker file; the scan and the dataset writer both use this.

    Raises if the file's metadata would not fit the typed columns (e.g. an attribute that
    should be text is a list), so a file that passes the scan is written without error.
    """
    row = clip_to_row(load_track(item, fps))
    for name in TEXT_COLUMNS:
        if not isinstance(row[name], str):
            raise ClipValidationError(f"{item.path}: column '{name}' should be text, got {type(row[name]).__name__} "
                                      f"(from the file's attributes)")
        row[name].encode("utf-8")  # a lone surrogate from JSON cannot be stored
    return row


def _real(path: Path) -> Path:
    """``path`` with symlinks resolved; never raises (a symlink loop resolves to itself)."""
    return Path(os.path.realpath(path))


def _resolve(root: Path, key: str) -> Path:
    """``root / key`` with symlinks resolved; rejected unless it lies inside ``root``."""
    if Path(key).is_absolute():
        raise _Reject("absolute path; rows must be relative to the tracks folder")
    path = _real(root / key)
    if path != root and root not in path.parents:
        raise _Reject("outside the tracks folder")
    return path


def _item(root: Path, row: dict, key: str, seen: dict[Path, str]) -> TrackItem:
    """A :class:`TrackItem` for one manifest row, or :class:`_Reject` with the reason."""
    path = _resolve(root, key)
    if path in seen:
        raise _Reject(f"duplicate manifest row (the file is already listed as '{seen[path]}')")
    seen[path] = key
    if not os.path.lexists(path):
        raise _Reject("file not found")
    prompt = row.get("prompt")
    if prompt is not None and not isinstance(prompt, str):
        raise _Reject(f"prompt should be text, got {type(prompt).__name__}")
    if not (prompt or "").strip():
        raise _Reject("missing prompt")
    return TrackItem(str(path), key, prompt.strip(), _captions(row.get("captions")))


def _reason(exc: Exception) -> str:
    """The rejection reason for an exception raised while checking one manifest row."""
    if isinstance(exc, _Reject):
        return str(exc)
    if isinstance(exc, ClipValidationError) and "NaN" in str(exc):
        return f"NaN/inf values: {exc}"
    if isinstance(exc, OSError):
        return f"unreadable: {exc}"
    return f"malformed: {exc}"


def _tracker_files(root: Path) -> list[str]:
    """Relative paths of files with a tracker suffix under ``root`` (no symlinked folders, nothing opened)."""
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            if name.lower().endswith(TRACK_SUFFIXES):
                found.append(Path(folder, name).relative_to(root).as_posix())
    return sorted(found)


def scan_tracks(tracks_dir: str | Path, manifest: str | Path, min_frames: int = 10,
                fps: float | None = None) -> tuple[list[TrackItem], list[Rejected]]:
    """Check every manifest entry and every tracker file in ``tracks_dir``.

    Returns the usable items and the rejected files with reasons. Only the manifest itself
    (missing, not UTF-8, malformed) and a missing tracks folder stop the scan.
    """
    root = Path(tracks_dir)
    if not root.is_dir():
        raise NotADirectoryError(f"{root}: tracks folder not found (or not a folder)")
    root = _real(root)
    accepted, rejected = [], []
    seen: dict[Path, str] = {}  # resolved path -> the first row's key
    listed = set()
    for row in read_manifest(manifest):
        key = PurePosixPath(os.path.normpath(row["file"].strip())).as_posix()
        listed.add(key)
        try:
            item = _item(root, row, key, seen)
            frames = track_row(item, fps)["num_frames"]
            if frames < min_frames:
                raise _Reject(f"too short: {frames} frames (minimum {min_frames})")
        except Exception as exc:  # one bad file is reported, never stops the build
            rejected.append(Rejected(key, _reason(exc)))
            continue
        accepted.append(item)
    manifest_path = _real(Path(manifest))
    rejected += [Rejected(key, "no manifest entry (no prompt)") for key in _tracker_files(root)
                 if key not in listed and _real(root / key) not in seen and _real(root / key) != manifest_path]
    return accepted, rejected

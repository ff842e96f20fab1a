"""Real tracker output as Open3DFaceVid clips: a folder of tracker files plus a manifest.

The manifest is CSV or JSONL with columns ``file`` (relative to the tracks folder),
``prompt`` and optionally ``captions`` (a JSON list, or ``|``-separated in CSV). Every file
that cannot become a clip is reported with its reason; none is dropped silently.
Accepted files are read twice, once to validate them before the build starts (so the
report is complete up front) and once while the dataset is written; tracker files are small
and holding every clip in memory between the two would not scale.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from modeling_tdmm.clip import ClipValidationError, FaceClip
from modeling_tdmm.readers import TrackerFormatError, read_tracker_file
from modeling_tdmm.safe_pickle import UnsafePickleError

TRACK_SUFFIXES = (".pkl", ".pickle", ".npz")


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


def read_manifest(path: str | Path) -> list[dict]:
    """Rows of a CSV or JSONL manifest; each needs a ``file`` entry."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: manifest not found")
    if path.suffix.lower() in (".jsonl", ".json"):
        rows = []
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{number}: not valid JSON ({exc})") from exc
    else:
        with open(path, newline="") as handle:
            rows = list(csv.DictReader(handle))
    for number, row in enumerate(rows, 1):
        if not row.get("file"):
            raise ValueError(f"{path}: row {number} has no 'file' column (columns: file, prompt[, captions])")
    return rows


def _captions(value: object) -> list[str]:
    if not value:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value)
    if text.startswith("["):
        return [str(v) for v in json.loads(text)]
    return [part.strip() for part in text.split("|") if part.strip()]


def load_track(item: TrackItem, fps: float | None = None) -> FaceClip:
    """Read one accepted tracker file as a clip with its manifest prompt and captions."""
    clip = read_tracker_file(item.path, fps=fps)
    clip.clip_id = item.key
    clip.prompt = item.prompt
    clip.captions = item.captions or [item.prompt]
    clip.attributes = {**clip.attributes, "tracker_file": item.key}
    return clip


def scan_tracks(tracks_dir: str | Path, manifest: str | Path, min_frames: int = 10,
                fps: float | None = None) -> tuple[list[TrackItem], list[Rejected]]:
    """Check every manifest entry and every tracker file in ``tracks_dir``.

    Returns the usable items and the rejected files with reasons: missing file, missing
    prompt, malformed or unsafe file, NaN/inf values, too short, or no manifest entry.
    """
    root = Path(tracks_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: tracks folder not found")
    accepted, rejected = [], []
    listed = set()
    for row in read_manifest(manifest):
        key = str(row["file"])
        listed.add(key)
        path = root / key
        prompt = (row.get("prompt") or "").strip()
        if not path.exists():
            rejected.append(Rejected(key, "file not found"))
            continue
        if not prompt:
            rejected.append(Rejected(key, "missing prompt"))
            continue
        item = TrackItem(str(path), key, prompt, _captions(row.get("captions")))
        try:
            clip = load_track(item, fps)
        except ClipValidationError as exc:
            reason = "NaN/inf values" if "NaN" in str(exc) else "malformed"
            rejected.append(Rejected(key, f"{reason}: {exc}"))
            continue
        except (TrackerFormatError, UnsafePickleError, ValueError) as exc:
            rejected.append(Rejected(key, f"malformed: {exc}"))
            continue
        if clip.num_frames < min_frames:
            rejected.append(Rejected(key, f"too short: {clip.num_frames} frames (minimum {min_frames})"))
            continue
        accepted.append(item)
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.suffix.lower() in TRACK_SUFFIXES and key not in listed:
            rejected.append(Rejected(key, "no manifest entry (no prompt)"))
    return accepted, rejected

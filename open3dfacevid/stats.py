"""Corpus statistics: counts per category, emotion, subject, durations, and a summary figure."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from modeling_tdmm.io_utils import atomic_path

STAT_COLUMNS = ["focus", "emotion", "emotion_family", "intensity", "head_motion", "subject", "duration", "source"]


def parquet_files(folder: str | Path, data_dir: str = "data") -> dict[str, list[Path]]:
    """Parquet shards in ``folder/data_dir`` grouped by split (from ``{split}-*.parquet`` names)."""
    files: dict[str, list[Path]] = {}
    for path in sorted((Path(folder) / data_dir).glob("*.parquet")):
        files.setdefault(path.name.split("-")[0], []).append(path)
    if not files:
        raise FileNotFoundError(f"{folder}: no Parquet shards in {data_dir}/")
    return files


def compute_stats(folder: str | Path, data_dir: str = "data") -> dict[str, Any]:
    """Counts and durations read from the metadata columns only (no motion arrays)."""
    per_split: dict[str, int] = {}
    counters = {name: Counter() for name in ("focus", "emotion", "emotion_family", "intensity", "head_motion", "subject", "source")}
    durations: list[float] = []
    for split, paths in parquet_files(folder, data_dir).items():
        for path in paths:
            table = pq.read_table(path, columns=STAT_COLUMNS)
            per_split[split] = per_split.get(split, 0) + table.num_rows
            columns = table.to_pydict()
            for name, counter in counters.items():
                counter.update(columns[name])
            durations.extend(columns["duration"])
    subject_categories = Counter()
    for label, count in counters["subject"].items():
        words = label.split(" with ")[0]
        subject_categories[words] += count
    return {
        "num_clips": sum(per_split.values()),
        "splits": per_split,
        "hours": sum(durations) / 3600.0,
        "mean_seconds": sum(durations) / max(len(durations), 1),
        "min_seconds": min(durations, default=0.0),
        "max_seconds": max(durations, default=0.0),
        "focus": dict(counters["focus"]),
        "emotion_family": dict(counters["emotion_family"]),
        "emotion": dict(counters["emotion"]),
        "intensity": dict(counters["intensity"]),
        "head_motion": dict(counters["head_motion"]),
        "subject_category": dict(subject_categories),
        "source": dict(counters["source"]),
        "durations": durations,
    }


def plot_stats(stats: dict[str, Any], path: str | Path, title: str = "Open3DFaceVid") -> Path:
    """A four-panel figure like the paper's dataset statistics."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(14, 9))
    families = sorted(stats["emotion_family"].items(), key=lambda kv: -kv[1])
    axes[0, 0].bar([k for k, _ in families], [v for _, v in families], color="#c0504d")
    axes[0, 0].set_title("clips per emotion family")
    axes[0, 0].tick_params(axis="x", rotation=60)
    emotions = sorted(((k, v) for k, v in stats["emotion"].items() if k != "neutral"), key=lambda kv: -kv[1])[:40]
    axes[0, 1].bar([k for k, _ in emotions], [v for _, v in emotions], color="#4f81bd")
    axes[0, 1].set_title(f"40 most frequent of {len(stats['emotion'])} emotion labels")
    axes[0, 1].tick_params(axis="x", rotation=75, labelsize=7)
    subjects = sorted(stats["subject_category"].items())
    axes[1, 0].barh([k for k, _ in subjects], [v for _, v in subjects], color="#9bbb59")
    focus = stats["focus"]
    axes[1, 0].set_title("clips per subject category  |  focus: " + ", ".join(f"{k} {v}" for k, v in sorted(focus.items())))
    axes[1, 1].hist(stats["durations"], bins=30, color="#8064a2")
    axes[1, 1].set_title(f"clip duration (s): {stats['num_clips']} clips, {stats['hours']:.1f} h")
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=90)
    plt.close(fig)
    return Path(path)


def write_stats_json(stats: dict[str, Any], path: str | Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps({k: v for k, v in stats.items() if k != "durations"}, indent=2, sort_keys=True))

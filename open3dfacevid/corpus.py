"""Build an Open3DFaceVid folder: Parquet shards, statistics and a dataset card.

The folder has the layout ``push_to_hub`` writes (``README.md`` with YAML ``configs`` and
``dataset_info``, shards under ``data/``), so ``load_dataset(folder)`` works locally and,
once pushed, ``load_dataset("org/name")`` works with no remote code.
"""
from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import datasets
import pyarrow.parquet as pq
import yaml

from modeling_tdmm.io_utils import atomic_path

from .builder import Open3DFaceVid
from .features import FEATURES, SPLITS
from .stats import compute_stats, parquet_files, plot_stats, write_stats_json


def build_corpus(
    out: str | Path,
    config: str = "procedural",
    config_name: str | None = None,
    data_dir: str = "data",
    num_proc: int | None = None,
    max_shard_size: str = "256MB",
    **config_kwargs: Any,
) -> dict[str, Any]:
    """Generate with the builder and write shards + ``stats.json`` + ``stats.png`` + card.

    ``config_name`` is the name in the card (default: ``config``); ``data_dir`` is where the
    shards go inside ``out`` (replaced as a whole, so a re-build leaves no stale shards).
    Returns the statistics, plus ``rejected`` (tracks) and ``seconds``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.time()
    with tempfile.TemporaryDirectory(prefix=".o3dfv-", dir=out) as staging:
        staging = Path(staging)
        builder = Open3DFaceVid(config_name=config, cache_dir=str(staging / "cache"), **config_kwargs)
        builder.download_and_prepare(output_dir=str(staging / "prepared"), file_format="parquet",
                                     num_proc=num_proc, max_shard_size=max_shard_size)
        new_data = staging / "data"
        new_data.mkdir()
        for split in SPLITS:
            shards = sorted((staging / "prepared").glob(f"*-{split}-*.parquet")) + sorted((staging / "prepared").glob(f"*-{split}.parquet"))
            shards = [s for s in shards if pq.ParquetFile(s).metadata.num_rows]  # an empty split is left out
            for k, shard in enumerate(shards):
                shard.rename(new_data / f"{split}-{k:05d}-of-{len(shards):05d}.parquet")
        target = out / data_dir
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            target.rename(staging / "old")
        new_data.rename(target)
        rejected = [r.to_dict() for r in getattr(builder, "rejected", [])]
    stats = compute_stats(out, data_dir)
    stats["rejected"] = rejected
    stats["seconds"] = time.time() - start
    stats["config"] = config
    write_stats_json(stats, out / "stats.json")
    plot_stats(stats, out / "stats.png", title=f"Open3DFaceVid ({config_name or config})")
    if config == "tracks":
        with atomic_path(out / "rejected.jsonl") as tmp:
            tmp.write_text("".join(json.dumps(r) + "\n" for r in rejected))
    write_card(out, config_name or config, data_dir, stats, config_kwargs)
    return stats


def _split_sizes(out: Path, data_dir: str) -> list[dict[str, Any]]:
    files = parquet_files(out, data_dir)
    return [
        {"name": split, "num_bytes": sum(p.stat().st_size for p in files[split]),
         "num_examples": sum(pq.ParquetFile(p).metadata.num_rows for p in files[split])}
        for split in SPLITS if split in files
    ]


def card_yaml(config_name: str, data_dir: str, splits: list[dict[str, Any]]) -> dict[str, Any]:
    """The YAML header: ``configs`` with data files per split, and ``dataset_info``."""
    info = datasets.DatasetInfo(features=FEATURES)._to_yaml_dict()
    return {
        "license": "cc-by-4.0",
        "pretty_name": "Open3DFaceVid",
        "tags": ["facial-motion", "3dmm", "flame", "facs", "text-to-motion", "motion-captioning"],
        "size_categories": ["n<1K" if sum(s["num_examples"] for s in splits) < 1000 else "10K<n<100K"],
        "configs": [{
            "config_name": config_name,
            "default": True,
            "data_files": [{"split": s["name"], "path": f"{data_dir}/{s['name']}-*.parquet"} for s in splits],
        }],
        "dataset_info": {
            "config_name": config_name,
            "features": info["features"],
            "splits": splits,
            "dataset_size": sum(s["num_bytes"] for s in splits),
        },
    }


def write_card(out: Path, config_name: str, data_dir: str, stats: dict[str, Any], config_kwargs: dict[str, Any]) -> None:
    """``README.md``: YAML header + a description people can read."""
    header = yaml.safe_dump(card_yaml(config_name, data_dir, _split_sizes(out, data_dir)), sort_keys=False)
    families = ", ".join(f"{k} ({v})" for k, v in sorted(stats["emotion_family"].items(), key=lambda kv: -kv[1]))
    settings = ", ".join(f"`{k}={v}`" for k, v in sorted(config_kwargs.items())) or "defaults"
    body = f"""
# Open3DFaceVid ({config_name})

Text-paired 3D facial motion after *TDMM-LM: Bridging Facial Understanding and Animation via
Language Models* (2026). Every row is one clip: per-frame FLAME-layout parameters
(`expression` [T, 50], `jaw_pose` [T, 3], `eyelids` [T, 2], `head_pose` [T, 3]; axis-angle
radians, eyelid closure 0 = open), the identity `shape`, the text-to-video style `prompt`,
several `captions` describing what the face does, and ground-truth `attributes` (JSON:
emotions with frame spans, intensity, tempo, head motion, every blink and micro-expression
with its frame span, subject).

Built with `{settings}` by `python -m open3dfacevid build` (package `tdmm-lm`).
Source: **{", ".join(stats["source"])}**. Face model of the parameters: see the `face_model`
column (`open-head-v1` for procedural clips: its 50 expression coefficients are FACS action
units, 1 = apex; `flame2020` for tracker output).

## Statistics

| | |
|---|---|
| clips | {stats["num_clips"]} ({", ".join(f"{k} {v}" for k, v in stats["splits"].items())}) |
| duration | {stats["hours"]:.2f} h, {stats["min_seconds"]:.1f}-{stats["max_seconds"]:.1f} s per clip (mean {stats["mean_seconds"]:.2f} s) |
| emotion labels | {len(stats["emotion"])} |
| emotion families | {families} |
| focus categories | {", ".join(f"{k} {v}" for k, v in sorted(stats["focus"].items()))} |
| subject categories | {len(stats["subject_category"])} |

![statistics](stats.png)

## Use

```python
from datasets import load_dataset
ds = load_dataset("path/to/this/folder")        # or the Hub repo id once pushed
row = ds["train"].with_format("numpy")[0]        # motion fields come back as [T, D] arrays
from open3dfacevid.features import row_to_clip   # -> modeling_tdmm.clip.FaceClip
```

Splits are assigned by a hash of each clip's key: deterministic and disjoint.
Procedural motion is synthetic: onset/apex/offset envelopes of EMFACS-style action-unit
recipes, natural blink rates and durations, nod/shake/tilt/turn primitives and idle motion.
It is exact ground truth for measuring models, not a substitute for real performances.

## Licence

CC BY 4.0 for the data in this folder. It contains no FLAME model data.
"""
    with atomic_path(out / "README.md") as tmp:
        tmp.write_text(f"---\n{header}---\n{body}")

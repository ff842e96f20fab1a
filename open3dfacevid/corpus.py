"""Build an Open3DFaceVid folder: Parquet shards, statistics and a dataset card.

The folder has the layout ``push_to_hub`` writes (``README.md`` with YAML ``configs`` and
``dataset_info``, shards under ``data/``), so ``load_dataset(folder)`` works locally and,
once pushed, ``load_dataset("org/name")`` works with no remote code.

A build never loses the corpus already in the folder: everything is written to a staging
folder inside ``out``, checked with ``datasets.load_dataset``, and only then swapped in
(old entries moved aside, new ones moved in, old ones deleted; any failure on the way moves
the old ones back). An error, a build with no accepted clips, Ctrl-C or SIGTERM leave the
previous corpus as it was; signals are held during the swap (a few renames). A SIGKILL
can leave the hidden staging folder behind, never a corpus that mixes old and new.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

import datasets
import pyarrow.parquet as pq
from tdmm_hub.cards import dataset_card
from tdmm_hub.cards import write_card as write_card_file

from .builder import Open3DFaceVid
from .corpus_styles import DEFAULT_STYLE, STYLE_SUMMARIES, card_notice, corpus_title
from .features import FEATURES, SPLITS
from .stats import compute_stats, parquet_files, plot_stats, write_stats_json

#: The files of a corpus besides its data folder; a build replaces all of them together.
CORPUS_FILES = ("README.md", "stats.json", "stats.png", "rejected.jsonl")
STAGING_PREFIX = ".o3dfv-"


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
    shards go, a relative path strictly inside ``out`` (replaced as a whole, so a re-build
    leaves no stale shards). The new corpus replaces the old one only once it loads; on any
    failure the folder keeps the previous corpus. Returns the statistics, plus ``rejected``
    (tracks) and ``seconds``.
    """
    out = Path(out)
    data_dir = check_data_dir(out, data_dir)
    if num_proc is not None and (isinstance(num_proc, bool) or not isinstance(num_proc, int) or num_proc < 1):
        raise ValueError(f"num_proc must be an integer >= 1 (or None), got {num_proc!r}")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=STAGING_PREFIX, dir=out) as work, _sigterm_cleanup(Path(work), out):
        staged = Path(work) / "corpus"
        stats = _stage(staged, Path(work) / "cache", config, config_name or config, data_dir,
                       dict(num_proc=num_proc, max_shard_size=max_shard_size), config_kwargs)
        _verify(staged, stats, Path(work) / "verify-cache")
        with _signals_deferred():
            _swap(staged, out, [*CORPUS_FILES, data_dir], Path(work) / "previous")
    return stats


def check_data_dir(out: str | Path, data_dir: str) -> str:
    """``data_dir`` as a relative POSIX path strictly inside ``out``, or a one-line ``ValueError``.

    Refused: ``.``, absolute paths, ``..`` anywhere, the corpus files' names, and paths whose
    existing folders lead outside ``out`` through a symlink.
    """
    path = PurePosixPath(str(data_dir))
    if path.is_absolute() or not path.parts or ".." in path.parts:
        raise ValueError(f"--data-dir {str(data_dir)!r} must be a relative folder strictly inside --out "
                         f"(not '.', not absolute, no '..')")
    if path.parts[0] in CORPUS_FILES or path.parts[0].startswith(STAGING_PREFIX):
        raise ValueError(f"--data-dir {str(data_dir)!r} clashes with {path.parts[0]!r}, which the build writes")
    root = Path(out).resolve()
    parent = (root / path).parent.resolve()
    if parent != root and root not in parent.parents:
        raise ValueError(f"--data-dir {str(data_dir)!r} leads outside --out (through a symlink)")
    return path.as_posix()


def _stage(folder: Path, cache: Path, config: str, config_name: str, data_dir: str,
           prepare: dict[str, Any], config_kwargs: dict[str, Any]) -> dict[str, Any]:
    """Write a complete corpus into ``folder``: shards, ``stats.json/png``, card, ``rejected.jsonl``."""
    start = time.time()
    builder = Open3DFaceVid(config_name=config, cache_dir=str(cache), **config_kwargs)
    builder.download_and_prepare(output_dir=str(cache / "prepared"), file_format="parquet", **prepare)
    rejected = [r.to_dict() for r in builder.rejected]
    if not _collect_shards(cache / "prepared", folder / data_dir):
        raise ValueError(_nothing_accepted(rejected))
    stats = compute_stats(folder, data_dir)
    stats["rejected"] = rejected
    stats["seconds"] = time.time() - start
    stats["config"] = config
    write_stats_json(stats, folder / "stats.json")
    title = corpus_title(config_kwargs.get("style", DEFAULT_STYLE))
    plot_stats(stats, folder / "stats.png", title=f"{title} ({config_name})")
    if config == "tracks":
        (folder / "rejected.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rejected))
    write_card(folder, config_name, data_dir, stats, config_kwargs)
    return stats


def _collect_shards(prepared: Path, data: Path) -> int:
    """Move the non-empty shards to ``data/{split}-0000k-of-0000n.parquet``; return the row count."""
    data.mkdir(parents=True)
    total = 0
    for split in SPLITS:
        shards = sorted(prepared.glob(f"*-{split}-*.parquet")) + sorted(prepared.glob(f"*-{split}.parquet"))
        counts = {shard: pq.ParquetFile(shard).metadata.num_rows for shard in shards}
        shards = [shard for shard in shards if counts[shard]]  # an empty split is left out
        for k, shard in enumerate(shards):
            shard.rename(data / f"{split}-{k:05d}-of-{len(shards):05d}.parquet")
        total += sum(counts.values())
    return total


def _nothing_accepted(rejected: list[dict[str, str]], shown: int = 5) -> str:
    """The error for a build without clips: how many files were rejected and why (the first few)."""
    if not rejected:
        return "no clips to write: the manifest lists no tracker files"
    reasons = "; ".join(f"{r['file']}: {r['reason']}" for r in rejected[:shown])
    more = f"; and {len(rejected) - shown} more" if len(rejected) > shown else ""
    return f"no clips accepted, {len(rejected)} file(s) rejected ({reasons}{more}); the folder was left unchanged"


def _verify(folder: Path, stats: dict[str, Any], cache: Path) -> None:
    """Load the staged corpus with ``datasets.load_dataset`` and compare its row counts with ``stats``."""
    loaded = datasets.load_dataset(str(folder), cache_dir=str(cache))
    counts = {split: loaded[split].num_rows for split in loaded}
    if counts != stats["splits"]:
        raise RuntimeError(f"the staged corpus loads with {counts} rows, expected {stats['splits']}; "
                           f"the folder was left unchanged")


def _swap(staged: Path, out: Path, names: list[str], aside: Path) -> None:
    """Replace ``out/name`` by ``staged/name`` for every name (absent on either side is fine).

    Old entries move to ``aside`` first; if anything fails, moved entries go back where they were.
    """
    moved_aside, moved_in = [], []
    try:
        for name in names:
            if os.path.lexists(out / name):
                _move(out / name, aside / name)
                moved_aside.append(name)
        for name in names:
            if os.path.lexists(staged / name):
                _move(staged / name, out / name)
                moved_in.append(name)
    except BaseException:
        for name in reversed(moved_in):
            _move(out / name, staged / name)
        for name in reversed(moved_aside):
            _move(aside / name, out / name)
        raise


def _move(source: Path, target: Path) -> None:
    """Rename ``source`` to ``target`` (same file system), creating ``target``'s folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)


@contextlib.contextmanager
def _sigterm_cleanup(work: Path, out: Path) -> Iterator[None]:
    """Inside, SIGTERM removes ``work`` (the staging folder) and then ends the process as SIGTERM does.

    Not an exception: one raised at an arbitrary point (e.g. inside pyarrow's file callbacks)
    can abort the process instead of unwinding. Worker processes are stopped first; they get
    the default action back (:func:`_default_sigterm_in_child`). No-op outside the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: Any) -> None:
        import multiprocess  # the library behind datasets' num_proc workers

        children = multiprocess.active_children()  # workers would go on writing into ``work``
        for child in children:
            child.terminate()
        for child in children:
            child.join(5)
        shutil.rmtree(work, ignore_errors=True)
        print(f"open3dfacevid: build stopped by SIGTERM; {out} holds a complete corpus "
              f"(the previous one unless the new one was already swapped in)", file=sys.stderr)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    terminate.staging_cleanup = True
    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _default_sigterm_in_child() -> None:
    """In a process forked during a build (``num_proc`` workers), SIGTERM kills at once again.

    A Python-level handler would only run between bytecodes: a worker blocked in a semaphore
    would never die, and ``Pool.terminate`` would wait for it forever.
    """
    if getattr(signal.getsignal(signal.SIGTERM), "staging_cleanup", False):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


os.register_at_fork(after_in_child=_default_sigterm_in_child)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """SIGINT/SIGTERM that arrive inside are held until the block ends, then raised again.

    No-op outside the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: received.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for sig in received:
            signal.raise_signal(sig)


def _split_sizes(out: Path, data_dir: str) -> list[dict[str, Any]]:
    files = parquet_files(out, data_dir)
    return [
        {"name": split, "num_bytes": sum(p.stat().st_size for p in files[split]),
         "num_examples": sum(pq.ParquetFile(p).metadata.num_rows for p in files[split])}
        for split in SPLITS if split in files
    ]


def _size_category(rows: int) -> str:
    """The Hub's ``size_categories`` bucket for ``rows`` rows."""
    for limit, name in ((10**3, "n<1K"), (10**4, "1K<n<10K"), (10**5, "10K<n<100K"), (10**6, "100K<n<1M")):
        if rows < limit:
            return name
    return "1M<n<10M"


def card_yaml(config_name: str, data_dir: str, splits: list[dict[str, Any]], title: str = "Open3DFaceVid") -> dict[str, Any]:
    """The YAML header: ``configs`` with data files per split, and ``dataset_info``."""
    info = datasets.DatasetInfo(features=FEATURES)._to_yaml_dict()
    return {
        "license": "cc-by-4.0",
        "pretty_name": title,
        "tags": ["facial-motion", "3dmm", "flame", "facs", "text-to-motion", "motion-captioning"],
        "size_categories": [_size_category(sum(s["num_examples"] for s in splits))],
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
    """``README.md`` from the dataset card template: YAML header + a description people can read
    (``config_kwargs["style"]`` names an emulated corpus, and the card then says plainly that it is one)."""
    style = config_kwargs.get("style", DEFAULT_STYLE)
    title = corpus_title(style)
    card = dataset_card(card_yaml(config_name, data_dir, _split_sizes(out, data_dir), title), title=title,
                        config_name=config_name, notice=card_notice(style), stats=stats, style=style,
                        styles=STYLE_SUMMARIES,
                        settings=", ".join(f"`{k}={v}`" for k, v in sorted(config_kwargs.items())) or "defaults")
    write_card_file(out, card)

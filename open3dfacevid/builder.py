"""``Open3DFaceVid``: the dataset as a `datasets.GeneratorBasedBuilder`.

Configs:
* ``procedural``: ``num_clips`` balanced prompts (``seed``) synthesised into clips of
  ``min_seconds``-``max_seconds`` at ``fps``; ``style`` picks the corpus emulated
  (:mod:`open3dfacevid.corpus_styles`: Open3DFaceVid itself, MEAD-like or YouTube-like);
* ``tracks``: tracker files in ``tracks_dir`` with prompts from ``manifest``.

Splits are assigned by a hash of the clip key, so they are deterministic and disjoint.
Generation is sharded (``num_shards``) so ``download_and_prepare(num_proc=N)`` runs in parallel.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import datasets

from modeling_tdmm.limits import MAX_FPS, MAX_FRAMES

from .corpus_styles import DEFAULT_STYLE, check_style, style_clip
from .features import FEATURES, SPLITS, clip_to_row, split_of
from .prompts import check_seconds
from .tracks import Rejected, scan_tracks, track_row

CITATION = """@article{tdmmlm2026,
  title = {TDMM-LM: Bridging Facial Understanding and Animation via Language Models},
  year = {2026}
}"""


@dataclass
class Open3DFaceVidConfig(datasets.BuilderConfig):
    """Settings of one build (see the module docstring); :meth:`validate` checks them."""

    num_clips: int = 1000
    seed: int = 0
    min_seconds: float = 4.0
    max_seconds: float = 6.0
    fps: float = 25.0
    tracks_dir: str | None = None
    manifest: str | None = None
    min_frames: int = 10
    num_shards: int = 8
    style: str = DEFAULT_STYLE

    def validate(self) -> None:
        """Raise a one-line ``ValueError`` for settings no corpus can be built with."""
        for name, minimum in (("num_clips", 1), ("num_shards", 1), ("min_frames", 1), ("seed", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
        check_seconds(self.min_seconds, self.max_seconds)
        if not (isinstance(self.fps, (int, float)) and math.isfinite(self.fps) and self.fps > 0):
            raise ValueError(f"fps must be a finite number > 0, got {self.fps!r}")
        MAX_FPS.check(self.fps, "fps")
        MAX_FRAMES.check(self.max_seconds * self.fps, "max_seconds x fps")
        check_style(self.style)
        if self.name == "tracks" and self.style != DEFAULT_STYLE:
            raise ValueError(f"style {self.style!r} is for procedural builds; tracker clips keep their own texts")


class Open3DFaceVid(datasets.GeneratorBasedBuilder):
    """Text-paired 3D facial motion (FLAME-layout parameters per frame)."""

    BUILDER_CONFIG_CLASS = Open3DFaceVidConfig
    BUILDER_CONFIGS = [
        Open3DFaceVidConfig(name="procedural", description="Procedural FACS motion from the balanced prompt suite."),
        Open3DFaceVidConfig(name="tracks", description="Tracker output (SMIRK, DECA/EMOCA/SPECTRE) with prompts."),
    ]
    DEFAULT_CONFIG_NAME = "procedural"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.config.validate()
        self.rejected: list[Rejected] = []  # tracker files that could not become clips, with reasons

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(
            description="Open3DFaceVid: balanced, text-paired facial motion in FLAME-layout parameters.",
            features=FEATURES, citation=CITATION, license="cc-by-4.0",
        )

    def _split_generators(self, dl_manager: datasets.DownloadManager) -> list[datasets.SplitGenerator]:
        cfg = self.config
        if cfg.name == "tracks":
            if not cfg.tracks_dir or not cfg.manifest:
                raise ValueError("the 'tracks' config needs tracks_dir=... and manifest=...")
            items, self.rejected = scan_tracks(cfg.tracks_dir, cfg.manifest, cfg.min_frames, None)
            keyed = [(split_of(item.key), item) for item in items]
        else:
            keyed = [(split_of(f"{cfg.seed}:{i}"), i) for i in range(cfg.num_clips)]
        generators = []
        for split in SPLITS:
            members = [m for s, m in keyed if s == split]
            shards = [members[k::cfg.num_shards] for k in range(cfg.num_shards)]
            shards = [s for s in shards if s] or [[]]
            generators.append(datasets.SplitGenerator(name=split, gen_kwargs={"shards": shards}))
        return generators

    def _generate_examples(self, shards: list[list]):
        cfg = self.config
        for shard in shards:
            for member in shard:
                if cfg.name == "tracks":
                    yield member.key, track_row(member)
                else:
                    clip = style_clip(cfg.style, member, cfg.seed, cfg.min_seconds, cfg.max_seconds, fps=cfg.fps)
                    yield clip.clip_id, clip_to_row(clip)

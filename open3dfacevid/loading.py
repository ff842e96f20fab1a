"""Load an Open3DFaceVid corpus for training: ``procedural`` (generated here), a folder or a Hub id."""
from __future__ import annotations

from dataclasses import dataclass, field

import datasets

from .builder import Open3DFaceVid


def load_corpus(name_or_path: str = "procedural", config: str | None = None, num_clips: int = 2000, seed: int = 0,
                cache_dir: str | None = None) -> datasets.DatasetDict:
    """``"procedural"`` builds ``num_clips`` clips with ``seed`` through the dataset builder
    (cached by ``datasets``, no network); anything else goes to ``datasets.load_dataset``."""
    if name_or_path == "procedural":
        builder = Open3DFaceVid(config_name="procedural", num_clips=num_clips, seed=seed, cache_dir=cache_dir)
        builder.download_and_prepare()
        return builder.as_dataset()
    return datasets.load_dataset(name_or_path, config, cache_dir=cache_dir)


@dataclass
class CorpusArguments:
    """Command-line arguments of the training scripts that choose the corpus (TrlParser / HfArgumentParser)."""

    dataset_name: str = field(default="procedural", metadata={"help": "'procedural', a built folder, or a Hub dataset id"})
    dataset_config: str | None = None
    procedural_clips: int = 2000
    procedural_seed: int = 0
    max_eval_clips: int = 100

    def describe(self) -> str:
        """The corpus in words, for the model card of what is trained on it."""
        if self.dataset_name == "procedural":
            return f"procedural Open3DFaceVid, {self.procedural_clips} clips (seed {self.procedural_seed}), train split"
        config = f" (config {self.dataset_config})" if self.dataset_config else ""
        return f"Open3DFaceVid `{self.dataset_name}`{config}, train split"

    def load(self) -> datasets.DatasetDict:
        return load_corpus(self.dataset_name, self.dataset_config, self.procedural_clips, self.procedural_seed)

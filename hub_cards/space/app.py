"""The TDMM-LM face agent as a Hugging Face Space (``sdk: gradio``).

The models are downloaded from the Hub repositories named by the Space variables ``TDMM_L2M``,
``TDMM_M2L``, ``TDMM_EVALUATOR`` (optional) and ``TDMM_DATASET`` (optional, for sample clips), defaults
as in this folder's README, into the folder layout of ``make demo``; ``TDMM_MODELS`` points at such a
folder instead (``make app`` runs the same app on ``outputs/demo``).
"""
from __future__ import annotations

import os
from pathlib import Path

from huggingface_hub import snapshot_download

from tdmm_hub.face_agent import FaceAgent
from tdmm_hub.face_agent_app import build_app

REPOSITORIES = {  # folder -> (Space variable, default repository, repository type)
    "l2m": ("TDMM_L2M", "tdmm-lm/tdmm-l2m-demo", "model"),
    "m2l": ("TDMM_M2L", "tdmm-lm/tdmm-m2l-demo", "model"),
    "evaluator": ("TDMM_EVALUATOR", "tdmm-lm/tdmm-evaluator-demo", "model"),
    "corpus": ("TDMM_DATASET", "tdmm-lm/open3dfacevid-demo", "dataset"),
}


def models_folder(root: Path = Path("models")) -> Path:
    """A ``make demo``-like folder: ``TDMM_MODELS``, or the Hub repositories downloaded under ``root``."""
    if os.environ.get("TDMM_MODELS"):
        return Path(os.environ["TDMM_MODELS"])
    for folder, (variable, default, repo_type) in REPOSITORIES.items():
        repo_id = os.environ.get(variable, default)
        if repo_id:
            snapshot_download(repo_id, repo_type=repo_type, local_dir=root / folder)
    return root


agent = FaceAgent(models_folder())
demo = build_app(agent)

if __name__ == "__main__":
    demo.launch(allowed_paths=[str(agent.workdir)])

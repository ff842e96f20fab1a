"""``tdmm publish DIR --repo-id ORG/NAME``: assemble a Hub-ready folder, prove it loads without tdmm-lm, show
the plan, then upload it (unless ``--dry-run``).

What goes in is chosen by rules on file names, never by what a file says (metadata never chooses files):

* an allow list per kind: weights as safetensors, config, generation config, text tokenizer, the model's
  own remote code (``*.py`` written by ``save_pretrained``), ``face_token_processor.json``, the embedded
  open-head-v1 face model, the training run's figures, rendered samples (``generated/*.mp4`` ...);
* a deny list that wins over it: pickles and other executable formats (``*.pkl``, ``*.bin``, ``*.pt``,
  ``*.pth``), checkpoints, hidden files, links, anything named like FLAME model data (``*flame*``,
  ``generic_model*``: FLAME's licence forbids redistribution);
* Language2Motion and Motion2Language get their geometry tokenizer in ``geometry_tokenizer/`` (their
  ``face_token_processor.json`` is rewritten to point there), so the repository is complete on its own;
* Language2Motion and Motion2Language get the self-contained pipeline ``pipeline_tdmm.py`` registered
  in ``config.json`` (``custom_pipelines``): ``pipeline(model=REPO, trust_remote_code=True)``;
* ``handler.py`` (the Inference Endpoints handler of :mod:`tdmm_hub.handlers` for the kind) and the
  ``requirements.txt`` that installs tdmm-lm on the endpoint;
* the card is rendered again for the repository id, with the evaluation suite's test figures
  (``--results``, default: ``report/results.json`` beside the model folder, where ``make demo`` writes it),
  and must pass the offline lint.

Its Python must be tdmm-lm's own remote code, byte for byte (or the user passes ``--trust-remote-code``),
because the folder is then loaded in a fresh Python process in which ``modeling_tdmm``, ``open3dfacevid`` and
``tdmm_*`` cannot be imported (``AutoModel*`` with ``trust_remote_code=True``, or ``load_dataset``), and
a little is run through it. Uploading uses ``HfApi.create_repo`` + ``upload_folder``; tests inject an API
object, so nothing here needs the network before the upload itself.
"""
from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huggingface_hub import DatasetCard, ModelCard

from modeling_tdmm import pipeline_tdmm
from modeling_tdmm.io_utils import atomic_path

from .card_lint import lint_folder
from .cards import CardInputs, model_card, model_kind, write_card
from .model_index import read_json

__all__ = ["DENY", "PublishError", "PublishPlan", "assemble", "check_loads", "foreign_code", "hub_api", "publish", "upload"]


class PublishError(ValueError):
    """The folder cannot be published as it is (one line saying why and what to do)."""


#: never published, whatever the allow list says
DENY = ("*.pkl", "*.pickle", "*.bin", "*.pt", "*.pth", "*.ckpt", "*.joblib", "*flame*", "*FLAME*", "generic_model*",
        "checkpoint-*", ".*", "*/.*", "training_args*", "optimizer*", "scheduler*", "rng_state*")
#: per kind: file-name patterns (relative to the model folder) that are published
MODEL_FILES = ("config.json", "generation_config.json", "model.safetensors", "model-*-of-*.safetensors",
               "model.safetensors.index.json", "*.py", "README.md")
TEXT_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
                        "chat_template.jinja", "added_tokens.json")
SAMPLES = ("generated/*.mp4", "generated/*.gif", "generated/*.glb", "*.mp4", "*.gif")
ALLOW = {
    "geometry_tokenizer": (*MODEL_FILES, "face_token_processor.json", "face_model.npz", "eval_results.json",
                           "training_record.json", *SAMPLES),
    "evaluator": (*MODEL_FILES, *TEXT_TOKENIZER_FILES, "evaluator_results.json", "training_record.json"),
    "language2motion": (*MODEL_FILES, *TEXT_TOKENIZER_FILES, "face_token_processor.json", "eval_results.json",
                        "training_record.json", *SAMPLES),
    "motion2language": (*MODEL_FILES, *TEXT_TOKENIZER_FILES, "face_token_processor.json", "training_record.json", *SAMPLES),
    "dataset": ("README.md", "stats.json", "stats.png", "data/*.parquet", "data/*/*.parquet", "renders/*.png",
                "renders/*.mp4", "renders/*.gif"),
}
GEOMETRY_FOLDER = "geometry_tokenizer"
#: the Inference Endpoints handler of each kind (tdmm_hub.handlers), written as handler.py
HANDLERS = {"language2motion": "Language2MotionHandler", "motion2language": "Motion2LanguageHandler",
            "geometry_tokenizer": "GeometryTokenizerHandler"}
#: the custom pipeline registered in a published folder, and the self-contained files that implement it
PIPELINE_TASKS = {"language2motion": "text-to-face-motion", "motion2language": "face-motion-description"}
REMOTE_PIPELINE_FILES = ("pipeline_tdmm.py", "m2l_prompt.py", "subjects.py")
#: what an endpoint installs to run the handler (the package with its MP4 renderer)
ENDPOINT_REQUIREMENTS = "tdmm-lm[render]>=0.1.0\n"
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt)\b")
MAX_FILE_BYTES = 2 * 1024**3  # a larger file is refused (the Hub needs LFS chunking settings beyond this tool)


@dataclass
class PublishPlan:
    """What ``publish`` will upload: ``folder`` (assembled), ``files`` (relative path -> bytes), the card's
    metadata, and the results of the checks."""

    source: Path
    folder: Path
    kind: str
    repo_id: str
    repo_type: str
    files: dict[str, int] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)
    card: dict[str, Any] = field(default_factory=dict)
    load_check: str = ""

    def lines(self) -> list[str]:
        """The plan as printed by ``tdmm publish``."""
        total = sum(self.files.values())
        out = [f"publish {self.source} as {self.repo_type} {self.repo_id} ({self.kind}); assembled in {self.folder}",
               f"files ({len(self.files)}, {_size(total)}):"]
        out += [f"  {_size(size):>10}  {name}" for name, size in sorted(self.files.items())]
        if self.left_out:
            out.append(f"left out ({len(self.left_out)}): " + ", ".join(sorted(self.left_out)[:12])
                       + (" ..." if len(self.left_out) > 12 else ""))
        for key in ("pipeline_tag", "library_name", "license", "base_model", "datasets", "tags"):
            if self.card.get(key):
                out.append(f"card {key}: {self.card[key]}")
        if self.card.get("metrics"):
            out.append(f"card model-index: {len(self.card['metrics'])} metrics ({', '.join(self.card['metrics'][:6])}"
                       + (", ..." if len(self.card["metrics"]) > 6 else "") + f") on split {self.card['split']}")
        out.append("card lint: passed")
        out.append(f"loads without tdmm-lm: {self.load_check}")
        return out


def _size(n: float) -> str:
    """A byte count as people read it (``812 B``, ``3.8 MB``)."""
    for unit in ("B", "KB", "MB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def _denied(relative: str) -> bool:
    name = relative.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(name, p) for p in DENY) or any(
        part.startswith(("checkpoint-", ".")) for part in relative.split("/")[:-1])


def _selected(source: Path, kind: str) -> tuple[list[str], list[str]]:
    """(published, left out) relative paths of the regular files under ``source`` (links are left out)."""
    published, left_out = [], []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source).as_posix()
        if path.is_symlink():
            left_out.append(relative + " (link)")
            continue
        if not path.is_file() or any(part.startswith("checkpoint-") for part in relative.split("/")[:-1]):
            continue
        if _denied(relative) or not any(fnmatch.fnmatch(relative, p) for p in ALLOW[kind]):
            left_out.append(relative)
            continue
        if path.stat().st_size > MAX_FILE_BYTES:
            raise PublishError(f"{path}: {_size(path.stat().st_size)} is over the {_size(MAX_FILE_BYTES)} this tool uploads")
        published.append(relative)
    return published, left_out


def _copy(source: Path, target: Path, files: list[str]) -> None:
    for relative in files:
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relative, target / relative)


def _geometry_tokenizer_of(source: Path) -> Path:
    """The geometry tokenizer folder that ``source``'s ``face_token_processor.json`` records (relative to it)."""
    processor = read_json(source / "face_token_processor.json")
    recorded = processor.get("tokenizer_path")
    if not isinstance(recorded, str) or not recorded:
        raise PublishError(f"{source / 'face_token_processor.json'}: no geometry tokenizer recorded (tokenizer_path)")
    folder = (source / recorded).resolve()
    if not (folder / "config.json").is_file() or model_kind(folder) != "geometry_tokenizer":
        raise PublishError(f"{source / 'face_token_processor.json'}: tokenizer_path {recorded!r} is not a geometry "
                           "tokenizer folder; train one or fix the path")
    return folder


def _register_pipeline(folder: Path, task: str) -> None:
    """Copy the self-contained pipeline (:mod:`modeling_tdmm.pipeline_tdmm`) into ``folder`` and register
    ``task`` in its config.json, so ``pipeline(model=folder, trust_remote_code=True)`` needs no tdmm-lm."""
    for name in REMOTE_PIPELINE_FILES:
        shutil.copyfile(Path(pipeline_tdmm.__file__).with_name(name), folder / name)
    config = read_json(folder / "config.json")
    config["custom_pipelines"] = {task: pipeline_tdmm.CUSTOM_PIPELINES[task]}
    with atomic_path(folder / "config.json") as tmp:
        tmp.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def _card_samples(source: Path, published: list[str]) -> list[dict[str, str]]:
    """The existing card's sample list, kept for files that are published (the card never picks files)."""
    path = source / "README.md"
    if not path.is_file():
        return []
    try:
        widgets = ModelCard.load(path, ignore_metadata_errors=True).data.to_dict().get("widget") or []
    except (ValueError, OSError):
        return []
    return [{"prompt": w["text"], "caption": w.get("example_title", ""), "file": w["output"]["url"]} for w in widgets
            if isinstance(w, dict) and isinstance(w.get("output"), dict) and w["output"].get("url") in published
            and isinstance(w.get("text"), str)]


def assemble(source: Path, out: Path, repo_id: str, results: Path | None = None, dataset_id: str | None = None) -> PublishPlan:
    """Build the Hub-ready folder ``out`` from the model or corpus folder ``source`` (atomically: ``out``
    appears complete or not at all) and return the plan (checks not yet run)."""
    source, out = Path(source), Path(out)
    if not source.is_dir():
        raise PublishError(f"{source}: no such folder")
    is_dataset = not (source / "config.json").is_file() and (source / "data").is_dir()
    kind = "dataset" if is_dataset else model_kind(source)
    files, left_out = _selected(source, kind)
    if not files:
        raise PublishError(f"{source}: nothing to publish")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        _copy(source, staging, files)
        if kind in ("language2motion", "motion2language"):
            geometry = _geometry_tokenizer_of(source)
            geometry_files, _ = _selected(geometry, "geometry_tokenizer")
            geometry_files = [f for f in geometry_files if f != "README.md" and not f.endswith((".mp4", ".gif"))]
            _copy(geometry, staging / GEOMETRY_FOLDER, geometry_files)
            processor = read_json(source / "face_token_processor.json")
            with atomic_path(staging / "face_token_processor.json") as tmp:
                tmp.write_text(json.dumps({**processor, "tokenizer_path": GEOMETRY_FOLDER}, indent=2))
            _register_pipeline(staging, PIPELINE_TASKS[kind])
        if kind in HANDLERS:
            (staging / "handler.py").write_text(
                '"""Inference Endpoints handler: the request and response contract is in tdmm_hub.handlers."""\n'
                f"from tdmm_hub.handlers import {HANDLERS[kind]} as EndpointHandler\n\n__all__ = [\"EndpointHandler\"]\n")
            (staging / "requirements.txt").write_text(ENDPOINT_REQUIREMENTS)
        if kind != "dataset":
            report = results if results is not None else source.parent / "report" / "results.json"
            if results is None and not report.is_file():
                report = None
            inputs = CardInputs(results=read_json(report) if report else None,
                                results_file=report.name if report else None, repo_id=repo_id, dataset_id=dataset_id,
                                samples=_card_samples(source, files))
            write_card(staging, model_card(staging, kind, inputs))
        problems = lint_folder(staging, "dataset" if kind == "dataset" else "model")
        if problems:
            hint = "" if kind == "dataset" else " (pass --results with a report's results.json for the test figures)"
            raise PublishError(f"the card does not pass the lint: {problems[0]}{hint}")
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    plan = PublishPlan(source=source, folder=out, kind=kind, repo_id=repo_id,
                       repo_type="dataset" if kind == "dataset" else "model", left_out=left_out)
    plan.files = {p.relative_to(out).as_posix(): p.stat().st_size for p in sorted(out.rglob("*")) if p.is_file()}
    card = (DatasetCard if kind == "dataset" else ModelCard).load(out / "README.md")
    data = card.data.to_dict()
    plan.card = {k: data.get(k) for k in ("pipeline_tag", "library_name", "license", "base_model", "datasets", "tags")}
    results_list = getattr(card.data, "eval_results", None) or []
    plan.card["metrics"] = [r.metric_type for r in results_list]
    plan.card["split"] = results_list[0].dataset_split if results_list else None
    return plan


#: run in a fresh interpreter: block our packages, then load the folder the way a Hub user would
CHECK = r'''
import importlib.abc, json, sys
BLOCKED = ("modeling_tdmm", "open3dfacevid", "tdmm_eval", "tdmm_train", "tdmm_demo", "tdmm_hub")
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked: the published folder must load without tdmm-lm")
sys.meta_path.insert(0, Block())
kind, folder = sys.argv[1], sys.argv[2]
import torch
if kind == "dataset":
    import datasets
    ds = datasets.load_dataset(folder)
    print("RESULT", ", ".join(f"{k} {v.num_rows} rows" for k, v in ds.items()) + " (load_dataset)")
    raise SystemExit
from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer
def geometry(path):
    tok = AutoModel.from_pretrained(path, trust_remote_code=True).eval()
    zeros = dict(expression=torch.zeros(1, 10, 50), jaw_pose=torch.zeros(1, 10, 3), eyelids=torch.zeros(1, 10, 2),
                 head_pose=torch.zeros(1, 10, 3))
    codes = tok.encode(**zeros)
    motion = tok.decode(codes)
    return tok, codes, motion
if kind == "geometry_tokenizer":
    _, codes, motion = geometry(folder)
    print("RESULT", f"AutoModel: 10 frames -> {codes.shape[1]} face tokens -> expression {list(motion['expression'].shape)}")
elif kind == "evaluator":
    model = AutoModel.from_pretrained(folder, trust_remote_code=True)
    AutoTokenizer.from_pretrained(folder, trust_remote_code=True)
    print("RESULT", f"AutoModel: {type(model).__name__}, {sum(p.numel() for p in model.parameters())} parameters")
elif kind == "language2motion":
    from transformers import pipeline
    AutoModelForCausalLM.from_pretrained(folder, trust_remote_code=True)
    out = pipeline(model=folder, trust_remote_code=True)("a person smiles and nods", num_frames=5, seed=0)
    print("RESULT", f"pipeline(text-to-face-motion): a prompt -> {len(out['codes'])} face tokens -> expression "
          f"{list(out['parameters']['expression'].shape)} (geometry_tokenizer/)")
else:
    import numpy as np
    from transformers import pipeline
    AutoModelForCausalLM.from_pretrained(folder)
    clip = {"expression": np.zeros((10, 50)), "jaw_pose": np.zeros((10, 3)), "eyelids": np.zeros((10, 2)),
            "head_pose": np.zeros((10, 3)), "fps": 25.0}
    out = pipeline(model=folder, trust_remote_code=True)(clip, max_new_tokens=4)
    print("RESULT", f"pipeline(face-motion-description): 10 frames -> {len(out['generated_text'])} characters of text")
'''


def check_loads(plan: PublishPlan, timeout: float = 600) -> str:
    """Load ``plan.folder`` in a fresh process with tdmm-lm blocked; the line it reports, or :class:`PublishError`."""
    with tempfile.TemporaryDirectory() as scratch:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1", HF_MODULES_CACHE=f"{scratch}/modules",
                   HF_DATASETS_CACHE=f"{scratch}/datasets")
        result = subprocess.run([sys.executable, "-c", CHECK, plan.kind, str(plan.folder.resolve())], cwd=scratch, env=env,
                                capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False)
    lines = [line[len("RESULT "):] for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    if result.returncode != 0 or not lines:
        errors = [line for line in result.stderr.splitlines() if _EXCEPTION_LINE.match(line)]
        last = errors[-1] if errors else (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise PublishError(f"{plan.folder} does not load without tdmm-lm: {last.strip()[:400]}")
    plan.load_check = lines[-1]
    return plan.load_check


def foreign_code(folder: Path) -> list[str]:
    """The ``*.py`` files of an assembled folder (``handler.py`` aside, which publish writes) that are not
    byte for byte tdmm-lm's own remote code: the load check would run them."""
    ours = Path(pipeline_tdmm.__file__).parent
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.py")
                  if p.name != "handler.py" and (not (ours / p.name).is_file() or p.read_bytes() != (ours / p.name).read_bytes()))


def hub_api(api: Any = None) -> Any:
    """``api`` (injected: used as it is), or a new ``HfApi`` once this machine can upload: a one-line error
    when it is offline (``HF_HUB_OFFLINE``) or has no token, before anything is assembled."""
    if api is not None:
        return api
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes", "on"):
        raise PublishError("this machine is offline (HF_HUB_OFFLINE is set): rerun with --dry-run, or unset it on a "
                           "machine with network to upload")
    from huggingface_hub import HfApi, get_token

    if get_token() is None:
        raise PublishError("no Hugging Face token: run `hf auth login` or set HF_TOKEN (a token with write access)")
    return HfApi()


def upload(plan: PublishPlan, api: Any, private: bool = False, create_pr: bool = False) -> str:
    """Create the repository (if new) and upload the folder with ``api`` (see :func:`hub_api`); returns the
    commit or pull-request URL. A refusal from the Hub is a one-line error."""
    try:
        api.create_repo(plan.repo_id, repo_type=plan.repo_type, private=private, exist_ok=True)
        commit = api.upload_folder(folder_path=str(plan.folder), repo_id=plan.repo_id, repo_type=plan.repo_type,
                                   create_pr=create_pr, commit_message=f"tdmm publish: {plan.kind} from {plan.source.name}")
    except (OSError, ValueError) as exc:
        raise PublishError(f"upload to {plan.repo_id} failed: {' '.join(str(exc).split())[:300]}") from None
    return str(getattr(commit, "pr_url", None) or getattr(commit, "commit_url", None) or commit)


def publish(source: Path, repo_id: str, out: Path | None = None, results: Path | None = None, dataset_id: str | None = None,
            dry_run: bool = False, private: bool = False, create_pr: bool = False, api: Any = None,
            trust_remote_code: bool = False) -> tuple[PublishPlan, str | None]:
    """Assemble, check in a fresh process, and upload unless ``dry_run``; ``(plan, URL or None)``. The check
    runs the folder's Python only where it is tdmm-lm's own remote code, unless ``trust_remote_code``."""
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise PublishError(f"--repo-id {repo_id!r}: expected ORG/NAME")
    api = None if dry_run else hub_api(api)
    out = Path(out) if out is not None else Path(source).parent / "hub" / repo_id.replace("/", "--")
    plan = assemble(Path(source), out, repo_id, results, dataset_id)
    foreign = foreign_code(plan.folder)
    if foreign and not trust_remote_code:
        raise PublishError(f"{Path(source)}: {', '.join(foreign)} differ from tdmm-lm's own remote code, and checking that "
                           "the folder loads would run them; review them and pass --trust-remote-code (a folder saved by an older "
                           "tdmm-lm: save it again with this one)")
    check_loads(plan)
    return plan, None if dry_run else upload(plan, api, private, create_pr)

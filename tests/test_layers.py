"""The layers import one way: modeling_tdmm <- tdmm_hub <- open3dfacevid <- tdmm_eval <- tdmm_train <- tdmm_demo / benchmarks.

Checked on the source (every import statement, including imports inside functions), so a lazy
import cannot hide a dependency on a higher layer.
"""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: installed package -> its source folder, in layer order (lowest first)
PACKAGES = {"modeling_tdmm": "modeling_tdmm", "tdmm_hub": "hub_cards", "open3dfacevid": "open3dfacevid", "tdmm_eval": "eval",
            "tdmm_train": "trainers", "tdmm_demo": "demo"}
#: what the dataset package may use of the model package: the clip contract and the readers
BASICS = {"clip", "motion_fields", "readers", "safe_pickle", "io_utils", "limits", "facs", "subjects"}
CHECKOUT_NAMES = {"eval", "trainers", "demo", "benchmarks", "tests", "conftest", "hub_cards"}


def imports(path: Path) -> list[str]:
    """Absolute module names imported by ``path`` (relative imports resolved inside its package)."""
    package = [name for name, folder in PACKAGES.items() if path.is_relative_to(ROOT / folder)][0]
    inner = path.relative_to(ROOT / PACKAGES[package]).with_suffix("").parts
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = [package, *inner[:len(inner) - node.level]]
                module = ".".join(base + ([node.module] if node.module else []))
                names += [module] if node.module else [f"{module}.{a.name}" for a in node.names]
            else:
                names += [f"{node.module}.{a.name}" for a in node.names]
    return names


def sources(package: str) -> list[Path]:
    folder = ROOT / PACKAGES[package]
    return [p for p in folder.rglob("*.py") if "metrics" not in p.relative_to(folder).parts]


@pytest.mark.parametrize("package", list(PACKAGES))
def test_no_import_of_a_higher_layer_or_a_checkout_folder(package):
    order = list(PACKAGES)
    higher = set(order[order.index(package) + 1:]) | CHECKOUT_NAMES
    for path in sources(package):
        for name in imports(path):
            top = name.split(".")[0]
            assert top not in higher, f"{path.relative_to(ROOT)} imports {name}, from a higher layer or a checkout folder"


def test_dataset_package_uses_only_the_basics_of_the_model_package():
    for path in sources("open3dfacevid"):
        for name in imports(path):
            parts = name.split(".")
            if parts[0] == "modeling_tdmm":
                assert len(parts) > 1 and parts[1] in BASICS, f"{path.relative_to(ROOT)} imports {name}; allowed: {sorted(BASICS)}"


@pytest.mark.parametrize("package", list(PACKAGES))
def test_installed_code_never_reaches_into_a_checkout(package):
    for path in sources(package):
        text = path.read_text()
        depth = len(path.relative_to(ROOT / PACKAGES[package]).parts) - 1  # folders between the package and the file
        assert "sys.path" not in text, f"{path.relative_to(ROOT)} edits sys.path"
        for match in re.finditer(r"parents\[(\d+)\]", text):
            assert int(match.group(1)) <= depth, f"{path.relative_to(ROOT)} climbs out of its package ({match.group(0)})"


def test_the_import_checker_sees_relative_and_lazy_imports(tmp_path, monkeypatch):
    fake = ROOT / "modeling_tdmm" / "_layer_probe.py"
    monkeypatch.setattr(Path, "read_text", lambda self: "def f():\n    from open3dfacevid import x\n    from .clip import FaceClip\n")
    assert imports(fake) == ["open3dfacevid.x", "modeling_tdmm.clip"]

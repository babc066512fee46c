"""model/ is pure Python, numpy and torch: it never imports Qt, pyqtgraph or gui."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest
from repo_paths import REPO

MODEL = REPO / "model"
FORBIDDEN = ("PySide6", "pyqtgraph", "shiboken6", "gui")

IMPORT_EVERYTHING = """
import importlib, json, pkgutil, sys
import model
names = sorted(m.name for m in pkgutil.walk_packages(model.__path__, "model."))
for name in names:
    if name != "model.__main__":  # runs the CLI; it only imports model.cli, imported here anyway
        importlib.import_module(name)
print(json.dumps({"imported": names, "modules": sorted(sys.modules)}))
"""


def is_forbidden(module: str) -> bool:
    top = module.split(".")[0]
    return top in FORBIDDEN


def forbidden_imports(source: str) -> list[str]:
    """Every Qt/GUI module a source file imports, statically or via importlib/__import__."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if is_forbidden(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if is_forbidden(node.module):
                found.append(node.module)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if (
                name in ("import_module", "__import__")
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and is_forbidden(first.value)
            ):
                found.append(first.value)
    return found


def test_importing_all_of_model_loads_no_qt_and_no_gui():
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    # Every module file was really imported (a missing one would make this test vacuous).
    on_disk = {f"model.{p.stem}" for p in MODEL.glob("*.py") if p.stem != "__init__"}
    assert on_disk <= set(report["imported"])
    assert "model.training" in report["modules"] and "torch" in report["modules"]
    leaked = [name for name in report["modules"] if is_forbidden(name)]
    assert leaked == []


@pytest.mark.parametrize("path", sorted(MODEL.rglob("*.py")), ids=lambda p: str(p.relative_to(REPO)))
def test_no_model_file_imports_qt_or_gui(path):
    assert forbidden_imports(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        "import PySide6",
        "from PySide6.QtCore import QObject",
        "import pyqtgraph as pg",
        "import shiboken6",
        "from gui import trainer",
        "import gui.canvas",
        "def f():\n    from gui.trainer import Trainer",
        "importlib.import_module('PySide6.QtWidgets')",
        "__import__('pyqtgraph')",
    ],
)
def test_the_static_check_catches_qt_imports(source):
    assert forbidden_imports(source) != []


@pytest.mark.parametrize(
    "source", ["import guidance", "from .gui_helpers import x", "import numpy", "from torch import nn"]
)
def test_the_static_check_allows_other_imports(source):
    assert forbidden_imports(source) == []

"""digitpad's launcher: the entry points of an installed digitpad, and of a clone.

Why this package: the repository's layout is fixed (top-level `gui/` and `model/`, whose code
imports `model...` by that name, and the UI-test contract `gui.app.create_main_window`).
Installed as they are, `gui` and `model` would sit at the top of site-packages, where any
other project's packages of the same names would overwrite them or be overwritten. So the
wheel puts them in a private folder, `digitpad/_app/`, and only this package is public:
the `digitpad` and `digitpad-model` commands (and `python -m digitpad`) put that folder first
on `sys.path` of their own process, then import the app by its usual names. The installed code
is the tested code, byte for byte: nothing is rewritten at build time.
"""

from __future__ import annotations

import sys
from pathlib import Path

_INSTALLED = Path(__file__).resolve().with_name("_app")  # in a wheel
_CLONE = Path(__file__).resolve().parent.parent  # in a clone (or an editable install)


def put_app_on_path() -> None:
    """Make `gui` and `model` importable: from the wheel's private folder, else from the clone."""
    folder = _INSTALLED if _INSTALLED.is_dir() else _CLONE
    if (folder / "gui").is_dir() and str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def main() -> int:
    """The `digitpad` command: open the window."""
    put_app_on_path()
    from gui.app import main as open_window

    return open_window()


def model_main() -> int:
    """The `digitpad-model` command: headless training and evaluation (`python -m model` in a clone)."""
    put_app_on_path()
    from model.cli import main as run

    return run()

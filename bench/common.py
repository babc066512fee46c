"""What the bench scripts share: where to find MNIST when no --data-dir is given."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_MNIST = REPO.parent / "shared" / "datasets" / "mnist"
if str(REPO) not in sys.path:
    sys.path.insert(1, str(REPO))  # tools/ (the window's driver) is not installed


def mnist_dir(data_dir: str | None) -> str | None:
    """The folder given, else the project's shared copy beside the clone (unless
    DIGITPAD_DATA says otherwise), else None: the usual search of model.data."""
    if data_dir is None and SHARED_MNIST.is_dir() and not os.environ.get("DIGITPAD_DATA"):
        return str(SHARED_MNIST)
    return data_dir


def isolate_user_files() -> None:
    """Bench windows use fresh settings and never restore or keep a network of a user's session
    (the kept network lives next to the settings file): every run starts from the shipped weights."""
    if not os.environ.get("DIGITPAD_SETTINGS"):
        folder = Path(tempfile.mkdtemp(prefix="digitpad-bench-"))
        os.environ["DIGITPAD_SETTINGS"] = str(folder / "settings.ini")


def open_window(argv: list[str]):
    """The real main window (offscreen unless a display is set), shown at 1280x800 with fresh
    settings, once its network answers. Returns (QApplication, MainWindow)."""
    from PySide6.QtWidgets import QApplication

    from gui.app import create_main_window
    from tools.driver import wait_until_ready

    isolate_user_files()
    app = QApplication.instance() or QApplication([])
    window = create_main_window(argv)
    window.resize(1280, 800)
    window.show()
    wait_until_ready(window)
    return app, window

"""What the bench scripts share: where to find MNIST when no --data-dir is given, and the
line that says on which machine, when and under what load a figure was measured."""

from __future__ import annotations

import datetime
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED_MNIST = REPO.parent / "shared" / "datasets" / "mnist"
SHARED_STROKES = REPO.parent / "shared" / "datasets" / "strokes"  # the UNIPEN dev files
if str(REPO) not in sys.path:
    sys.path.insert(1, str(REPO))  # tools/ (the window's driver) is not installed


def mnist_dir(data_dir: str | None) -> str | None:
    """The folder given, else the project's shared copy beside the clone (unless
    DIGITPAD_DATA says otherwise), else None: the usual search of model.data."""
    if data_dir is None and SHARED_MNIST.is_dir() and not os.environ.get("DIGITPAD_DATA"):
        return str(SHARED_MNIST)
    return data_dir


def spread(count: int, limit: int) -> np.ndarray:
    """Indices of `limit` of `count` items spread evenly over them (all of them for 0)."""
    return np.arange(count) if not limit or limit >= count else np.linspace(0, count - 1, limit).astype(int)


def describe_machine() -> str:
    """'date: 2026-12-02 04:10 UTC; cpu: AMD EPYC ..., 2 logical cores; load average 0.12, ...'."""
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
        cpu = names[0].split(":", 1)[1].strip() if names else cpu
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; "
        f"cpu: {cpu}, {os.cpu_count()} logical cores; load average {load}"
    )


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

"""Start-up: arguments, the QApplication, and the fully wired main window."""

from __future__ import annotations

import argparse
import gc
import sys

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from . import collection
from .main_window import MainWindow
from .theme import apply_theme


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="digitpad", description="Draw a digit, watch a network learn.")
    parser.add_argument("--data-dir", help="folder holding MNIST (default: $DIGITPAD_DATA, the cache, ...)")
    parser.add_argument("--checkpoint", help="a saved network to open instead of the shipped one")
    return parser.parse_args(argv)


def create_main_window(argv: list[str] | None = None) -> MainWindow:
    """The fully wired window (trainer and predictor running, the network loading), not yet shown."""
    args = parse_arguments(argv)
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        raise RuntimeError("create a QApplication first")
    prepare_application(app)
    window = MainWindow(data_dir=args.data_dir, checkpoint=args.checkpoint)
    collection.settle()
    return window


def prepare_application(app: QApplication) -> None:
    """Settings that must be made once the QApplication exists.

    Never merge pointer samples: when the GUI thread is late, Qt would otherwise compress the
    mouse moves queued meanwhile into one, and the canvas would join the survivors with
    straight lines (a "0" drawn while training came out faceted). The xcb platform plugin
    turns compression on while the application is built, so it is turned off here, after.
    """
    app.setAttribute(Qt.ApplicationAttribute.AA_CompressHighFrequencyEvents, False)
    app.setAttribute(Qt.ApplicationAttribute.AA_CompressTabletEvents, False)
    apply_theme(app)


def main(argv: list[str] | None = None) -> int:
    app = QApplication(sys.argv[:1])
    app.setApplicationName("digitpad")
    app.setOrganizationName("digitpad")
    argv = sys.argv[1:] if argv is None else argv
    window = create_main_window(argv)
    window.show()
    return run_event_loop(app)


def run_event_loop(app: QApplication) -> int:
    """Run until the last window closes, then make the interpreter's exit quick.

    Closing the window has stopped the workers and saved the settings. Left alone, Python's
    shutdown would then spend about a second (more on a busy machine) garbage-collecting
    torch's and Qt's objects one cycle search at a time; frozen objects are skipped.
    """
    code = app.exec()
    gc.freeze()
    return code

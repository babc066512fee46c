"""Start-up: arguments, the QApplication, and the fully wired main window."""

from __future__ import annotations

import argparse
import gc
import sys

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from .main_window import MainWindow


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="digitpad", description="Draw a digit, watch a network learn.")
    parser.add_argument("--data-dir", help="folder holding MNIST (default: $DIGITPAD_DATA, the cache, ...)")
    parser.add_argument("--checkpoint", help="a saved network to open instead of the shipped one")
    # For bench/startup.py: quit as soon as the window has painted and the network answered.
    parser.add_argument("--exit-when-ready", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def apply_dark_palette(app: QApplication) -> None:
    """A dark theme: the canvas is a chalkboard, like MNIST's white-on-black digits."""
    app.setStyle("Fusion")
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: QColor(32, 32, 38),
        QPalette.ColorRole.WindowText: QColor(225, 225, 232),
        QPalette.ColorRole.Base: QColor(24, 24, 30),
        QPalette.ColorRole.AlternateBase: QColor(40, 40, 48),
        QPalette.ColorRole.Text: QColor(225, 225, 232),
        QPalette.ColorRole.Button: QColor(48, 48, 58),
        QPalette.ColorRole.ButtonText: QColor(225, 225, 232),
        QPalette.ColorRole.Highlight: QColor(255, 170, 40),
        QPalette.ColorRole.HighlightedText: QColor(20, 20, 20),
        QPalette.ColorRole.ToolTipBase: QColor(48, 48, 58),
        QPalette.ColorRole.ToolTipText: QColor(225, 225, 232),
        QPalette.ColorRole.PlaceholderText: QColor(130, 130, 140),
    }
    for role, colour in colours.items():
        palette.setColor(role, colour)
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(110, 110, 120))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(110, 110, 120))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor(110, 110, 120))
    app.setPalette(palette)


def create_main_window(argv: list[str] | None = None) -> MainWindow:
    """The fully wired window (worker running, default model loading), not yet shown."""
    args = parse_arguments(argv)
    app = QApplication.instance()
    if app is None:
        raise RuntimeError("create a QApplication first")
    apply_dark_palette(app)
    return MainWindow(data_dir=args.data_dir, checkpoint=args.checkpoint)


def main(argv: list[str] | None = None) -> int:
    app = QApplication(sys.argv[:1])
    app.setApplicationName("digitpad")
    app.setOrganizationName("digitpad")
    argv = sys.argv[1:] if argv is None else argv
    window = create_main_window(argv)
    window.show()
    if parse_arguments(argv).exit_when_ready:
        report_when_ready(window)
    return run_event_loop(app)


def run_event_loop(app: QApplication) -> int:
    """Run until the last window closes, then make the interpreter's exit quick.

    Closing the window has stopped the worker and saved the settings. Left alone, Python's
    shutdown would then spend about a second (more on a busy machine) garbage-collecting
    torch's and Qt's objects one cycle search at a time; frozen objects are skipped.
    """
    code = app.exec()
    gc.freeze()
    return code


def report_when_ready(window: MainWindow) -> None:
    """Print when the window first painted and when it first showed a prediction, then quit."""
    import time

    from PySide6.QtCore import QTimer

    from .replay import PredictionCatcher, drag_stroke

    QTimer.singleShot(0, lambda: print(f"window shown {time.perf_counter():.3f}", flush=True))
    catcher = PredictionCatcher(window)

    def probe() -> None:
        if window._model_info is None:
            QTimer.singleShot(5, probe)
            return
        import numpy as np

        drag_stroke(window, np.array([[0.5, 0.2], [0.5, 0.8]]))
        catcher.wait_for(window._request_id, timeout=30)
        print(f"first prediction {time.perf_counter():.3f}", flush=True)
        window.close()

    QTimer.singleShot(0, probe)

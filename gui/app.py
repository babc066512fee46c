"""Start-up: arguments, the QApplication, and the fully wired main window."""

from __future__ import annotations

import argparse
import sys

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from .main_window import MainWindow


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="digitpad", description="Draw a digit, watch a network learn.")
    parser.add_argument("--data-dir", help="folder holding MNIST (default: $DIGITPAD_DATA, the cache, ...)")
    parser.add_argument("--checkpoint", help="a saved network to open instead of the shipped one")
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
    window = create_main_window(sys.argv[1:] if argv is None else argv)
    window.show()
    return app.exec()

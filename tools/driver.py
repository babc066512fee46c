"""Drive the real window as a user would, for tests, benches and tools (never shipped).

Recorded pen strokes are replayed onto the canvas as mouse drags: this is how digitpad is
measured on real handwriting. The same mouse events a person makes go through the canvas,
the preprocessing and the predictor, and the answer shown is read. Only the window's public
surface is used.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from gui.main_window import MainWindow
from model.messages import UNTRAINED_SOURCE
from model.strokes import REPLAY_FILL, fit_to_canvas

LEFT = Qt.MouseButton.LeftButton
NO_MODIFIER = Qt.KeyboardModifier.NoModifier


class PredictionCatcher:
    """Records what MainWindow.prediction_shown carried, with the request it answered."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.shown: dict[int, np.ndarray | None] = {}
        window.prediction_shown.connect(self._on_shown)

    def _on_shown(self, probabilities: np.ndarray | None) -> None:
        self.shown.setdefault(self.window.controller.request_id, probabilities)

    def wait_for(self, request_id: int, timeout: float = 5.0) -> np.ndarray | None:
        """The first probabilities shown for `request_id`, pumping the event loop meanwhile."""
        app = QApplication.instance()
        deadline = time.monotonic() + timeout
        while request_id not in self.shown:
            app.processEvents()
            if time.monotonic() > deadline:
                raise TimeoutError(f"no prediction was shown for request {request_id}")
            time.sleep(0.0002)
        return self.shown.pop(request_id)


def drag_stroke(window: MainWindow, stroke: np.ndarray) -> None:
    """One press-move-release through points given as fractions (0-1) of the canvas square."""
    canvas = window.canvas
    points = [canvas.widget_point(float(x), float(y)).toPoint() for x, y in stroke]
    QTest.mousePress(canvas, LEFT, NO_MODIFIER, points[0])
    previous = points[0]
    for point in points[1:]:
        if point != previous:
            QTest.mouseMove(canvas, point)
            previous = point
    QTest.mouseRelease(canvas, LEFT, NO_MODIFIER, points[-1])


def read_digit(
    window: MainWindow,
    catcher: PredictionCatcher,
    strokes: Sequence[np.ndarray],
    fill: float = REPLAY_FILL,
    timeout: float = 5.0,
) -> np.ndarray | None:
    """Clear the canvas, write the digit (scaled to `fill`, centred) and read the answer shown."""
    window.canvas.clear()
    for stroke in fit_to_canvas(strokes, 1.0, fill):
        drag_stroke(window, stroke)
    # The last release made the newest request; answers to earlier ones are never shown.
    result = catcher.wait_for(window.controller.request_id, timeout)
    catcher.shown.clear()
    return result


def wait_until_ready(window: MainWindow, timeout: float = 60.0) -> None:
    """Pump the event loop until the window's network is loaded and answering."""
    app = QApplication.instance()
    deadline = time.monotonic() + timeout
    while window.state.network is None:
        if time.monotonic() > deadline:
            raise TimeoutError("the network did not load")
        app.processEvents()
        time.sleep(0.001)


def use_network(window: MainWindow, arch: str, timeout: float = 30.0) -> None:
    """Replace the network in use by a new untrained one of `arch`'s default shape (Train then
    trains that shape from scratch, as headless training of `arch` does); pumps the event loop
    until the window shows it."""
    before = window.state.network
    window.controller.new_network(arch)
    app = QApplication.instance()
    deadline = time.monotonic() + timeout
    while True:
        network = window.state.network
        if (
            network is not None
            and network is not before
            and network.arch == arch
            and network.source == UNTRAINED_SOURCE
        ):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"no new {arch} network after {timeout} s")
        app.processEvents()
        time.sleep(0.001)

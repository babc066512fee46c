"""Replay recorded pen strokes onto the real canvas as mouse drags.

This is how digitpad is measured on real handwriting: the same mouse events a person
makes go through the canvas, the preprocessing and the worker, and the shown answer is read.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from model.strokes import REPLAY_FILL, fit_to_canvas

from .main_window import MainWindow

LEFT = Qt.MouseButton.LeftButton
NO_MODIFIER = Qt.KeyboardModifier.NoModifier


class PredictionCatcher:
    """Records what MainWindow.prediction_shown carried, with the request it answered."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.shown: dict[int, np.ndarray | None] = {}
        window.prediction_shown.connect(self._on_shown)

    def _on_shown(self, probabilities: np.ndarray | None) -> None:
        self.shown.setdefault(self.window._request_id, probabilities)

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
    result = catcher.wait_for(window._request_id, timeout)
    catcher.shown.clear()
    return result

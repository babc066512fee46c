"""GUI fixtures: a fully wired main window whose worker thread must be gone afterwards."""

from __future__ import annotations

import gc
import itertools
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from gui import network_files
from gui.app import create_main_window
from gui.main_window import MainWindow


@pytest.fixture(autouse=True)
def _qt_garbage_collected_in_the_gui_thread() -> Iterator[None]:
    """Delete closed windows and collect their garbage here, in the GUI thread.

    pyqtgraph keeps Python-owned QObjects (its menus...) in reference cycles. Left to the
    cyclic garbage collector, they are deleted in whatever thread it runs in next, the next
    window's worker thread say, which deadlocks or crashes Qt. So after each test: run the
    deletions pytest-qt queued, collect, then freeze what is left (a failed test's traceback
    keeps its window alive) so that no later collection, in any thread, ever deletes it.
    """
    yield
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def _no_unanswered_questions(monkeypatch: pytest.MonkeyPatch) -> None:
    """A modal question offscreen would wait forever: a test that meets one must answer it
    (monkeypatch QMessageBox.question itself), else it fails here, saying which question."""

    def unanswered(parent, title: str, text: str, *args, **kwargs):
        raise AssertionError(f"a test met the question {title!r} and did not answer it: {text}")

    monkeypatch.setattr(QMessageBox, "question", unanswered)
    monkeypatch.setattr(network_files, "ask_unkept", lambda parent, text: unanswered(parent, "keep?", text))


@pytest.fixture
def window(qtbot) -> Iterator[MainWindow]:
    """The real window, shown, with the shipped model loaded; closed and joined at the end."""
    main = create_main_window([])
    qtbot.addWidget(main)
    main.resize(1200, 820)
    main.show()
    qtbot.waitExposed(main)
    qtbot.waitUntil(lambda: main.state.network is not None, timeout=15000)
    yield main
    main.close()
    assert not main.controller.threads_running(), "the worker thread outlived the window"


def drag(canvas, points: Sequence[tuple[float, float]]) -> None:
    """Press, move through and release at points given as fractions (0-1) of the canvas square."""

    def at(x: float, y: float) -> QPoint:
        return canvas.widget_point(x, y).toPoint()

    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(*points[0]))
    for x, y in points[1:]:
        QTest.mouseMove(canvas, at(x, y))
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(*points[-1]))


def polyline(*corners: tuple[float, float], steps: int = 12) -> list[tuple[float, float]]:
    """Corners joined by evenly spaced points, as a hand moving the mouse would give."""
    points = [corners[0]]
    for (x0, y0), (x1, y1) in itertools.pairwise(corners):
        points += [(x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps) for k in range(1, steps + 1)]
    return points


@pytest.fixture
def draw_and_wait(qtbot, window: MainWindow) -> Callable[..., np.ndarray | None]:
    """Drag strokes, then return the probabilities first shown after the last release."""

    def run(*strokes: Sequence[tuple[float, float]]) -> np.ndarray | None:
        for stroke in strokes[:-1]:
            drag(window.canvas, stroke)
        with qtbot.waitSignal(window.prediction_shown, timeout=5000) as blocker:
            drag(window.canvas, strokes[-1])
        return blocker.args[0]

    return run

"""Fuzzing the canvas through the real window: whatever is drawn, a defined answer.

Random strokes (inside, along the border, far outside the widget), dots, erasing, pen
widths, resizes and quick undo / redo / clear interleavings. After each sequence the window
must show None (nothing to read) or ten finite probabilities summing to 1, agree with
preprocessing the ink on the canvas, and keep the undo history it promised. No Qt warning
may be printed (pytest-qt fails the test on one).
"""

from __future__ import annotations

import numpy as np
import pytest
from gui_support import drag_with
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from model.preprocess import preprocess

GUI_FUZZ = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
LEFT, RIGHT = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton

inside = st.floats(0.0, 1.0)
anywhere = st.one_of(
    st.floats(-0.6, 1.6),  # around the canvas, over the neighbouring widgets and past the window
    st.floats(-40.0, 40.0),  # tens of thousands of pixels away
)
stroke = st.tuples(
    st.just("stroke"),
    st.sampled_from([LEFT, RIGHT]),
    st.tuples(inside, inside),  # the press must land on the canvas
    st.lists(st.tuples(anywhere, anywhere), max_size=12),  # then the pen may go anywhere
)
raw_stroke = st.tuples(  # events sent straight to the canvas, with positions no mouse gives
    st.just("raw"),
    st.lists(
        st.tuples(st.floats(-1e7, 1e7), st.floats(-1e7, 1e7)) | st.tuples(inside, inside),
        min_size=1,
        max_size=6,
    ),
)
action = st.one_of(
    stroke,
    stroke,
    raw_stroke,
    st.tuples(st.just("dot"), st.tuples(inside, inside)),
    st.just(("undo",)),
    st.just(("redo",)),
    st.just(("clear",)),
    st.just(("eraser",)),
    st.tuples(st.just("pen"), st.sampled_from([0, 1, 2])),
    st.tuples(st.just("resize"), st.integers(600, 1400), st.integers(500, 1000)),
)
window_size = st.tuples(st.integers(600, 1400), st.integers(500, 1000))


def assert_defined(probabilities) -> None:
    if probabilities is None:
        return
    assert isinstance(probabilities, np.ndarray) and probabilities.shape == (10,)
    assert np.all(np.isfinite(probabilities)) and np.all(probabilities >= 0)
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-5)


def send(canvas, kind: QEvent.Type, x: float, y: float) -> None:
    """A mouse event delivered to the canvas itself, wherever its position is."""
    origin, side = canvas.widget_point(0, 0), canvas.widget_point(1, 1).x() - canvas.widget_point(0, 0).x()
    position = QPointF(origin.x() + x * side, origin.y() + y * side)
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else LEFT
    event = QMouseEvent(
        kind, position, canvas.mapToGlobal(position), LEFT, buttons, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(canvas, event)


class History:
    """What the undo history must hold: strokes on the canvas, strokes to redo."""

    def __init__(self) -> None:
        self.strokes = 0
        self.redo = 0

    def drawn(self) -> None:
        self.strokes += 1
        self.redo = 0

    def undo(self) -> None:
        if self.strokes:
            self.strokes, self.redo = self.strokes - 1, self.redo + 1

    def redo_one(self) -> None:
        if self.redo:
            self.strokes, self.redo = self.strokes + 1, self.redo - 1


def reset(qtbot, window, size: tuple[int, int] = (1200, 820)) -> None:
    window.canvas.clear()
    if window.menu_actions.eraser.isChecked():
        window.menu_actions.eraser.trigger()
    window.menu_actions.pens.actions()[1].trigger()  # the normal pen
    window.resize(*size)
    qtbot.wait(1)


def perform(qtbot, window, steps, history: History) -> None:
    canvas = window.canvas
    for step in steps:
        kind = step[0]
        if kind == "stroke":
            _, button, start, rest = step
            drag_with(canvas, button, [start, *rest])
            history.drawn()
        elif kind == "raw":
            points = step[1]
            send(canvas, QEvent.Type.MouseButtonPress, *points[0])
            for point in points[1:]:
                send(canvas, QEvent.Type.MouseMove, *point)
            send(canvas, QEvent.Type.MouseButtonRelease, *points[-1])
            history.drawn()
        elif kind == "dot":
            QTest.mouseClick(
                canvas, LEFT, Qt.KeyboardModifier.NoModifier, canvas.widget_point(*step[1]).toPoint()
            )
            history.drawn()
        elif kind == "undo":
            window.menu_actions.undo.trigger()
            history.undo()
        elif kind == "redo":
            window.menu_actions.redo.trigger()
            history.redo_one()
        elif kind == "clear":
            window.menu_actions.clear.trigger()
            history.strokes = history.redo = 0
        elif kind == "eraser":
            window.menu_actions.eraser.trigger()
        elif kind == "pen":
            window.menu_actions.pens.actions()[step[1]].trigger()
        else:  # the strokes are repainted at the new size, and read again
            window.resize(step[1], step[2])
            qtbot.wait(1)
        assert canvas.stroke_count() == history.strokes
        assert canvas.can_redo() == (history.redo > 0)
        assert window.menu_actions.undo.isEnabled() == (history.strokes > 0)
        assert window.menu_actions.redo.isEnabled() == (history.redo > 0)


def settled(window) -> bool:
    """No request in flight, none pending, and the ink unchanged since the last one."""
    return window.controller.idle


def final_answer(qtbot, window):
    with qtbot.waitSignal(window.prediction_shown, timeout=10000) as blocker:
        window.controller.request_prediction()
    return blocker.args[0]


@GUI_FUZZ
@given(size=window_size, steps=st.lists(action, max_size=20))
def test_random_drawing_sessions_always_end_in_a_defined_answer(qtbot, window, size, steps):
    reset(qtbot, window, size)
    shown: list = []
    window.prediction_shown.connect(shown.append)
    try:
        perform(qtbot, window, steps, History())
        qtbot.wait(5)  # let a last resize arrive
        qtbot.waitUntil(lambda: settled(window), timeout=10000)
        nothing_to_read = preprocess(window.canvas.image_array()) is None
        if shown:
            # What the window asked for on its own, after the last change, matches the ink:
            # None exactly when there is nothing to read (empty, all erased, all off-canvas).
            assert (shown[-1] is None) == nothing_to_read
        answer = final_answer(qtbot, window)
    finally:
        window.prediction_shown.disconnect(shown.append)
    for probabilities in shown:
        assert_defined(probabilities)
    assert (answer is None) == nothing_to_read
    if answer is not None:
        unknown = window.state.prediction.unknown  # not a digit: "?", the bars still shown
        assert window.prediction_label.text() == ("?" if unknown else str(int(np.argmax(answer))))
    else:
        assert window.prediction_label.text() == ""


@settings(GUI_FUZZ, max_examples=15)
@given(
    steps=st.lists(
        st.sampled_from([("undo",), ("redo",), ("clear",), ("dot", (0.5, 0.5)), ("dot", (0.0, 1.0))]),
        min_size=10,
        max_size=60,
    )
)
def test_rapid_undo_redo_clear_interleavings(qtbot, window, steps):
    """No waiting at all between actions: every request but the last goes stale."""
    reset(qtbot, window)
    history = History()
    shown: list = []
    window.prediction_shown.connect(shown.append)
    try:
        perform(qtbot, window, steps, history)
        qtbot.waitUntil(lambda: settled(window), timeout=10000)
    finally:
        window.prediction_shown.disconnect(shown.append)
    if shown:  # the last answer shown, unasked, is for what is on the canvas now
        assert (shown[-1] is None) == (history.strokes == 0)
    answer = final_answer(qtbot, window)
    assert_defined(answer)
    assert (answer is None) == (history.strokes == 0)


def test_thousands_of_strokes(qtbot, window):
    canvas = window.canvas
    rng = np.random.default_rng(7)
    for x, y in rng.random((1000, 2)):
        QTest.mouseClick(canvas, LEFT, Qt.KeyboardModifier.NoModifier, canvas.widget_point(x, y).toPoint())
    for _ in range(20):  # and scribbles
        drag_with(canvas, LEFT, [tuple(point) for point in rng.random((8, 2))])
    assert canvas.stroke_count() == 1020
    answer = final_answer(qtbot, window)
    assert answer is not None
    assert_defined(answer)
    for _ in range(6):  # each undo repaints the remaining 1,000 strokes
        window.menu_actions.undo.trigger()
    for _ in range(2):
        window.menu_actions.redo.trigger()
    assert canvas.stroke_count() == 1016
    assert_defined(final_answer(qtbot, window))
    window.menu_actions.clear.trigger()
    assert final_answer(qtbot, window) is None


@pytest.mark.parametrize(
    "points",
    [
        [(0.5, 0.5)],  # a single dot
        [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)],  # along the border
        [(0.0, 0.02), (1.0, 0.02)],  # one line at the top edge
        [(0.5, 0.5), (30.0, 0.5)],  # out of the widget and far beyond
        [(0.999, 0.999), (0.9995, 0.9995)],  # a speck in the corner
    ],
)
def test_extreme_single_strokes(qtbot, window, points):
    with qtbot.waitSignal(window.prediction_shown, timeout=10000) as blocker:
        drag_with(window.canvas, LEFT, points)
    assert blocker.args[0] is not None
    assert_defined(blocker.args[0])


def test_a_completely_filled_canvas(qtbot, window):
    window.menu_actions.pens.actions()[2].trigger()  # the thick pen: fewer strokes to cover it
    rows = np.linspace(0.0, 1.0, 25)
    for y in rows:
        drag_with(window.canvas, LEFT, [(-0.1, y), (1.1, y)])
    image = window.canvas.image_array()
    assert np.count_nonzero(image > 128) > 0.98 * image.size
    answer = final_answer(qtbot, window)
    assert answer is not None
    assert_defined(answer)
    # What the network sees is a solid block filling MNIST's 20x20 box.
    assert np.count_nonzero(window.state.prediction.pixels > 0.99) >= 0.95 * 20 * 20

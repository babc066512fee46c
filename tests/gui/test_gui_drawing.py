"""Drawing on the canvas: predictions, clearing, undo/redo, erasing and stale answers."""

from __future__ import annotations

import numpy as np
import pytest
from gui_support import HORIZONTAL, SEVEN, VERTICAL, drag, drag_with, ink, polyline
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from gui.canvas import DrawingCanvas
from model.checkpoint import DEFAULT_WEIGHTS

CONTRACT_NAMES = {
    "canvas": DrawingCanvas,
    "predictionLabel": QLabel,
    "probabilityView": QWidget,
    "inputPreview": QWidget,
    "activationView": QWidget,
    "lossPlot": QWidget,
    "trainButton": QPushButton,
}
NONE = Qt.KeyboardModifier.NoModifier
DIAGONAL = polyline((0.2, 0.2), (0.8, 0.8))


def assert_probabilities(probabilities) -> None:
    assert isinstance(probabilities, np.ndarray)
    assert probabilities.shape == (10,)
    assert np.all(np.isfinite(probabilities))
    assert np.all(probabilities >= 0)
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-5)


def focus_canvas(qtbot, window) -> None:
    """Shortcuts only fire in the active window; the offscreen platform activates on request."""
    window.activateWindow()
    window.canvas.setFocus()
    qtbot.waitUntil(lambda: window.isActiveWindow() and window.canvas.hasFocus(), timeout=3000)


def test_every_contract_widget_is_found_by_object_name(window):
    for name, kind in CONTRACT_NAMES.items():
        found = window.findChildren(kind, name)
        assert len(found) == 1, f"expected exactly one {kind.__name__} named {name!r}, found {len(found)}"
    assert window.findChild(DrawingCanvas, "canvas") is window.canvas
    assert window.findChild(QLabel, "predictionLabel").text() == ""  # nothing drawn yet


def test_a_stroke_shows_ten_probabilities_the_digit_and_the_28x28_input(window, draw_and_wait):
    probabilities = draw_and_wait(VERTICAL)

    assert_probabilities(probabilities)
    label = window.findChild(QLabel, "predictionLabel")
    assert label.text() == str(int(np.argmax(probabilities)))
    np.testing.assert_allclose(window.probability_view.probabilities(), probabilities, rtol=1e-6)
    preview = window.findChild(QWidget, "inputPreview")
    pixels = preview.pixels()
    assert pixels is not None and pixels.shape == (28, 28)
    assert pixels.min() >= 0.0 and pixels.max() <= 1.0 and pixels.max() > 0.5
    assert preview.image_size() == (28, 28)
    # The preprocessed "1" is a vertical bar in the middle columns, not spread over the image.
    columns = np.flatnonzero(pixels.max(axis=0) > 0.3)
    rows = np.flatnonzero(pixels.max(axis=1) > 0.3)
    assert columns.size <= 6 and rows.size >= 15
    assert window.activation_view.layer_names()[0] == "input"
    assert window.activation_view.layer_names()[-1] == "output"


def test_a_single_click_leaves_a_dot_read_as_no_digit(qtbot, window):
    canvas = window.canvas
    with qtbot.waitSignal(window.prediction_shown, timeout=5000) as blocker:
        QTest.mouseClick(canvas, Qt.MouseButton.LeftButton, NONE, canvas.widget_point(0.5, 0.5).toPoint())
    assert canvas.stroke_count() == 1
    assert canvas.image_array().max() >= 200
    assert ink(canvas) > 10
    assert_probabilities(blocker.args[0])  # the bars still show what the digit network says ...
    assert window.findChild(QLabel, "predictionLabel").text() == "?"  # ... but a dot is no digit
    # A click that moved a pixel or two down is a dot too (to the path network alone, a line).
    for nudge in ((0.0, 0.004), (0.003, 0.003), (0.0, 0.02)):
        canvas.clear()
        with qtbot.waitSignal(window.prediction_shown, timeout=5000):
            drag(canvas, [(0.3, 0.3), (0.3 + nudge[0], 0.3 + nudge[1])])
        assert window.findChild(QLabel, "predictionLabel").text() == "?", nudge


@pytest.mark.parametrize("how", ["clear()", "Clear button", "Esc", "Delete"])
def test_clearing_empties_the_canvas_and_the_prediction(qtbot, window, draw_and_wait, how):
    draw_and_wait(VERTICAL, HORIZONTAL)
    assert window.canvas.stroke_count() == 2
    assert window.findChild(QLabel, "predictionLabel").text() != ""
    if how in ("Esc", "Delete"):
        focus_canvas(qtbot, window)

    with qtbot.waitSignal(window.prediction_shown, timeout=5000) as blocker:
        if how == "clear()":
            window.canvas.clear()
        elif how == "Clear button":
            qtbot.mouseClick(window.findChild(QPushButton, "clearButton"), Qt.MouseButton.LeftButton)
        else:
            key = Qt.Key.Key_Escape if how == "Esc" else Qt.Key.Key_Delete
            QTest.keyClick(window.canvas, key)

    assert blocker.args == [None]
    assert window.findChild(QLabel, "predictionLabel").text() == ""
    assert window.probability_view.probabilities() is None
    assert window.canvas.stroke_count() == 0 and window.canvas.is_empty()
    assert window.canvas.image_array().max() == 0
    assert not window.menu_actions.undo.isEnabled()


def test_undo_and_redo_one_stroke_at_a_time_with_the_keyboard(qtbot, window, draw_and_wait):
    canvas = window.canvas
    first = draw_and_wait(VERTICAL)
    one_stroke = canvas.image_array()
    both = draw_and_wait(HORIZONTAL)
    two_strokes = canvas.image_array()
    assert canvas.stroke_count() == 2 and not window.menu_actions.redo.isEnabled()
    focus_canvas(qtbot, window)

    ctrl = Qt.KeyboardModifier.ControlModifier
    with qtbot.waitSignal(window.prediction_shown, timeout=5000) as undone:
        QTest.keyClick(canvas, Qt.Key.Key_Z, ctrl)
    assert canvas.stroke_count() == 1
    assert window.menu_actions.redo.isEnabled()
    # Undo repaints the remaining strokes from their vectors: the same picture as before
    # (up to anti-aliasing where incremental segments overlapped).
    assert same_picture(canvas.image_array(), one_stroke)
    assert not same_picture(canvas.image_array(), two_strokes)
    np.testing.assert_allclose(undone.args[0], first, atol=1e-3)

    with qtbot.waitSignal(window.prediction_shown, timeout=5000) as redone:
        QTest.keyClick(canvas, Qt.Key.Key_Z, ctrl | Qt.KeyboardModifier.ShiftModifier)
    assert canvas.stroke_count() == 2
    assert same_picture(canvas.image_array(), two_strokes)
    np.testing.assert_allclose(redone.args[0], both, atol=1e-3)
    assert not window.menu_actions.redo.isEnabled()

    # Undoing every stroke leaves an empty canvas, and the prediction goes away.
    QTest.keyClick(canvas, Qt.Key.Key_Z, ctrl)
    with qtbot.waitSignal(window.prediction_shown, timeout=5000) as emptied:
        QTest.keyClick(canvas, Qt.Key.Key_Z, ctrl)
    assert emptied.args == [None]
    assert canvas.stroke_count() == 0 and canvas.image_array().max() == 0
    assert not window.menu_actions.undo.isEnabled()
    assert window.findChild(QLabel, "predictionLabel").text() == ""


def same_picture(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal sizes and ink masks differing on under 2% of the ink."""
    if a.shape != b.shape:
        return False
    differing = np.count_nonzero((a > 128) != (b > 128))
    return differing <= 0.02 * max(1, np.count_nonzero(b > 128))


def test_dragging_with_the_right_button_erases(qtbot, window, draw_and_wait):
    canvas = window.canvas
    draw_and_wait(VERTICAL, HORIZONTAL)
    before = ink(canvas)
    with qtbot.waitSignal(window.prediction_shown, timeout=5000):
        drag_with(canvas, Qt.MouseButton.RightButton, HORIZONTAL)
    after = ink(canvas)
    # The horizontal bar is gone, except where it crossed the vertical one.
    assert after < before * 0.75
    row = int(canvas.image_array().shape[0] * 0.5)
    left_part = canvas.image_array()[row, : int(canvas.image_array().shape[1] * 0.4)]
    assert left_part.max() <= 8
    assert canvas.stroke_count() == 3  # an erasing stroke is a stroke: it can be undone
    with qtbot.waitSignal(window.prediction_shown, timeout=5000):
        window.menu_actions.undo.trigger()
    assert ink(canvas) == pytest.approx(before, rel=0.02)


def test_the_eraser_toggle_makes_the_left_button_erase(qtbot, window, draw_and_wait):
    canvas = window.canvas
    draw_and_wait(HORIZONTAL)
    before = ink(canvas)
    qtbot.mouseClick(window.eraser_button, Qt.MouseButton.LeftButton)
    assert canvas.eraser_mode and window.menu_actions.eraser.isChecked()

    with qtbot.waitSignal(window.prediction_shown, timeout=5000) as blocker:
        drag(canvas, HORIZONTAL)
    assert ink(canvas) == 0
    assert blocker.args == [None]  # nothing left to read
    assert window.findChild(QLabel, "predictionLabel").text() == ""

    qtbot.mouseClick(window.eraser_button, Qt.MouseButton.LeftButton)
    assert not canvas.eraser_mode and not window.menu_actions.eraser.isChecked()
    with qtbot.waitSignal(window.prediction_shown, timeout=5000) as blocker:
        drag(canvas, HORIZONTAL)
    assert ink(canvas) == pytest.approx(before, rel=0.02)
    assert blocker.args[0] is not None


def test_only_the_answer_for_the_latest_request_is_shown(qtbot, window, draw_and_wait):
    canvas = window.canvas
    draw_and_wait(VERTICAL, HORIZONTAL)
    shown: list = []
    window.prediction_shown.connect(lambda probabilities: shown.append(probabilities))

    # Two requests in flight at once, for different drawings, before any answer comes back.
    first_id = window.controller.request_id
    drag(canvas, DIAGONAL)  # request first_id + 1: the cross and a diagonal
    canvas.undo()  # request first_id + 2: the cross alone
    assert window.controller.request_id == first_id + 2
    qtbot.waitUntil(lambda: len(shown) >= 1, timeout=5000)
    # The predictor answers in order, so the stale answer had arrived (and was dropped) before
    # this one; wait a little longer anyway for anything that should not come.
    qtbot.wait(300)
    assert len(shown) == 1
    displayed = shown[0]

    # What each request's answer was: ask again for the cross, then for cross + diagonal.
    with qtbot.waitSignal(window.prediction_shown, timeout=5000) as cross:
        window.controller.request_prediction()
    with qtbot.waitSignal(window.prediction_shown, timeout=5000) as stale:
        canvas.redo()
    np.testing.assert_array_equal(displayed, cross.args[0])
    assert not np.allclose(displayed, stale.args[0], atol=1e-4), "the two drawings must be told apart"

    # Two quick repeats of the same request: one answer is shown, not two.
    shown.clear()
    window.controller.request_prediction()
    window.controller.request_prediction()
    qtbot.waitUntil(lambda: len(shown) >= 1, timeout=5000)
    qtbot.wait(300)
    assert len(shown) == 1
    np.testing.assert_array_equal(shown[0], stale.args[0])


@pytest.mark.skipif(not DEFAULT_WEIGHTS.exists(), reason=f"{DEFAULT_WEIGHTS.name} has not been trained yet")
def test_shipped_weights_recognise_a_drawn_one_and_seven(window, draw_and_wait):
    assert window.state.network.source == "shipped weights"
    one = draw_and_wait(VERTICAL)
    assert int(np.argmax(one)) == 1, f"a vertical line read as {np.round(one, 3)}"
    assert window.findChild(QLabel, "predictionLabel").text() == "1"
    window.canvas.clear()
    seven = draw_and_wait(SEVEN)
    assert int(np.argmax(seven)) == 7, f"a 7 read as {np.round(seven, 3)}"
    assert window.findChild(QLabel, "predictionLabel").text() == "7"


def test_a_small_drawing_is_read_as_if_drawn_bigger_with_the_same_pen(qtbot, window, draw_and_wait):
    """A 1 a tenth of the canvas high, under a pen almost as wide: read from its path drawn
    bigger (a 1), not as the blob its ink is; the 28x28 field still lies over it on the canvas.
    Rubbing out a stray mark, or a thicker pen beside it, leaves it read the same way."""
    probabilities = draw_and_wait(polyline((0.5, 0.45), (0.5, 0.55)))
    assert probabilities is not None and int(np.argmax(probabilities)) == 1
    assert window.prediction_label.text() == "1"
    assert "small for the pen, drawn" in window.seen_note.text()  # says why the input looks thinner
    assert "drawn again" in window.input_preview.toolTip()
    magnified = window.state.prediction.magnified
    assert magnified > 2
    side = window.canvas.image_array().shape[0]
    ink = window.canvas.ink_strokes()
    assert ink is not None and [stroke.width for stroke in ink] == [window.canvas.pen_width() / side]
    prediction = window.state.prediction
    assert prediction.pixels is not None and prediction.placement is not None
    x, y, width, height = prediction.placement
    assert x < 0.5 * side < x + width and y < 0.45 * side and 0.55 * side < y + height < 0.62 * side
    # A stray dot, then rubbed out: the canvas looks as before, and so does the answer.
    drag(window.canvas, polyline((0.3, 0.5), (0.31, 0.5)))
    with qtbot.waitSignal(window.prediction_shown, timeout=5000):
        drag_with(window.canvas, Qt.MouseButton.RightButton, [(0.27, 0.5), (0.34, 0.5)])
    ink = window.canvas.ink_strokes()
    assert ink is not None and [stroke.erase for stroke in ink] == [False, False, True]
    assert ink[2].width == pytest.approx(1.6 * ink[0].width)  # the eraser is wider than the pen
    assert window.prediction_label.text() == "1"
    assert window.state.prediction.magnified == pytest.approx(magnified)
    window.canvas.clear()
    draw_and_wait(VERTICAL)  # big enough for the pen: read as drawn, and said so
    assert window.state.prediction.magnified == 1.0 and "small" not in window.seen_note.text()
    assert "drawn again" not in window.input_preview.toolTip()
    window.canvas.show_digit(np.zeros((28, 28), np.uint8))  # a picture: no strokes to redraw
    assert window.canvas.ink_strokes() is None

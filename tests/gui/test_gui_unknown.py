"""I don't know: a drawing that is no digit is answered "?", with the bars still shown."""

from __future__ import annotations

import numpy as np
import pytest
from gui_support import SEVEN, drag_with, pixels_near
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from gui import theme
from gui.teach_view import PROMPT, UNKNOWN_PROMPT
from model.pen_path import strokes_of
from model.scribbles import scribble
from tools.driver import PredictionCatcher, read_digit


def answer_coloured(bars: QWidget) -> int:
    """How many pixels of the bars are painted in the colour of the answer."""
    return pixels_near(bars, theme.ACCENT.getRgb(), tolerance=12)


def test_a_scribble_is_answered_with_a_question_mark_and_a_digit_with_itself(qtbot, window) -> None:
    catcher = PredictionCatcher(window)
    rng = np.random.default_rng(3)
    for kind in ("hatch", "zigzag", "dash"):
        probabilities = read_digit(window, catcher, scribble(rng, kind), timeout=30)
        assert window.prediction_label.text() == "?", kind
        assert probabilities is not None and probabilities.shape == (10,)  # prediction_shown: the 10 still
        assert np.isclose(probabilities.sum(), 1.0)
        assert window.confidence_label.text() == "Not a digit I know"
        assert "path the pen took" in window.confidence_label.toolTip()
        assert window.state.prediction.unknown and window.probability_view.isVisible()
        assert answer_coloured(window.probability_view) == 0  # no bar is shown as the answer
        assert window.teach_bar.status.full_text() == UNKNOWN_PROMPT  # why, and what to do
    probabilities = read_digit(window, catcher, [np.array(SEVEN)])
    assert window.prediction_label.text() == "7" == str(int(np.argmax(probabilities)))
    assert window.teach_bar.status.full_text() == PROMPT
    assert answer_coloured(window.probability_view) > 100  # the 7's bar, in the answer's colour
    assert not window.state.prediction.unknown and window.state.prediction.not_a_digit < 0.5


def test_the_detector_reads_the_pen_path_of_what_was_drawn_and_only_that(qtbot, window) -> None:
    """The strokes on the canvas go with the drawing to the detector, which judges from the
    picture and the path together; once erased over (or a picture), from the picture alone."""
    from model.detector import load_detector

    detector = load_detector()
    assert detector is not None and detector.joint is not None  # the shipped one reads paths
    catcher = PredictionCatcher(window)
    read_digit(window, catcher, [np.array(SEVEN), np.array([[0.3, 0.55], [0.7, 0.55]])])
    strokes = strokes_of(window.canvas.ink_strokes())
    assert strokes is not None and [len(s) > 1 for s in strokes] == [True, True]
    assert all(((s >= 0) & (s <= 1)).all() for s in strokes)  # canvas-relative, in writing order
    assert strokes[1][0, 0] < strokes[1][-1, 0]  # the bar, left to right as it was drawn
    prediction = window.state.prediction
    assert prediction.pixels is not None and prediction.not_a_digit is not None
    joint = detector.judge(prediction.pixels, strokes).not_a_digit
    assert prediction.not_a_digit == pytest.approx(joint, abs=1e-5)
    assert joint != pytest.approx(detector.judge(prediction.pixels, None).not_a_digit, rel=0.1)  # path counts
    assert f"? from {detector.joint.threshold:.0%} on" in window.confidence_label.toolTip()
    drag_with(window.canvas, Qt.MouseButton.RightButton, [(0.05, 0.05), (0.1, 0.05)])  # erases
    assert strokes_of(window.canvas.ink_strokes()) is None
    catcher.wait_for(window.controller.request_id, 5)
    prediction = window.state.prediction
    assert prediction.not_a_digit == pytest.approx(
        detector.judge(prediction.pixels, None).not_a_digit, abs=1e-5
    )
    assert f"? from {detector.threshold:.0%} on" in window.confidence_label.toolTip()  # the picture's own


def test_the_path_is_only_of_pen_strokes_inside_the_canvas(qtbot, window) -> None:
    canvas = window.canvas
    QTest.mousePress(
        canvas,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        canvas.widget_point(0.2, 0.2).toPoint(),
    )
    QTest.mouseMove(canvas, canvas.widget_point(0.5, 0.5).toPoint())
    in_progress = strokes_of(canvas.ink_strokes())
    assert (
        in_progress is not None and len(in_progress) == 1 and len(in_progress[0]) == 2
    )  # the stroke under way
    QTest.mouseMove(canvas, canvas.widget_point(1.5, 0.5).toPoint())  # on, past the edge
    QTest.mouseRelease(
        canvas,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        canvas.widget_point(1.5, 0.5).toPoint(),
    )
    assert strokes_of(canvas.ink_strokes()) is None  # ink past the edge is not in the picture
    canvas.clear()
    drag_with(canvas, Qt.MouseButton.LeftButton, [(0.3, 0.3), (0.6, 0.6)])
    assert strokes_of(canvas.ink_strokes()) is not None
    canvas.show_digit(np.zeros((28, 28), np.uint8))  # a digit from Where it fails
    assert strokes_of(canvas.ink_strokes()) is None


def test_more_strokes_than_any_digit_are_judged_from_the_picture(qtbot, window) -> None:
    from gui.canvas import MAX_PATH_STROKES

    for i in range(MAX_PATH_STROKES):
        drag_with(window.canvas, Qt.MouseButton.LeftButton, [(0.1 + i / 100, 0.5), (0.1 + i / 100, 0.6)])
    path = strokes_of(window.canvas.ink_strokes())
    assert path is not None and len(path) == MAX_PATH_STROKES
    drag_with(window.canvas, Qt.MouseButton.LeftButton, [(0.9, 0.5), (0.9, 0.6)])
    assert strokes_of(window.canvas.ink_strokes()) is None
    window.canvas.undo()
    assert strokes_of(window.canvas.ink_strokes()) is not None


def test_clicking_a_digit_under_a_question_mark_answers_with_the_digit_network(qtbot, window) -> None:
    catcher = PredictionCatcher(window)
    read_digit(window, catcher, scribble(np.random.default_rng(3), "hatch"), timeout=30)
    assert window.prediction_label.text() == "?"
    window.teach_bar.buttons[7].click()
    assert window.prediction_label.text() != "?"  # at once: the user said it is a digit
    assert "set aside" in window.confidence_label.toolTip()
    assert answer_coloured(window.probability_view) > 100  # a bar is the answer again
    qtbot.waitUntil(lambda: window.prediction_label.text() == "7", timeout=60000)  # once learnt


def test_a_drawing_read_again_with_new_weights_is_not_judged_again(
    qtbot, window, tmp_path, monkeypatch
) -> None:
    """The detector does not change while the network does: its verdict on a drawing is kept
    when the drawing is read again (as after each training slice), and made anew for new ink."""
    from model.checkpoint import save_checkpoint
    from model.detector import Detector
    from model.networks import build_network

    judged: list[int] = []
    judge = Detector.judge
    monkeypatch.setattr(Detector, "judge", lambda self, *args: judged.append(1) or judge(self, *args))
    catcher = PredictionCatcher(window)
    read_digit(window, catcher, [np.array(SEVEN)])
    verdict, judged_before = window.state.prediction.not_a_digit, len(judged)
    assert verdict is not None and judged_before >= 1
    path = tmp_path / "other.pt"
    save_checkpoint(path, build_network("mlp", seed=3), {})
    with qtbot.waitSignal(window.prediction_shown, timeout=10000):
        window.controller.open_network(str(path))  # the same drawing, read with other weights
    qtbot.waitUntil(lambda: window.state.network.arch == "mlp", timeout=5000)
    assert len(judged) == judged_before and window.state.prediction.not_a_digit == verdict
    drag_with(window.canvas, Qt.MouseButton.LeftButton, [(0.3, 0.8), (0.7, 0.8)])
    catcher.wait_for(window.controller.request_id, 5)
    assert len(judged) > judged_before and window.state.prediction.not_a_digit != verdict

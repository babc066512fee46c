"""Where it looked: the overlay on the input, and why it was not another digit."""

from __future__ import annotations

import numpy as np
from gui_support import VERTICAL, drag
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest


def test_where_it_looked_overlays_the_input_and_explains_other_digits(qtbot, window) -> None:
    with qtbot.waitSignal(window.prediction_shown, timeout=10000):
        drag(window.canvas, VERTICAL)
    assert window.input_preview.overlay() is None and not window.saliency.caption.isVisible()

    QTest.mouseClick(window.saliency.toggle, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.state.prediction.saliency is not None, timeout=10000)
    prediction = window.state.prediction
    answer = prediction.digit
    np.testing.assert_array_equal(window.input_preview.overlay(), prediction.saliency[answer])
    assert window.canvas.overlay_placement() == prediction.placement is not None  # and on the ink
    assert window.saliency.caption.isVisible()
    assert f"raised the score of {answer}" in window.saliency.caption.text()
    assert "its share in the score" in window.input_preview.pixel_text(14, 14)

    other = (answer + 1) % 10
    bars = window.probability_view
    QTest.mouseMove(bars, QPoint(bars.width() // 2, int((other + 0.5) * bars.height() / 10)))
    qtbot.waitUntil(lambda: window.saliency.caption.text().startswith(f"Why not {other}"), timeout=2000)
    expected = prediction.saliency[other] - prediction.saliency[answer]
    np.testing.assert_allclose(window.input_preview.overlay(), expected)

    QTest.mouseClick(window.saliency.toggle, Qt.MouseButton.LeftButton)
    assert window.input_preview.overlay() is None and not window.saliency.caption.isVisible()
    assert window.canvas.overlay_placement() is None
    with qtbot.waitSignal(window.prediction_shown, timeout=10000):
        drag(window.canvas, VERTICAL)
    assert window.state.prediction.saliency is None  # not computed when not shown


def test_where_it_looked_says_so_when_the_answer_is_a_question_mark(qtbot, window) -> None:
    """Under "?" the map is of the highest score, which was not the answer: the caption says so."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    from model.scribbles import scribble
    from tools.driver import PredictionCatcher, read_digit

    # The pointer QTest left over the bars in an earlier test would make this a "why not".
    QApplication.sendEvent(window.probability_view, QEvent(QEvent.Type.Leave))
    QTest.mouseClick(window.saliency.toggle, Qt.MouseButton.LeftButton)
    read_digit(window, PredictionCatcher(window), scribble(np.random.default_rng(3), "hatch"), timeout=30)
    qtbot.waitUntil(lambda: window.state.prediction.saliency is not None, timeout=10000)
    assert window.prediction_label.text() == "?"
    top = window.state.prediction.digit
    assert window.saliency.caption.text().startswith(f"Not a digit it knows, so no answer; for {top}")

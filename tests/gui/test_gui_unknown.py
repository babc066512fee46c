"""I don't know: a drawing that is no digit is answered "?", with the bars still shown."""

from __future__ import annotations

import numpy as np
from gui_support import SEVEN, pixels_near
from PySide6.QtWidgets import QWidget

from gui import theme
from gui.teach_view import PROMPT, UNKNOWN_PROMPT
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
        assert "second, small network" in window.confidence_label.toolTip()
        assert window.state.prediction.unknown and window.probability_view.isVisible()
        assert answer_coloured(window.probability_view) == 0  # no bar is shown as the answer
        assert window.teach_bar.status.full_text() == UNKNOWN_PROMPT  # why, and what to do
    probabilities = read_digit(window, catcher, [np.array(SEVEN)])
    assert window.prediction_label.text() == "7" == str(int(np.argmax(probabilities)))
    assert window.teach_bar.status.full_text() == PROMPT
    assert answer_coloured(window.probability_view) > 100  # the 7's bar, in the answer's colour
    assert not window.state.prediction.unknown and window.state.prediction.not_a_digit < 0.5

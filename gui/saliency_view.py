"""Where it looked: the saliency overlay on the 28x28 input, and the sentence that reads it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QLabel

from model.messages import Prediction

from . import theme
from .canvas import DrawingCanvas
from .prediction_view import InputPreview, ProbabilityView, saliency_image

METHOD = (
    "Gradient × input: each pixel's ink times how much the digit's score (its output neuron "
    "before softmax) changes per unit of ink there. Pixels without ink have no share."
)


class SaliencyView(QObject):
    """Shows, over the input, which ink raised the winning digit's score (red) and which
    lowered it (blue); hovering another digit's bar shows why it was not that digit."""

    toggled = Signal(bool)  # the overlay was switched on or off: predictions need the maps

    def __init__(self, preview: InputPreview, bars: ProbabilityView, canvas: DrawingCanvas) -> None:
        super().__init__(preview)
        self._preview = preview
        self._canvas = canvas
        self._prediction: Prediction | None = None
        self._hovered = -1
        self.toggle = QCheckBox("Where it looked")
        self.toggle.setObjectName("saliencyToggle")
        self.toggle.setToolTip(METHOD)
        self.caption = theme.muted(QLabel(""))
        self.caption.setObjectName("saliencyCaption")
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        self.caption.setToolTip(METHOD)
        self.caption.hide()
        self.toggle.toggled.connect(self._on_toggled)
        bars.digit_hovered.connect(self._on_digit_hovered)

    @property
    def shown(self) -> bool:
        return self.toggle.isChecked()

    def set_prediction(self, prediction: Prediction) -> None:
        self._prediction = prediction
        self._refresh()

    @Slot(bool)
    def _on_toggled(self, on: bool) -> None:
        self.caption.setVisible(on)
        self._refresh()
        self.toggled.emit(on)

    @Slot(int)
    def _on_digit_hovered(self, digit: int) -> None:
        self._hovered = digit
        self._refresh()

    def _refresh(self) -> None:
        prediction = self._prediction
        maps = None if prediction is None else prediction.saliency
        if not self.shown or prediction is None or prediction.digit is None or maps is None:
            self._show(None, None)
            self.caption.setText("Draw a digit to see which ink counted." if self.shown else "")
            return
        answer, other = prediction.digit, self._hovered
        if 0 <= other != answer:
            # The method is linear in the score: the map of z_other - z_answer is a difference.
            self._show(maps[other] - maps[answer], prediction.placement)
            self.caption.setText(
                f"Why not {other}: red ink favoured {other} over {answer}, blue ink favoured {answer}."
            )
        elif prediction.unknown:  # the map is of the highest score, which was not taken as an answer
            self._show(maps[answer], prediction.placement)
            self.caption.setText(
                f"Not a digit it knows, so no answer; for {answer}, its highest score: red ink raised "
                "that score, blue ink lowered it (gradient × input)."
            )
        else:
            self._show(maps[answer], prediction.placement)
            self.caption.setText(
                f"Red ink raised the score of {answer}, blue ink lowered it (gradient × input)."
            )

    def _show(self, saliency: np.ndarray | None, placement: tuple[float, float, float, float] | None) -> None:
        self._preview.set_overlay(saliency)
        self._canvas.set_overlay(None if saliency is None else saliency_image(saliency), placement)

    def overlay(self) -> np.ndarray | None:
        """The map painted over the input now, None when none is."""
        return self._preview.overlay()

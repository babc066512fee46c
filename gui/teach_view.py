"""Correcting the network: "It's a …" buttons under the answer, and what the correction did."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from . import theme
from .state import TeachStatus

SHOWN_LOSSES = 5  # the drawing's loss at this many moments, first to last


class TeachBar(QWidget):
    """Ten digit buttons and a line saying how the network is learning the drawing."""

    digit_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("teachBar")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        prompt = QLabel("It's a")
        prompt.setToolTip("Tell the network which digit you drew: it learns from your drawing at once.")
        row.addWidget(prompt)
        self.buttons: list[QToolButton] = []
        for digit in range(10):
            button = QToolButton()
            button.setObjectName(f"teach{digit}")
            button.setText(str(digit))
            button.setToolTip(
                f"Your drawing is a {digit}: the network learns it now (or press {digit} on the canvas)."
            )
            button.setStyleSheet(theme.tool_button_style())
            button.clicked.connect(lambda _checked=False, d=digit: self.digit_chosen.emit(d))
            row.addWidget(button)
            self.buttons.append(button)
        row.addStretch(1)
        self.status = theme.muted(QLabel("Wrong answer? Click the right digit, its bar, or press its key."))
        self.status.setObjectName("teachStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(row)
        column.addWidget(self.status)

    def set_enabled_for_drawing(self, has_ink: bool) -> None:
        for button in self.buttons:
            button.setEnabled(has_ink)

    def show_teaching(self, teaching: TeachStatus, examples: int) -> None:
        """What the correction under way (or the last one) did to the drawing's loss."""
        if teaching.label is None:
            self.status.setText("Wrong answer? Click the right digit, its bar, or press its key.")
            return
        self.status.setText(teach_sentence(teaching, examples))


def teach_sentence(teaching: TeachStatus, examples: int) -> str:
    """ "Learning that it is a 7: loss of your drawing 4.21 → 1.30 → 0.35" and how it ended."""
    label, losses = teaching.label, teaching.losses
    shown = losses if len(losses) <= SHOWN_LOSSES else _spread(losses, SHOWN_LOSSES)
    trail = " → ".join(f"{loss:.2f}" for loss in shown)
    loss_text = f": loss of your drawing {trail}" if trail else "…"
    joins = " It also joins the batches of the training run under way." if teaching.during_run else ""
    if teaching.done:
        steps = max(0, len(losses) - 1)
        return (
            f"Learnt that it is a {label} in {steps} steps{loss_text}, replaying MNIST so as not to "
            f"forget it. Your handwriting: {examples} example{'s' * (examples != 1)}.{joins}"
        )
    return f"Learning that it is a {label}{loss_text}{joins}"


def _spread(values: tuple[float, ...], count: int) -> tuple[float, ...]:
    last = len(values) - 1
    return tuple(values[round(i * last / (count - 1))] for i in range(count))

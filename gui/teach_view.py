"""Correcting the network: "It's a …" buttons under the answer, and what the correction did."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from . import theme
from .live_label import ElidedLabel
from .state import TeachStatus

PROMPT = "Wrong answer? Click the right digit, its bar, or press its key."
# Under "?": why there is no answer, and what to do if the drawing is a digit after all.
UNKNOWN_PROMPT = "The digit detector says this is no digit. If it is one, click it."
SHOWN_LOSSES = 3  # the drawing's loss at this many moments, first to last
DIGIT_BUTTON_WIDTH = 28  # ten of them fit the answer column of the smallest window


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
        prompt.setToolTip(
            "Tell the network which digit you drew: it learns from your drawing at once, with\n"
            "replayed MNIST digits in each step so that it does not forget what it knew."
        )
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
            button.setFixedWidth(DIGIT_BUTTON_WIDTH)
            button.clicked.connect(lambda _checked=False, d=digit: self.digit_chosen.emit(d))
            row.addWidget(button)
            self.buttons.append(button)
        row.addStretch(1)
        # One line, whole in its tooltip: the smallest window has no room for more.
        self.status = ElidedLabel(PROMPT, mode=Qt.TextElideMode.ElideRight)
        theme.muted(self.status)
        self.status.setObjectName("teachStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(row)
        column.addWidget(self.status)

    def set_enabled_for_drawing(self, has_ink: bool) -> None:
        for button in self.buttons:
            button.setEnabled(has_ink)

    def show_teaching(self, teaching: TeachStatus, examples: int, unknown: bool = False) -> None:
        """What the correction under way (or the last one) did to the drawing's loss; without one,
        the prompt (under a "?" answer, why there is none)."""
        prompt = UNKNOWN_PROMPT if unknown else PROMPT
        self.status.set_full_text(prompt if teaching.label is None else teach_sentence(teaching, examples))


def teach_sentence(teaching: TeachStatus, examples: int) -> str:
    """'Learning 7 · loss 4.21 → 1.30 → 0.35' (the loss of the drawing itself), then how it ended,
    as the answers shown since then read the drawing; the most telling words first, since the
    line is cut to fit."""
    label, losses = teaching.label, teaching.losses
    shown = losses if len(losses) <= SHOWN_LOSSES else _spread(losses, SHOWN_LOSSES)
    trail = " → ".join(f"{loss:.2f}" for loss in shown)
    loss_text = f" · loss {trail}" if trail else "…"
    joins = " · it also joins the batches of the run under way" if teaching.during_run else ""
    rehearsed, rehearsal_steps = teaching.rehearsal
    if not teaching.done and not rehearsal_steps:
        return f"Learning {label}{loss_text}{joins}"
    steps = max(0, len(losses) - 1)
    read_as = teaching.read_as
    misread = read_as is not None and read_as != label
    if misread and teaching.gave_up:  # the step limit came first
        learnt = f"Still read as {read_as} after {steps} steps"
    elif misread:  # rehearsal or a run brought the old answer back
        learnt = f"Learnt {label} in {steps} steps, but it reads {read_as} again"
    else:
        learnt = f"Learnt {label} in {steps} steps"
    if not teaching.done:  # how far the rehearsal is comes before the loss: the line is cut to fit
        share = rehearsed / rehearsal_steps
        doing = f"it goes on learning {label} while it rehearses" if misread else "rehearsing"
        return f"{learnt} · {doing}: {share:.0%}{loss_text} · with training digits, so the others stay right"
    learnt += loss_text
    kept = f"{examples} example{'s' * (examples != 1)} of yours kept"
    if rehearsed < rehearsal_steps and teaching.during_run:  # a run took over, with this example in it
        joins = " · the training run goes on, with this drawing in its batches"
    rehearsal = f" · rehearsed {rehearsed} steps" if rehearsed else ""
    return f"{learnt}{rehearsal} · {kept}{joins}"


def _spread(values: tuple[float, ...], count: int) -> tuple[float, ...]:
    last = len(values) - 1
    return tuple(values[round(i * last / (count - 1))] for i in range(count))

"""A label for text that changes many times a second (training statistics, the confidence)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class LiveLabel(QLabel):
    """A QLabel whose size is fixed, wide enough for `template`.

    Setting a label's text invalidates the layouts above it, up to the main window, which then
    lays everything out again (and the main window's layout even animates the move). A label
    of fixed size does not: a new text repaints the label alone.
    """

    def __init__(self, template: str, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._template = template
        self._fit()

    def setFont(self, font: QFont | str | Sequence[str]) -> None:  # the fixed size follows the font
        super().setFont(font)
        self._fit()

    def _fit(self) -> None:
        metrics = self.fontMetrics()
        margins = self.contentsMargins()
        width = metrics.horizontalAdvance(self._template) + margins.left() + margins.right() + 2
        height = metrics.height() + margins.top() + margins.bottom()
        self.setFixedSize(width, height)


class ElidedLabel(QLabel):
    """One line of text shortened to fit, in the middle by default (a long path keeps its
    start and its end, never wraps mid-name); the whole text is in the tooltip."""

    def __init__(
        self,
        text: str = "",
        parent: QWidget | None = None,
        mode: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle,
    ) -> None:
        super().__init__(parent)
        self._full = ""
        self._mode = mode
        self.setMinimumWidth(40)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.set_full_text(text)

    def full_text(self) -> str:
        return self._full

    def set_full_text(self, text: str) -> None:
        if text == self._full:  # set at every answer: no tooltip event, no elision, when the same
            return
        self._full = text
        self.setToolTip(text)
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(10, self.width() - 2)
        super().setText(self.fontMetrics().elidedText(self._full, self._mode, width))

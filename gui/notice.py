"""A dismissable message floating over the bottom of the window: tells, never blocks, never
moves the layout (a stroke under way is not disturbed by a notice arriving)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from . import theme

MAX_WIDTH = 900
MARGIN = 12


class NoticeBar(QFrame):
    """Floats over `host` (a child of it, outside its layout), centred at its bottom."""

    def __init__(self, host: QWidget) -> None:
        super().__init__(host)
        self.setObjectName("noticeBar")
        self.setStyleSheet(
            f"#noticeBar {{ background: {theme.NOTICE_BACKGROUND}; border: 1px solid {theme.NOTICE_BORDER};"
            " border-radius: 4px; }"
            f"QLabel {{ color: {theme.NOTICE_TEXT}; }}"
        )
        self.label = QLabel()
        self.label.setObjectName("noticeText")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = self._close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout = self._layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self._host = host
        self._messages: list[tuple[str, bool]] = []  # (text, about the network in use)
        host.installEventFilter(self)
        self.hide()

    def show_message(self, text: str, about_network: bool = False) -> None:
        """Show `text`; a notice not yet dismissed stays above it (the last three are kept)."""
        shown = self._messages if self.isVisible() else []
        earlier = [message for message in shown if message[0] != text][-2:]
        self._messages = [*earlier, (text, about_network)]
        self._show()

    def forget_network_notices(self) -> None:
        """The network they spoke of is gone: they would mislead now."""
        self._messages = [message for message in self._messages if not message[1]]
        if not self._messages:
            self.hide()
        elif self.isVisible():
            self._show()

    def _show(self) -> None:
        self.label.setText("\n".join(text for text, _ in self._messages))
        self._place()
        self.show()
        self.raise_()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._host and event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False

    def _place(self) -> None:
        """Centred at the bottom of the host, as tall as its wrapped text needs."""
        width = min(MAX_WIDTH, self._host.width() - 2 * MARGIN)
        margins = self._layout.contentsMargins()
        text_width = width - margins.left() - margins.right() - self._close.sizeHint().width() - 8
        height = max(self.label.heightForWidth(text_width), self._close.sizeHint().height())
        height += margins.top() + margins.bottom() + 2
        self.setGeometry(
            (self._host.width() - width) // 2, self._host.height() - height - MARGIN, width, height
        )

"""Where a tool window opens: beside the main window, not over the views it explains."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QWidget


def beside(window: QRect, size: QSize, screen: QRect) -> QPoint:
    """The top-left corner for a window of `size`: right of `window` if the screen has room
    there, else left of it, else inside its right edge (the drawing and the first layers, on
    the left, stay in view); never off the screen."""
    if window.right() + size.width() <= screen.right():
        x = window.right() + 1
    elif window.left() - size.width() >= screen.left():
        x = window.left() - size.width()
    else:
        x = window.right() + 1 - size.width()
    x = max(screen.left(), min(x, screen.right() + 1 - size.width()))
    y = max(screen.top(), min(window.top(), screen.bottom() + 1 - size.height()))
    return QPoint(x, y)


def open_beside_parent(dialog: QWidget) -> None:
    """Show `dialog`; the first time, beside its parent window (later where the user left it)."""
    parent = dialog.parentWidget()
    if dialog.isVisible() or dialog.property("placed") or parent is None:
        dialog.show()
        return
    main, screen = parent.window().frameGeometry(), parent.window().screen().availableGeometry()
    if not dialog.testAttribute(Qt.WidgetAttribute.WA_Resized):  # its size comes with show()
        dialog.adjustSize()
    dialog.move(beside(main, dialog.size(), screen))
    dialog.show()
    dialog.move(beside(main, dialog.frameGeometry().size(), screen))  # with its title bar, now known
    dialog.setProperty("placed", True)

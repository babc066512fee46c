"""digitpad's look in one place: colours, fonts and spacing.

A dark theme: the canvas is a chalkboard, like MNIST's white-on-black digits.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QWidget

# Colours
WINDOW = QColor(32, 32, 38)
PANEL = QColor(24, 24, 30)  # the activation view, text fields
CANVAS_MARGIN = QColor(18, 18, 22)
CANVAS_FRAME = QColor(90, 90, 100)
TEXT = QColor(225, 225, 232)
MUTED = QColor(140, 140, 150)
DISABLED = QColor(110, 110, 120)
ACCENT = QColor(255, 170, 40)  # the winning digit, the highlighted bar, checked buttons
BAR = QColor(95, 130, 190)
BAR_TRACK = QColor(40, 40, 48)
BUTTON = QColor(48, 48, 58)
NOTICE_BACKGROUND = "#5a3d12"
NOTICE_BORDER = "#b07a20"
NOTICE_TEXT = "#ffe7b8"
# Plot pens: (r, g, b[, alpha]), one per kind of curve in every row (the legend's three)
BATCH_LOSS = (110, 140, 200, 70)
SMOOTH_LOSS = (130, 190, 255)
VALIDATION = (255, 170, 40)

# Fonts and spacing
ANSWER_POINT_SIZE = 44
SMALL_POINT_SIZE = 8.5
SPACING = 8  # pixels between the window's sections
MIN_WINDOW_SIZE = (1024, 680)  # every view readable, nothing overlapping (tests/gui/test_gui_layout.py)
DEFAULT_SIZE = (1280, 800)
SCREEN_SHARE = 0.92  # the default window takes at most this much of the screen's free area


def apply_theme(app: QApplication) -> None:
    """Fusion with a dark palette."""
    app.setStyle("Fusion")
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: WINDOW,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: PANEL,
        QPalette.ColorRole.AlternateBase: QColor(40, 40, 48),
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: BUTTON,
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: QColor(20, 20, 20),
        QPalette.ColorRole.ToolTipBase: BUTTON,
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.PlaceholderText: QColor(130, 130, 140),
    }
    for role, colour in colours.items():
        palette.setColor(role, colour)
    for role in (QPalette.ColorRole.ButtonText, QPalette.ColorRole.Text, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, DISABLED)
    app.setPalette(palette)


def tool_button_style() -> str:
    """The canvas's tool buttons: the same size on and off, a checked one (the Eraser) clearly lit."""
    accent = ACCENT.name()
    return (
        f"QToolButton {{ background: {BUTTON.name()}; border: 1px solid #5a5a66; border-radius: 3px;"
        " padding: 3px 8px; }"
        f"QToolButton:hover {{ border-color: {accent}; }}"
        f"QToolButton:checked {{ background: {accent}; color: #141414; border-color: {accent}; }}"
        f"QToolButton:disabled {{ color: {DISABLED.name()}; }}"
    )


def heading(text: str) -> QLabel:
    """A section title."""
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


def answer_font(widget: QWidget) -> QFont:
    big = QFont(widget.font())
    big.setPointSize(ANSWER_POINT_SIZE)
    big.setBold(True)
    return big


def muted(label: QLabel) -> QLabel:
    label.setStyleSheet(f"color: {MUTED.name()};")
    return label


def default_size(free: QSize | None = None) -> tuple[int, int]:
    """1280x800, or less on a small screen (a 1366x768 laptop gets a window that fits).
    `free`: the screen's area free of task bars (default: the primary screen's)."""
    if free is None:
        screen = QGuiApplication.primaryScreen()
        if screen is None:
            return DEFAULT_SIZE
        free = screen.availableGeometry().size()
    width = max(MIN_WINDOW_SIZE[0], min(DEFAULT_SIZE[0], int(free.width() * SCREEN_SHARE)))
    height = max(MIN_WINDOW_SIZE[1], min(DEFAULT_SIZE[1], int(free.height() * SCREEN_SHARE)))
    return width, height

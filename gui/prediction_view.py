"""What the network sees (the 28x28 input) and what it answers (ten probability bars)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QEnterEvent, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from model.constants import MNIST_MEAN, MNIST_STD
from model.messages import Prediction

from . import theme

ACCENT = theme.ACCENT
BAR = theme.BAR
TEXT = theme.TEXT
MUTED = theme.MUTED


class ProbabilityView(QWidget):
    """Ten horizontal bars, one per digit; the winner is highlighted with its percentage.

    While a correction is learnt, a thin mark on each bar shows where it stood before. Clicking
    a digit's bar says the drawing is that digit.
    """

    digit_clicked = Signal(int)
    digit_hovered = Signal(int)  # the digit whose bar is under the mouse; -1 when none

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("probabilityView")
        self.setMinimumSize(200, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setMouseTracking(True)
        self._hovered = -1
        self._probabilities: np.ndarray | None = None
        self._before: np.ndarray | None = None
        self._answered = True
        self.setToolTip(
            "The output layer after softmax: how likely the network thinks each digit is.\n"
            "Click a digit's bar to teach the network that your drawing is that digit;\n"
            "a thin mark then shows where each bar stood before.\n"
            "With 'Where it looked' on, hovering a bar shows why it was not that digit."
        )

    def sizeHint(self) -> QSize:
        return QSize(260, 230)

    def set_probabilities(self, probabilities: np.ndarray | None, answered: bool = True) -> None:
        """`answered` False: the answer is "?", so no bar is shown as the answer, however long."""
        self._probabilities = None if probabilities is None else np.asarray(probabilities, dtype=float).copy()
        self._answered = answered
        self.update()

    def probabilities(self) -> np.ndarray | None:
        return None if self._probabilities is None else self._probabilities.copy()

    def before(self) -> np.ndarray | None:
        """The marks of the bars before a correction, if shown."""
        return None if self._before is None else self._before.copy()

    def set_before(self, probabilities: np.ndarray | None) -> None:
        """The bars before a correction, marked on each bar (None: no marks)."""
        self._before = None if probabilities is None else np.asarray(probabilities, dtype=float).copy()
        self.update()

    def digit_at(self, y: float) -> int:
        return min(9, max(0, int(y // (self.height() / 10))))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self._hover(self.digit_at(event.position().y()))

    def enterEvent(self, event: QEnterEvent) -> None:
        self._hover(self.digit_at(event.position().y()))  # a pointer that jumps in moves no more

    def leaveEvent(self, event: QEvent) -> None:
        self._hover(-1)

    def _hover(self, digit: int) -> None:
        if digit != self._hovered:
            self._hovered = digit
            self.digit_hovered.emit(digit)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._probabilities is not None:
            self.digit_clicked.emit(self.digit_at(event.position().y()))
        event.accept()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rows = 10
        row_height = self.height() / rows
        label_width = 22
        percent_width = 52
        bar_left = label_width + 6
        bar_span = max(10.0, self.width() - bar_left - percent_width)
        font = QFont(self.font())
        font.setPointSizeF(max(8.0, min(12.0, row_height * 0.45)))
        painter.setFont(font)
        shown = self._probabilities
        winner = int(np.argmax(shown)) if shown is not None and self._answered else None
        for digit in range(rows):
            top = digit * row_height
            value = 0.0 if self._probabilities is None else float(self._probabilities[digit])
            colour = ACCENT if digit == winner else BAR
            painter.setPen(TEXT if digit == winner else MUTED)
            painter.drawText(
                QRectF(0, top, label_width, row_height), Qt.AlignmentFlag.AlignCenter, str(digit)
            )
            track = QRectF(bar_left, top + row_height * 0.2, bar_span, row_height * 0.6)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.BAR_TRACK)
            painter.drawRoundedRect(track, 3, 3)
            if value > 0:
                painter.setBrush(colour)
                painter.drawRoundedRect(
                    QRectF(track.left(), track.top(), max(2.0, bar_span * value), track.height()), 3, 3
                )
            if self._before is not None:
                marker = track.left() + bar_span * float(self._before[digit])
                painter.setPen(QPen(TEXT, 2))
                painter.drawLine(QPointF(marker, track.top() - 2), QPointF(marker, track.bottom() + 2))
            if self._probabilities is not None:
                painter.setPen(TEXT if digit == winner else MUTED)
                painter.drawText(
                    QRectF(bar_left + bar_span + 4, top, percent_width - 4, row_height),
                    Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                    f"{value:.0%}" if value >= 0.01 or value == 0 else "<1%",
                )
        painter.end()


def your_drawing(magnified: float) -> str:
    """ "your drawing", and how much bigger it was drawn again when it was small for the pen."""
    if magnified > 1:
        return f"your drawing, small for the pen, drawn again {magnified:.1f}× bigger with the same pen, then"
    return "your drawing"


def describe_input(magnified: float) -> str:
    """What the input layer receives, said for this drawing: a small one was drawn bigger."""
    drawing = your_drawing(magnified)
    return f"28×28 = 784 input neurons: {drawing} cropped, fitted in 20×20 and centred, like MNIST."


class InputPreview(QWidget):
    """The 28x28 image the input layer receives; hovering a pixel shows its value."""

    hovered = Signal(str)  # a description of the pixel under the mouse, "" when outside

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inputPreview")
        self.setMouseTracking(True)
        self.setMinimumSize(112, 112)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self._pixels: np.ndarray | None = None
        self._image = QImage()
        self._overlay: np.ndarray | None = None  # (28, 28) saliency, painted over the pixels
        self._overlay_image = QImage()
        self._hover: tuple[int, int] | None = None
        self.set_magnified(1.0)

    def sizeHint(self) -> QSize:
        return QSize(168, 168)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return width

    def set_magnified(self, magnified: float) -> None:
        """Say in the tooltip when the drawing was small and drawn again bigger to be read."""
        self.setToolTip(
            f"What the network sees: {your_drawing(magnified)}\ncropped, fitted into 20x20 and centred by"
            " its centre of mass in 28x28, like MNIST.\n784 input neurons, each a pixel from 0 to 1."
        )

    def set_pixels(self, pixels: np.ndarray | None) -> None:
        self._pixels = None if pixels is None else np.asarray(pixels, dtype=np.float32).copy()
        if self._pixels is None:
            self._image = QImage()
        else:
            data = np.ascontiguousarray(np.clip(np.rint(self._pixels * 255), 0, 255).astype(np.uint8))
            grey = QImage(data.data, 28, 28, 28, QImage.Format.Format_Grayscale8)  # views `data`
            # Converted once here (into an image of its own), not at every scaled paint.
            self._image = grey.convertToFormat(QImage.Format.Format_RGB32)
        self._update_hover_text()
        self.update()

    def set_overlay(self, saliency: np.ndarray | None) -> None:
        """Paint a (28, 28) map over the pixels: red where positive, blue where negative."""
        self._overlay = None if saliency is None else np.asarray(saliency, dtype=np.float32).copy()
        self._overlay_image = QImage() if self._overlay is None else saliency_image(self._overlay)
        self._update_hover_text()
        self.update()

    def overlay(self) -> np.ndarray | None:
        """A copy of the map painted over the pixels, None when there is none."""
        return None if self._overlay is None else self._overlay.copy()

    def pixels(self) -> np.ndarray | None:
        """A copy of the 28x28 input shown (0-1), None when nothing is drawn."""
        return None if self._pixels is None else self._pixels.copy()

    def image_size(self) -> tuple[int, int]:
        """Width and height of the picture painted (scaled up to the widget)."""
        return self._image.width(), self._image.height()

    def pixel_text(self, row: int, col: int) -> str:
        if self._pixels is None:
            return ""
        value = float(self._pixels[row, col])
        normalised = (value - MNIST_MEAN) / MNIST_STD
        text = f"pixel ({row}, {col}): {round(value * 255)}/255 = {value:.2f} → normalised {normalised:+.2f}"
        if self._overlay is not None:
            text += f" · its share in the score {float(self._overlay[row, col]):+.3f}"
        return text

    def _cell(self) -> tuple[QPointF, float]:
        side = min(self.width(), self.height())
        return QPointF((self.width() - side) / 2, (self.height() - side) / 2), side / 28

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        origin, cell = self._cell()
        col = int((event.position().x() - origin.x()) // cell)
        row = int((event.position().y() - origin.y()) // cell)
        self._hover = (row, col) if 0 <= row < 28 and 0 <= col < 28 else None
        self._update_hover_text()
        self.update()

    def leaveEvent(self, event: QEvent) -> None:
        self._hover = None
        self._update_hover_text()
        self.update()

    def _update_hover_text(self) -> None:
        text = self.pixel_text(*self._hover) if self._hover is not None else ""
        self.hovered.emit(text)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        origin, cell = self._cell()
        side = cell * 28
        target = QRectF(origin.x(), origin.y(), side, side)
        painter.fillRect(target, QColor(0, 0, 0))
        if not self._image.isNull():
            painter.drawImage(target, self._image)
        if not self._overlay_image.isNull():
            painter.drawImage(target, self._overlay_image)
        painter.setPen(QPen(QColor(60, 60, 70), 1))
        painter.drawRect(target.adjusted(-0.5, -0.5, 0.5, 0.5))
        if self._hover is not None:
            row, col = self._hover
            painter.setPen(QPen(ACCENT, 1.5))
            painter.drawRect(QRectF(origin.x() + col * cell, origin.y() + row * cell, cell, cell))
        painter.end()


def saliency_image(saliency: np.ndarray) -> QImage:
    """A (H, W) map as a translucent image: red for positive, blue for negative, more opaque
    the larger the value against the largest magnitude in the map."""
    largest = float(np.abs(saliency).max())
    strength = np.zeros_like(saliency) if largest == 0 else np.clip(saliency / largest, -1.0, 1.0)
    rgba = np.zeros((*saliency.shape, 4), np.uint8)
    rgba[..., 0] = np.where(strength > 0, 255, 40)
    rgba[..., 1] = 60
    rgba[..., 2] = np.where(strength < 0, 255, 40)
    rgba[..., 3] = np.rint(np.sqrt(np.abs(strength)) * 220).astype(np.uint8)
    height, width = saliency.shape
    return QImage(rgba.tobytes(), width, height, 4 * width, QImage.Format.Format_RGBA8888).copy()


DETECTOR_HELP = (
    "Is it a digit at all? The digit detector judges that: two small networks trained on digits "
    "against letters, symbols and scribbles, one looking at the picture, the other following the "
    "path the pen took (a 9 and an a can leave the same pixels, but the pen goes round them "
    "differently). When it says no, the answer is ?, and the bars show what the digit network, "
    "the one you train, would say, none of them taken as the answer: alone it always picks one "
    "of the ten digits."
)


def describe_answer(prediction: Prediction) -> tuple[str, str, str]:
    """The answer, the sentence under it and that sentence's tooltip."""
    if prediction.probabilities is None:
        return "", "Draw a digit", ""
    digit, confidence = prediction.digit, prediction.confidence
    judged, threshold = prediction.not_a_digit, prediction.unknown_from
    why = "" if judged is None else f"{DETECTOR_HELP}\n\nThis drawing: {judged:.0%} likely not a digit"
    if why and threshold is not None:  # chosen so that almost no real digit is refused
        why += f" (the answer is ? from {threshold:.0%} on)."
    if prediction.unknown:
        return "?", "Not a digit I know", why
    if prediction.vouched:
        why += "\n\nYou taught this drawing a digit, so its ? is set aside: the digit network answers."
    return str(digit), f"{confidence:.0%} sure it is a {digit}", why

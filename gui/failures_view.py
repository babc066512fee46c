"""Where it fails: the confusion matrix of the last validation pass, live while training, and
the digits behind each cell, any of which goes onto the canvas to be read, explained, edited.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QHelpEvent, QIcon, QMouseEvent, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from model.confusion import ValidationSet, cell_members, confusion_matrix, per_digit_accuracy
from model.messages import EvalResult

from . import theme
from .canvas import DrawingCanvas
from .controller import Controller
from .ink import grey_image
from .placement import open_beside_parent
from .state import AppState, RunStatus

CELL = 34  # pixels
THUMBNAIL = 56
GALLERY_LIMIT = 100
RANDOM_SEED = 2026


class ConfusionGrid(QWidget):
    """Rows: the true digit; columns: the network's answer; then each digit's accuracy."""

    cell_clicked = Signal(int, int)  # true digit, answer

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._matrix: np.ndarray | None = None
        self._selected: tuple[int, int] | None = None
        self.setMouseTracking(True)
        self.setMinimumSize(self.sizeHint())

    def sizeHint(self) -> QSize:
        return QSize(CELL * 13, CELL * 11)

    @property
    def matrix(self) -> np.ndarray | None:
        return None if self._matrix is None else self._matrix.copy()

    def set_matrix(self, matrix: np.ndarray | None) -> None:
        self._matrix = matrix
        self.update()

    def select(self, cell: tuple[int, int] | None) -> None:
        self._selected = cell
        self.update()

    def cell_rect(self, true: int, answer: int) -> QRectF:
        return QRectF(CELL * (answer + 1), CELL * (true + 1), CELL, CELL)

    def cell_at(self, point: QPoint) -> tuple[int, int] | None:
        answer, true = point.x() // CELL - 1, point.y() // CELL - 1
        return (true, answer) if 0 <= true < 10 and 0 <= answer < 10 else None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        cell = self.cell_at(event.position().toPoint())
        if cell is not None and self._matrix is not None and self._matrix[cell] > 0:
            self.cell_clicked.emit(*cell)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            QToolTip.showText(event.globalPos(), self._describe(self.cell_at(event.pos())), self)
            return True
        return super().event(event)

    def _describe(self, cell: tuple[int, int] | None) -> str:
        if cell is None or self._matrix is None:
            return ""
        true, answer = cell
        count, total = int(self._matrix[true, answer]), int(self._matrix[true].sum())
        if true == answer:
            return f"{count:,} of the {total:,} {true}s read right. Click to see them."
        return f"{count:,} of the {total:,} {true}s read as {answer}. Click to see them."

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setPen(theme.MUTED)
        centre = Qt.AlignmentFlag.AlignCenter
        for digit in range(10):
            painter.drawText(QRectF(CELL * (digit + 1), 0, CELL, CELL), centre, str(digit))
            painter.drawText(QRectF(0, CELL * (digit + 1), CELL, CELL), centre, str(digit))
        painter.drawText(QRectF(CELL * 11, 0, CELL * 2, CELL), centre, "right")
        if self._matrix is None:
            return
        matrix = self._matrix
        worst = max(1, int((matrix - np.diag(np.diag(matrix))).max()))
        accuracy = per_digit_accuracy(matrix)
        for true in range(10):
            total = max(1, int(matrix[true].sum()))
            for answer in range(10):
                count = int(matrix[true, answer])
                rect = self.cell_rect(true, answer).adjusted(1, 1, -1, -1)
                if true == answer:
                    colour = QColor(theme.ACCENT)
                    colour.setAlphaF(0.25 + 0.75 * count / total)
                else:
                    colour = QColor(220, 70, 70)
                    colour.setAlphaF(0.0 if count == 0 else 0.15 + 0.85 * count / worst)
                painter.fillRect(rect, colour)
                painter.setPen(theme.MUTED if count == 0 else QColor(255, 255, 255))
                painter.drawText(rect, centre, str(count) if count else "·")
            right = accuracy[true]
            text = "–" if np.isnan(right) else f"{right:.1%}"
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(QRectF(CELL * 11, CELL * (true + 1), CELL * 2, CELL), centre, text)
        if self._selected is not None:
            painter.setPen(QColor(255, 255, 255))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.cell_rect(*self._selected).adjusted(0, 0, -1, -1))


def thumbnail(pixels: np.ndarray) -> QIcon:
    """The digit enlarged pixel for pixel, as the canvas shows it."""
    return QIcon(QPixmap.fromImage(grey_image(pixels).scaled(THUMBNAIL, THUMBNAIL)))


class FailuresDialog(QDialog):
    """Network › Where it fails: the matrix, the gallery of a cell, and a random test digit."""

    def __init__(
        self, state: AppState, controller: Controller, canvas: DrawingCanvas, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Where it fails")
        self._state, self._controller, self._canvas = state, controller, canvas
        self._evaluation: EvalResult | None = None
        self._taught_since = False  # as the caption says it
        self._cell: tuple[int, int] | None = None
        self._pending_random = False
        self._random = np.random.default_rng(RANDOM_SEED)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.grid = ConfusionGrid()
        self.gallery = QListWidget()
        self.gallery.setViewMode(QListWidget.ViewMode.IconMode)
        self.gallery.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        self.gallery.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.gallery.setMinimumWidth(4 * (THUMBNAIL + 24))
        self.gallery_caption = theme.muted(QLabel("Click a cell to see those digits."))
        self.gallery_caption.setWordWrap(True)
        self.random_button = QPushButton("Random test digit")
        self.random_button.setToolTip("Put a digit of the validation set on the canvas, to be read at once")
        columns = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(self.grid)
        left.addWidget(self.random_button, 0, Qt.AlignmentFlag.AlignLeft)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.gallery_caption)
        right.addWidget(self.gallery, 1)
        columns.addLayout(left)
        columns.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addLayout(columns, 1)
        self.grid.cell_clicked.connect(self.show_cell)
        self.gallery.itemClicked.connect(self._on_item_clicked)
        self.random_button.clicked.connect(self.random_test_digit)
        state.evaluation_added.connect(self._on_evaluation)
        state.run_changed.connect(self._on_run)  # a run's end may bring its calibrated answers
        state.validation_changed.connect(self._on_validation)
        self._show_evaluation()

    def open_dialog(self) -> None:
        """Show the last validation pass (asking for the validation digits if not loaded yet)."""
        if self._state.validation is None:
            self._controller.load_validation_set()
        self._on_evaluation(self._state.run.evaluation)
        open_beside_parent(self)
        self.activateWindow()

    def random_test_digit(self) -> None:
        """A validation digit on the canvas, read at once; loads the digits the first time."""
        validation = self._state.validation
        if validation is None:
            self._pending_random = True
            self._controller.load_validation_set()
            return
        self.put_on_canvas(int(self._random.integers(len(validation.labels))))

    def put_on_canvas(self, index: int) -> None:
        validation = self._state.validation
        if validation is not None and 0 <= index < len(validation.labels):
            self._canvas.show_digit(validation.images[index])
            label = validation.labels[index]
            self._state.post_status(f"Validation digit #{index:,}: it is a {label}.", 6000)

    def show_cell(self, true: int, answer: int) -> None:
        """Fill the gallery with the digits `true` read as `answer`, most confident first."""
        self._cell = (true, answer)
        self.grid.select(self._cell)
        self.gallery.clear()
        validation, evaluation = self._state.validation, self._evaluation
        if not self._matches(validation, evaluation):
            return
        assert validation is not None and evaluation is not None and evaluation.probabilities is not None
        members = cell_members(validation.labels, evaluation.probabilities, true, answer, GALLERY_LIMIT)
        total = int((validation.labels == true).sum())
        read = "read right" if true == answer else f"read as {answer}"
        shown = f" (the {len(members)} most confident)" if len(members) == GALLERY_LIMIT else ""
        self.gallery_caption.setText(
            f"{true}s {read}: {int(self.grid.matrix[true, answer]) if self.grid.matrix is not None else 0:,} "
            f"of {total:,}{shown}. Click one to put it on the canvas."
        )
        for index in members:
            probability = float(evaluation.probabilities[index, answer])
            item = QListWidgetItem(thumbnail(validation.images[index]), f"{probability:.0%}")
            item.setData(Qt.ItemDataRole.UserRole, int(index))
            item.setToolTip(f"Validation digit #{index:,}: a {true}, read {probability:.1%} sure as {answer}")
            self.gallery.addItem(item)

    @staticmethod
    def _matches(validation: ValidationSet | None, evaluation: EvalResult | None) -> bool:
        return (
            validation is not None
            and evaluation is not None
            and evaluation.probabilities is not None
            and len(evaluation.probabilities) == len(validation.labels)
        )

    def _on_item_clicked(self, item: QListWidgetItem) -> None:
        self.put_on_canvas(int(item.data(Qt.ItemDataRole.UserRole)))

    @property
    def evaluation(self) -> EvalResult | None:
        """The validation pass the matrix and the gallery show."""
        return self._evaluation

    def _on_run(self, run: RunStatus) -> None:
        if run.evaluation is not None and run.evaluation is not self._evaluation:
            self._on_evaluation(run.evaluation)
        elif run.taught_since != self._taught_since:
            self._show_evaluation()

    def _on_evaluation(self, evaluation: EvalResult | None) -> None:
        if evaluation is not None and evaluation.probabilities is not None:
            self._evaluation = evaluation
        self._show_evaluation()

    def _on_validation(self, validation: ValidationSet) -> None:
        if self._pending_random:
            self._pending_random = False
            self.random_test_digit()
        self._show_evaluation()

    def _show_evaluation(self) -> None:
        validation, evaluation = self._state.validation, self._evaluation
        if not self._matches(validation, evaluation):
            self.grid.set_matrix(None)
            self.caption.setText(
                "Train to see where the network fails: each validation pass fills in this confusion "
                "matrix (rows: the true digit; columns: the network's answer)."
            )
            return
        assert validation is not None and evaluation is not None and evaluation.probabilities is not None
        self.grid.set_matrix(confusion_matrix(validation.labels, evaluation.probabilities.argmax(axis=1)))
        self._taught_since = self._state.run.taught_since
        since = " The network has learnt your corrections since." if self._taught_since else ""
        self.caption.setText(
            f"Validation pass at step {evaluation.step:,} (epoch {evaluation.epoch:.2f}) on "
            f"{len(validation.labels):,} digits: {evaluation.accuracy:.2%} read right.{since} Rows: the "
            "true digit; columns: the network's answer. Click a cell to see those digits."
        )
        if self._cell is not None and self.isVisible():
            self.show_cell(*self._cell)

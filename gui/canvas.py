"""The drawing canvas: strokes painted into a greyscale image, with undo, redo and an eraser."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPointingDevice,
    QResizeEvent,
    QTabletEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from model.messages import InkStroke
from model.strokes import PEN_WIDTH_FRACTION

from . import theme
from .ink import (
    ERASER_WIDTH,
    IMAGE_FORMAT,
    PEN_SCALE_DEFAULT,
    PEN_SCALE_MAX,
    PEN_SCALE_MIN,
    Stroke,
    grey_image,
    points_array,
)

INK = 255
BACKGROUND = theme.CANVAS_MARGIN
MAX_PATH_STROKES = 64  # more than any digit is written with: beyond, the picture judges alone


class DrawingCanvas(QWidget):
    """A square chalkboard: white ink on black, as MNIST digits are.

    The ink lives in a QImage as big as the widget's square; strokes are also kept as
    vectors so that undo, redo and resizing can repaint them exactly.
    """

    image_changed = Signal()  # the ink changed while drawing (a segment was added)
    stroke_finished = Signal()  # the pen was lifted: the drawing is complete for now
    cleared = Signal()
    history_changed = Signal(bool, bool)  # can undo, can redo

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("canvas")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 200)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._overlay = QImage()  # "where it looked", over the ink
        self._overlay_placement = (0.0, 0.0, 0.0, 0.0)
        self.setToolTip(
            "Draw a digit with the left button or a pen. Right button erases.\n"
            f"Undo {QKeySequence(QKeySequence.StandardKey.Undo).toString()}, "
            "clear with Esc or Delete.\n"
            "Pen width: Edit menu (the network was trained with the normal pen)."
        )
        self._strokes: list[Stroke] = []
        self._redo: list[Stroke] = []
        self._current: Stroke | None = None
        self._eraser_mode = False
        self._pen_scale = PEN_SCALE_DEFAULT
        self._image = QImage(1, 1, IMAGE_FORMAT)
        self._image.fill(Qt.GlobalColor.black)

    # -- public API ---------------------------------------------------------------------
    def sizeHint(self) -> QSize:
        return QSize(280, 280)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return width

    @property
    def eraser_mode(self) -> bool:
        return self._eraser_mode

    def set_eraser_mode(self, enabled: bool) -> None:
        self._eraser_mode = bool(enabled)

    def is_empty(self) -> bool:
        return not self._strokes and self._current is None

    def is_drawing(self) -> bool:
        """A stroke is in progress: the pen or button is down."""
        return self._current is not None

    def stroke_count(self) -> int:
        return len(self._strokes)

    def ink_strokes(self) -> tuple[InkStroke, ...] | None:
        """Every stroke in the order drawn, erasing ones too, the one in progress included:
        its points (canvas-relative, read-only) and width (of the side). None with a picture
        on the canvas, or more strokes than any digit has (copying thousands would cost)."""
        strokes = [*self._strokes, *([self._current] if self._current is not None else [])]
        if not 0 < len(strokes) <= MAX_PATH_STROKES or any(s.picture is not None for s in strokes):
            return None
        side = self._side()
        return tuple(
            InkStroke(
                s.path if s.path is not None else points_array(s),
                self._pen(s.erase, s.pen_scale).widthF() / side,
                s.erase,
            )
            for s in strokes
        )

    def image_array(self) -> np.ndarray:
        """A uint8 copy of the ink (side x side), safe to hand to another thread."""
        image = self._image
        width, height = image.width(), image.height()
        view = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.bytesPerLine() * height)
        # The ink is grey, so any colour byte of a pixel holds its level.
        return view.reshape(height, image.bytesPerLine() // 4, 4)[:, :width, 1].copy()

    def set_overlay(self, image: QImage | None, placement: tuple[float, float, float, float] | None) -> None:
        """Lay `image` over the ink, stretched over `placement` (x, y, width, height in the
        ink's pixels: where preprocessing took the 28x28 input from); None removes it."""
        self._overlay = QImage() if image is None or placement is None else image
        self._overlay_placement = placement or (0.0, 0.0, 0.0, 0.0)
        self.update()

    def overlay_placement(self) -> tuple[float, float, float, float] | None:
        """Where the overlay lies on the ink, None when there is none."""
        return None if self._overlay.isNull() else self._overlay_placement

    def widget_point(self, x: float, y: float) -> QPointF:
        """Widget coordinates of a point given as fractions (0-1) of the drawing square."""
        origin, side = self._origin(), self._side()
        return QPointF(origin.x() + x * side, origin.y() + y * side)

    @property
    def pen_scale(self) -> float:
        return self._pen_scale

    def set_pen_scale(self, scale: float) -> None:
        """Width of the strokes drawn from now on, times the normal pen's; clamped to 0.5-2."""
        try:
            scale = float(scale)
        except (TypeError, ValueError):
            scale = PEN_SCALE_DEFAULT
        if scale != scale:  # NaN
            scale = PEN_SCALE_DEFAULT
        self._pen_scale = min(max(scale, PEN_SCALE_MIN), PEN_SCALE_MAX)

    def pen_width(self, scale: float | None = None) -> float:
        """The pen's diameter in pixels (the current pen unless a stroke's scale is given)."""
        scale = self._pen_scale if scale is None else scale
        return max(1.0, PEN_WIDTH_FRACTION * self._side() * scale)

    def clear(self) -> None:
        """Wipe the drawing and its undo history."""
        had_ink = bool(self._strokes) or self._current is not None
        self._strokes.clear()
        self._redo.clear()
        self._current = None
        self._image.fill(Qt.GlobalColor.black)
        self.update()
        self._emit_history()
        if had_ink:
            self.cleared.emit()

    def show_digit(self, pixels: np.ndarray) -> None:
        """Replace the drawing by a (28, 28) uint8 digit (a validation digit, say), as ink that
        can be drawn over, erased and undone like strokes; it is read at once."""
        self.clear()
        self._strokes.append(Stroke(False, picture=grey_image(pixels)))
        self._repaint_all()
        self._emit_history()
        self.stroke_finished.emit()

    def undo(self) -> None:
        if self._current is not None or not self._strokes:
            return
        self._redo.append(self._strokes.pop())
        self._repaint_all()
        self._after_history_edit()

    def redo(self) -> None:
        if self._current is not None or not self._redo:
            return
        self._strokes.append(self._redo.pop())
        self._repaint_all()
        self._after_history_edit()

    def can_undo(self) -> bool:
        return bool(self._strokes)

    def can_redo(self) -> bool:
        return bool(self._redo)

    # -- input --------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        button = event.button()
        if button not in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton) or self._current:
            event.ignore()
            return
        erase = self._eraser_mode or button == Qt.MouseButton.RightButton
        self._begin(event.position(), erase)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._current is None:
            return
        self._extend(event.position())
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._current is None:
            return
        self._extend(event.position())
        self._finish()
        event.accept()

    def tabletEvent(self, event: QTabletEvent) -> None:
        """A pen draws like the left button; its eraser end (or the Eraser toggle) erases."""
        kind = event.type()
        if kind == QTabletEvent.Type.TabletPress and self._current is None:
            eraser = event.pointerType() == QPointingDevice.PointerType.Eraser
            self._begin(event.position(), self._eraser_mode or eraser)
        elif kind == QTabletEvent.Type.TabletMove and self._current is not None:
            self._extend(event.position())
        elif kind == QTabletEvent.Type.TabletRelease and self._current is not None:
            self._extend(event.position())
            self._finish()
        event.accept()

    def resizeEvent(self, event: QResizeEvent) -> None:
        side = self._side()
        if side != self._image.width():
            self._image = QImage(side, side, IMAGE_FORMAT)
            self._repaint_all()
            if not self.is_empty():
                # The ink was redrawn at the new size (a notice appearing above shrinks the
                # canvas, say): the answer shown must be for the drawing as it is now.
                self.image_changed.emit()
        super().resizeEvent(event)

    # -- painting -----------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        dirty = QRectF(event.rect())
        painter.fillRect(dirty, self.palette().window())
        origin = self._origin()
        # While drawing only a segment's neighbourhood is dirty: copy just that part.
        source = dirty.translated(-origin.x(), -origin.y()).intersected(QRectF(self._image.rect()))
        if not source.isEmpty():
            painter.drawImage(source.translated(origin), self._image, source)
        if not self._overlay.isNull():
            x, y, width, height = self._overlay_placement
            painter.setClipRect(QRectF(origin.x(), origin.y(), self._side(), self._side()))
            painter.drawImage(QRectF(origin.x() + x, origin.y() + y, width, height), self._overlay)
            painter.setClipping(False)
        painter.setPen(QPen(theme.CANVAS_FRAME, 1))
        side = self._side()
        painter.drawRect(QRectF(origin.x() - 0.5, origin.y() - 0.5, side, side))
        if self.is_empty():
            painter.setPen(theme.MUTED)
            painter.drawText(
                QRectF(origin.x(), origin.y(), side, side),
                Qt.AlignmentFlag.AlignCenter,
                "Draw a digit here",
            )
        painter.end()

    def _side(self) -> int:
        return max(1, min(self.width(), self.height()))

    def _origin(self) -> QPointF:
        side = self._side()
        return QPointF((self.width() - side) // 2, (self.height() - side) // 2)

    def _to_relative(self, position: QPointF) -> tuple[float, float]:
        origin, side = self._origin(), self._side()
        return ((position.x() - origin.x()) / side, (position.y() - origin.y()) / side)

    def _pen(self, erase: bool, scale: float) -> QPen:
        pen = QPen(QColor(0, 0, 0) if erase else QColor(INK, INK, INK))
        pen.setWidthF(self.pen_width(scale) * (ERASER_WIDTH if erase else 1.0))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        return pen

    def _paint_segment(self, stroke: Stroke, start: int) -> QRectF:
        """Paint stroke.points[start:] (joined to the point before) into the image."""
        side = self._side()
        points = [QPointF(x * side, y * side) for x, y in stroke.points[max(0, start - 1) :]]
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = self._pen(stroke.erase, stroke.pen_scale)
        if len(points) == 1:
            # A zero-length line paints nothing, so a click leaves an explicit dot.
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pen.color())
            radius = pen.widthF() / 2
            painter.drawEllipse(points[0], radius, radius)
        else:
            painter.setPen(pen)
            painter.drawPolyline(points)
        painter.end()
        xs = [p.x() for p in points]
        ys = [p.y() for p in points]
        margin = pen.widthF() / 2 + 2
        return QRectF(
            min(xs) - margin, min(ys) - margin, max(xs) - min(xs) + 2 * margin, max(ys) - min(ys) + 2 * margin
        )

    def _repaint_all(self) -> None:
        self._image.fill(Qt.GlobalColor.black)
        for stroke in self._strokes:
            self._paint_segment_all(stroke)
        if self._current is not None:
            self._paint_segment_all(self._current)
        self.update()

    def _paint_segment_all(self, stroke: Stroke) -> None:
        if stroke.picture is not None:
            painter = QPainter(self._image)  # unsmoothed: the digit's own pixels, enlarged
            painter.drawImage(QRectF(self._image.rect()), stroke.picture)
            painter.end()
        elif stroke.points:
            self._paint_segment(stroke, 0)

    def _begin(self, position: QPointF, erase: bool) -> None:
        was_empty = self.is_empty()
        self._current = Stroke(erase, [self._to_relative(position)], self._pen_scale)
        dirty = self._paint_segment(self._current, 0)
        if was_empty:
            self.update()  # the "Draw a digit here" hint goes, whatever part the ink covers
        else:
            self.update(dirty.translated(self._origin()).toAlignedRect())
        self.image_changed.emit()

    def _extend(self, position: QPointF) -> None:
        assert self._current is not None
        point = self._to_relative(position)
        if point == self._current.points[-1]:
            return
        self._current.points.append(point)
        dirty = self._paint_segment(self._current, len(self._current.points) - 1)
        self.update(dirty.translated(self._origin()).toAlignedRect())
        self.image_changed.emit()

    def _finish(self) -> None:
        assert self._current is not None
        self._current.path = points_array(self._current)  # shared with every request from now on
        self._strokes.append(self._current)
        self._current = None
        self._redo.clear()
        self._emit_history()
        self.stroke_finished.emit()

    def _after_history_edit(self) -> None:
        self._emit_history()
        if self._strokes:
            self.stroke_finished.emit()
        else:
            self.cleared.emit()

    def _emit_history(self) -> None:
        self.history_changed.emit(self.can_undo(), self.can_redo())

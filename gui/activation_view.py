"""Every layer's activations for the current drawing, from the pixels to the ten outputs."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QHelpEvent,
    QLinearGradient,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QTextOption,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from model.messages import LayerActivation, NeuronRef

from . import theme
from .layer_pictures import (
    LayerPicture,
    column_widths,
    formula_help,
    picture,
    stable_top,
    unit_at,
    unit_rect,
)
from .pacing import PACING

HEADER_LINES = 3
REFRESH_MS = PACING.activation_refresh_ms
BACKGROUND = theme.PANEL
TEXT = theme.TEXT
MUTED = theme.MUTED
DETAIL_WRAP = QTextOption(Qt.AlignmentFlag.AlignLeft)
DETAIL_WRAP.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)


LENS_SCALE = 6  # a hovered feature map is shown this many times larger than its pixels


def digit_label_step(cell_height: float, text_height: float) -> int:
    """Label every n-th output neuron, so that labels never overlap in a short window."""
    return max(1, math.ceil(0.9 * text_height / max(cell_height, 1e-6)))


@dataclass(frozen=True)
class UnitUnderPointer:
    column: int
    ref: NeuronRef
    place: tuple[int, int] | None  # in a feature map: (row, column)
    value: float


class ActivationView(QWidget):
    """Columns from input to output; each shows a layer's output with its colour scale.

    A neuron or feature map under the pointer is named in a tooltip (a feature map is also
    shown enlarged); clicking it asks to look inside it (neuron_clicked)."""

    neuron_clicked = Signal(object)  # NeuronRef

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("activationView")
        self.setMinimumHeight(180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._pictures: list[LayerPicture] = []
        self._layer_names: tuple[str, ...] = ()
        self._pending: tuple[LayerActivation, ...] | None = None
        self._has_pending = False  # _pending (None included) is waiting to be shown
        # The parts that stay put while the drawing changes, painted once per size and network.
        self._background = QPixmap()
        self._background_key: tuple[object, ...] | None = None
        self._scale_tops: dict[str, float | None] = {}  # by layer name: see stable_top()
        self._layers_shown: list[str] = []  # each column's tooltip
        self._spans: list[tuple[float, float]] = []  # each column's left and right
        self._columns: list[tuple[QRectF, QRectF]] = []  # (picture target, scale top label) per layer
        self._layers: tuple[LayerActivation, ...] = ()  # the ones shown, for the units under the pointer
        self._hovered: UnitUnderPointer | None = None
        self._selected: NeuronRef | None = None
        self.setMouseTracking(True)
        self._refresh = QTimer(self, singleShot=True, interval=REFRESH_MS)
        self._refresh.timeout.connect(self._rebuild)
        self.setToolTip(
            "Each column is a layer's output for your drawing. Convolution layers show one small\n"
            "image per feature map; dense layers one square per neuron. Brighter = more active."
        )

    def sizeHint(self) -> QSize:
        return QSize(760, 280)

    def set_layers(self, layers: tuple[LayerActivation, ...] | None) -> None:
        """Show these activations: at once, unless the last ones came less than REFRESH_MS ago;
        then the newest of those arriving meanwhile is shown when that time is up."""
        self._pending = layers
        self._has_pending = True
        self._layer_names = tuple(layer.name for layer in layers) if layers else ()
        if not self._refresh.isActive():
            self._rebuild()
            self._refresh.start()

    def shows_new_layers_at_once(self) -> bool:
        """False while the refresh limit holds pictures back: layers given now would wait."""
        return not self._refresh.isActive()

    def _rebuild(self) -> None:
        if not self._has_pending:
            return
        layers, self._pending, self._has_pending = self._pending, None, False
        if not layers or tuple(layer.name for layer in layers) != tuple(self._scale_tops):
            self._scale_tops = {layer.name: None for layer in layers or ()}  # another network
        for layer in layers or ():
            finite = layer.values[np.isfinite(layer.values)]
            largest = float(finite.max()) if finite.size else 0.0
            self._scale_tops[layer.name] = stable_top(largest, self._scale_tops[layer.name])
        self._pictures = [picture(layer, self._scale_tops[layer.name]) for layer in layers or ()]
        self._layers = layers or ()
        self._layers_shown = [formula_help(layer.name, layer.formula) for layer in layers or ()]
        self.update()

    def scale_tops(self) -> dict[str, float]:
        """The top of each hidden layer's colour scale now."""
        return {p.title: p.high for p in self._pictures}

    def layer_names(self) -> tuple[str, ...]:
        return self._layer_names

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        if not self._pictures:
            painter.fillRect(self.rect(), BACKGROUND)
            painter.setPen(MUTED)
            painter.drawText(
                self.rect(), Qt.AlignmentFlag.AlignCenter, "Draw a digit to see every layer light up"
            )
            painter.end()
            return
        layers = [(p.title, p.detail, p.image.size()) for p in self._pictures]
        key = (self.size(), self.devicePixelRatioF(), layers)
        if key != self._background_key:
            self._background_key = key
            self._background, self._columns = self._layout_background()
        # What changes with every prediction: the pictures and the top of each colour scale.
        painter.drawPixmap(0, 0, self._background)
        painter.setFont(self._small_font())
        painter.setPen(MUTED)
        for pic, (target, scale_label) in zip(self._pictures, self._columns, strict=True):
            painter.drawImage(target, pic.image)
            painter.drawText(scale_label, Qt.AlignmentFlag.AlignRight, f"{pic.high:.3g}")
        self._paint_units(painter)
        painter.end()

    def column_help(self, x: float) -> str | None:
        """What the layer under x computes, term by term; None between and beside columns."""
        for (left, right), text in zip(self._spans, self._layers_shown, strict=False):
            if left <= x <= right:
                return text
        return None

    def unit_under(self, point: QPointF) -> UnitUnderPointer | None:
        """The neuron or feature map drawn at `point` (widget coordinates), if any."""
        for column, (layer, (target, _)) in enumerate(zip(self._layers, self._columns, strict=False)):
            if layer.kind == "input" or not target.contains(point):
                continue
            found = unit_at(layer.shape, target, point)
            if found is None:
                return None
            unit, place = found
            value = float(layer.values[unit] if place is None else layer.values[unit].max())
            return UnitUnderPointer(column, NeuronRef(layer.name, unit), place, value)
        return None

    def unit_centre(self, ref: NeuronRef) -> QPointF | None:
        """Where neuron (or feature map) `ref` is drawn now, None if it is not shown."""
        rect = self._unit_rect(ref)
        return None if rect is None else rect.center()

    def _unit_rect(self, ref: NeuronRef) -> QRectF | None:
        for layer, (target, _) in zip(self._layers, self._columns, strict=False):
            if layer.name == ref.layer and layer.kind != "input" and 0 <= ref.unit < layer.shape[0]:
                return unit_rect(layer.shape, ref.unit, target)
        return None

    def select(self, ref: NeuronRef | None) -> None:
        """Outline this neuron (the one the inspector shows), or none."""
        self._selected = ref
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        hovered = self.unit_under(event.position())
        if hovered != self._hovered:
            self._hovered = hovered
            self.setCursor(Qt.CursorShape.PointingHandCursor if hovered else Qt.CursorShape.ArrowCursor)
            self.update()
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self._hovered = None
        self.update()
        super().leaveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        clicked = self.unit_under(event.position())
        if clicked is not None and event.button() == Qt.MouseButton.LeftButton:
            self.neuron_clicked.emit(clicked.ref)
            return
        super().mousePressEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            unit = self.unit_under(QPointF(event.pos()))
            text = self.column_help(event.pos().x()) if unit is None else self._unit_help(unit)
            if text is not None:
                QToolTip.showText(event.globalPos(), text, self)
                return True
        return super().event(event)  # elsewhere, the view's own tooltip

    @staticmethod
    def _unit_help(unit: UnitUnderPointer) -> str:
        if unit.place is None:
            return f"{unit.ref.layer} · neuron {unit.ref.unit}: {unit.value:.3g}\nClick to look inside it."
        return (
            f"{unit.ref.layer} · feature map {unit.ref.unit}: at most {unit.value:.3g}\n"
            "Click to look inside it: its filters and the sum it computes."
        )

    def _paint_units(self, painter: QPainter) -> None:
        """The selected neuron's outline, and the hovered feature map enlarged beside the pointer."""
        outline = None if self._selected is None else self._unit_rect(self._selected)
        if outline is not None:
            painter.setPen(QPen(theme.TEXT, 1.5))
            painter.drawRect(outline.adjusted(-1, -1, 1, 1))
        hovered = self._hovered
        if hovered is None or hovered.place is None or hovered.column >= len(self._pictures):
            return
        layer, pic = self._layers[hovered.column], self._pictures[hovered.column]
        source = unit_rect(layer.shape, hovered.ref.unit, QRectF(pic.image.rect())).toRect()
        target = self._columns[hovered.column][0]
        tile = unit_rect(layer.shape, hovered.ref.unit, target)
        side = max(source.width() * LENS_SCALE, tile.width() * 2)
        lens = QRectF(tile.right() + 6, tile.top(), side, side * source.height() / source.width())
        if lens.right() > self.width() - 2:
            lens.moveRight(tile.left() - 6)
        lens.moveBottom(min(lens.bottom(), self.height() - 2.0))
        painter.drawImage(lens, pic.image.copy(source))
        painter.setPen(QPen(theme.TEXT, 1))
        painter.drawRect(lens)

    def _small_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(theme.SMALL_POINT_SIZE)
        return font

    def _layout_background(self) -> tuple[QPixmap, list[tuple[QRectF, QRectF]]]:
        """Paint what stays put while the drawing changes (names, formulas, scales, arrows) once,
        and say where each picture and its scale's top value go."""
        ratio = self.devicePixelRatioF()  # sharp on high-DPI screens too
        pixmap = QPixmap(self.size() * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(BACKGROUND)
        painter = QPainter(pixmap)
        font = self._small_font()
        bold = QFont(font)
        bold.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        line = metrics.height()
        # Columns share the width by how much there is to show; the output keeps room for its text.
        weights = [
            3.5 if p.labels else min(10.0, max(4.0, (p.image.width() * p.image.height()) ** 0.5 / 12))
            for p in self._pictures
        ]
        arrow = 18.0
        usable = self.width() - arrow * (len(self._pictures) - 1) - 8
        text_widths = [
            float(max(map(metrics.horizontalAdvance, p.detail.splitlines())) + 4) for p in self._pictures
        ]
        widths = column_widths(usable, weights, text_widths)
        columns = []
        self._spans = []
        x = 4.0
        # Formulas wrap in a narrow column: the header is as tall as the tallest one needs.
        details = max(
            painter.boundingRect(QRectF(0, 0, width, 10 * line), pic.detail, DETAIL_WRAP).height()
            for pic, width in zip(self._pictures, widths, strict=True)
        )
        header = line + max(details, line * HEADER_LINES) + 10
        scale_height = 10.0
        for index, (pic, width) in enumerate(zip(self._pictures, widths, strict=True)):
            painter.setPen(TEXT)
            painter.setFont(bold)
            painter.drawText(QRectF(x, 4, width, line), Qt.AlignmentFlag.AlignLeft, pic.title)
            painter.setFont(font)
            painter.setPen(MUTED)
            # Formulas such as relu(norm(maxpool(W∗x)) + b) have few spaces: break them
            # anywhere rather than clip them in a narrow column.
            painter.drawText(QRectF(x, 4 + line, width, header - line), pic.detail, DETAIL_WRAP)
            area = QRectF(
                x,
                header,
                width - (14 if pic.labels else 0),
                self.height() - header - scale_height - line - 10,
            )
            target = self._fitted(pic, area)
            if pic.labels:
                self._draw_digit_labels(painter, pic, target)
            scale = QRectF(x, self.height() - scale_height - line - 4, min(width, 120), scale_height)
            self._draw_scale(painter, pic, scale)
            columns.append((target, QRectF(scale.left(), scale.bottom() + 1, scale.width(), line)))
            self._spans.append((x, x + width))
            x += width
            if index < len(self._pictures) - 1:
                painter.drawText(QRectF(x, header, arrow, area.height()), Qt.AlignmentFlag.AlignCenter, "→")
                x += arrow
        painter.end()
        return pixmap, columns

    @staticmethod
    def _fitted(pic: LayerPicture, area: QRectF) -> QRectF:
        image_w, image_h = pic.image.width(), pic.image.height()
        scale = min(area.width() / image_w, area.height() / image_h)
        if scale >= 3:
            scale = math.floor(scale)  # whole pixels keep neurons evenly sized
        w, h = image_w * scale, image_h * scale
        return QRectF(area.x() + (area.width() - w) / 2, area.y(), w, h)

    @staticmethod
    def _draw_digit_labels(painter: QPainter, pic: LayerPicture, target: QRectF) -> None:
        cell = target.height() / pic.image.height()
        step = digit_label_step(cell, painter.fontMetrics().height())
        for digit in range(0, pic.image.height(), step):
            painter.drawText(
                QRectF(target.right() + 2, target.top() + digit * cell, 14, cell),
                Qt.AlignmentFlag.AlignVCenter,
                str(digit),
            )

    @staticmethod
    def _draw_scale(painter: QPainter, pic: LayerPicture, rect: QRectF) -> None:
        """The colour bar and its fixed low end; the high end changes and is painted each time."""
        gradient = QLinearGradient(rect.topLeft(), rect.topRight())
        for stop in (0.0, 0.25, 0.5, 0.75, 1.0):
            gradient.setColorAt(stop, QColor.fromRgba(pic.table[1 + int(stop * 254)]))
        painter.fillRect(rect, gradient)
        painter.drawText(
            QRectF(rect.left(), rect.bottom() + 1, rect.width(), painter.fontMetrics().height()),
            Qt.AlignmentFlag.AlignLeft,
            f"{pic.low:g}",
        )

"""Every layer's activations for the current drawing, from the pixels to the ten outputs."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFont,
    QHelpEvent,
    QImage,
    QLinearGradient,
    QPainter,
    QPaintEvent,
    QPixmap,
    QTextOption,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from model.messages import LayerActivation

from . import theme
from .pacing import PACING

HEADER_LINES = 3
REFRESH_MS = PACING.activation_refresh_ms
BACKGROUND = theme.PANEL
TEXT = theme.TEXT
MUTED = theme.MUTED
GAP_VALUE = 0  # colour index of the gaps between tiles
DETAIL_WRAP = QTextOption(Qt.AlignmentFlag.AlignLeft)
DETAIL_WRAP.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)


def _colour_table(name: str) -> list[int]:
    lut = pg.colormap.get(name).getLookupTable(nPts=255, alpha=False)
    return [0xFF1A1A20] + [QColor(int(r), int(g), int(b)).rgba() for r, g, b in lut]


HEAT = _colour_table("inferno")
GREY = [0xFF1A1A20] + [QColor(v, v, v).rgba() for v in np.linspace(0, 255, 255).astype(int)]


def tile_grid(count: int) -> tuple[int, int]:
    """Rows and columns for `count` tiles, a bit wider than tall."""
    cols = math.ceil(math.sqrt(count * 1.5))
    return math.ceil(count / cols), cols


def mosaic(values: np.ndarray) -> np.ndarray:
    """Feature maps (C, H, W) side by side with 1-px gaps, or neurons (N,) as a grid; NaN = gap."""
    if values.ndim == 1:
        count = values.shape[0]
        if count <= 10:
            return values.reshape(count, 1)  # output neurons: one column, 0 at the top
        rows, cols = tile_grid(count)
        grid = np.full(rows * cols, np.nan)
        grid[:count] = values
        return grid.reshape(rows, cols)
    channels, height, width = values.shape
    if channels == 1:
        return np.asarray(values[0])
    rows, cols = tile_grid(channels)
    tiles = np.full((rows * cols, height + 1, width + 1), np.nan)  # each map with a gap below and right
    tiles[:channels, :height, :width] = values
    blocks = tiles.reshape(rows, cols, height + 1, width + 1).transpose(0, 2, 1, 3)
    return blocks.reshape(rows * (height + 1), cols * (width + 1))[:-1, :-1]


@dataclass
class LayerPicture:
    title: str
    detail: str
    image: QImage
    low: float
    high: float
    table: list[int]
    labels: bool  # draw digit labels beside the output neurons


# What each term of a layer's formula does, for the tooltip over its column.
TERMS = {
    "pixels / 255": "pixels / 255: each pixel's brightness, 0-255, scaled to 0-1.",
    "W∗x": "W∗x, convolution: each filter (a small grid of weights W) slides over the layer's "
    "input and sums weight × value at every place: one feature map per filter.",
    "W·x": "W·x + b: each neuron multiplies every input by its weight, adds them up, and adds its bias b.",
    "maxpool": "maxpool: keeps the largest value of each 2×2 block, halving width and height.",
    "norm": "norm, batch normalisation: each channel is shifted and scaled to the mean and "
    "spread it had in training, then by two learnt numbers (one of them is the b).",
    "relu": "relu(z) = max(0, z): negative sums become 0. Without it, layers stacked on each "
    "other would add up to a single weighted sum.",
    "softmax": "softmax: turns the 10 sums into probabilities that add up to 1.",
}


def formula_help(title: str, formula: str) -> str:
    """The tooltip of a layer: its formula, then what each of its terms does."""
    terms = [text for term, text in TERMS.items() if term in formula]
    return "\n".join([f"{title}: {formula}", *terms])


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 times a power of ten that is at least `value` (> 0)."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1.0, 2.0, 5.0, 10.0) if step * power >= value * (1 - 1e-9))


def stable_top(largest: float, current: float | None) -> float:
    """The top of a layer's colour scale: a round number that grows at once to fit the largest
    activation, and shrinks only once that falls below a quarter of it, so that the colours
    (and the legend) do not jump at every frame while the drawing or the weights change."""
    if not math.isfinite(largest) or largest <= 0:
        return current or 1.0
    if current is None or largest > current or largest < current / 4:
        return nice_ceiling(largest)
    return current


def picture(layer: LayerActivation, top: float | None = None) -> LayerPicture:
    """The layer's activations as an image; hidden layers are coloured on a scale from 0 to
    `top` (default: their largest value), the input and the output from 0 to 1."""
    values = np.asarray(layer.values, dtype=np.float64)
    grid = mosaic(values)
    finite = grid[np.isfinite(grid)]
    if layer.kind in ("input", "output"):
        low, high = 0.0, 1.0
    else:
        largest = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        low, high = 0.0, largest if top is None else top
    scaled = np.where(np.isfinite(grid), 1 + np.clip((grid - low) / (high - low), 0, 1) * 254, GAP_VALUE)
    data = np.ascontiguousarray(scaled.astype(np.uint8))
    height, width = data.shape
    indexed = QImage(data.data, width, height, width, QImage.Format.Format_Indexed8)  # views `data`
    table = GREY if layer.kind == "input" else HEAT
    indexed.setColorTable(table)
    # Converted once here (into an image of its own): an indexed image would be converted again
    # at every scaled paint.
    image = indexed.convertToFormat(QImage.Format.Format_RGB32)
    shape = "×".join(str(n) for n in values.shape)
    if layer.kind == "input":
        detail = f"{values.size} neurons ({shape})\n{layer.formula}"
    elif layer.kind == "conv":
        detail = f"{values.shape[0]} feature maps ({shape})\n{layer.formula}\n{layer.parameters:,} parameters"
    else:
        detail = f"{values.size} neurons\n{layer.formula}\n{layer.parameters:,} parameters"
    return LayerPicture(layer.name, detail, image, low, high, table, layer.kind == "output")


def column_widths(usable: float, weights: list[float], minimums: list[float]) -> list[float]:
    """Share `usable` by `weights`, but give each column at least its minimum where all fit."""
    if sum(minimums) >= usable:
        return [usable * w / sum(weights) for w in weights]
    fixed: dict[int, float] = {}
    while True:
        free = usable - sum(fixed.values())
        flexible = [i for i in range(len(weights)) if i not in fixed]
        total = sum(weights[i] for i in flexible)
        short = [i for i in flexible if free * weights[i] / total < minimums[i]]
        if not short:
            return [fixed.get(i, free * weights[i] / total) for i in range(len(weights))]
        fixed.update((i, minimums[i]) for i in short)


class ActivationView(QWidget):
    """Columns from input to output; each shows a layer's output with its colour scale."""

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
        painter.end()

    def column_help(self, x: float) -> str | None:
        """What the layer under x computes, term by term; None between and beside columns."""
        for (left, right), text in zip(self._spans, self._layers_shown, strict=False):
            if left <= x <= right:
                return text
        return None

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.column_help(event.pos().x())
            if text is not None:
                QToolTip.showText(event.globalPos(), text, self)
                return True
        return super().event(event)  # elsewhere, the view's own tooltip

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
        for digit in range(pic.image.height()):
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

"""Inside a neuron: its incoming weights as a picture and its value for the drawing as the sum
it is, live while the network trains; and what each neuron of the first layer looks for."""

from __future__ import annotations

from html import escape

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QGridLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from model.constants import MNIST_MEAN, MNIST_STD
from model.messages import LayerActivation, ModelInfo, NeuronInspection, NeuronRef, Prediction

from . import theme
from .layer_pictures import picture, unit_at, unit_rect, weight_image
from .placement import open_beside_parent

SUM_HELP = (
    "z = W·x + b: each input x times the neuron's weight w for it, all added up, plus its bias b. "
    "The largest terms come first; a term is large when a large input meets a large weight."
)
LOOKS_FOR_HELP = (
    "Each tile is one neuron of the first layer: its weights laid over the input, each tile on "
    "its own scale. Ink on red raises that neuron's sum, ink on blue lowers it. Click one to look inside it."
)

LOOKS_FOR_CAPTION = (
    "Shown with every neuron: the first layer is where the network meets the pixels, and each "
    "later neuron combines what these respond to. Red: ink there raises the neuron's sum; blue lowers it."
)


class PictureBox(QWidget):
    """A small picture shown large, crisp pixels, aspect kept; with `units` (the shape of what
    it shows, as the activation view lays it out) a click says which tile was clicked."""

    unit_clicked = Signal(int)

    def __init__(self, name: str, minimum: int = 96) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setMinimumSize(minimum, minimum)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._image = QImage()
        self._units: tuple[int, ...] | None = None
        self._marked: QRectF | None = None  # in the image's pixels

    def sizeHint(self) -> QSize:
        return QSize(180, 180)

    def show_image(
        self, image: QImage, units: tuple[int, ...] | None = None, marked: QRectF | None = None
    ) -> None:
        self._image, self._units, self._marked = image, units, marked
        self.setCursor(Qt.CursorShape.PointingHandCursor if units else Qt.CursorShape.ArrowCursor)
        self.update()

    def target(self) -> QRectF:
        """Where the picture is drawn in the box."""
        if self._image.isNull():
            return QRectF()
        scale = min(self.width() / self._image.width(), self.height() / self._image.height())
        width, height = self._image.width() * scale, self._image.height() * scale
        return QRectF((self.width() - width) / 2, (self.height() - height) / 2, width, height)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), theme.PANEL)
        target = self.target()
        if not target.isEmpty():
            painter.drawImage(target, self._image)
            if self._marked is not None:
                sx, sy = target.width() / self._image.width(), target.height() / self._image.height()
                mark = self._marked
                painter.setPen(QPen(theme.ACCENT, 2))
                painter.drawRect(
                    QRectF(
                        target.left() + mark.x() * sx,
                        target.top() + mark.y() * sy,
                        mark.width() * sx,
                        mark.height() * sy,
                    )
                )
        painter.end()

    def unit_at(self, point: QPointF) -> int | None:
        found = None if self._units is None else unit_at(self._units, self.target(), point)
        return None if found is None else found[0]

    def mousePressEvent(self, event: QMouseEvent) -> None:
        unit = self.unit_at(event.position())
        if unit is not None and event.button() == Qt.MouseButton.LeftButton:
            self.unit_clicked.emit(unit)
            return
        super().mousePressEvent(event)


def looks_for_image(weights: np.ndarray) -> QImage:
    """Every first-layer unit's weights side by side, each on its own symmetric scale."""
    largest = np.abs(weights).reshape(len(weights), -1).max(axis=1)
    return weight_image(weights / np.where(largest > 0, largest, 1.0)[:, None, None], largest=1.0)


def sum_html(seen: NeuronInspection) -> str:
    """The neuron's value as the sum it is, in the order the layer computes it."""
    if seen.total is None:
        return "<i>Draw a digit to see this neuron's sum for it.</i>"
    conv = seen.kind == "conv"
    rows = [
        f"<tr><td>{escape(c.source)}</td><td align=right>{c.weight:+.3f}</td>"
        f"<td align=right>× {c.value:.3f}</td><td align=right>= {c.product:+.3f}</td></tr>"
        for c in seen.contributions
    ]
    rest = seen.terms - len(seen.contributions)
    rows.append(
        f"<tr><td>the {rest:,} other terms</td><td></td><td></td><td align=right>{seen.others:+.3f}</td></tr>"
    )
    if conv:
        where = "" if seen.position is None else " (2×2 block of the map's strongest place)"
        intro = f"W∗x at this place{where}: the sum of {seen.terms} terms w × x"
        total = (
            f"<tr><td><b>W∗x</b></td><td></td><td></td><td align=right><b>= {seen.total:+.3f}</b></td></tr>"
        )
    else:
        intro = f"z = W·x + b: the sum of {seen.terms:,} terms w × x, plus b"
        rows.append(f"<tr><td>b</td><td></td><td></td><td align=right>{seen.bias:+.3f}</td></tr>")
        total = f"<tr><td><b>z</b></td><td></td><td></td><td align=right><b>= {seen.total:+.3f}</b></td></tr>"
    steps = "".join(
        f"<tr><td>{escape(step)}</td><td></td><td></td><td align=right>→ {value:+.3f}</td></tr>"
        for step, value in seen.steps
    )
    if seen.kind == "output" and seen.value is not None:
        steps += f"<tr><td colspan=4>a {seen.value:.1%} probability for the digit {seen.ref.unit}</td></tr>"
    if seen.contributions and seen.contributions[0].source.startswith("pixel"):
        scaled = f"(pixel − {MNIST_MEAN:.2f}) / {MNIST_STD:.2f}"
        intro += f" (x: each pixel shifted and scaled as in training, {scaled})"
    return (
        f"<p>{escape(intro)}, largest first:</p>"
        f"<table cellspacing=0 cellpadding=2>{''.join(rows)}{total}{steps}</table>"
    )


class NeuronDialog(QDialog):
    """Renders the inspection that comes with each answer; says which neuron it wants."""

    inspecting = Signal(object)  # NeuronRef, or None once closed: answers need (no longer) carry it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("neuronDialog")
        self.setWindowTitle("Inside a neuron — digitpad")
        self._ref: NeuronRef | None = None
        self.title = QLabel()
        self.title.setObjectName("neuronTitle")
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.title.setFont(font)
        self.where = theme.muted(QLabel())
        self.weights = PictureBox("neuronWeights")
        self.weights_caption = theme.muted(QLabel())
        self.feature_map = PictureBox("neuronMap")
        self.map_caption = theme.muted(
            QLabel("This feature map for your drawing; the square marks the place of the sum.")
        )
        self.sum = QLabel()
        self.sum.setObjectName("neuronSum")
        self.sum.setToolTip(SUM_HELP)
        self.sum.setWordWrap(True)
        self.sum.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # The sum is read in full; the pictures give way when the window is short.
        self.sum.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.looks_for = PictureBox("looksFor", minimum=160)
        self.looks_for.setToolTip(LOOKS_FOR_HELP)
        self.looks_for_heading = theme.heading("What each neuron of the first layer looks for")
        self.looks_for_caption = theme.muted(QLabel(LOOKS_FOR_CAPTION))
        self.looks_for_caption.setWordWrap(True)
        for label in (self.where, self.weights_caption, self.map_caption):
            label.setWordWrap(True)
        self.looks_for.unit_clicked.connect(self._on_first_layer_clicked)
        grid = QGridLayout()
        grid.addWidget(self.weights, 0, 0)
        grid.addWidget(self.feature_map, 0, 1)
        grid.addWidget(self.weights_caption, 1, 0)
        grid.addWidget(self.map_caption, 1, 1)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(self.title)
        layout.addWidget(self.where)
        layout.addLayout(grid, 2)
        layout.addWidget(self.sum)
        layout.addWidget(self.looks_for_heading)
        layout.addWidget(self.looks_for_caption)
        layout.addWidget(self.looks_for, 3)
        scroll = QScrollArea()  # on a short screen nothing is cut off: it scrolls
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._first_layer = ""
        self.resize(580, 760)

    @property
    def ref(self) -> NeuronRef | None:
        """The neuron shown (None once closed)."""
        return self._ref

    def show_first_layer(self, network: ModelInfo | None) -> None:
        """Open on the first layer's first neuron of `network`: its grid shows them all."""
        first = "hidden 1" if network is not None and network.arch == "mlp" else "conv 1"
        self.inspect(NeuronRef(first, 0))

    def inspect(self, ref: NeuronRef) -> None:
        """Show this neuron from the next answer on."""
        self._ref = ref
        self.title.setText(self._title(ref))
        open_beside_parent(self)
        self.activateWindow()
        self.inspecting.emit(ref)

    def set_prediction(self, prediction: Prediction) -> None:
        seen = prediction.inspection
        if self._ref is None:
            return
        if seen is None:
            sizes = {layer.name: layer.shape[0] for layer in prediction.layers}
            if prediction.layers and sizes.get(self._ref.layer, 0) <= self._ref.unit:
                self.where.setText("This network has no such neuron: click one in the activation view.")
            return  # else an answer from before the click, or one without layers (the pen moves)
        if seen.ref != self._ref:
            return
        self._show(seen, next((layer for layer in prediction.layers if layer.name == seen.ref.layer), None))

    def _show(self, seen: NeuronInspection, layer: LayerActivation | None) -> None:
        self.where.setText(seen.where)
        self.weights.show_image(weight_image(seen.weights))
        largest = float(np.abs(seen.weights).max())
        self.weights_caption.setText(
            f"{seen.weights_caption} Scale: blue −{largest:.2g} … red +{largest:.2g}."
        )
        conv_map = layer is not None and seen.kind == "conv"
        self.feature_map.setVisible(conv_map)
        self.map_caption.setVisible(conv_map)
        if layer is not None and seen.kind == "conv":
            values = layer.values[seen.ref.unit][None]
            single = LayerActivation(layer.name, "conv", layer.formula, 0, values)
            row, col = seen.position or (0, 0)
            self.feature_map.show_image(picture(single).image, marked=QRectF(col, row, 1, 1))
        self.sum.setText(sum_html(seen))
        self._first_layer = seen.first_layer
        shape = tuple(seen.looks_for.shape)
        tiles = looks_for_image(seen.looks_for)
        mark = (
            unit_rect(shape, seen.ref.unit, QRectF(tiles.rect()))
            if seen.ref.layer == seen.first_layer
            else None
        )
        self.looks_for.show_image(tiles, units=shape, marked=mark)

    def _on_first_layer_clicked(self, unit: int) -> None:
        if self._first_layer:
            self.inspect(NeuronRef(self._first_layer, unit))

    @staticmethod
    def _title(ref: NeuronRef) -> str:
        if ref.layer == "output":
            return f"Output neuron {ref.unit}: the digit {ref.unit}"
        thing = "feature map" if ref.layer.startswith("conv") else "neuron"
        return f"{ref.layer} · {thing} {ref.unit}"

    def done(self, result: int) -> None:
        """Closed (Escape, the title bar, close()): answers stop carrying the neuron."""
        self._ref = None
        self.inspecting.emit(None)
        super().done(result)

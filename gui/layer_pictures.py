"""Layer activations as pictures: the mosaic of a layer's neurons or feature maps, its colour
scale, and which neuron sits where in it. Pure drawing helpers of the activation view."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QImage

from model.messages import LayerActivation

from . import theme
from .round_numbers import COARSE_STEPS, nice_ceiling

GAP_VALUE = 0  # colour index of the gaps between tiles


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


def breakable(formula: str) -> str:
    """The formula with a place to break a line after each opening bracket (a zero-width
    space): in a narrow column relu(norm(maxpool(W∗x)) + b) then breaks between its terms,
    not inside one ("W" / "∗x")."""
    return formula.replace("(", "(\u200b")


def formula_help(title: str, formula: str) -> str:
    """The tooltip of a layer: its formula, then what each of its terms does."""
    terms = [text for term, text in TERMS.items() if term in formula]
    return "\n".join([f"{title}: {formula}", *terms])


def stable_top(largest: float, current: float | None) -> float:
    """The top of a layer's colour scale: a round number that grows at once to fit the largest
    activation, and shrinks only once that falls below a quarter of it, so that the colours
    (and the legend) do not jump at every frame while the drawing or the weights change."""
    if not math.isfinite(largest) or largest <= 0:
        return current or 1.0
    if current is None or largest > current or largest < current / 4:
        return nice_ceiling(largest, COARSE_STEPS)
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
    formula = breakable(layer.formula)
    if layer.kind == "input":
        detail = f"{values.size} neurons ({shape})\n{formula}"
    elif layer.kind == "conv":
        detail = f"{values.shape[0]} feature maps ({shape})\n{formula}\n{layer.parameters:,} parameters"
    else:
        detail = f"{values.size} neurons\n{formula}\n{layer.parameters:,} parameters"
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


def unit_at(
    shape: tuple[int, ...], target: QRectF, point: QPointF
) -> tuple[int, tuple[int, int] | None] | None:
    """The neuron (or feature map, with the place in it) at `point` of a layer's mosaic drawn in
    `target`; None on a gap, off the picture, or on the input."""
    if target.isEmpty() or len(shape) not in (1, 3):
        return None
    fx = (point.x() - target.left()) / target.width()
    fy = (point.y() - target.top()) / target.height()
    if not (0 <= fx < 1 and 0 <= fy < 1):
        return None
    if len(shape) == 1:
        count = shape[0]
        if count <= 10:
            return int(fy * count), None
        rows, cols = tile_grid(count)
        unit = int(fy * rows) * cols + int(fx * cols)
        return (unit, None) if unit < count else None
    channels, height, width = shape
    if channels == 1:
        return None  # the input image: its pixels are not neurons with weights
    rows, cols = tile_grid(channels)
    tile_row, row = divmod(int(fy * (rows * (height + 1) - 1)), height + 1)
    tile_col, col = divmod(int(fx * (cols * (width + 1) - 1)), width + 1)
    unit = tile_row * cols + tile_col
    if row == height or col == width or unit >= channels:
        return None
    return unit, (row, col)


def unit_rect(shape: tuple[int, ...], unit: int, target: QRectF) -> QRectF:
    """Where neuron (or feature map) `unit` of a layer's mosaic is drawn in `target`."""
    if len(shape) == 1:
        count = shape[0]
        rows, cols = (count, 1) if count <= 10 else tile_grid(count)
        row, col = divmod(unit, cols)
        cell_w, cell_h = target.width() / cols, target.height() / rows
        return QRectF(target.left() + col * cell_w, target.top() + row * cell_h, cell_w, cell_h)
    channels, height, width = shape
    rows, cols = tile_grid(channels)
    pixel_w = target.width() / (cols * (width + 1) - 1)
    pixel_h = target.height() / (rows * (height + 1) - 1)
    row, col = divmod(unit, cols)
    return QRectF(
        target.left() + col * (width + 1) * pixel_w,
        target.top() + row * (height + 1) * pixel_h,
        width * pixel_w,
        height * pixel_h,
    )


NEGATIVE = np.array([70, 130, 250], np.float64)  # blue: lowers the sum
POSITIVE = np.array([240, 80, 60], np.float64)  # red: raises it
ZERO = np.array([26, 26, 32], np.float64)


def weight_image(weights: np.ndarray, largest: float | None = None) -> QImage:
    """Weights as a picture: red positive, blue negative, dark near zero, on a scale symmetric
    about zero up to `largest` (default: the largest magnitude). (C, H, W) side by side."""
    grid = (
        mosaic(np.asarray(weights, np.float64)) if np.ndim(weights) != 2 else np.asarray(weights, np.float64)
    )
    finite = np.isfinite(grid)
    if largest is None:
        largest = float(np.abs(grid[finite]).max()) if finite.any() else 0.0
    strength = np.where(finite, grid, 0.0) / (largest or 1.0)
    strength = np.clip(strength, -1.0, 1.0)[..., None]
    rgb = np.where(strength > 0, ZERO + strength * (POSITIVE - ZERO), ZERO - strength * (NEGATIVE - ZERO))
    rgb[~finite] = (theme.PANEL.red(), theme.PANEL.green(), theme.PANEL.blue())
    data = np.ascontiguousarray(np.rint(rgb).astype(np.uint8))
    height, width = grid.shape
    return QImage(data.tobytes(), width, height, 3 * width, QImage.Format.Format_RGB888).copy()

"""A small drawing is read as if it had been drawn bigger with the same pen.

The pen is as wide for a digit drawn a tenth of the canvas high as for one that fills it.
Scaled to MNIST's 20-pixel box, the small drawing's strokes grow as thick as its loops are
wide: a small 1 becomes a blob read as 0. MNIST's writers wrote at about one size, so a
drawing less than MIN_EXTENT_IN_PENS pen widths across is drawn again from its pen path,
magnified to that size, with the pen's own width, as the networks' pen digits were rendered
for training (model.rasterise; bench/small_drawings.py measures it). Only drawings made of pen
strokes alone have a path to draw again: once erased into, or on a picture, the ink is read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .rasterise import RENDER_SIZE, render_strokes
from .strokes import fit_to_canvas

# Below about five pen widths across the shipped network's accuracy falls (bench/small_drawings.py).
MIN_EXTENT_IN_PENS = 6.0

Placement = tuple[float, float, float, float]


@dataclass(frozen=True)
class Redrawn:
    """A small drawing drawn again bigger, and how to find its places on the canvas."""

    image: np.ndarray  # uint8 ink, square: RENDER_SIZE, or more for a very wide pen
    magnification: float  # the drawing is this many times bigger than on the canvas
    centre: tuple[float, float]  # the drawing's centre on the canvas image, in its pixels
    scale: float  # pixels of `image` per pixel of the canvas image

    def placement_on_canvas(self, placement: Placement) -> Placement:
        """Where a region (x, y, width, height) of the redrawn image lies on the canvas."""
        x, y, width, height = placement
        middle = self.image.shape[0] / 2
        return (
            self.centre[0] + (x - middle) / self.scale,
            self.centre[1] + (y - middle) / self.scale,
            width / self.scale,
            height / self.scale,
        )


def redrawn_bigger(size: int, strokes: Sequence[np.ndarray], pen_width: float) -> Redrawn | None:
    """The drawing made of `strokes` (points relative to a size x size canvas) with a pen
    `pen_width` wide (a fraction of the side), drawn again MIN_EXTENT_IN_PENS pens across;
    None when it is that big already, or a dot (a dot magnified stays a dot)."""
    if not strokes or not pen_width > 0:
        return None
    points = np.concatenate([np.asarray(stroke, np.float64).reshape(-1, 2) for stroke in strokes])
    if not len(points) or not np.isfinite(points).all():
        return None
    low, high = points.min(axis=0), points.max(axis=0)
    extent = float((high - low).max())
    if extent < pen_width / 2 or extent >= MIN_EXTENT_IN_PENS * pen_width:
        return None
    fill = MIN_EXTENT_IN_PENS * pen_width  # of the side: the pen keeps its share of it
    side = max(RENDER_SIZE, math.ceil((fill + 2 * pen_width) * RENDER_SIZE))  # a wide pen: room
    image = render_strokes(
        fit_to_canvas(strokes, side, fill * RENDER_SIZE / side), side, pen_width * RENDER_SIZE
    )
    centre = (low + high) / 2 * size
    magnification = fill / extent
    return Redrawn(
        image, magnification, (float(centre[0]), float(centre[1])), magnification * RENDER_SIZE / size
    )


def redrawn_if_small(
    image: np.ndarray | None, strokes: Sequence[np.ndarray] | None, pen_width: float | None
) -> Redrawn | None:
    """redrawn_bigger() for a canvas image (square) drawn with these strokes and pen, when the
    ink is only pen strokes (else it is read as it is)."""
    if image is None or strokes is None or pen_width is None:
        return None
    return redrawn_bigger(image.shape[0], strokes, pen_width)

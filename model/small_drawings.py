"""A small drawing is read as if it had been drawn bigger with the same pen.

The pen is as wide for a digit drawn a tenth of the canvas high as for one that fills it.
Scaled to MNIST's 20-pixel box, the small drawing's strokes grow as thick as its loops are
wide: a small 1 becomes a blob read as 0. MNIST's writers wrote at about one size, so a
drawing less than MIN_EXTENT_IN_PENS pen widths across is drawn again from its pen path,
magnified to that size, with the pen's own width, as the networks' pen digits were rendered
for training (model.rasterise; bench/small_drawings.py measures it). Erasing strokes are
drawn again too, after the pen's they followed; a picture put on the canvas is read as it is.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .messages import InkStroke
from .preprocess import ink_bounds, to_uint8
from .rasterise import RENDER_SIZE, render_strokes

# Below about five pen widths across the shipped network's accuracy falls (bench/small_drawings.py).
MIN_EXTENT_IN_PENS = 6.0
LEAST_MAGNIFICATION = 1.05  # less would not show: the ink's box, to a pixel, would decide it

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


@dataclass(frozen=True)
class PathBox:
    """The box of the path that left a drawing's ink, relative to the canvas side."""

    extent: float  # the longer side: the ink's box less the pen and its soft edge
    pen_width: float  # the widest pen's
    centre: np.ndarray  # (x, y)

    @property
    def is_dot(self) -> bool:
        """No longer than the pen is wide. The path network sees every path at one size, so
        a click that moved a pixel down would be a 1's line to it; magnified, a line too."""
        return self.extent < self.pen_width

    @property
    def magnification(self) -> float:
        """How many times bigger the drawing is drawn to be MIN_EXTENT_IN_PENS pens across."""
        return MIN_EXTENT_IN_PENS * self.pen_width / max(self.extent, 1e-9)


def path_box(image: np.ndarray | None, ink: Sequence[InkStroke] | None) -> PathBox | None:
    """The box of the path that left the ink on `image` (the canvas's square ink) with the
    strokes `ink`; None without ink, without the strokes (a picture) or without a pen stroke."""
    if image is None or ink is None:
        return None
    pen_width = max((stroke.width for stroke in ink if not stroke.erase), default=0.0)
    bounds = ink_bounds(image)
    if not pen_width > 0 or bounds is None:
        return None
    size = image.shape[0]
    top, bottom, left, right = bounds
    extent = (max(bottom - top, right - left) - 1) / size - pen_width
    return PathBox(extent, pen_width, np.array([left + right, top + bottom]) / 2 / size)


def redrawn_bigger(
    image: np.ndarray | None, ink: Sequence[InkStroke] | None, box: PathBox | None = None
) -> Redrawn | None:
    """The drawing on `image` (the canvas's square ink) drawn again from its strokes `ink`,
    erasing ones too, MIN_EXTENT_IN_PENS pens across: each stroke with its own width, cut at
    the canvas's edges as on the canvas (`box`: its path_box, when already known). None when
    the drawing is (nearly) that big already, or a dot, or not made of strokes alone."""
    box = box or path_box(image, ink)
    if image is None or ink is None or box is None:
        return None
    if box.is_dot or box.magnification < LEAST_MAGNIFICATION:
        return None
    pen_width, centre, magnification = box.pen_width, box.centre, box.magnification
    side = max(RENDER_SIZE, math.ceil((MIN_EXTENT_IN_PENS + 2) * pen_width * RENDER_SIZE))  # a wide pen: room
    size = image.shape[0]
    per_unit = magnification * RENDER_SIZE  # pixels of the new image per canvas side

    def placed(points: np.ndarray) -> np.ndarray:
        return np.asarray((points - centre) * per_unit + side / 2)

    if not all(len(stroke.points) and np.isfinite(stroke.points).all() for stroke in ink):
        return None
    drawn = np.zeros((side, side))
    # Strokes one after the other with the same pen are drawn in one go: erasing is what
    # makes the order matter.
    for (erase, width), run in itertools.groupby(ink, key=lambda stroke: (stroke.erase, stroke.width)):
        cover = render_strokes([placed(stroke.points) for stroke in run], side, width * RENDER_SIZE) / 255.0
        drawn = np.minimum(drawn, 1 - cover) if erase else np.maximum(drawn, cover)
    (x0, y0), (x1, y1) = placed(np.zeros(2)), placed(np.ones(2))  # the canvas's edges
    centres = np.arange(side) + 0.5
    drawn[(centres < y0) | (centres > y1), :] = 0
    drawn[:, (centres < x0) | (centres > x1)] = 0
    redrawn = to_uint8(drawn)
    return Redrawn(
        redrawn, magnification, (float(centre[0] * size), float(centre[1] * size)), per_unit / size
    )

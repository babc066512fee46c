"""The canvas's strokes as it keeps them, and the helpers that hand them to other threads."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtGui import QImage

# The user's pen-width scale, relative to the pen the network was trained with (1.0).
PEN_SCALE_MIN, PEN_SCALE_MAX, PEN_SCALE_DEFAULT = 0.5, 2.0, 1.0
ERASER_WIDTH = 1.6  # the eraser is this many times as wide as the pen


@dataclass
class Stroke:
    """One press-drag-release, in canvas-relative coordinates (0-1) so it survives resizing."""

    erase: bool
    points: list[tuple[float, float]] = field(default_factory=list)
    pen_scale: float = PEN_SCALE_DEFAULT  # each stroke keeps its width through undo and resizing
    picture: QImage | None = None  # a digit put on the canvas: grey ink over the whole square
    path: np.ndarray | None = None  # the points as a read-only array, once the stroke is finished


# Grey ink in a 32-bit image: QPainter's fast path (anti-aliased strokes into 8-bit grey take
# about 5 times longer) and the screen's own format (no conversion when it is shown).
IMAGE_FORMAT = QImage.Format.Format_RGB32


def points_array(stroke: Stroke) -> np.ndarray:
    """A stroke's points as a read-only (k, 2) array, safe to hand to another thread."""
    array = np.array(stroke.points, np.float64).reshape(-1, 2)
    array.setflags(write=False)
    return array


def grey_image(pixels: np.ndarray) -> QImage:
    """A (height, width) uint8 array as a greyscale QImage of its own (no view on the array)."""
    grey = np.ascontiguousarray(pixels, np.uint8)
    height, width = grey.shape
    return QImage(grey.data, width, height, width, QImage.Format.Format_Grayscale8).copy()

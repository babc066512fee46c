"""Rasterising recorded pen strokes the way the canvas paints them, for training.

The canvas and this rasteriser share `PEN_WIDTH_FRACTION`, so digits recorded on pen
tablets become the same kind of image a user's drawing becomes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from .preprocess import preprocess, to_uint8
from .strokes import PEN_WIDTH_FRACTION, StrokeDigits, fit_to_canvas

RENDER_SIZE = 112  # pixels: the canvas the networks' pen digits are rendered on for training


def render_strokes(strokes: Sequence[np.ndarray], size: int, pen_width: float) -> np.ndarray:
    """Anti-aliased round-pen rendering of strokes (canvas pixel coordinates) to uint8 ink.

    Like the canvas: a pixel's ink is how far inside the pen's reach its centre lies, with a
    one-pixel soft edge; a single point leaves a dot. Segments are cut into pieces no longer
    than the pen's reach, and each piece is measured only against the pixels of a small
    window around it: the exact distance, all pieces at once, some 15 times faster than
    against a box of segments (the digit detector's training renders tens of thousands).
    """
    radius = pen_width / 2
    starts, ends = [], []
    for stroke in strokes:
        s = np.asarray(stroke, dtype=np.float64).reshape(-1, 2)
        if len(s) == 1:
            s = np.concatenate([s, s])
        starts.append(s[:-1])
        ends.append(s[1:])
    reach = radius + 1.0
    # Only what reaches the image is drawn: a stroke running far off it (a drag outside the
    # window) would otherwise be cut into millions of pieces.
    a, b = clipped_to_square(np.concatenate(starts), np.concatenate(ends), -reach, size + reach)
    pieces = np.maximum(1, np.ceil(np.linalg.norm(b - a, axis=1) / reach)).astype(np.int64)
    which = np.repeat(np.arange(len(a)), pieces)
    step = np.arange(len(which)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    fraction = (b - a)[which] / pieces[which, None]
    piece_a = torch.from_numpy(a[which] + step[:, None] * fraction).float()
    piece_b = torch.from_numpy(a[which] + (step[:, None] + 1) * fraction).float()
    half = int(np.ceil(2 * reach)) + 1  # a piece's start to the farthest pixel it reaches
    offsets = torch.arange(-half, half + 1)
    corner = torch.floor(piece_a).long()  # the pixel holding the piece's start
    cols = (corner[:, 0, None, None] + offsets[None, None, :]).expand(-1, len(offsets), -1)
    rows = (corner[:, 1, None, None] + offsets[None, :, None]).expand(-1, -1, len(offsets))
    inside = (cols >= 0) & (cols < size) & (rows >= 0) & (rows < size)
    centres = torch.stack([cols, rows], dim=-1).float() + 0.5  # (Q, W, W, 2) as x, y
    direction = (piece_b - piece_a)[:, None, None]
    rel = centres - piece_a[:, None, None]
    t = ((rel * direction).sum(-1) / (direction * direction).sum(-1).clamp_min(1e-12)).clamp(0, 1)
    near = (rel - t[..., None] * direction).norm(dim=-1)
    distance = torch.full((size * size,), float("inf"))
    distance.scatter_reduce_(0, (rows * size + cols)[inside], near[inside], reduce="amin")
    ink = (radius + 0.5 - distance.reshape(size, size)).clamp(0, 1)
    return to_uint8(ink.numpy())


def clipped_to_square(a: np.ndarray, b: np.ndarray, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """The parts of the segments a -> b (each (N, 2)) inside the square [low, high]², by
    Liang-Barsky; segments wholly outside are left out, those wholly inside kept bit for bit."""
    d = b - a
    enter, leave = np.zeros(len(a)), np.ones(len(a))
    for axis in (0, 1):
        start, step = a[:, axis], d[:, axis]
        with np.errstate(divide="ignore", invalid="ignore"):
            to_low, to_high = (low - start) / step, (high - start) / step
        within = (start >= low) & (start <= high)
        level = step == 0  # parallel to these sides: wholly in or wholly out
        enter = np.maximum(enter, np.where(level, np.where(within, 0.0, np.inf), np.minimum(to_low, to_high)))
        leave = np.minimum(
            leave, np.where(level, np.where(within, 1.0, -np.inf), np.maximum(to_low, to_high))
        )
    kept = (enter <= leave) & np.isfinite(d).all(axis=1)
    a, b, d, enter, leave = a[kept], b[kept], d[kept], enter[kept, None], leave[kept, None]
    # Clipped ends of segments thousands of times the square's size are off by their rounding:
    # kept in the square, they never make more pieces than it holds.
    start = np.where(enter > 0, (a + enter * d).clip(low, high), a)
    return start, np.where(leave < 1, (a + leave * d).clip(low, high), b)


def rasterise(
    digits: StrokeDigits,
    copies: int = 1,
    size: int = RENDER_SIZE,
    seed: int = 0,
    width_range: tuple[float, float] = (0.8, 1.25),
    fill_range: tuple[float, float] = (0.5, 0.9),
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST-style 28x28 uint8 images of every digit, `copies` times with varied pen and size."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for strokes, label in zip(digits.strokes, digits.labels, strict=True):
        for _ in range(copies):
            fill = rng.uniform(*fill_range)
            pen = PEN_WIDTH_FRACTION * size * rng.uniform(*width_range)
            pixels = preprocess(render_strokes(fit_to_canvas(strokes, size, fill), size, pen))
            if pixels is not None:
                images.append(to_uint8(pixels))
                labels.append(label)
    return np.stack(images), np.asarray(labels, dtype=np.uint8)

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


def render_strokes(strokes: Sequence[np.ndarray], size: int, pen_width: float) -> np.ndarray:
    """Anti-aliased round-pen rendering of strokes (canvas pixel coordinates) to uint8 ink.

    Like the canvas: a pixel's ink is how far inside the pen's reach its centre lies, with a
    one-pixel soft edge; a single point leaves a dot.
    """
    radius = pen_width / 2
    starts, ends = [], []
    for stroke in strokes:
        s = np.asarray(stroke, dtype=np.float32).reshape(-1, 2)
        if len(s) == 1:
            s = np.concatenate([s, s])
        starts.append(s[:-1])
        ends.append(s[1:])
    a = torch.from_numpy(np.concatenate(starts))  # (S, 2) as x, y
    b = torch.from_numpy(np.concatenate(ends))
    centres = torch.arange(size, dtype=torch.float32) + 0.5
    distance = torch.full((size, size), float("inf"))
    reach = radius + 1.0
    # A few segments at a time, over the pixels they can reach only (a stroke's box, not the page).
    for chunk in range(0, len(a), 16):
        sa, sb = a[chunk : chunk + 16], b[chunk : chunk + 16]
        low = torch.minimum(sa.min(0).values, sb.min(0).values) - reach
        high = torch.maximum(sa.max(0).values, sb.max(0).values) + reach
        x0, y0 = (int(max(0.0, float(v))) for v in low)
        x1, y1 = (int(min(float(size), float(v) + 1)) for v in high)
        if x0 >= x1 or y0 >= y1:
            continue
        ys, xs = torch.meshgrid(centres[y0:y1], centres[x0:x1], indexing="ij")
        pixels = torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)  # (P, 2)
        direction = sb - sa
        length2 = (direction * direction).sum(1).clamp_min(1e-12)
        rel = pixels[:, None, :] - sa[None]
        t = ((rel * direction[None]).sum(2) / length2).clamp(0, 1)
        nearest = rel - t[..., None] * direction[None]
        near = nearest.norm(dim=2).min(dim=1).values.reshape(y1 - y0, x1 - x0)
        distance[y0:y1, x0:x1] = torch.minimum(distance[y0:y1, x0:x1], near)
    ink = (radius + 0.5 - distance).clamp(0, 1)
    return to_uint8(ink.numpy())


def rasterise(
    digits: StrokeDigits,
    copies: int = 1,
    size: int = 112,
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

"""Pen strokes: the geometry the canvas draws with, and rasterising recorded handwriting.

The canvas and this rasteriser share `PEN_WIDTH_FRACTION`, so digits recorded on pen
tablets (UNIPEN) can be turned into the same kind of image a user's drawing becomes, both
for training and for measuring how well digitpad reads real handwriting.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .preprocess import preprocess, to_uint8

# Pen diameter as a fraction of the canvas side: a digit drawn over most of the canvas
# then has strokes about as thick, relative to its size, as MNIST's.
PEN_WIDTH_FRACTION = 0.075
# A replayed digit's bounding box fills this fraction of the canvas (aspect kept, centred).
REPLAY_FILL = 0.7


@dataclass(frozen=True)
class StrokeDigits:
    """Recorded digits: `strokes[i]` is a list of (k, 2) point arrays in writing order."""

    strokes: tuple[tuple[np.ndarray, ...], ...]
    labels: np.ndarray
    writers: np.ndarray
    strict: np.ndarray  # bool: not flagged suspect and not from the noisy "ibm" contributor

    def subset(self, mask: np.ndarray) -> StrokeDigits:
        index = np.flatnonzero(mask)
        return StrokeDigits(
            tuple(self.strokes[i] for i in index), self.labels[index], self.writers[index], self.strict[index]
        )


def load_unipen(path: str | Path) -> StrokeDigits:
    """Read the UNIPEN digits file described in its README (points, offsets, labels...)."""
    with np.load(path, allow_pickle=False) as z:
        points, stroke_offsets, sample_offsets = z["points"], z["stroke_offsets"], z["sample_offsets"]
        labels, writers = z["labels"].astype(np.int64), z["writers"].astype(str)
        strict = ~z["suspect"] & (z["contributors"].astype(str) != "ibm")
    strokes = tuple(
        tuple(
            points[stroke_offsets[k] : stroke_offsets[k + 1]]
            for k in range(sample_offsets[i], sample_offsets[i + 1])
        )
        for i in range(len(labels))
    )
    return StrokeDigits(strokes, labels, writers, strict)


def is_training_writer(writer: str) -> bool:
    """A fixed half of the writers, chosen by a hash of their id, may be trained on."""
    return hashlib.sha256(writer.encode()).digest()[0] % 2 == 0


def fit_to_canvas(strokes: Sequence[np.ndarray], size: float, fill: float = REPLAY_FILL) -> list[np.ndarray]:
    """Scale strokes so their bounding box fills `fill` of a size x size canvas, centred."""
    everything = np.concatenate(strokes).astype(np.float64)
    low, high = everything.min(axis=0), everything.max(axis=0)
    extent = max(float((high - low).max()), 1e-6)
    scale = fill * size / extent
    offset = (size - (high - low) * scale) / 2
    return [(np.asarray(s, dtype=np.float64) - low) * scale + offset for s in strokes]


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
    ys, xs = torch.meshgrid(centres, centres, indexing="ij")
    pixels = torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)  # (P, 2)
    distance = torch.full((pixels.shape[0],), float("inf"))
    for chunk in range(0, len(a), 64):
        sa, sb = a[chunk : chunk + 64], b[chunk : chunk + 64]
        direction = sb - sa
        length2 = (direction * direction).sum(1).clamp_min(1e-12)
        rel = pixels[:, None, :] - sa[None]
        t = ((rel * direction[None]).sum(2) / length2).clamp(0, 1)
        nearest = rel - t[..., None] * direction[None]
        distance = torch.minimum(distance, nearest.norm(dim=2).min(dim=1).values)
    ink = (radius + 0.5 - distance).clamp(0, 1)
    return to_uint8(ink.reshape(size, size).numpy())


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

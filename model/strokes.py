"""Pen strokes: the pen the canvas draws with, and recorded handwriting (UNIPEN) to replay.

Only numpy here: the GUI imports this module at start-up, before torch is loaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Pen diameter as a fraction of the canvas side: a digit drawn over most of the canvas
# then has strokes about as thick, relative to its size, as MNIST's.
PEN_WIDTH_FRACTION = 0.075
# A replayed digit's bounding box fills this fraction of the canvas (aspect kept, centred).
REPLAY_FILL = 0.7


@dataclass(frozen=True)
class StrokeDigits:
    """Recorded digits (or letters and symbols): `strokes[i]` is a list of (k, 2) point arrays
    in writing order."""

    strokes: tuple[tuple[np.ndarray, ...], ...]
    labels: np.ndarray  # digits as integers; letters and symbols as one-character strings
    writers: np.ndarray
    # bool: not flagged suspect and not from the noisy "ibm" contributor (for letters and
    # symbols, not one that people write like a digit either: the file's `lookalike`)
    strict: np.ndarray

    def subset(self, mask: np.ndarray) -> StrokeDigits:
        index = np.flatnonzero(mask)
        return StrokeDigits(
            tuple(self.strokes[i] for i in index), self.labels[index], self.writers[index], self.strict[index]
        )


def load_unipen(path: str | Path) -> StrokeDigits:
    """Read a UNIPEN file described in its README (points, offsets, labels...): the digits, or
    the letters and symbols."""
    with open(path, "rb") as file, np.load(file, allow_pickle=False) as z:  # closed even when unreadable
        points, stroke_offsets, sample_offsets = z["points"], z["stroke_offsets"], z["sample_offsets"]
        labels, writers = z["labels"], z["writers"].astype(str)
        labels = labels.astype(np.int64) if labels.dtype.kind in "iu" else labels.astype(str)
        strict = ~z["suspect"] & (z["contributors"].astype(str) != "ibm")
        if "lookalike" in z:
            strict &= ~z["lookalike"]
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

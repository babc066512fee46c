"""Drawings that are not digits, made up: scribbles, dots, dashes, scattered specks.

People test a digit reader with exactly these (a dot, a line, a scribble) and a reader that
must say "I don't know" has to have seen some. Strokes are (k, 2) point arrays in a unit
square, y growing downward, like the recorded strokes of model.strokes.
"""

from __future__ import annotations

import numpy as np

KINDS = ("zigzag", "dot", "dash", "specks", "hatch")
SHARES = (0.4, 0.15, 0.15, 0.15, 0.15)  # zigzags vary most: they get the most examples


def scribble(rng: np.random.Generator, kind: str | None = None) -> list[np.ndarray]:
    """One made-up drawing of `kind` (default: any of KINDS) as a list of strokes."""
    kind = kind or str(rng.choice(KINDS, p=SHARES))
    if kind == "zigzag":  # a pen thrown across the page: a few random points joined
        return [rng.random((int(rng.integers(5, 12)), 2))]
    if kind == "dot":  # a click: one point, a dot as wide as the pen
        return [rng.uniform(0.3, 0.7, size=(1, 2))]
    if kind == "dash":  # a line far from upright: upright, it would be a 1
        angle = rng.uniform(-0.6, 0.6) + (np.pi if rng.random() < 0.5 else 0.0)
        length = rng.uniform(0.3, 0.9)
        start = np.array([0.5, 0.5]) - length / 2 * np.array([np.cos(angle), np.sin(angle)])
        steps = np.linspace(0, length, 12)[:, None]
        return [
            start + steps * np.array([np.cos(angle), np.sin(angle)]) + rng.normal(scale=0.004, size=(12, 2))
        ]
    if kind == "specks":  # several dots far apart
        return [point[None] for point in rng.random((int(rng.integers(2, 7)), 2))]
    if kind == "hatch":  # scratching out a patch: back and forth, drifting down
        rows = int(rng.integers(4, 12))
        top, height = rng.uniform(0.1, 0.4), rng.uniform(0.3, 0.6)
        ys = np.linspace(top, top + height, 2 * rows) + rng.normal(scale=0.01, size=2 * rows)
        xs = np.tile([rng.uniform(0.05, 0.3), rng.uniform(0.7, 0.95)], rows) + rng.normal(
            scale=0.03, size=2 * rows
        )
        return [np.stack([xs, ys], axis=1)]
    raise ValueError(f"unknown kind of scribble {kind!r}")

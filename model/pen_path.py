"""The pen's path: how a drawing was written, which the 28x28 picture of it has lost.

A letter a and a 9, or an "le" and a 6, can leave the same few pixels, but the pen went
round them differently. The digit detector (model.detector) reads the path besides the
picture: alone the path judges worse than the picture, but the two err on different
drawings, so together they refuse many more letters at the same share of refused digits.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from .messages import InkStroke

PATH_POINTS = 96  # points along the path, evenly spaced by the length the pen travelled
PATH_FEATURES = 5  # x, y, the step to the next point (x, y), and 1 where the pen is down
PEN_UP_WEIGHT = 0.1  # a jump between strokes counts for a tenth of its length: ink matters
DOT = 1e-3  # a click has no length: it becomes a stroke this long (of the drawing's size)


def pen_path(strokes: Sequence[np.ndarray]) -> np.ndarray:
    """(PATH_FEATURES, PATH_POINTS) float32 of strokes ((k, 2) points in writing order, y
    downward), whatever their scale, position or sampling rate: centred, scaled so the
    longer side of the drawing is 1, and resampled evenly along the path."""
    points, pen_down = [], []
    for stroke in strokes:
        stroke = np.asarray(stroke, np.float64).reshape(-1, 2)
        if len(stroke) == 0:
            continue
        if len(stroke) == 1:
            stroke = np.concatenate([stroke, stroke + DOT])
        points.append(stroke)
        pen_down.append(np.r_[0.0, np.ones(len(stroke) - 1)])  # the step into a stroke is in the air
    if not points:
        raise ValueError("a pen path needs at least one point")
    path, down = np.concatenate(points), np.concatenate(pen_down)[1:]
    low, high = path.min(axis=0), path.max(axis=0)
    path = (path - (low + high) / 2) / max(float((high - low).max()), DOT)
    steps = np.linalg.norm(np.diff(path, axis=0), axis=1)
    travelled = np.r_[0.0, np.cumsum(np.where(down > 0, steps, steps * PEN_UP_WEIGHT) + 1e-6)]
    at = np.linspace(0.0, travelled[-1], PATH_POINTS)
    x, y = np.interp(at, travelled, path[:, 0]), np.interp(at, travelled, path[:, 1])
    segment = np.clip(np.searchsorted(travelled, at, side="right") - 1, 0, len(down) - 1)
    # The steps are ~1/PATH_POINTS long: times 10 they weigh about as much as the positions.
    return np.stack([x, y, 10 * np.gradient(x), 10 * np.gradient(y), down[segment]]).astype(np.float32)


def strokes_of(ink: Sequence[InkStroke] | None) -> tuple[np.ndarray, ...] | None:
    """The pen's path in a drawing's strokes, when the ink is only that: no eraser, no picture
    (`ink` None), nothing past the canvas's edge (that ink is not in the picture, so the path
    would judge another drawing)."""
    if ink is None or any(stroke.erase for stroke in ink):
        return None
    paths = tuple(stroke.points for stroke in ink)
    return paths if all(((path >= 0) & (path <= 1)).all() for path in paths) else None  # NaN too


class PenPathNet(nn.Module):
    """(B, PATH_FEATURES, PATH_POINTS) paths -> (B,) logits of "not a digit": convolutions
    see the local shape of the path, a recurrent layer both ways its order."""

    def __init__(self) -> None:
        super().__init__()
        self.local = nn.Sequential(
            nn.Conv1d(PATH_FEATURES, 64, 5, padding=2),
            nn.ReLU(),
            nn.Conv1d(64, 64, 5, padding=2),
            nn.ReLU(),
        )
        self.order = nn.GRU(64, 64, batch_first=True, bidirectional=True)
        self.head = nn.Sequential(nn.Linear(256, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, paths: torch.Tensor) -> torch.Tensor:
        along, _ = self.order(self.local(paths).transpose(1, 2))
        logits: torch.Tensor = self.head(torch.cat([along.mean(dim=1), along.amax(dim=1)], dim=1))[:, 0]
        return logits


def augmented(strokes: Sequence[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """The strokes turned (±0.2 rad), slanted, stretched (0.8-1.2 either way) and jittered:
    other writers' versions of the same drawing."""
    angle, slant = rng.uniform(-0.2, 0.2), rng.uniform(-0.3, 0.3)
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    transform = turn @ np.array([[1.0, slant], [0.0, 1.0]]) @ np.diag(rng.uniform(0.8, 1.2, 2))
    return [
        np.asarray(s, np.float64) @ transform.T + rng.normal(scale=0.003, size=np.shape(s)) for s in strokes
    ]

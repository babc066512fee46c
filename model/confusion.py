"""Where the network fails: the confusion matrix of a validation pass, and the digits behind
each of its cells.

Accuracy is one number; the confusion matrix says which digits are taken for which (4s read
as 9s, 7s as 1s), and its cells open onto the very digits, so a learner sees *why*.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .constants import NUM_CLASSES

if TYPE_CHECKING:
    from .training import TrainingData


@dataclass(frozen=True)
class ValidationSet:
    """The digits a run is validated on, as the window shows them: (N, 28, 28) uint8 and labels."""

    name: str
    images: np.ndarray
    labels: np.ndarray

    @classmethod
    def of(cls, data: TrainingData) -> ValidationSet:
        return cls.from_pixels(data.name, data.test_x.numpy(), data.test_y.numpy())

    @classmethod
    def from_pixels(cls, name: str, pixels: np.ndarray, labels: np.ndarray) -> ValidationSet:
        """From (N, 1, 28, 28) or (N, 28, 28) pixels in 0-1: owned, read-only copies."""
        images = np.rint(np.asarray(pixels, np.float32).reshape(len(labels), 28, 28) * 255).astype(np.uint8)
        owned = cls(name, images, np.asarray(labels, np.int64).copy())
        owned.images.flags.writeable = False
        owned.labels.flags.writeable = False
        return owned


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, classes: int = NUM_CLASSES) -> np.ndarray:
    """(classes, classes) counts: row = the true digit, column = the network's answer."""
    pairs = np.asarray(labels, np.int64) * classes + np.asarray(predicted, np.int64)
    return np.bincount(pairs, minlength=classes * classes).reshape(classes, classes)


def per_digit_accuracy(matrix: np.ndarray) -> np.ndarray:
    """Share of each true digit read right (NaN for a digit with no examples)."""
    totals = matrix.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy: np.ndarray = np.diag(matrix) / totals
    return accuracy


def cell_members(
    labels: np.ndarray, probabilities: np.ndarray, true: int, answer: int, limit: int = 100
) -> np.ndarray:
    """Indices of the digits `true` read as `answer`, the most confident answers first."""
    predicted = probabilities.argmax(axis=1)
    members = np.flatnonzero((labels == true) & (predicted == answer))
    order = np.argsort(-probabilities[members, answer], kind="stable")
    return members[order][:limit]

"""Is it a digit at all? A second, small network that lets the answer be "I don't know".

The digit network always answers one of ten digits, and answers a letter A "100% a 4": softmax
shares out certainty among the digits whatever the input. So a second network, trained on
digits (MNIST and real pen digits) against letters, symbols, made-up scribbles and digits
mirrored or turned into no digit, gives the probability that the drawing is *not* a digit;
from a threshold chosen on held-back writers (so that almost no real digit is refused), the
window answers "?" instead of a digit. It does not learn while the digit network trains: what
a digit looks like does not change.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .atomic import write_atomically
from .checkpoint import CheckpointError, read_torch_file
from .checkpoint_contents import UnusableWeights, load_weights
from .constants import IMAGE_SIZE, MNIST_MEAN, MNIST_STD
from .plain_data import plain_copy

DETECTOR_WEIGHTS = Path(__file__).resolve().parent.parent / "assets" / "digit_detector.pt"
FORMAT = "digitpad digit detector"


class DetectorNet(nn.Module):
    """A small CNN: (B, 1, 28, 28) pixels in 0-1 -> (B,) logits of "not a digit"."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(1, 32, 5, padding=2),
            nn.MaxPool2d(2),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.MaxPool2d(2),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, 128),
            nn.ReLU(),
            nn.Linear(128, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.layers((x - MNIST_MEAN) / MNIST_STD)[:, 0]
        return logits


@torch.inference_mode()
def not_a_digit(net: DetectorNet, pixels: np.ndarray, batch: int = 2048) -> np.ndarray:
    """P(not a digit) of (N, 28, 28) images, or one (28, 28), in 0-1; `batch` at a time."""
    x = torch.as_tensor(np.asarray(pixels, np.float32)).reshape(-1, 1, IMAGE_SIZE, IMAGE_SIZE)
    net.eval()
    judged = [torch.sigmoid(net(x[i : i + batch])) for i in range(0, len(x), batch)]
    return torch.cat(judged).numpy().astype(np.float64) if judged else np.zeros(0)


@dataclass(frozen=True)
class Detector:
    """The detector and the probability of "not a digit" from which the answer is "?"."""

    net: DetectorNet
    threshold: float
    metadata: dict[str, Any]

    def not_a_digit(self, pixels: np.ndarray) -> np.ndarray:
        """P(not a digit) of (N, 28, 28) or one (28, 28) image(s) in 0-1."""
        return not_a_digit(self.net, pixels)


def save_detector(
    path: str | os.PathLike[str], net: DetectorNet, threshold: float, metadata: dict[str, Any]
) -> None:
    """Write atomically, in a form torch.load(weights_only=True) reads back."""
    payload = {
        "format": FORMAT,
        "state": {name: tensor.detach().clone() for name, tensor in net.state_dict().items()},
        "threshold": float(threshold),
        "metadata": metadata,
    }
    write_atomically(path, lambda file: torch.save(payload, file))


def load_detector(path: str | os.PathLike[str] = DETECTOR_WEIGHTS) -> Detector | None:
    """The detector in `path`; None when there is none or it cannot be read (a pipe, a bomb,
    weights that are not numbers...): the window then always answers a digit, as digit
    networks do."""
    try:
        payload = read_torch_file(path, "digit detector")
    except CheckpointError:
        return None
    if not isinstance(payload, dict) or not _is_format(payload.get("format")):
        return None
    threshold = payload.get("threshold")
    if type(threshold) is not float or not 0.0 < threshold < 1.0:
        return None
    net = DetectorNet()
    try:
        load_weights(payload.get("state"), net)
    except UnusableWeights:
        return None
    metadata = plain_copy(payload.get("metadata"))
    return Detector(net.eval(), threshold, metadata if isinstance(metadata, dict) else {})


def _is_format(value: object) -> bool:
    return type(value) is str and value == FORMAT

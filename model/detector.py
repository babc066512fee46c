"""Is it a digit at all? A second judge that lets the answer be "I don't know".

The digit network always answers one of ten digits, and answers a letter A "100% a 4": softmax
shares out certainty among the digits whatever the input. So a second network, trained on
digits (MNIST and real pen digits) against letters, symbols, made-up scribbles and digits
mirrored or turned into no digit, gives the probability that the drawing is *not* a digit;
from a threshold chosen on held-back writers (so that almost no real digit is refused), the
window answers "?" instead of a digit. When the drawing was written on the canvas, another
network reads the pen's path (model.pen_path) and the two judge together (Joint). Neither
learns while the digit network trains: what a digit looks like does not change.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import asdict, astuple, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .atomic import write_atomically
from .checkpoint import CheckpointError, read_torch_file
from .checkpoint_contents import UnusableWeights, load_weights
from .constants import IMAGE_SIZE, MNIST_MEAN, MNIST_STD
from .pen_path import PATH_FEATURES, PATH_POINTS, PenPathNet, pen_path
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
def logits_of(net: nn.Module, inputs: torch.Tensor, batch: int = 2048) -> np.ndarray:
    """A network's logits of many inputs, `batch` at a time, as float64."""
    net.eval()
    judged = [net(inputs[i : i + batch]) for i in range(0, len(inputs), batch)]
    return torch.cat(judged).numpy().astype(np.float64) if judged else np.zeros(0)


def image_logits(net: DetectorNet, pixels: np.ndarray) -> np.ndarray:
    """Logits of "not a digit" of (N, 28, 28) images, or one (28, 28), in 0-1."""
    return logits_of(
        net, torch.as_tensor(np.asarray(pixels, np.float32)).reshape(-1, 1, IMAGE_SIZE, IMAGE_SIZE)
    )


def path_logits(net: PenPathNet, drawings: Sequence[Sequence[np.ndarray]]) -> np.ndarray:
    """Logits of "not a digit" of drawings (each a list of (k, 2) strokes)."""
    return logits_of(net, torch.from_numpy(np.stack([pen_path(strokes) for strokes in drawings])))


def not_a_digit(net: DetectorNet, pixels: np.ndarray) -> np.ndarray:
    """P(not a digit) of (N, 28, 28) images, or one (28, 28), in 0-1, from the picture alone."""
    return sigmoid(image_logits(net, pixels))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, np.float64))))


JOINT_BOUND = 1e6  # no joint's number is larger, nor a spread or slope smaller than its inverse


@dataclass(frozen=True)
class Joint:
    """How the picture's and the path's logits judge together: each on the scale of the
    held-back digits' logits (mean 0, spread 1), averaged; a logistic curve fitted on
    held-back digits and letters makes that a probability, refused from `threshold` on."""

    image_mean: float
    image_spread: float
    path_mean: float
    path_spread: float
    slope: float = 1.0
    intercept: float = 0.0
    threshold: float = 0.5

    def score(self, image: np.ndarray, path: np.ndarray) -> np.ndarray:
        return np.asarray(
            0.5 * (image - self.image_mean) / self.image_spread
            + 0.5 * (path - self.path_mean) / self.path_spread
        )

    def probability(self, image: np.ndarray, path: np.ndarray) -> np.ndarray:
        return sigmoid(self.slope * self.score(image, path) + self.intercept)

    def is_usable(self) -> bool:
        """Plain numbers of a sane size: a file's joint never makes a NaN or a flipped judge."""
        return (
            all(type(v) is float and math.isfinite(v) and abs(v) <= JOINT_BOUND for v in astuple(self))
            and self.image_spread >= 1 / JOINT_BOUND
            and self.path_spread >= 1 / JOINT_BOUND
            and self.slope >= 1 / JOINT_BOUND
            and 0.0 < self.threshold < 1.0
        )


@dataclass(frozen=True)
class Detector:
    """The picture's network and the probability of "not a digit" from which the answer is
    "?"; and, when it has them, the path's network and how the two judge together."""

    net: DetectorNet
    threshold: float
    metadata: dict[str, Any]
    path_net: PenPathNet | None = None
    joint: Joint | None = None

    def not_a_digit(self, pixels: np.ndarray) -> np.ndarray:
        """P(not a digit) of (N, 28, 28) or one (28, 28) image(s) in 0-1, from the picture."""
        return not_a_digit(self.net, pixels)

    def judge(self, pixels: np.ndarray, strokes: Sequence[np.ndarray] | None = None) -> Judgement:
        """How likely one drawing is no digit, from its picture and, when the strokes that
        drew it are given, the pen's path."""
        image = image_logits(self.net, pixels)
        if self.path_net is None or self.joint is None or not strokes:
            return Judgement(float(sigmoid(image)[0]), self.threshold, with_path=False)
        joint = self.joint.probability(image, path_logits(self.path_net, [strokes]))
        return Judgement(float(joint[0]), self.joint.threshold, with_path=True)


@dataclass(frozen=True)
class Judgement:
    """P(not a digit) of a drawing, and the probability from which the answer is "?" (the
    picture alone and the picture with the path each have their own)."""

    not_a_digit: float
    threshold: float
    with_path: bool

    @property
    def unknown(self) -> bool:
        return self.not_a_digit >= self.threshold


def save_detector(path: str | os.PathLike[str], detector: Detector) -> None:
    """Write atomically, in a form torch.load(weights_only=True) reads back."""
    payload: dict[str, Any] = {
        "format": FORMAT,
        "state": _state(detector.net),
        "threshold": float(detector.threshold),
        "metadata": detector.metadata,
    }
    if detector.path_net is not None and detector.joint is not None:
        payload["path state"] = _state(detector.path_net)
        payload["joint"] = asdict(detector.joint)
    write_atomically(path, lambda file: torch.save(payload, file))


def _state(net: nn.Module) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().clone() for name, tensor in net.state_dict().items()}


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
    metadata = metadata if isinstance(metadata, dict) else {}
    if "path state" not in payload and "joint" not in payload:
        return Detector(net.eval(), threshold, metadata)  # made before the pen's path was read
    joint, path_net = _joint(payload.get("joint")), PenPathNet()
    try:
        load_weights(payload.get("path state"), path_net, (PATH_FEATURES, PATH_POINTS))
    except UnusableWeights:
        return None
    return None if joint is None else Detector(net.eval(), threshold, metadata, path_net.eval(), joint)


def _joint(stored: object) -> Joint | None:
    if not isinstance(stored, dict) or set(stored) != {field.name for field in fields(Joint)}:
        return None
    joint = Joint(**stored)
    return joint if joint.is_usable() else None


def _is_format(value: object) -> bool:
    return type(value) is str and value == FORMAT

"""The two networks digitpad teaches with, built so every layer can be shown.

Each network is a sequence of named stages. `forward` runs them; `forward_with_activations`
also returns every stage's output, which is what the layer-activation view draws.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from .constants import IMAGE_SIZE, MNIST_MEAN, MNIST_STD, NUM_CLASSES
from .messages import ARCHITECTURES, LayerActivation

__all__ = ["IMAGE_SIZE", "MNIST_MEAN", "MNIST_STD", "NUM_CLASSES", "ArchSpec", "DigitNet", "build_network"]


@dataclass(frozen=True)
class ArchSpec:
    """Shape of a network: enough to rebuild it from a checkpoint."""

    kind: str = "cnn"
    hidden: tuple[int, ...] = (256, 128)  # mlp: hidden layer widths
    channels: tuple[int, ...] = (32, 64)  # cnn: channels of each conv block (each halves H and W)
    fc: int = 128  # cnn: width of the dense layer before the output
    dropout: float = 0.25

    def __post_init__(self) -> None:
        if self.kind not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {self.kind!r}")
        if self.kind == "mlp" and not self.hidden:
            raise ValueError("an mlp needs at least one hidden layer")
        if self.kind == "cnn" and not 1 <= len(self.channels) <= 2:
            raise ValueError("a cnn has one or two conv blocks")
        if any(int(n) <= 0 for n in (*self.hidden, *self.channels, self.fc)):
            raise ValueError("layer widths must be positive")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ArchSpec:
        return cls(
            kind=str(data["kind"]),
            hidden=tuple(int(n) for n in data.get("hidden", cls.hidden)),
            channels=tuple(int(n) for n in data.get("channels", cls.channels)),
            fc=int(data.get("fc", cls.fc)),
            dropout=float(data.get("dropout", cls.dropout)),
        )


def default_spec(kind: str) -> ArchSpec:
    return ArchSpec(kind=kind)


class Normalize(nn.Module):
    """Shifts pixels in 0-1 to zero mean and unit variance, as in training."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - MNIST_MEAN) / MNIST_STD


@dataclass(frozen=True)
class StageInfo:
    name: str
    kind: str  # "conv", "dense" or "output"
    formula: str


class DigitNet(nn.Module):
    """A stack of stages mapping a (B, 1, 28, 28) batch of 0-1 pixels to 10 logits."""

    def __init__(self, spec: ArchSpec) -> None:
        super().__init__()
        self.spec = spec
        self.normalize = Normalize()
        stages: list[nn.Module] = []
        infos: list[StageInfo] = []
        if spec.kind == "mlp":
            width = IMAGE_SIZE * IMAGE_SIZE
            stages_in = [nn.Flatten()]
            for i, hidden in enumerate(spec.hidden, start=1):
                stages.append(nn.Sequential(*stages_in, nn.Linear(width, hidden), nn.ReLU()))
                infos.append(StageInfo(f"hidden {i}", "dense", "relu(W·x + b)"))
                stages_in, width = [], hidden
            stages.append(nn.Sequential(*stages_in, nn.Linear(width, NUM_CLASSES)))
        else:
            in_channels, size = 1, IMAGE_SIZE
            for i, channels in enumerate(spec.channels, start=1):
                stages.append(
                    nn.Sequential(
                        nn.Conv2d(in_channels, channels, 3, padding=1, bias=False),
                        nn.BatchNorm2d(channels),
                        nn.ReLU(),
                        nn.MaxPool2d(2),
                    )
                )
                infos.append(StageInfo(f"conv {i}", "conv", "maxpool(relu(norm(W∗x) + b))"))
                in_channels, size = channels, size // 2
            stages.append(
                nn.Sequential(
                    nn.Flatten(),
                    nn.Dropout(spec.dropout),
                    nn.Linear(in_channels * size * size, spec.fc),
                    nn.ReLU(),
                )
            )
            infos.append(StageInfo("dense", "dense", "relu(W·x + b)"))
            stages.append(nn.Sequential(nn.Dropout(spec.dropout), nn.Linear(spec.fc, NUM_CLASSES)))
        infos.append(StageInfo("output", "output", "softmax(W·x + b)"))
        self.stages = nn.ModuleList(stages)
        self.stage_infos = tuple(infos)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.normalize(x)
        for stage in self.stages:
            x = stage(x)
        return x

    @torch.inference_mode()
    def forward_with_activations(self, image: torch.Tensor) -> tuple[np.ndarray, list[LayerActivation]]:
        """Probabilities and every layer's output for one (1, 28, 28) image of 0-1 pixels.

        Runs in eval mode (no dropout, running batch-norm statistics) and restores the mode.
        """
        was_training = self.training
        self.eval()
        try:
            x = image.reshape(1, 1, IMAGE_SIZE, IMAGE_SIZE).float()
            layers = [LayerActivation("input", "input", "pixels / 255", 0, x[0].numpy().copy())]
            x = self.normalize(x)
            for stage, info in zip(self.stages, self.stage_infos, strict=True):
                x = stage(x)
                values = torch.softmax(x, dim=1) if info.kind == "output" else x
                layers.append(
                    LayerActivation(
                        info.name,
                        info.kind,
                        info.formula,
                        count_parameters(stage),
                        values[0].numpy().copy(),
                    )
                )
            return layers[-1].values.copy(), layers
        finally:
            self.train(was_training)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def build_network(spec: ArchSpec | str, seed: int | None = None) -> DigitNet:
    """A freshly initialised network; `seed` makes the initial weights repeatable."""
    if isinstance(spec, str):
        spec = default_spec(spec)
    if seed is None:
        return DigitNet(spec)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return DigitNet(spec)

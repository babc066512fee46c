"""The two networks digitpad teaches with, built so every layer can be shown.

Each network is a sequence of named stages. `forward` runs them; `forward_with_activations`
also returns every stage's output, which is what the layer-activation view draws.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .arch_limits import (
    MAX_CONV_BLOCKS,
    MAX_FC,
    MAX_HIDDEN_LAYERS,
    MAX_KERNEL,
    MAX_WIDTH,
    check_budget,
    fraction_below_one,
    parameter_count,
    shown,
    whole_number,
    whole_numbers,
    yes_or_no,
)
from .constants import IMAGE_SIZE, MNIST_MEAN, MNIST_STD, NUM_CLASSES
from .messages import ARCHITECTURES, LayerActivation

__all__ = ["IMAGE_SIZE", "MNIST_MEAN", "MNIST_STD", "NUM_CLASSES", "ArchSpec", "DigitNet", "build_network"]


@dataclass(frozen=True)
class ArchSpec:
    """Shape of a network: enough to rebuild it from a checkpoint."""

    kind: str = "cnn"
    hidden: tuple[int, ...] = (256, 128)  # mlp: hidden layer widths
    channels: tuple[int, ...] = (16, 32)  # cnn: channels of each conv block (each halves H and W)
    fc: int = 256  # cnn: width of the dense layer before the output (0: none)
    dropout: float = 0.0
    # cnn: kernel size of each conv block; () means 5 for the first block and 3 after it.
    kernels: tuple[int, ...] = ()
    # cnn: max-pool right after the convolution, then normalise and ReLU on a quarter of the
    # pixels (about a third less work per training step); False is the order of earlier
    # checkpoints: convolution, normalisation, ReLU, max-pool.
    pool_first: bool = True

    def __post_init__(self) -> None:
        """Check every field against arch_limits before anything is allocated, and normalise it
        (lists to tuples, numpy integers to ints): a spec from a file or --spec is untrusted."""
        if not isinstance(self.kind, str) or self.kind not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {shown(self.kind)}: kind must be one of {ARCHITECTURES}")
        cnn = self.kind == "cnn"
        hidden = whole_numbers(
            "hidden",
            self.hidden,
            1,
            MAX_WIDTH,
            (0 if cnn else 1, MAX_HIDDEN_LAYERS),
            "the hidden layer widths",
        )
        channels = whole_numbers(
            "channels",
            self.channels,
            1,
            MAX_WIDTH,
            (1 if cnn else 0, MAX_CONV_BLOCKS),
            "each conv block's channels",
        )
        fc = whole_number("fc", self.fc, 0, MAX_FC, "the dense layer's width, 0 for none")
        dropout = fraction_below_one("dropout", self.dropout, "the share of inputs dropped in training")
        if isinstance(self.kernels, list | tuple) and not self.kernels:
            kernels = tuple(5 if i == 0 else 3 for i in range(len(channels)))
        else:
            kernels = whole_numbers(
                "kernels", self.kernels, 1, MAX_KERNEL, (0, MAX_CONV_BLOCKS), "each conv block's kernel size"
            )
        if cnn and len(kernels) != len(channels):
            raise ValueError("kernels must give one kernel size per conv block (one per entry of channels)")
        if any(k % 2 == 0 for k in kernels):
            raise ValueError(f"kernels must be odd (a kernel has a centre pixel), not {shown(list(kernels))}")
        pool_first = yes_or_no("pool_first", self.pool_first, "pool before normalising")
        check_budget(parameter_count(self.kind, hidden, channels, kernels, fc))
        for name, value in (
            ("hidden", hidden),
            ("channels", channels),
            ("fc", fc),
            ("dropout", dropout),
            ("kernels", kernels),
            ("pool_first", pool_first),
        ):
            object.__setattr__(self, name, value)

    @property
    def parameters(self) -> int:
        """How many weights a network of this shape has (worked out, not built)."""
        return parameter_count(self.kind, self.hidden, self.channels, self.kernels, self.fc)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> ArchSpec:
        """The spec a checkpoint's "arch" describes; TypeError or ValueError naming the field.

        Values are checked, never converted: int("32") or int(1.5) would let a damaged or
        hostile file through as some other network."""
        if not isinstance(data, dict):
            raise TypeError(f"the architecture must be a dict of fields, not {shown(data)}")
        if "kind" not in data:
            raise ValueError("the architecture names no kind of network")
        channels = data.get("channels", cls.channels)
        # Checkpoints from before these fields were written by 3x3, pool-last networks.
        old_kernels = (3,) * len(channels) if isinstance(channels, list | tuple) else ()
        return cls(
            kind=data["kind"],
            hidden=data.get("hidden", cls.hidden),
            channels=channels,
            fc=data.get("fc", cls.fc),
            dropout=data.get("dropout", cls.dropout),
            kernels=data.get("kernels", old_kernels),
            pool_first=data.get("pool_first", False),
        )


def default_spec(kind: str) -> ArchSpec:
    return ArchSpec(kind=kind)


class Normalize(nn.Module):
    """Shifts pixels in 0-1 to zero mean and unit variance, as in training."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - MNIST_MEAN) / MNIST_STD


class MaxPool(nn.MaxPool2d):
    """2x2 max-pooling; without gradients it takes the maximum of four strided views.

    Same values as nn.MaxPool2d(2), about twice as fast on channels-last feature maps when
    no gradient is needed (evaluation, live predictions), where no argmax indices are kept.
    """

    def __init__(self) -> None:
        super().__init__(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled() and x.requires_grad:
            pooled: torch.Tensor = super().forward(x)  # nn.MaxPool2d.forward is unannotated
            return pooled
        h, w = x.shape[-2] // 2 * 2, x.shape[-1] // 2 * 2
        rows = torch.maximum(x[..., 0:h:2, :w], x[..., 1:h:2, :w])
        return torch.maximum(rows[..., 0::2], rows[..., 1::2])


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
            for i, (channels, kernel) in enumerate(zip(spec.channels, spec.kernels, strict=True), start=1):
                conv = nn.Conv2d(in_channels, channels, kernel, padding=kernel // 2, bias=False)
                if spec.pool_first:
                    block = [conv, MaxPool(), nn.BatchNorm2d(channels), nn.ReLU(inplace=True)]
                    formula = "relu(norm(maxpool(W∗x)) + b)"
                else:
                    block = [conv, nn.BatchNorm2d(channels), nn.ReLU(inplace=True), MaxPool()]
                    formula = "maxpool(relu(norm(W∗x) + b))"
                stages.append(nn.Sequential(*block))
                infos.append(StageInfo(f"conv {i}", "conv", formula))
                in_channels, size = channels, size // 2
            features = in_channels * size * size
            if spec.fc:
                stages.append(
                    nn.Sequential(
                        nn.Flatten(),
                        nn.Dropout(spec.dropout),
                        nn.Linear(features, spec.fc),
                        nn.ReLU(),
                    )
                )
                infos.append(StageInfo("dense", "dense", "relu(W·x + b)"))
                stages.append(nn.Sequential(nn.Dropout(spec.dropout), nn.Linear(spec.fc, NUM_CLASSES)))
            else:
                stages.append(
                    nn.Sequential(nn.Flatten(), nn.Dropout(spec.dropout), nn.Linear(features, NUM_CLASSES))
                )
        infos.append(StageInfo("output", "output", "softmax(W·x + b)"))
        self.stages = nn.ModuleList(stages)
        self.stage_infos = tuple(infos)
        if spec.kind == "cnn":
            # Channels-last feature maps: oneDNN's convolutions and pooling are much faster
            # on this layout than on the default one (about 1.4x per training step here).
            # torch's stubs for Module.to leave out memory_format, which it accepts at run time.
            self.to(memory_format=torch.channels_last)  # type: ignore[call-overload]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.normalize(x)
        for stage in self.stages:
            x = stage(x)
        return x

    @contextmanager
    def _evaluating(self) -> Iterator[None]:
        """Eval mode (no dropout, running batch-norm statistics) for a while, then the mode it
        had: a network in training can be read between two steps (ModelSession.predict)."""
        was_training = self.training
        self.eval()
        try:
            yield
        finally:
            self.train(was_training)

    @torch.inference_mode()
    def forward_with_activations(self, image: torch.Tensor) -> tuple[np.ndarray, list[LayerActivation]]:
        """Probabilities and every layer's output for one (1, 28, 28) image of 0-1 pixels."""
        with self._evaluating():
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

    @torch.inference_mode()
    def probabilities(self, image: torch.Tensor) -> np.ndarray:
        """The output layer alone for one (1, 28, 28) image of 0-1 pixels: half the work of
        forward_with_activations, for answers whose layers nobody will look at."""
        with self._evaluating():
            logits = self(image.reshape(1, 1, IMAGE_SIZE, IMAGE_SIZE).float())
            return torch.softmax(logits, dim=1)[0].numpy().copy()


def describe(net: DigitNet) -> str:
    """The layers in one line, as the window shows them: 'CNN: conv 32 → conv 64 → dense 128 → 10'."""
    spec = net.spec
    if spec.kind == "cnn":
        dense = [f"dense {spec.fc}"] if spec.fc else []
        return "CNN: " + " → ".join([f"conv {c}" for c in spec.channels] + dense + ["10"])
    return "Fully connected: 784 → " + " → ".join(str(h) for h in spec.hidden) + " → 10"


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

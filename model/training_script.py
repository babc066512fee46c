"""Train digitpad's default network on MNIST with the recipe of its Train button.

This file is the template of File › Export training script… (model/script_export.py): the
export replaces this docstring, the settings and the network with those of a run, and keeps
the rest as it is. It needs only PyTorch and NumPy, so it runs without digitpad.

    python train_digitpad.py MNIST_FOLDER [--save trained.pt]

MNIST_FOLDER holds the four MNIST files (train-images-idx3-ubyte.gz, ...), gzipped or not.
"""

from __future__ import annotations

import argparse
import gzip
import math
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# settings begin
EPOCHS = 0.7  # fractional epochs are allowed: 0.5 trains on half of the training set
BATCH_SIZE = 256
LEARNING_RATE = 0.01  # the peak of the one-cycle schedule
ONE_CYCLE = True  # warm up for a quarter of the steps, then anneal; False: a constant rate
AUGMENT = False  # small random rotations, scalings, shears and shifts of every batch
LABEL_SMOOTHING = 0.1  # the loss aims at this much less than certainty
BFLOAT16 = False  # mixed precision: fast on CPUs with AMX or AVX-512 BF16, slow elsewhere
SEED = 0


def make_optimizer(parameters: Iterator[nn.Parameter], learning_rate: float) -> torch.optim.Optimizer:
    return torch.optim.Adam(parameters, lr=learning_rate, betas=(0.7, 0.9), weight_decay=0.0)


# settings end

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # of the training pixels, scaled to 0-1
EVAL_BATCH = 500


class Normalize(nn.Module):
    """Pixels in 0-1 to zero mean and unit variance: inside the network, so it takes raw pixels."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - MNIST_MEAN) / MNIST_STD


class DigitNet(nn.Module):
    """A (B, 1, 28, 28) batch of 0-1 pixels to 10 logits, through a list of stages.

    The layers are made in digitpad's order and carry its names: the same seed gives the same
    first weights, and digitpad opens the weights this script saves.
    """

    def __init__(self, stages: list[nn.Module]) -> None:
        super().__init__()
        self.normalize = Normalize()
        self.stages = nn.ModuleList(stages)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.normalize(x)
        for stage in self.stages:
            x = stage(x)
        return x


# network begin
ARCH = {
    "kind": "cnn",
    "hidden": [256, 128],
    "channels": [16, 32],
    "fc": 256,
    "dropout": 0.0,
    "kernels": [5, 3],
    "pool_first": True,
}


def build_network() -> DigitNet:
    """CNN: conv 16 → conv 32 → dense 256 → 10."""
    net = DigitNet(
        [
            nn.Sequential(
                nn.Conv2d(1, 16, 5, padding=2, bias=False),
                nn.MaxPool2d(2),
                nn.BatchNorm2d(16),
                nn.ReLU(inplace=True),
            ),
            nn.Sequential(
                nn.Conv2d(16, 32, 3, padding=1, bias=False),
                nn.MaxPool2d(2),
                nn.BatchNorm2d(32),
                nn.ReLU(inplace=True),
            ),
            nn.Sequential(nn.Flatten(), nn.Dropout(0.0), nn.Linear(1568, 256), nn.ReLU()),
            nn.Sequential(nn.Dropout(0.0), nn.Linear(256, 10)),
        ]
    )
    # Channels-last feature maps: the CPU's convolutions are much faster on this layout.
    net.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    return net


# network end


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (gzipped or not) as uint8: images (N, 28, 28) or labels (N,)."""
    content = path.read_bytes()
    if content[:2] == b"\x1f\x8b":
        content = gzip.decompress(content)
    dimensions = content[3]
    shape = [int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big") for i in range(dimensions)]
    return np.frombuffer(content, np.uint8, offset=4 + 4 * dimensions).reshape(shape)


def load_split(folder: Path, prefix: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Images as (N, 1, 28, 28) floats in 0-1, and their labels."""
    arrays = []
    for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"):
        name = f"{prefix}-{kind}"
        path = folder / f"{name}.gz" if (folder / f"{name}.gz").exists() else folder / name
        arrays.append(read_idx(path))
    images, labels = arrays
    return torch.from_numpy(images.copy()).float().div_(255.0).unsqueeze(1), torch.from_numpy(
        labels.copy()
    ).long()


def random_affine(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Small random rotations, scalings, shears and shifts: handwriting varies like this."""
    n = x.shape[0]

    def uniform(low: float, high: float) -> torch.Tensor:
        return torch.rand(n, generator=generator) * (high - low) + low

    angle = uniform(-0.2, 0.2)  # radians, about 11 degrees
    scale = uniform(0.85, 1.1)
    shear = uniform(-0.25, 0.25)
    aspect = uniform(0.85, 1.15)
    shift = torch.rand(n, 2, generator=generator) * 0.2 - 0.1  # of the half-width: ~1.4 px
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.empty(n, 2, 3)
    theta[:, 0, 0] = cos / (scale * aspect)
    theta[:, 0, 1] = (-sin + shear) / scale
    theta[:, 1, 0] = sin / (scale * aspect)
    theta[:, 1, 1] = cos / scale
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def batches(size: int, batch_size: int, generator: torch.Generator) -> Iterator[torch.Tensor]:
    """Indices of mini-batches, without end: shuffled again whenever too few are left for a batch."""
    order, start = torch.randperm(size, generator=generator), 0
    while True:
        if start + batch_size > size:
            order, start = torch.randperm(size, generator=generator), 0
        yield order[start : start + batch_size]
        start += batch_size


def train(net: nn.Module, x: torch.Tensor, y: torch.Tensor, args: argparse.Namespace) -> None:
    generator = torch.Generator().manual_seed(args.seed)  # the batches and the augmentation
    torch.manual_seed(args.seed)  # dropout
    batch_size = min(args.batch_size, len(y))  # never more images than the training set holds
    total_steps = max(1, math.ceil(args.epochs * len(y) / batch_size))
    optimizer = make_optimizer(net.parameters(), args.lr)
    scheduler = None
    if ONE_CYCLE and total_steps >= 8:  # fewer steps leave the warm-up no room
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=args.lr, total_steps=total_steps, pct_start=0.25
        )
    net.train()
    started = time.perf_counter()
    for step, index in enumerate(batches(len(y), batch_size, generator), start=1):
        images, labels = x[index], y[index]
        if args.augment:
            images = random_affine(images, generator)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bfloat16):
            loss = F.cross_entropy(net(images), labels, label_smoothing=LABEL_SMOOTHING)
        if not math.isfinite(loss.item()):
            raise SystemExit(f"the loss became {loss.item()} at step {step}: try a smaller --lr")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        if step % 100 == 0 or step == total_steps:
            print(
                f"step {step}/{total_steps}  epoch {step * batch_size / len(y):.2f}"
                f"  loss {loss.item():.4f}  {time.perf_counter() - started:.0f} s"
            )
        if step == total_steps:
            return


@torch.inference_mode()
def evaluate(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Accuracy in eval mode (no dropout, batch norm's running statistics), in float32."""
    net.eval()
    correct = 0
    for start in range(0, len(y), EVAL_BATCH):
        logits = net(x[start : start + EVAL_BATCH])
        correct += int((logits.argmax(1) == y[start : start + EVAL_BATCH]).sum())
    return correct / max(1, len(y))


def calibrate(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Label smoothing leaves answers ~90% sure: scale the logits by 1/T to be as sure as right."""
    net.eval()
    with torch.inference_mode():
        parts = [torch.softmax(net(x[i : i + EVAL_BATCH]), 1) for i in range(0, len(y), EVAL_BATCH)]
    log_p = torch.cat(parts).double().clamp_min(1e-30).log()

    def slope(log_t: float) -> float:  # of the loss of softmax(log p / T), in log T
        t = torch.tensor(log_t, dtype=torch.float64, requires_grad=True)
        return float(torch.autograd.grad(F.cross_entropy(log_p / t.exp(), y), t)[0])

    low, high = math.log(0.05), math.log(20.0)
    if not slope(low) < 0 < slope(high):
        return 1.0  # every answer right: no temperature would mean anything beyond these digits
    for _ in range(50):
        middle = (low + high) / 2
        low, high = (middle, high) if slope(middle) < 0 else (low, middle)
    temperature = math.exp((low + high) / 2)
    output = [module for module in net.modules() if isinstance(module, nn.Linear)][-1]
    with torch.no_grad():
        for tensor in (output.weight, output.bias):
            tensor.div_(temperature)
    return temperature


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mnist", type=Path, help="folder holding the four MNIST files")
    parser.add_argument("--epochs", type=float, default=EPOCHS)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--lr", type=float, default=LEARNING_RATE, help="peak learning rate")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--no-augment", dest="augment", action="store_false", default=AUGMENT)
    parser.add_argument("--float32", dest="bfloat16", action="store_false", default=BFLOAT16)
    parser.add_argument("--save", type=Path, help="write the trained network here, for digitpad to open")
    args = parser.parse_args()
    train_x, train_y = load_split(args.mnist, "train")
    test_x, test_y = load_split(args.mnist, "t10k")
    torch.manual_seed(args.seed)  # the first weights
    net = build_network()
    train(net, train_x, train_y, args)
    if LABEL_SMOOTHING > 0:
        print(f"confidence calibrated: the output layer divided by {calibrate(net, test_x, test_y):.3f}")
    accuracy = evaluate(net, test_x, test_y)
    print(f"test accuracy {accuracy:.2%} on {len(test_y):,} digits")
    if args.save:
        checkpoint = {"arch": ARCH, "state_dict": net.state_dict(), "metadata": {"test_accuracy": accuracy}}
        torch.save({"format": "digitpad-checkpoint", "format_version": 1, **checkpoint}, args.save)


if __name__ == "__main__":
    main()

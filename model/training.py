"""The training loop as a generator, so the window's trainer and the command line share it.

`train_steps` yields a `TrainProgress` after every batch, an `EvalResult` several times per
epoch, and a final `TrainFinished`. Whoever drives it decides the pace: pausing is not
asking for the next step, stopping is closing the generator.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import math
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .data import Dataset
from .messages import EvalProgress, EvalResult, TrainConfig, TrainFinished, TrainProgress

Message = TrainProgress | EvalProgress | EvalResult | TrainFinished
EVAL_BATCH = 500  # small enough for the feature maps to stay in cache
MIN_ONECYCLE_STEPS = 8  # fewer, and OneCycleLR's warm-up phase has no steps (it divides by zero)
OWN_PER_BATCH = 4  # the user's examples in each batch, when a run includes them
SNAPSHOT_EVERY = 25  # steps between copies of known-good weights, restored on divergence


@dataclass(frozen=True)
class TrainingData:
    """Training and validation sets as in-memory tensors of 0-1 pixels, (N, 1, 28, 28)."""

    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor

    @classmethod
    def from_dataset(
        cls, dataset: Dataset, extra: tuple[np.ndarray, np.ndarray] | None = None
    ) -> TrainingData:
        """Convert once; `extra` adds more (uint8 images, labels) to the training split only."""
        images, labels = dataset.train_images, dataset.train_labels
        name = dataset.name
        if extra is not None:
            images = np.concatenate([images, extra[0]])
            labels = np.concatenate([labels, extra[1]])
            name += f" + {len(extra[1]):,} rasterised pen-written digits"
        return cls(
            name,
            _to_pixels(images),
            _to_labels(labels),
            _to_pixels(dataset.test_images),
            _to_labels(dataset.test_labels),
        )


def _to_pixels(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(images)).float().div_(255.0).unsqueeze(1)


def _to_labels(labels: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(labels)).long()


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


def evaluation_parts(
    net: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = EVAL_BATCH
) -> Generator[tuple[int, float, int, np.ndarray], None, None]:
    """Evaluate batch by batch in eval mode and float32, yielding after each batch the images
    done so far, their summed cross-entropy, how many were right, and the batch's probabilities
    (for the confusion matrix and its gallery).

    A caller can pause between batches (the trainer serves the window's requests there); the
    network stays in eval mode until the generator ends or is closed.
    """
    was_training = net.training
    net.eval()
    total_loss, correct = 0.0, 0
    try:
        for start in range(0, len(y), batch_size):
            with torch.inference_mode():
                logits = net(x[start : start + batch_size])
                target = y[start : start + batch_size]
                total_loss += F.cross_entropy(logits, target, reduction="sum").item()
                correct += (logits.argmax(1) == target).sum().item()
                probabilities = torch.softmax(logits, dim=1).numpy()
            yield min(len(y), start + batch_size), total_loss, correct, probabilities
    finally:
        net.train(was_training)


def evaluate(
    net: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = EVAL_BATCH
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy over a whole set, in eval mode, in float32."""
    last = collections.deque(evaluation_parts(net, x, y, batch_size), maxlen=1)
    _, total_loss, correct, _ = last[0] if last else (0, 0.0, 0, None)
    return total_loss / max(1, len(y)), correct / max(1, len(y))


def predict_labels(net: nn.Module, x: torch.Tensor, batch_size: int = EVAL_BATCH) -> np.ndarray:
    """The predicted digit of every image, for confusion tables."""
    was_training = net.training
    net.eval()
    try:
        with torch.inference_mode():
            return torch.cat(
                [net(x[i : i + batch_size]).argmax(1) for i in range(0, len(x), batch_size)]
            ).numpy()
    finally:
        net.train(was_training)


def make_optimizer(net: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            net.parameters(),
            lr=config.learning_rate,
            momentum=0.9,
            nesterov=True,
            weight_decay=config.weight_decay,
        )
    if config.optimizer == "adamw":
        return torch.optim.AdamW(
            net.parameters(),
            lr=config.learning_rate,
            betas=config.betas,
            weight_decay=effective_weight_decay(config.optimizer, config.weight_decay),
        )
    return torch.optim.Adam(
        net.parameters(), lr=config.learning_rate, betas=config.betas, weight_decay=config.weight_decay
    )


def effective_weight_decay(optimizer: str, asked: float) -> float:
    """AdamW decays its weights by default (0.01): asking for 0 there means its default."""
    return asked or (1e-2 if optimizer == "adamw" else 0.0)


def compute_on_threads(count: int) -> None:
    """Give the calling thread `count` torch threads, whatever other threads set later.

    torch.set_num_threads also sets a process-wide default that each thread adopts lazily, at
    its first parallel operation: so a thread that set its own count and has not computed yet
    takes whatever another thread set meanwhile (the trainer's training then ran on the
    predictor's single thread). Reading the count first settles this thread's lazy start-up;
    setting it after that is this thread's own.
    """
    torch.get_num_threads()
    torch.set_num_threads(count)


def warm_up_optimisers() -> None:
    """The first optimiser imports torch._dynamo (1-2 s): done at start-up, not at the first Train.
    Only a head start: if it fails, the first training run does the import itself."""
    with contextlib.suppress(Exception):
        torch.optim.Adam([torch.zeros(1, requires_grad=True)])


@functools.cache
def native_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AMX or AVX-512 BF16) through oneDNN.

    Only then is bfloat16 mixed precision faster than float32; elsewhere it is emulated and slower.
    """
    try:
        return bool(
            torch.backends.mkldnn.is_available()  # type: ignore[no-untyped-call]  # unannotated in torch
            and (torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported())
        )
    except (AttributeError, RuntimeError):  # private helpers: absent from some torch builds
        return False


def uses_bfloat16(config: TrainConfig) -> bool:
    return config.precision == "bfloat16" or (config.precision == "auto" and native_bfloat16())


def autocast(enabled: bool) -> contextlib.AbstractContextManager[None]:
    """Mixed precision for one training step: matrix products and convolutions in bfloat16."""
    if not enabled:
        return contextlib.nullcontext()
    return torch.autocast("cpu", dtype=torch.bfloat16)


def divergence_message(what: str, value: float, step: int, config: TrainConfig, snapshot_step: int) -> str:
    """What happened and what was done about it, for the person who pressed Train."""
    became = "infinite" if math.isinf(value) else "not a number (NaN)"
    rate = config.learning_rate
    rate_text = f"{rate:,.0f}" if 1e3 <= rate < 1e12 else f"{rate:g}"
    if snapshot_step:
        restored = f"Its weights after step {snapshot_step}, the last ones known to be good, were restored."
    elif config.from_scratch:
        restored = "Its freshly initialised weights from the start of the run were restored."
    else:
        restored = "Its weights from before this run were restored."
    return (
        f"At step {step} the {what} became {became}: a learning rate of {rate_text} is too high "
        f"for this network; try a smaller one. {restored}"
    )


def with_own(
    x: torch.Tensor, y: torch.Tensor, own_x: torch.Tensor, own_y: torch.Tensor, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    if not len(own_y):
        return x, y
    pick = torch.randint(len(own_y), (min(OWN_PER_BATCH, len(own_y)),), generator=generator)
    return torch.cat([x, own_x[pick]]), torch.cat([y, own_y[pick]])


def batch_for(config: TrainConfig, train_size: int) -> int:
    """The batch actually drawn: never more images than the training set holds, so that one
    step of a tiny set counts as one epoch, not as batch_size / train_size epochs."""
    return max(1, min(config.batch_size, train_size))


def total_steps_for(config: TrainConfig, train_size: int) -> int:
    return max(1, math.ceil(config.epochs * train_size / batch_for(config, train_size)))


def train_steps(
    net: nn.Module,
    data: TrainingData,
    config: TrainConfig,
    until_accuracy: float | None = None,
    own: Callable[[], tuple[torch.Tensor, torch.Tensor]] | None = None,
) -> Generator[Message, None, None]:
    """Train `net` in place, one batch per yielded `TrainProgress` (model.run.TrainingRun, for
    a run that is saved and continued or steered while it runs)."""
    from .run import TrainingRun

    return TrainingRun(net, data, config, until_accuracy, own).messages()


Step = TypeVar("Step")


def for_a_while(
    steps: Iterator[Step], seconds: float, interrupt: threading.Event | None
) -> Generator[Step, None, None]:
    """The items of `steps` for about `seconds` (at least one), fewer once `interrupt` is set (from
    another thread, say). Leaving the loop early leaves `steps` open, to go on next time."""
    deadline = time.perf_counter() + seconds
    for step in steps:
        yield step
        if time.perf_counter() >= deadline or (interrupt is not None and interrupt.is_set()):
            return

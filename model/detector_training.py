"""Training the digit detector: digits against letters, symbols, scribbles and turned digits.

Only the training half of the UNIPEN dev writers (model.strokes.is_training_writer) is used
here, and a fifth of those is held back to choose the threshold: the other half of the
writers is left to measure on (bench/abstain.py). Characters that people write like a digit
(an O, an l: the `lookalike` flag) are left out: refusing them would refuse real digits too.

    python -m model detector --data-dir MNIST_DIR --strokes-dir STROKES_DIR
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import numpy as np
import torch
import torch.nn.functional as F

from .data import Dataset
from .detector import DetectorNet, not_a_digit
from .preprocess import preprocess, to_uint8
from .rasterise import RENDER_SIZE, render_strokes
from .scribbles import scribble
from .strokes import PEN_WIDTH_FRACTION, StrokeDigits, fit_to_canvas, is_training_writer
from .training import random_affine

NetT = TypeVar("NetT", bound=torch.nn.Module)

PEN_DIGIT_RENDERS = 8  # renderings of each training pen digit: few writers, so vary them more
CHARACTER_RENDERS = 4  # renderings of each letter and symbol
SCRIBBLES = 30000  # model.scribbles' made-up drawings
POLYLINES = 15000  # a mouse thrown across the canvas: 3 to 12 random points joined
# Twice as many images as before, so 4 passes take about the time 10 did (10 were not tried:
# they would take some 25 minutes on a busy 2-core machine).
DETECTOR_EPOCHS = 4.0
TURNED_DIGITS = 30000  # MNIST digits mirrored or turned into shapes that are no digit
# Which turns leave a digit no digit: a mirrored 0, 1 or 8 is still one, a 6 upside down is a 9.
MIRRORED = (2, 3, 4, 5, 6, 7, 9)
UPSIDE_DOWN = (2, 3, 4, 5, 7)
ON_ITS_SIDE = (1, 2, 3, 4, 5, 6, 7, 8, 9)
CLICK_CANVAS = 400  # pixels, about the window's canvas
ALLOWED_DIGIT_REFUSALS = 0.01  # of the held-back pen digits (and MNIST digits): sets the threshold


def held_back(writer: str) -> bool:
    """A fifth of the training writers, kept to choose the threshold."""
    return hashlib.sha256(("threshold " + writer).encode()).digest()[0] % 5 == 0


def render(drawings: Sequence[Sequence[np.ndarray]], rng: np.random.Generator) -> np.ndarray:
    """Drawings (lists of strokes) as the network's 28x28 uint8 inputs, with varied pen and size,
    through the window's own preprocessing; drawings with no ink are left out."""
    images = []
    for strokes in drawings:
        points = np.concatenate(strokes)
        # A click is a dot as wide as the pen, which preprocessing enlarges to 20x20: drawn on a
        # window-sized canvas it stays as sharp as the window's, not a blurred blob.
        size = CLICK_CANVAS if np.ptp(points, axis=0).max() < 1e-6 else RENDER_SIZE
        pen = PEN_WIDTH_FRACTION * size * rng.uniform(0.8, 1.25)
        canvas = render_strokes(fit_to_canvas(strokes, size, rng.uniform(0.5, 0.9)), size, pen)
        pixels = preprocess(canvas)
        if pixels is not None:
            images.append(to_uint8(pixels))
    return np.stack(images) if images else np.zeros((0, 28, 28), np.uint8)


def scribbles(count: int, rng: np.random.Generator) -> np.ndarray:
    return render([scribble(rng) for _ in range(count)], rng)


def polylines(count: int, rng: np.random.Generator) -> np.ndarray:
    """Random points joined in one stroke, as people (and the GUI fuzz test) scrawl to try it."""
    return render([[rng.random((int(rng.integers(3, 13)), 2))] for _ in range(count)], rng)


def turned_digits(images: np.ndarray, labels: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Up to `count` digits mirrored, upside down or on their side, where that makes them no
    digit (0s never): shapes as near to digits as letters are (a mirrored 6 is close to a d, a
    4 upside down to an h). They taught the detector more about letters than more letters did."""
    turns: list[tuple[tuple[int, ...], Callable[[np.ndarray], np.ndarray]]] = [
        (MIRRORED, lambda image: image[:, ::-1]),
        (UPSIDE_DOWN, lambda image: image[::-1, ::-1]),
        (ON_ITS_SIDE, lambda image: np.rot90(image, 1)),
        (ON_ITS_SIDE, lambda image: np.rot90(image, -1)),
    ]
    out = []
    for index in rng.choice(len(images), count, replace=False):
        allowed = [turn for digits, turn in turns if int(labels[index]) in digits]
        if allowed:
            out.append(allowed[int(rng.integers(len(allowed)))](images[index]))
    return np.ascontiguousarray(np.stack(out)) if out else np.zeros((0, 28, 28), np.uint8)


def training_strokes(
    digits: StrokeDigits, characters: StrokeDigits, held: bool
) -> tuple[list[Sequence[np.ndarray]], list[Sequence[np.ndarray]]]:
    """The strict digits and letters of the training writers: those held back, or the others."""

    def chosen(data: StrokeDigits) -> list[Sequence[np.ndarray]]:
        mask = data.strict & np.array(
            [is_training_writer(str(w)) and held_back(str(w)) == held for w in data.writers]
        )
        return [data.strokes[i] for i in np.flatnonzero(mask)]

    return chosen(digits), chosen(characters)


def detector_sets(
    mnist: Dataset, digits: StrokeDigits, characters: StrokeDigits, seed: int = 0
) -> tuple[tuple[np.ndarray, np.ndarray], dict[str, np.ndarray]]:
    """(images, is-not-a-digit labels) to fit on; and the held-back writers' images (and MNIST
    digits left out of the fit) to choose the threshold on, by kind."""
    rng = np.random.default_rng(seed)
    pen_digits, not_digits = training_strokes(digits, characters, held=False)
    held_digits, held_characters = training_strokes(digits, characters, held=True)
    mnist_back = rng.choice(len(mnist.train_images), 5000, replace=False)
    keep = np.ones(len(mnist.train_images), bool)
    keep[mnist_back] = False
    yes = [mnist.train_images[keep], *(render(pen_digits, rng) for _ in range(PEN_DIGIT_RENDERS))]
    no = [
        *(render(not_digits, rng) for _ in range(CHARACTER_RENDERS)),
        scribbles(SCRIBBLES, rng),
        polylines(POLYLINES, rng),
        turned_digits(
            mnist.train_images[keep], mnist.train_labels[keep], TURNED_DIGITS, np.random.default_rng(seed + 1)
        ),
    ]
    fit_yes, fit_no = np.concatenate(yes), np.concatenate(no)
    labels = np.repeat(np.array([0, 1], np.float32), [len(fit_yes), len(fit_no)])
    fit = (np.concatenate([fit_yes, fit_no]), labels)
    held = {
        "MNIST digits": mnist.train_images[mnist_back],
        "pen digits": render(held_digits, rng),
        "letters and symbols": render(held_characters, rng),
        "scribbles": scribbles(2000, rng),
        "polylines": polylines(1000, rng),
    }
    return fit, held


def train_detector(
    fit: tuple[np.ndarray, np.ndarray], epochs: float = DETECTOR_EPOCHS, batch_size: int = 256, seed: int = 0
) -> DetectorNet:
    """The picture's network, each batch turned, scaled and shifted a little (fit_not_a_digit)."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    x = torch.from_numpy(fit[0]).float().div_(255).unsqueeze(1)
    return fit_not_a_digit(
        DetectorNet(),
        x,
        torch.from_numpy(fit[1]),
        epochs,
        batch_size,
        generator,
        lambda batch: random_affine(batch, generator),
    )


def fit_not_a_digit(
    net: NetT,
    x: torch.Tensor,
    y: torch.Tensor,
    epochs: float,
    batch_size: int,
    generator: torch.Generator | None = None,
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> NetT:
    """Fit `net`'s logits of "not a digit" (y = 1) to random batches of `x`, `augment`ed, by
    Adam under a one-cycle schedule; digits and not-digits weigh the same in the loss. Batches
    are drawn from `generator` (torch's own when None). The detector's two networks train so."""
    positive_weight = torch.tensor(float((y == 0).sum() / max(1, int((y == 1).sum()))))
    steps = int(epochs * len(y) / batch_size)
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=steps)
    net.train()
    started = time.perf_counter()
    for step in range(steps):
        pick = torch.randint(len(y), (batch_size,), generator=generator)
        batch = x[pick] if augment is None else augment(x[pick])
        loss = F.binary_cross_entropy_with_logits(net(batch), y[pick], pos_weight=positive_weight)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
        schedule.step()
        if (step + 1) % 200 == 0:
            print(
                f"  step {step + 1}/{steps}  loss {loss.item():.4f}  {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
    return net.eval()


def choose_threshold(net: DetectorNet, held: dict[str, np.ndarray]) -> tuple[float, dict[str, float]]:
    """The lowest threshold that refuses at most ALLOWED_DIGIT_REFUSALS of the held-back pen
    digits and of the MNIST digits left out; and the share of each held-back kind refused."""
    judged = {kind: not_a_digit(net, images.astype(np.float32) / 255) for kind, images in held.items()}
    quantile = 1 - ALLOWED_DIGIT_REFUSALS
    threshold = max(float(np.quantile(judged[kind], quantile)) for kind in ("MNIST digits", "pen digits"))
    return threshold, {f"{kind} refused": float((p >= threshold).mean()) for kind, p in judged.items()}


@contextmanager
def one_thread() -> Iterator[None]:
    """Rendering is many small tensor operations: torch's helper threads only wait on each
    other there (five times slower on a busy machine), so one thread renders alone."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)

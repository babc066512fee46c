"""Immutable messages that cross threads: between the window, the trainer and the predictor.

Only these dataclasses (and model.snapshot's WeightSnapshot), scalars and owned numpy arrays
ever travel between threads: tensors, modules and optimizers stay with the thread that owns
their network.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # torch-free here: the window imports this module before torch loads
    from .personal import PersonalExamples

ARCHITECTURES = ("cnn", "mlp")
SHIPPED_SOURCE = "shipped weights"  # ModelInfo.source of the network that ships in assets/
UNTRAINED_SOURCE = "untrained"  # ModelInfo.source of fresh random weights
OPTIMIZERS = ("adam", "adamw", "sgd")
PRECISIONS = ("auto", "float32", "bfloat16")


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs; the defaults are the Train button's "Quick" preset:
    tuned for the shortest time to 99% test accuracy on a 2-core CPU (bench/speed.py)."""

    arch: str = "cnn"  # "cnn" (default, small convnet) or "mlp" (784 -> hidden ReLU layers -> 10)
    epochs: float = 0.7  # fractional epochs are allowed: 0.5 trains half an epoch
    batch_size: int = 256
    learning_rate: float = 1e-2  # peak learning rate of the one-cycle schedule
    optimizer: str = "adam"
    schedule: str = "onecycle"  # "onecycle" (warm-up then anneal) or "constant"
    weight_decay: float = 0.0
    augment: bool = False  # small random affine jitter of every batch
    seed: int = 0
    evals_per_epoch: int = 10  # validation passes per epoch (the plot's accuracy points)
    from_scratch: bool = True  # False continues from the current weights
    include_handwriting: bool = False  # all the user's examples join the batches, not only new ones
    betas: tuple[float, float] = (0.7, 0.9)  # adam/adamw: decay of the gradient's running mean and square
    # "auto": bfloat16 mixed precision where the CPU multiplies bfloat16 natively (AMX or
    # AVX-512 BF16: about 1.5x faster steps), float32 elsewhere. Evaluation is always float32.
    precision: str = "auto"
    eval_from: float = 0.5  # no validation pass before this epoch (the last step always has one)
    # The loss aims at 90%-sure answers instead of 100%: no effort is spent pushing right
    # answers to certainty, so 99% comes in fewer steps (0.6-0.7 epochs instead of 1.1 here).
    label_smoothing: float = 0.1

    def __post_init__(self) -> None:
        """Every value checked here, in one place, whoever made the config (the panel, the
        command line, a recipe): a sentence for the user, never a run that cannot end."""
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {self.arch!r}; choose one of {ARCHITECTURES}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose one of {OPTIMIZERS}")
        if self.schedule not in ("onecycle", "constant"):
            raise ValueError(f"unknown schedule {self.schedule!r}")
        # inf would overflow the step count; 1e300 would never end
        real_in_range("epochs", self.epochs, 0.0, MAX_EPOCHS, above_low=True)
        whole_in_range("batch size", self.batch_size, 1, MAX_BATCH)
        real_in_range("learning rate", self.learning_rate, 0.0, MAX_LEARNING_RATE, above_low=True)
        real_in_range("weight decay", self.weight_decay, 0.0, 1.0)
        whole_in_range("evals_per_epoch", self.evals_per_epoch, 0, MAX_EVALS_PER_EPOCH)
        whole_in_range("seed", self.seed, 0, MAX_SEED)
        if self.precision not in PRECISIONS:
            raise ValueError(f"unknown precision {self.precision!r}; choose one of {PRECISIONS}")
        if (
            not isinstance(self.betas, tuple)
            or len(self.betas) != 2
            or not all(_is_real(b) and 0.0 <= b < 1.0 for b in self.betas)
        ):
            raise ValueError("betas must be two numbers in [0, 1)")
        real_in_range("eval_from", self.eval_from, 0.0, MAX_EPOCHS)
        real_in_range("label smoothing", self.label_smoothing, 0.0, 0.5)


MAX_EPOCHS = 1000.0  # 60 M digits per 1,000 epochs: days on a CPU, but it ends
MAX_BATCH = 65536
MAX_LEARNING_RATE = 1e6  # far past any that trains; any larger only makes the weights infinite sooner
MAX_EVALS_PER_EPOCH = 1000
MAX_SEED = 2**63 - 1  # torch's generators take 64 bits


def _is_real(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def real_in_range(name: str, value: Any, low: float, high: float, above_low: bool = False) -> None:
    """ValueError naming `name` unless `value` is a finite number in [low, high] (above low
    if `above_low`): NaN, infinities, strings and True are not."""
    bound = f"more than {low:g}" if above_low else f"{low:g}"
    rule = f"{name} must be a number from {bound} to {high:,.0f}"
    if not _is_real(value):
        raise ValueError(f"{rule}, not {value!r:.40}")
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        number = math.inf if value > 0 else -math.inf
    if not math.isfinite(number) or not (low < number <= high if above_low else low <= number <= high):
        raise ValueError(f"{rule}, not {number:g}")


def whole_in_range(name: str, value: Any, low: int, high: int) -> None:
    """ValueError naming `name` unless `value` is a whole number in [low, high]."""
    rule = f"{name} must be a whole number from {low:,} to {high:,}"
    if not isinstance(value, int | np.integer) or isinstance(value, bool):
        raise ValueError(f"{rule}, not {value!r:.40}")
    if not low <= int(value) <= high:
        raise ValueError(f"{rule}, not {int(value):,}" if int(value).bit_length() < 64 else f"{rule}")


def longer_config(**changes: Any) -> TrainConfig:
    """The "Longer" preset: about 3 minutes on 2 cores for 99.5% and more, and the recipe of
    the shipped weights. Eighteen passes over jittered digits (random affine: handwriting varies
    like this), small batches and Adam's usual memories; no label smoothing, so that the
    probabilities shown stay calibrated (they mean what they say)."""
    recipe = TrainConfig(
        epochs=18.0,
        batch_size=128,
        learning_rate=3e-3,
        betas=(0.9, 0.999),
        augment=True,
        evals_per_epoch=1,
        eval_from=0.0,
        label_smoothing=0.0,
    )
    return replace(recipe, **changes)


MNIST_TRAINING_DIGITS = 60_000


def quick_config(training_digits: int = MNIST_TRAINING_DIGITS) -> TrainConfig:
    """The "Quick" preset (TrainConfig's defaults) on `training_digits` digits: as many seen as
    0.7 passes over MNIST, so a smaller set (the practice set's 4,500) gets as many steps, not
    a dozen (78% instead of 98%), and as many validation passes, as late in the run."""
    quick = TrainConfig()
    passes = MNIST_TRAINING_DIGITS / max(1, training_digits)  # of these data per pass over MNIST
    return replace(
        quick,
        epochs=min(MAX_EPOCHS, round(quick.epochs * passes, 1)),
        eval_from=min(MAX_EPOCHS, round(quick.eval_from * passes, 1)),
        evals_per_epoch=max(1, round(quick.evals_per_epoch / passes)),
    )


def longer_recipe(training_digits: int = MNIST_TRAINING_DIGITS) -> TrainConfig:
    """The "Longer" preset: eighteen passes, whatever the data."""
    return longer_config()


RECIPES: dict[str, Callable[[int], TrainConfig]] = {"quick": quick_config, "longer": longer_recipe}
# TrainConfig fields added after runs and checkpoints were first saved, with the value that
# records made before them imply (a run saved before label smoothing had none).
FIELDS_ADDED_LATER: dict[str, Any] = {"label_smoothing": 0.0}


@dataclass(frozen=True)
class TrainProgress:
    """One optimisation step has finished."""

    step: int  # 1-based global step of this run
    total_steps: int
    epoch: float  # fractional epoch, e.g. 1.25
    loss: float  # training loss of this batch
    samples_per_second: float
    seconds_left: float
    learning_rate: float
    # Of this batch, the share the network read right before the step's update: free with the
    # loss, so the accuracy plot has a curve from the first step (validation comes later).
    batch_accuracy: float = math.nan


@dataclass(frozen=True)
class EvalProgress:
    """Part of a validation pass is done: a driver may pause here (nothing to show)."""

    step: int
    done: int  # images evaluated so far
    total: int


@dataclass(frozen=True)
class EvalResult:
    """Loss and accuracy on the held-out set at some point of a run."""

    step: int
    epoch: float
    loss: float
    accuracy: float
    seconds: float  # training time so far, evaluation excluded
    # (N, 10) float32: each validation digit's probabilities, in the validation set's order
    probabilities: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class TrainFinished:
    """A run ended; `reason` says why ("completed", "stopped", "diverged", "target reached")."""

    reason: str
    steps: int
    epochs: float
    train_seconds: float
    samples_per_second: float
    final_eval: EvalResult | None
    message: str = ""


@dataclass(frozen=True)
class LayerActivation:
    """One layer's output for one image, with what the view needs to explain it."""

    name: str
    kind: str  # "input", "conv", "dense" or "output"
    formula: str
    parameters: int
    values: np.ndarray  # (C, H, W) for images and feature maps, (N,) for neurons

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.values.shape)


@dataclass(frozen=True)
class NeuronRef:
    """A neuron of a dense layer, or a channel (feature map) of a convolution layer."""

    layer: str  # as in Prediction.layers: "hidden 1", "conv 2", "dense", "output"
    unit: int


@dataclass(frozen=True)
class Contribution:
    """One term w × x of the sum."""

    source: str  # where x comes from, e.g. "pixel (12, 7)" or "hidden 1 · neuron 40"
    weight: float
    value: float

    @property
    def product(self) -> float:
        return self.weight * self.value


@dataclass(frozen=True)
class NeuronInspection:
    """One neuron for one drawing, in the order the layer computes it."""

    ref: NeuronRef
    kind: str  # "dense", "conv" or "output"
    where: str  # where it sits, in a sentence
    weights: np.ndarray  # its incoming weights: (28, 28), (C, H, W) or (N,) like its input; conv: (C, k, k)
    weights_caption: str
    bias: float  # b (for a convolution: the norm's learnt shift, added after it)
    total: float | None  # the sum Σ w·x (+ b for dense), None without a drawing
    contributions: tuple[Contribution, ...]  # the largest terms by size
    others: float  # the sum of all the other terms
    terms: int  # how many terms the sum has
    steps: tuple[tuple[str, float], ...]  # what the layer does after the sum, and the value after each
    value: float | None  # the neuron's output: the number the activation view shows
    position: tuple[int, int] | None  # conv: the place in the feature map the sum is taken at
    looks_for: np.ndarray  # every first-layer unit's weights: (N, 28, 28) or (C, k, k)
    first_layer: str  # the name of the layer `looks_for` belongs to


@dataclass(frozen=True)
class InkStroke:
    """One stroke on the canvas as it was drawn: its points in order (canvas-relative, a
    read-only (k, 2) array), its width as a fraction of the canvas side, and whether it erased."""

    points: np.ndarray
    width: float
    erase: bool = False


@dataclass(frozen=True)
class PredictRequest:
    """A drawing to read: the canvas ink at one moment, tagged so stale answers can be dropped."""

    request_id: int
    image: np.ndarray | None  # the canvas ink (uint8, an owned copy), None when empty
    with_layers: bool = True  # False: the activation view would not show them yet
    with_saliency: bool = False  # also where it looked (with the layers only): the overlay is on
    inspect: NeuronRef | None = None  # also inside this neuron: the inspector shows it
    # Every stroke, erasing ones too (None with a picture on the canvas): a drawing small for
    # the pen is drawn again bigger from them before it is read (model.small_drawings), and
    # the digit detector reads the pen's path in them (model.pen_path.strokes_of).
    ink: tuple[InkStroke, ...] | None = None


@dataclass(frozen=True)
class Prediction:
    """The network's answer for one drawing, tagged with the request that asked for it."""

    request_id: int
    probabilities: np.ndarray | None  # (10,), sums to 1; None for an empty canvas
    pixels: np.ndarray | None = None  # the 28x28 input (0-1) the network saw
    layers: tuple[LayerActivation, ...] = field(default=())  # empty when not asked for
    weights_version: int = 0  # the WeightSnapshot.version of the network that answered
    saliency: np.ndarray | None = None  # (10, 28, 28): each pixel's share in each digit's score
    placement: tuple[float, float, float, float] | None = None  # the 28x28 field on the canvas image
    magnified: float = 1.0  # a small drawing is read drawn this many times bigger (small_drawings)
    inspection: NeuronInspection | None = None  # the neuron asked for (weights only without a drawing)
    not_a_digit: float | None = None  # the digit detector's probability that the drawing is no digit
    unknown: bool = False  # ... over its threshold: the answer is "I don't know"
    unknown_from: float | None = None  # that threshold (the picture alone, or with the pen's path)
    vouched: bool = False  # the user taught this drawing a digit: the detector's "?" is set aside

    @property
    def digit(self) -> int | None:
        return None if self.probabilities is None else int(np.argmax(self.probabilities))

    @property
    def confidence(self) -> float:
        return 0.0 if self.probabilities is None else float(np.max(self.probabilities))


@dataclass(frozen=True)
class ModelInfo:
    """What the GUI shows about the network in use."""

    arch: str
    parameters: int
    description: str
    source: str  # where the weights came from: SHIPPED_SOURCE, a file name, UNTRAINED_SOURCE...
    metadata: dict[str, Any] = field(default_factory=dict)
    unsaved_training: bool = False  # trained since it was opened or saved
    # The file Save writes to: the one this network was opened from or last saved to (None for
    # the shipped weights, a new network, or one kept from the last session). It travels with
    # the network, so a Save can never write one network into another's file.
    path: str | None = None

    @property
    def origin(self) -> str:
        """Where the weights came from, and whether they were trained since."""
        if not self.unsaved_training:
            return self.source
        if self.source == UNTRAINED_SOURCE:
            return "trained here (not saved)"
        return f"{self.source}, trained further (not saved)"


@dataclass(frozen=True)
class HandwritingEdit:
    """A change to the user's examples, asked of the trainer (which owns them)."""

    action: str  # "relabel", "delete", "clear", "import" or "export"
    keys: tuple[str, ...] = ()  # relabel (one), delete
    label: int = 0  # relabel
    path: str = ""  # import, export

    def apply(self, examples: PersonalExamples) -> str:
        """Do it to a model.personal.PersonalExamples; returns what to tell the user ("" if nothing).
        Raises model.handwriting.HandwritingError (nothing changed on disk; for a failed write
        the change holds in memory)."""
        if self.action == "relabel":
            examples.relabel(self.keys[0], self.label)
        elif self.action == "delete":
            examples.delete(self.keys)
        elif self.action == "clear":
            examples.clear()
        elif self.action == "import":
            added = examples.import_file(self.path)
            return f"Imported {added} new example{'s' * (added != 1)} from {Path(self.path).name}."
        elif self.action == "export":
            examples.export(self.path)
            return f"Exported {len(examples)} examples to {Path(self.path).name}."
        else:
            raise ValueError(f"unknown handwriting edit {self.action!r}")
        return ""

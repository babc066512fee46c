"""How large a network digitpad will build, and the checks of each ArchSpec field against it.

A checkpoint's "arch" and `--spec` come from outside: a width of 10**12, infinity, "32", 1.5
or a nested list must be refused with a sentence naming the field, before a single weight
is allocated. The parameter count is worked out from the sizes alone, for the same reason.
"""

from __future__ import annotations

import itertools
import math
import numbers
import reprlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from .constants import IMAGE_SIZE, NUM_CLASSES

MAX_WIDTH = 4096  # neurons of a hidden layer, channels of a convolution
MAX_HIDDEN_LAYERS = 8
MAX_CONV_BLOCKS = 3  # each halves the 28x28 picture: a fourth would leave 1x1
MAX_KERNEL = 27  # a kernel as wide as the picture, give or take
MAX_FC = 4096
MAX_PARAMETERS = 50_000_000  # 200 MB of float32 weights, and as much again for training


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxtuple, _SHORT.maxdict, _SHORT.maxstring = 2, 6, 6, 4, 40


def shown(value: Any) -> str:
    """A short, safe rendering of a value someone gave: never huge, never raising."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return "a number with more than 19 digits"
    if isinstance(value, list | tuple | dict | str | int | float | bool | type(None)):
        try:
            return _SHORT.repr(value)
        except (ValueError, RecursionError):
            pass
    return f"a {type(value).__name__}"


def whole_number(field: str, value: Any, low: int, high: int, meaning: str) -> int:
    """`value` as an int in [low, high]; TypeError or ValueError naming `field` otherwise."""
    rule = f"{field} ({meaning}) must be a whole number from {low} to {high}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{rule}, not {shown(value)}")
    if not low <= int(value) <= high:
        raise ValueError(f"{rule}, not {shown(int(value))}")
    return int(value)


def whole_numbers(
    field: str, values: Any, low: int, high: int, counts: tuple[int, int], meaning: str
) -> tuple[int, ...]:
    """A list or tuple of counts[0] to counts[1] whole numbers in [low, high], as a tuple."""
    fewest, most = counts
    rule = f"{field} ({meaning}) must be a list of {fewest} to {most} whole numbers from {low} to {high}"
    if not isinstance(values, list | tuple):
        raise TypeError(f"{rule}, not {shown(values)}")
    if not fewest <= len(values) <= most:
        raise ValueError(f"{rule}, not {len(values):,} of them")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{rule}, not {shown(list(values))}")
        if not low <= int(value) <= high:
            raise ValueError(f"{rule}, not {shown(int(value))}")
    return tuple(int(value) for value in values)


def fraction_below_one(field: str, value: Any, meaning: str) -> float:
    """A real number in [0, 1) (dropout), as a float."""
    rule = f"{field} ({meaning}) must be a number from 0 up to (not including) 1"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{rule}, not {shown(value)}")
    number = float(value)
    if not (math.isfinite(number) and 0.0 <= number < 1.0):
        raise ValueError(f"{rule}, not {shown(number)}")
    return number


def yes_or_no(field: str, value: Any, meaning: str) -> bool:
    """true or false, and nothing that merely converts to one ("no" is true in Python)."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{field} ({meaning}) must be true or false, not {shown(value)}")
    return bool(value)


def parameter_count(
    kind: str, hidden: Sequence[int], channels: Sequence[int], kernels: Sequence[int], fc: int
) -> int:
    """How many weights the network of these sizes has, without building it (DigitNet's layout)."""
    if kind == "mlp":
        widths = [IMAGE_SIZE * IMAGE_SIZE, *hidden, NUM_CLASSES]
        return sum(a * b + b for a, b in itertools.pairwise(widths))
    total, in_channels, size = 0, 1, IMAGE_SIZE
    for out_channels, kernel in zip(channels, kernels, strict=True):
        total += in_channels * out_channels * kernel * kernel + 2 * out_channels  # conv + norm
        in_channels, size = out_channels, size // 2
    features = in_channels * size * size
    if fc:
        return total + features * fc + fc + fc * NUM_CLASSES + NUM_CLASSES
    return total + features * NUM_CLASSES + NUM_CLASSES


def check_budget(count: int) -> None:
    if count > MAX_PARAMETERS:
        raise ValueError(
            f"the network would have {count:,} parameters; digitpad builds at most {MAX_PARAMETERS:,}"
        )

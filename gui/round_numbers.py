"""Round numbers for axes and colour scales, which then change a few times a run, not every frame."""

from __future__ import annotations

import math

FINE_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)  # for axes
COARSE_STEPS = (1.0, 2.0, 5.0, 10.0)  # for colour scales and their legends


def nice_ceiling(value: float, steps: tuple[float, ...] = FINE_STEPS) -> float:
    """The smallest of `steps` times a power of ten that is at least `value`; 1 for nothing.

    An unchanged axis is a cached picture; a changed one costs milliseconds to lay out again.
    """
    if not value > 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in steps if step * power >= value * (1 - 1e-9))

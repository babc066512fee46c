"""Real handwriting replayed on the real canvas: a sample of the UNIPEN benchmark.

The whole held-out set is bench/replay_unipen.py; here 120 digits of writers the shipped
model never saw, spread over the file, must be read almost as well.
"""

from __future__ import annotations

import numpy as np
import pytest
from repo_paths import SHARED_STROKES

from model.checkpoint import DEFAULT_WEIGHTS
from model.strokes import is_training_writer, load_unipen
from tools.driver import PredictionCatcher, read_digit

DIGITS = SHARED_STROKES / "unipen_digits_dev.npz"
pytestmark = [
    pytest.mark.skipif(not DIGITS.is_file(), reason=f"UNIPEN strokes not at {DIGITS}"),
    pytest.mark.skipif(not DEFAULT_WEIGHTS.is_file(), reason="the shipped weights are missing"),
]


def test_held_out_writers_are_read_correctly(window) -> None:
    digits = load_unipen(DIGITS)
    held_out = digits.strict & ~np.array([is_training_writer(w) for w in digits.writers])
    digits = digits.subset(held_out)
    chosen = np.linspace(0, len(digits.labels) - 1, 120).astype(int)
    catcher = PredictionCatcher(window)
    correct = 0
    for index in chosen:
        probabilities = read_digit(window, catcher, digits.strokes[index], timeout=15)
        assert probabilities is not None and np.isfinite(probabilities).all()
        correct += int(np.argmax(probabilities)) == digits.labels[index]
    assert correct / len(chosen) >= 0.93, f"{correct} of {len(chosen)} read correctly"

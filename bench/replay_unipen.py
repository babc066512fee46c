"""How well does digitpad read real handwriting? Replays UNIPEN pen strokes onto the canvas.

Each digit of the strict subset (not flagged suspect, not from the noisy "ibm" contributor)
is scaled to fit 70% of the real canvas, written as mouse drags, released, and the digit the
window shows is read. Writers whose digits were used in training are reported separately;
the headline figure is on the writers the shipped model never saw.

    python bench/replay_unipen.py [--strokes FILE] [--checkpoint FILE] [--limit N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = os.environ.get("QT_QPA_PLATFORM") or "offscreen"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from common import SHARED_STROKES, open_window, spread

from model.strokes import is_training_writer, load_unipen
from tools.driver import PredictionCatcher, read_digit

DEFAULT_STROKES = SHARED_STROKES / "unipen_digits_dev.npz"


def report(name: str, truth: np.ndarray, predicted: np.ndarray) -> float:
    accuracy = float((truth == predicted).mean()) if len(truth) else float("nan")
    print(f"\n{name}: {accuracy:.2%} of {len(truth):,} digits read correctly")
    per_digit = "  ".join(
        f"{d}:{(predicted[truth == d] == d).mean():.1%}" for d in range(10) if (truth == d).any()
    )
    print(f"  per digit  {per_digit}")
    confusions = Counter((int(t), int(p)) for t, p in zip(truth, predicted, strict=True) if t != p)
    print("  top confusions  " + ", ".join(f"{t}→{p} ×{n}" for (t, p), n in confusions.most_common(8)))
    return accuracy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strokes", type=Path, default=DEFAULT_STROKES)
    parser.add_argument("--checkpoint", help="network to measure (default: the shipped one)")
    parser.add_argument("--limit", type=int, default=0, help="replay only this many digits (a spread sample)")
    args = parser.parse_args()
    if not args.strokes.is_file():
        print(f"error: {args.strokes} not found", file=sys.stderr)
        return 2
    digits = load_unipen(args.strokes)
    digits = digits.subset(digits.strict)
    digits = digits.subset(np.isin(np.arange(len(digits.labels)), spread(len(digits.labels), args.limit)))
    _app, window = open_window(["--checkpoint", args.checkpoint] if args.checkpoint else [])
    catcher = PredictionCatcher(window)
    print(f"model: {window.model_label.text()}; canvas {window.canvas.width()}x{window.canvas.height()} px")
    predicted = np.full(len(digits.labels), -1)
    try:
        read_digit(window, catcher, digits.strokes[0], timeout=60)  # the worker may still be warming up
        started = time.perf_counter()
        for i, strokes in enumerate(digits.strokes):
            probabilities = read_digit(window, catcher, strokes)
            predicted[i] = -1 if probabilities is None else int(np.argmax(probabilities))
            if (i + 1) % 500 == 0:
                print(f"  {i + 1:,} digits, {time.perf_counter() - started:.0f} s", file=sys.stderr)
        elapsed = time.perf_counter() - started
    finally:
        window.close()
    trained = np.array([is_training_writer(w) for w in digits.writers])
    truth = digits.labels
    print(f"\nreplayed {len(truth):,} digits in {elapsed:.0f} s ({elapsed / len(truth) * 1000:.1f} ms each)")
    held_out = report("writers never trained on (headline)", truth[~trained], predicted[~trained])
    report("writers whose digits were in the training data", truth[trained], predicted[trained])
    report("whole strict subset", truth, predicted)
    print(f"\nHEADLINE real-handwriting accuracy (held-out writers): {held_out:.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Does digitpad say "I don't know" when it should, and only then? Replays real strokes.

On the UNIPEN dev writers the digit detector was not trained on (the held-out half by
model.strokes.is_training_writer; model/detector_training.py trains on the other half),
written as mouse drags on the real canvas, it counts the answers "?" (the window's
predictionLabel) among:

  digits       the strict subset: at most 1% refused; accuracy on the answered ones
  not digits   letters and symbols, not lookalikes, not suspect, not "ibm": at least 90%
  lookalikes   characters people write like a digit (O, l, S...): for information
  scribbles    the GUI fuzz test's drags through 8 random points, and model.scribbles' dots,
               dashes, specks and hatching (other seeds than training): at least 90%

and the calibration of the digit network's probabilities on the 10,000 MNIST test digits
(expected calibration error, 15 equal-width bins: at most 1%).

The window judges each drawing from its picture and the pen's path the canvas recorded.

    python bench/abstain.py [--data-dir DIR] [--strokes-dir DIR] [--limit N] [--scribbles N]
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
from common import SHARED_MNIST, SHARED_STROKES, describe_machine, open_window, spread

from model.calibration import calibration_error

DEFAULT_STROKES = SHARED_STROKES


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=SHARED_MNIST)
    parser.add_argument("--strokes-dir", type=Path, default=DEFAULT_STROKES)
    parser.add_argument(
        "--limit", type=int, default=0, help="at most this many of each kind (a spread sample)"
    )
    parser.add_argument("--scribbles", type=int, default=500, help="scribbles of each generator")
    args = parser.parse_args()

    import torch

    from model.checkpoint import DEFAULT_WEIGHTS, load_checkpoint
    from model.data import find_mnist
    from model.detector import load_detector
    from model.scribbles import scribble
    from model.strokes import is_training_writer, load_unipen
    from tools.driver import PredictionCatcher, read_digit

    print(describe_machine())
    mnist = find_mnist(args.data_dir)
    detector = load_detector()
    if mnist is None or detector is None:
        print("error: MNIST or the digit detector (assets/digit_detector.pt) is missing", file=sys.stderr)
        return 2
    net, _ = load_checkpoint(DEFAULT_WEIGHTS)
    net.eval()
    with torch.inference_mode():
        images = torch.from_numpy(mnist.test_images).float().div(255).unsqueeze(1)
        probabilities = torch.softmax(net(images), dim=1).numpy()
    ece = calibration_error(probabilities, mnist.test_labels.astype(np.int64))
    refused_mnist = (detector.not_a_digit(images.numpy()[:, 0]) >= detector.threshold).mean()
    print(
        f"MNIST test: expected calibration error {ece:.2%} (target <= 1%); "
        f"refused {refused_mnist:.2%} (pictures without a pen's path: the picture's network alone)"
    )
    joint = "none" if detector.joint is None else f"{detector.joint.threshold:.3f}"
    print(f"detector thresholds: picture alone {detector.threshold:.3f}, with the pen's path {joint}")
    print(f"trained with {detector.metadata}")

    digits = load_unipen(args.strokes_dir / "unipen_digits_dev.npz")
    digits = digits.subset(digits.strict & ~np.array([is_training_writer(str(w)) for w in digits.writers]))
    characters = load_unipen(args.strokes_dir / "unipen_nondigits_dev.npz")
    with np.load(args.strokes_dir / "unipen_nondigits_dev.npz") as z:
        lookalike = z["lookalike"] & ~z["suspect"] & (z["contributors"].astype(str) != "ibm")
    held_out = ~np.array([is_training_writer(str(w)) for w in characters.writers])
    not_digits = characters.subset(characters.strict & held_out)
    lookalikes = characters.subset(lookalike & held_out)
    fuzz = np.random.default_rng(2026)
    made = np.random.default_rng(4242)
    kinds = {
        "digits": [digits.strokes[i] for i in spread(len(digits.labels), args.limit)],
        "not digits": [not_digits.strokes[i] for i in spread(len(not_digits.labels), args.limit)],
        "lookalikes": [lookalikes.strokes[i] for i in spread(len(lookalikes.labels), args.limit)],
        "fuzz scribbles": [[fuzz.random((8, 2))] for _ in range(args.scribbles)],
        "made-up scribbles": [scribble(made) for _ in range(args.scribbles)],
    }
    truth = digits.labels[spread(len(digits.labels), args.limit)]
    characters_read = not_digits.labels[spread(len(not_digits.labels), args.limit)]

    _app, window = open_window([])
    catcher = PredictionCatcher(window)
    print(f"canvas {window.canvas.width()}x{window.canvas.height()} px; held-out writers only\n")
    results: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    try:
        read_digit(window, catcher, kinds["digits"][0], timeout=60)
        for name, drawings in kinds.items():
            started = time.perf_counter()
            refused, answers = np.zeros(len(drawings), bool), np.full(len(drawings), -1)
            for i, strokes in enumerate(drawings):
                shown = read_digit(window, catcher, strokes)
                refused[i] = window.prediction_label.text() == "?"
                answers[i] = -1 if shown is None else int(np.argmax(shown))
            results[name] = refused, answers
            seconds = time.perf_counter() - started
            print(f"{name:<18} {refused.mean():7.2%} answered ?  ({len(drawings):,}, {seconds:.0f} s)")
    finally:
        window.close()
    refused, answers = results["digits"]
    answered = ~refused
    accuracy = (answers[answered] == truth[answered]).mean()
    overall = (answers == truth).mean()
    print(f"\ndigits answered: {accuracy:.2%} read right ({answered.sum():,}); all digits: {overall:.2%}")
    print(
        "digits refused, by digit: " + ", ".join(f"{d}: {refused[truth == d].mean():.1%}" for d in range(10))
    )
    kept = Counter(str(c) for c, r in zip(characters_read, results["not digits"][0], strict=True) if not r)
    print("not digits read as digits most often: " + ", ".join(f"{c} ×{n}" for c, n in kept.most_common(12)))
    met = {
        "not digits": results["not digits"][0].mean() >= 0.9,
        "digits": refused.mean() <= 0.01,
        "scribbles": min(results["fuzz scribbles"][0].mean(), results["made-up scribbles"][0].mean()) >= 0.9,
        "calibration": ece <= 0.01,
    }
    missed = [name for name, ok in met.items() if not ok]
    verdict = "all targets met" if not missed else "MISSED: " + ", ".join(missed)
    scribbled = (results["fuzz scribbles"][0].mean(), results["made-up scribbles"][0].mean())
    print(
        f"\nHEADLINE ({verdict}): not digits {results['not digits'][0].mean():.1%} ? (>= 90%), digits "
        f"{refused.mean():.2%} ? (<= 1%), answered digits {accuracy:.2%} right, scribbles "
        f"{scribbled[0]:.1%} / {scribbled[1]:.1%} ? (>= 90%), ECE {ece:.2%} (<= 1%)"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

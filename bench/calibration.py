"""Does a network trained by the Train button say how sure it is, and mean it?

The Quick recipe trains with label smoothing (the loss aims at 90%-sure answers), then ends by
dividing the output layer by a temperature fitted on the validation set (model.calibration).
For three seeds, on the 10,000 MNIST test digits (digitpad's validation set):

  before     expected calibration error (15 bins) of the network as label smoothing leaves it
  after      the same, of the network the run ends with: what the window shows (the
             temperature was fitted on these digits)
  held out   the temperature fitted on one half of them, the error measured on the other
             half (both ways, averaged): what it would be on digits the fit never saw

    python bench/calibration.py [--data-dir DIR] [--seeds 3]
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
from common import describe_machine, mnist_dir  # also puts the repository on sys.path

from model.calibration import calibration_error, fit_temperature, rescaled
from model.data import find_mnist
from model.messages import EvalResult, TrainConfig, TrainFinished
from model.networks import build_network
from model.run import TrainingRun
from model.training import TrainingData


def held_out_error(probabilities: np.ndarray, labels: np.ndarray) -> float:
    halves = (np.arange(len(labels)) % 2 == 0, np.arange(len(labels)) % 2 == 1)
    errors = []
    for fit, measure in (halves, halves[::-1]):
        temperature = fit_temperature(probabilities[fit], labels[fit]) or 1.0  # None: every answer right
        softened = rescaled(probabilities[measure], temperature).exp().numpy()
        errors.append(calibration_error(softened, labels[measure]))
    return float(np.mean(errors))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    print(describe_machine())
    dataset = find_mnist(mnist_dir(args.data_dir))
    if dataset is None:
        print("error: MNIST was not found: give --data-dir")
        return 2
    data = TrainingData.from_dataset(dataset)
    labels = data.test_y.numpy()
    rows = []
    for seed in range(args.seeds):
        config = TrainConfig(seed=seed)  # the Train button's recipe (Quick)
        run = TrainingRun(build_network(config.arch, seed=seed), data, config)
        before = after = None
        for message in run.messages():
            if isinstance(message, EvalResult):
                before = message.probabilities  # the last one: the finished weights, as trained
            elif isinstance(message, TrainFinished) and message.final_eval is not None:
                after = message.final_eval.probabilities
        if before is None or after is None:
            print(f"seed {seed}: the run ended without a validation pass")
            return 1
        row = (
            calibration_error(before, labels),
            calibration_error(after, labels),
            held_out_error(before, labels),
        )
        rows.append(row)
        accuracy = (after.argmax(1) == labels).mean()
        print(
            f"seed {seed}: accuracy {accuracy:.2%}; ECE before {row[0]:.2%}, after {row[1]:.2%}, "
            f"held out {row[2]:.2%}; mean confidence {before.max(1).mean():.3f} -> {after.max(1).mean():.3f}"
        )
    medians = [statistics.median(column) for column in zip(*rows, strict=True)]
    print(
        f"\nHEADLINE: the Train button's network, median of {len(rows)} seeds: expected calibration "
        f"error {medians[0]:.2%} as trained, {medians[1]:.2%} as the window shows it, {medians[2]:.2%} "
        "with the temperature fitted on the other half of the test digits (target <= 1%)"
    )
    return 0 if medians[2] <= 0.01 else 1


if __name__ == "__main__":
    raise SystemExit(main())

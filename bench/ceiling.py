"""Accuracy ceiling: the best MNIST test accuracy digitpad's default recipe reaches in 3 minutes.

    python bench/ceiling.py [--minutes 3] [--seed 0] [--data-dir DIR] [--threads N]

The default recipe is what the Train button runs with its default settings: the default
network and `TrainConfig()` (augmentation on, one-cycle schedule), with only the number of
epochs chosen so that the one-cycle schedule ends within the time: a short untimed
calibration measures this machine's training speed first. The clock is wall time from
building the network, evaluations included; the run is cut at the time limit whatever happens.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch
from common import mnist_dir

from model.data import load_dataset
from model.messages import EvalResult, TrainConfig, TrainFinished, TrainProgress
from model.networks import build_network
from model.training import TrainingData, evaluate, train_steps, uses_bfloat16

REPO = Path(__file__).resolve().parents[1]

CALIBRATION_STEPS = 60
MARGIN = 0.9  # of the time: the schedule should end inside it even if the machine slows down


def seconds_per_epoch(data: TrainingData, config: TrainConfig) -> tuple[float, float]:
    """Training seconds per epoch of this recipe on this machine, and seconds per evaluation."""
    net = build_network(config.arch, seed=config.seed)
    run = train_steps(net, data, replace(config, epochs=1.0, evals_per_epoch=0))
    started, steps = 0.0, 0
    for message in run:
        if isinstance(message, TrainProgress):
            steps = message.step
            if steps == 10:  # after the first-use costs
                started = time.perf_counter()
            if steps == 10 + CALIBRATION_STEPS:
                break
    run.close()
    step_seconds = (time.perf_counter() - started) / CALIBRATION_STEPS
    started = time.perf_counter()
    evaluate(net, data.test_x, data.test_y)
    return step_seconds * len(data.train_y) / config.batch_size, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", help="folder with the MNIST IDX files (else the usual places)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's)")
    parser.add_argument("--epochs", type=float, help="skip the calibration: train this many epochs")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data_dir = mnist_dir(args.data_dir)
    data = TrainingData.from_dataset(load_dataset(data_dir, allow_practice=False))
    limit = args.minutes * 60
    config = TrainConfig(seed=args.seed)
    load = os.getloadavg()
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; data: {data.name}"
    )
    if args.epochs is None:
        epoch_seconds, eval_seconds = seconds_per_epoch(data, config)
        epoch_seconds += config.evals_per_epoch * eval_seconds
        epochs = max(0.1, math.floor(10 * MARGIN * limit / epoch_seconds) / 10)
        print(
            f"calibration: {epoch_seconds:.1f} s per epoch with augmentation and "
            f"{config.evals_per_epoch} evaluations ({eval_seconds:.2f} s each) -> "
            f"{epochs:g} epochs fit in {limit:g} s"
        )
    else:
        epochs = args.epochs
    config = replace(config, epochs=epochs)
    print(
        f"default recipe: {config.arch}, batch {config.batch_size}, {config.optimizer} lr "
        f"{config.learning_rate:g}, {config.schedule}, augment {config.augment}, "
        f"{'bfloat16 mixed' if uses_bfloat16(config) else 'float32'} precision, {epochs:g} epochs"
    )
    started = time.perf_counter()
    net = build_network(config.arch, seed=config.seed)
    best: EvalResult | None = None
    best_at = 0.0
    reason = "time limit"
    for message in train_steps(net, data, config):
        now = time.perf_counter() - started
        if isinstance(message, EvalResult):
            print(
                f"  epoch {message.epoch:5.2f}  {now:6.1f} s  test accuracy {message.accuracy:.2%}",
                flush=True,
            )
            if best is None or message.accuracy > best.accuracy:
                best, best_at = message, now
        elif isinstance(message, TrainFinished):
            reason = message.reason
            break
        if now > limit:
            break
    elapsed = time.perf_counter() - started
    _, final32 = evaluate(net, data.test_x, data.test_y)
    load = os.getloadavg()
    print(f"ended: {reason} after {elapsed:.1f} s; final network {final32:.2%} in float32")
    if best is not None:
        print(
            f"ceiling: best test accuracy {best.accuracy:.2%} at epoch {best.epoch:.2f}, "
            f"{best_at:.1f} s into the run (limit {limit:g} s)"
        )
    print(f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

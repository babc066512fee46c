"""The panel's "Longer" preset: does it reach 99.5% MNIST test accuracy within 3 minutes?

    python bench/longer.py [--seeds 0] [--minutes 3] [--data-dir DIR] [--precision auto]

The preset is `model.messages.longer_config()` as the panel's Recipe box gives it, on the
default network from freshly initialised weights. The clock is wall time from building the
network, evaluations (one per epoch) included; a run is cut at the time limit whatever
happens. It prints when each run first reached 99.5% and its accuracy at the end.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch
from common import describe_machine, mnist_dir

from model.data import load_dataset
from model.messages import PRECISIONS, EvalResult, TrainConfig, TrainFinished, longer_config
from model.networks import build_network
from model.training import TrainingData, train_steps, uses_bfloat16

TARGET = 0.995


def timed_run(data: TrainingData, config: TrainConfig, limit: float) -> tuple[float | None, float, float]:
    """(seconds to the target or None, the last accuracy shown, seconds the run took)."""
    started = time.perf_counter()
    net = build_network(config.arch, seed=config.seed)
    reached, last = None, 0.0
    for message in train_steps(net, data, config):
        now = time.perf_counter() - started
        if isinstance(message, EvalResult):
            last = message.accuracy
            print(f"  epoch {message.epoch:5.2f}  {now:6.1f} s  test accuracy {last:.2%}", flush=True)
            if last >= TARGET and reached is None:
                reached = now
        if isinstance(message, TrainFinished) or now > limit:
            break
    return reached, last, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--data-dir", help="folder with the MNIST IDX files (else the usual places)")
    parser.add_argument("--precision", choices=PRECISIONS, default="auto")
    args = parser.parse_args()
    data = TrainingData.from_dataset(load_dataset(mnist_dir(args.data_dir), allow_practice=False))
    limit = args.minutes * 60
    config = longer_config(precision=args.precision)
    print(describe_machine())
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; data: {data.name}\n"
        f"Longer preset: {config.arch}, {config.epochs:g} epochs, batch {config.batch_size}, "
        f"{config.optimizer} lr {config.learning_rate:g}, augment {config.augment}, label smoothing "
        f"{config.label_smoothing:g}, {'bfloat16 mixed' if uses_bfloat16(config) else 'float32'}"
    )
    ends = []
    for seed in (int(s) for s in args.seeds.split(",")):
        reached, last, took = timed_run(data, replace(config, seed=seed), limit)
        ends.append(last)
        when = f"{reached:.1f} s" if reached is not None else "not within the limit"
        print(f"seed {seed}: {TARGET:.1%} first at {when}; {last:.2%} at the end, after {took:.1f} s")
    print(f"median accuracy at the end: {statistics.median(ends):.2%} (limit {limit:g} s)")
    print(f"at the end: {describe_machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

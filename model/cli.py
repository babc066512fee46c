"""Headless training and evaluation: `python -m model train|evaluate`.

The same engine as the Train button. Progress goes to stderr, one JSON summary line to
stdout, and any user error (bad file, missing data) exits non-zero with a one-line message.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import torch

from .checkpoint import (
    DEFAULT_WEIGHTS,
    CheckpointError,
    load_checkpoint,
    load_checkpoint_and_run,
    save_checkpoint,
)
from .cli_checks import (
    SentenceParser,
    UsageError,
    check_evaluate,
    check_train,
    os_error_sentence,
    pen_digits_to_train_on,
)
from .cli_detector import add_detector_command
from .cli_export import add_export_command
from .data import DataError, Dataset, load_dataset
from .messages import (
    ARCHITECTURES,
    MNIST_TRAINING_DIGITS,
    OPTIMIZERS,
    PRECISIONS,
    RECIPES,
    EvalResult,
    TrainConfig,
    TrainFinished,
    TrainProgress,
)
from .networks import ArchSpec, build_network
from .rasterise import rasterise
from .run import TrainingRun, saved_config
from .strokes import StrokeDigits
from .training import TrainingData, evaluate, predict_labels


class ProgressBar:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.last_draw = 0.0
        self.accuracy = ""

    def update(self, progress: TrainProgress) -> None:
        now = time.monotonic()
        if now - self.last_draw < 0.1 and progress.step != progress.total_steps:
            return
        self.last_draw = now
        done = progress.step / progress.total_steps
        bar = "#" * int(done * 30)
        self.stream.write(
            f"\r[{bar:<30}] {done:6.1%} epoch {progress.epoch:5.2f} loss {progress.loss:.4f}"
            f" {progress.samples_per_second:7.0f} samples/s"
            f" {progress.seconds_left:5.0f} s left{self.accuracy}  "
        )
        self.stream.flush()

    def evaluated(self, result: EvalResult) -> None:
        self.accuracy = f" val acc {result.accuracy:.4f}"

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def _rasterised(
    digits: StrokeDigits, copies: int, seed: int, all_writers: bool
) -> tuple[np.ndarray, np.ndarray]:
    writers = "all the writers" if all_writers else "the training half of the writers"
    print(
        f"rasterising {len(digits.labels):,} pen-written digits from {writers} x{copies}...",
        file=sys.stderr,
    )
    return rasterise(digits, copies=copies, seed=seed)


def command_train(args: argparse.Namespace) -> int:
    check_train(args)
    saved = load_checkpoint_and_run(args.resume) if args.resume else None
    if saved is not None and saved[2] is None:
        raise ValueError(f"{Path(args.resume).name} holds no training run to continue")
    config = saved_config(saved[2]) if saved is not None and saved[2] is not None else recipe_config(args)
    spec = arch_spec(config.arch, args.spec)  # before the data: a bad --spec is refused at once
    if args.threads:
        torch.set_num_threads(args.threads)
    strokes = (
        pen_digits_to_train_on(args.strokes, args.stroke_copies, args.all_writers) if args.strokes else None
    )
    dataset = load_dataset(args.data_dir, allow_practice=args.practice)
    extra = (
        _rasterised(strokes, args.stroke_copies, config.seed, args.all_writers)
        if strokes is not None
        else None
    )
    data = TrainingData.from_dataset(dataset, extra)
    print(f"training a {config.arch} on {data.name}", file=sys.stderr)
    bar = ProgressBar()
    finished: TrainFinished | None = None
    started = time.perf_counter()  # wall_seconds: from a fresh network, evaluations included
    net = saved[0] if saved is not None else build_network(spec, seed=config.seed)
    run = TrainingRun(net, data, config, until_accuracy=args.until_accuracy)
    if saved is not None and saved[2] is not None:
        run.load_state_dict(saved[2])
        print(f"continuing from step {run.step:,} of {run.total_steps:,}", file=sys.stderr)
    for message in run.messages():
        if isinstance(message, TrainProgress):
            bar.update(message)
            if args.stop_after and message.step >= args.stop_after:
                epochs = run.step / run.steps_per_epoch
                finished = TrainFinished("stopped", run.step, epochs, run.train_seconds, 0.0, run.last_eval)
                break
        elif isinstance(message, EvalResult):
            bar.evaluated(message)
        elif isinstance(message, TrainFinished):
            finished = message
    bar.close()
    wall_seconds = time.perf_counter() - started
    assert finished is not None
    if finished.reason == "diverged":
        print(f"error: {finished.message}", file=sys.stderr)
        return 1
    test_loss, test_accuracy = evaluate(net, data.test_x, data.test_y)
    summary = {
        "arch": config.arch,
        "data": data.name,
        "test_accuracy": round(test_accuracy, 5),
        "test_loss": round(test_loss, 5),
        "train_seconds": round(finished.train_seconds, 2),
        "wall_seconds": round(wall_seconds, 2),
        "epochs": round(finished.epochs, 3),
        "steps": finished.steps,
        "samples_per_second": round(finished.samples_per_second, 1),
        "reason": finished.reason,
        "seed": config.seed,
    }
    if args.out:
        metadata = {
            **summary,
            "config": asdict(config),
            "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        save_checkpoint(args.out, net, metadata, run=run.state_dict())
        summary["checkpoint"] = str(args.out)
    print(f"test accuracy {test_accuracy:.4%} after {finished.epochs:.2f} epochs", file=sys.stderr)
    print(json.dumps(summary))
    return 0


def arch_spec(arch: str, spec: str | None) -> ArchSpec | str:
    """The default network of `arch`, or the one a JSON object of ArchSpec fields describes."""
    if not spec:
        return arch
    try:
        fields = json.loads(spec)
    except json.JSONDecodeError as error:
        raise ValueError(f"--spec is not valid JSON: {error}") from error
    except (ValueError, RecursionError) as error:  # a number of 5,000 digits; [[[[...]]]] nested too deep
        raise ValueError("--spec holds numbers too long or lists nested too deeply to read") from error
    if not isinstance(fields, dict) or not set(fields) <= set(ArchSpec.__dataclass_fields__) - {"kind"}:
        raise ValueError(
            f"--spec takes a JSON object of {sorted(set(ArchSpec.__dataclass_fields__) - {'kind'})}"
        )
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
    try:
        return ArchSpec(kind=arch, **values)
    except (TypeError, ValueError) as error:
        raise ValueError(f"--spec: {error}") from error


def recipe_config(args: argparse.Namespace) -> TrainConfig:
    """The chosen recipe, with every option given on the command line replacing its value."""
    given = {
        "arch": args.arch,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.lr,
        "optimizer": args.optimizer,
        "augment": False if args.no_augment else None,
        "seed": args.seed,
        "evals_per_epoch": args.evals_per_epoch,
        "eval_from": args.eval_from,
        "precision": args.precision,
        "label_smoothing": args.label_smoothing,
    }
    recipe = RECIPES[args.recipe](MNIST_TRAINING_DIGITS)  # its figures are MNIST's, as its help says
    return replace(recipe, **{k: v for k, v in given.items() if v is not None})


def command_evaluate(args: argparse.Namespace) -> int:
    check_evaluate(args)
    net, metadata = load_checkpoint(args.checkpoint)
    dataset: Dataset = load_dataset(args.data_dir, allow_practice=args.practice)
    data = TrainingData.from_dataset(dataset)
    loss, accuracy = evaluate(net, data.test_x, data.test_y)
    predicted = predict_labels(net, data.test_x)
    truth = data.test_y.numpy()
    per_digit = {str(d): round(float((predicted[truth == d] == d).mean()), 4) for d in range(10)}
    confusions = Counter((int(t), int(p)) for t, p in zip(truth, predicted, strict=True) if t != p)
    print(
        f"{args.checkpoint}: {accuracy:.4%} correct on {len(truth):,} test digits of {dataset.name}",
        file=sys.stderr,
    )
    print(
        json.dumps(
            {
                "checkpoint": str(args.checkpoint),
                "arch": net.spec.kind,
                "test_accuracy": round(accuracy, 5),
                "test_loss": round(loss, 5),
                "per_digit_accuracy": per_digit,
                "top_confusions": [f"{t}->{p}: {n}" for (t, p), n in confusions.most_common(5)],
                "trained": {k: metadata[k] for k in ("epochs", "data", "trained_at") if k in metadata},
            }
        )
    )
    if args.min_accuracy is not None and accuracy < args.min_accuracy:
        print(f"error: {accuracy:.2%} is below the required {args.min_accuracy:.2%}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = SentenceParser(prog="python -m model", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train a network and save a checkpoint")
    train.add_argument("--data-dir", help="folder holding MNIST (else $DIGITPAD_DATA, the cache, ...)")
    train.add_argument(
        "--practice", action="store_true", help="fall back to the embedded 5,000-digit practice set"
    )
    train.add_argument(
        "--recipe",
        choices=sorted(RECIPES),
        default="quick",
        help="quick (default): the Train button's first preset, tuned for time to 99%% (no "
        "augmentation, 0.7 epochs); longer: its second, 18 epochs of jittered digits for 99.5%% and "
        "more (the shipped weights' recipe). Options below override the recipe's values",
    )
    train.add_argument("--arch", choices=ARCHITECTURES)
    train.add_argument(
        "--spec",
        help="the network's shape instead of the default, as JSON, e.g. the shipped weights' "
        '\'{"channels": [32, 64], "kernels": [3, 3], "fc": 128, "dropout": 0.25, "pool_first": false}\'',
    )
    train.add_argument("--epochs", type=float)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--lr", type=float, help="peak learning rate")
    train.add_argument("--optimizer", choices=OPTIMIZERS)
    train.add_argument("--no-augment", action="store_true", help="train on the images as they are")
    train.add_argument("--seed", type=int)
    train.add_argument("--evals-per-epoch", type=int)
    train.add_argument(
        "--label-smoothing", type=float, help="aim the loss at this much less than certainty (0-0.5)"
    )
    train.add_argument("--eval-from", type=float, help="no validation pass before this epoch")
    train.add_argument(
        "--precision", choices=PRECISIONS, help="auto: bfloat16 mixed precision where the CPU has it natively"
    )
    train.add_argument(
        "--until-accuracy", type=float, help="stop once test accuracy reaches this (e.g. 0.99)"
    )
    train.add_argument("--strokes", help="UNIPEN digits .npz: add the training writers' digits, rasterised")
    train.add_argument("--stroke-copies", type=int, default=4, help="renderings of each pen-written digit")
    train.add_argument(
        "--all-writers",
        action="store_true",
        help="with --strokes: every writer's digits, not only the training half's (for the final "
        "shipped weights, once measured on the other half)",
    )
    train.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    train.add_argument("--out", type=Path, help="where to save the checkpoint (with its run, to continue)")
    train.add_argument("--resume", help="a checkpoint saved with its run: continue that run to its end")
    train.add_argument("--stop-after", type=int, default=0, help="stop the run after this step")
    train.set_defaults(run=command_train)
    evaluate_parser = sub.add_parser("evaluate", help="measure a checkpoint on the MNIST test set")
    evaluate_parser.add_argument(
        "--checkpoint", type=Path, default=DEFAULT_WEIGHTS, help="a saved network (default: the shipped one)"
    )
    evaluate_parser.add_argument("--data-dir")
    evaluate_parser.add_argument(
        "--min-accuracy", type=float, help="exit with status 1 when the test accuracy is below this (0-1)"
    )
    evaluate_parser.add_argument(
        "--practice", action="store_true", help="fall back to the embedded practice set"
    )
    evaluate_parser.set_defaults(run=command_evaluate)
    add_detector_command(sub)
    add_export_command(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a command; every failure is one "error:" line on stderr: 2 for what the user gave
    (an option, a file, the data), 1 for what went wrong while running, never a traceback."""
    try:
        args = build_parser().parse_args(argv)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except SystemExit as done:  # --help
        return done.code if isinstance(done.code, int) else 0
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except (DataError, CheckpointError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: {os_error_sentence(error)}", file=sys.stderr)
        return 2
    except MemoryError:
        print("error: this computer ran out of memory", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug, not the user's doing: still one line, and a way to report it
        print(
            f"error: digitpad failed unexpectedly ({type(error).__name__}); please report it", file=sys.stderr
        )
        return 1

"""The command line's options checked before any work starts, each refusal one sentence.

A run of `python -m model train` can take an hour: an --out folder that does not exist, or a
thread count of a billion, must be refused at once, not after the training, and never as a
traceback or as argparse's two-line usage message.
"""

from __future__ import annotations

import argparse
import errno
import os
import tempfile
from pathlib import Path
from typing import Any, NoReturn, Protocol

import numpy as np

from .messages import MAX_EPOCHS, MAX_SEED, real_in_range, whole_in_range
from .strokes import StrokeDigits, is_training_writer, load_unipen

MAX_THREADS = 256
MAX_STROKE_COPIES = 16
MAX_STROKE_IMAGES = 500_000  # rasterised pen digits: 1.5 GB as training tensors


class UsageError(Exception):
    """The command line itself is wrong (an unknown option, "abc" for a number)."""


class SentenceParser(argparse.ArgumentParser):
    """argparse, but a mistake raises UsageError (main prints it in one line) instead of
    printing the usage and exiting: `main` stays callable in-process."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


class AddsCommands(Protocol):
    """What `add_subparsers()` returns, as far as a module adding its own command needs it."""

    def add_parser(self, name: str, **kwargs: Any) -> SentenceParser: ...


def check_threads(threads: int) -> None:
    """0 is torch's own choice; torch would try to start a billion threads if asked."""
    whole_in_range("--threads", threads, 0, MAX_THREADS)


def check_fraction(name: str, value: float | None) -> None:
    if value is not None:
        real_in_range(name, value, 0.0, 1.0)


def check_output(path: Path | None) -> None:
    """ValueError now, not after the run, if `path` cannot be written: its folder is missing,
    read-only or full, or `path` is a folder. A probe file is made there and removed."""
    if path is None:
        return
    folder = path.parent
    if path.is_dir():
        raise ValueError(f"--out {path} is a folder: give a file name in it")
    if not folder.is_dir():
        raise ValueError(f"--out: the folder {folder} does not exist")
    try:
        with tempfile.TemporaryFile(dir=folder) as probe:
            probe.write(b"\0" * 4096)
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as error:
        reason = {
            errno.ENOSPC: "the disk is full",
            errno.EDQUOT: "you have used all of your disk quota",
            errno.EROFS: "the disk is read-only",
            errno.EACCES: "permission denied",
            errno.EPERM: "permission denied",
            # The folder is there (checked above) yet creating a file in it fails, as in /proc.
            errno.ENOENT: "no files can be made in it",
        }.get(error.errno or 0, error.strerror or "it cannot be written to")
        raise ValueError(f"--out: cannot write to {folder}: {reason}") from error


def check_train(args: argparse.Namespace) -> None:
    """Every option of `train` that TrainConfig does not check itself."""
    check_threads(args.threads)
    whole_in_range("--stroke-copies", args.stroke_copies, 1, MAX_STROKE_COPIES)
    check_fraction("--until-accuracy", args.until_accuracy)
    whole_in_range("--stop-after", args.stop_after, 0, 10**9)
    check_output(args.out)


def check_evaluate(args: argparse.Namespace) -> None:
    check_fraction("--min-accuracy", args.min_accuracy)


def check_detector(args: argparse.Namespace) -> None:
    check_threads(args.threads)
    real_in_range("--epochs", args.epochs, 0.1, MAX_EPOCHS)
    real_in_range("--path-epochs", args.path_epochs, 0.1, MAX_EPOCHS)
    if args.picture_from is not None and not Path(args.picture_from).is_file():
        raise ValueError(f"--picture-from: the file {args.picture_from} does not exist")
    whole_in_range("--seed", args.seed, 0, MAX_SEED)
    if not Path(args.strokes_dir).is_dir():
        raise ValueError(f"--strokes-dir: the folder {args.strokes_dir} does not exist")
    check_output(args.out)


def os_error_sentence(error: OSError) -> str:
    """'/x/y: No such file or directory' rather than "[Errno 2] No such file or directory: '/x/y'"."""
    where = f"{error.filename}: " if error.filename else ""
    return f"{where}{error.strerror or error}"


def pen_digits_to_train_on(path: str, copies: int, all_writers: bool = False) -> StrokeDigits:
    """The training writers' strict pen digits of a UNIPEN digits file (every writer's with
    `all_writers`), checked before the data loads (a wrong file is refused at once, not after
    MNIST is read)."""
    digits = load_unipen(path)
    name = Path(path).name
    labels = digits.labels
    if labels.dtype.kind not in "iu":
        raise ValueError(f"{name} holds letters or symbols, not digits: --strokes takes the UNIPEN digits")
    if len(labels) and not 0 <= labels.min() <= labels.max() <= 9:
        raise ValueError(f"{name} holds labels other than the digits 0-9")
    # The strict subset: digits flagged suspect and the "ibm" contributor's noisy labels cost
    # MNIST accuracy (0.1 point with every writer's digits) for nothing.
    mine = np.array([all_writers or is_training_writer(w) for w in digits.writers], dtype=bool)
    chosen = mine & digits.strict
    if chosen.sum() * copies > MAX_STROKE_IMAGES:
        raise ValueError(
            f"{name} with --stroke-copies {copies} would make {chosen.sum() * copies:,} images;"
            f" at most {MAX_STROKE_IMAGES:,} fit in memory"
        )
    return digits.subset(chosen)

"""`python -m model detector`: the digit detector behind "I don't know", the picture's network
and the pen path's, joined on held-back writers.

Its own module so that model/cli.py only registers it; errors follow cli.main's rules (one
"error:" line, status 2 for what the user gave).
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

import numpy as np
import torch

from .cli_checks import AddsCommands, check_detector
from .data import DataError, find_mnist
from .detector import DETECTOR_WEIGHTS, Detector, DetectorNet, image_logits, load_detector, path_logits
from .detector_training import DETECTOR_EPOCHS
from .pen_path_training import PATH_EPOCHS
from .strokes import StrokeDigits, load_unipen


def command_detector(args: argparse.Namespace) -> int:
    """Train the picture's network (or take it from --picture-from), then the path's, then join them."""
    from .detector import save_detector

    check_detector(args)
    if args.threads:
        torch.set_num_threads(args.threads)
    made = None if args.picture_from is None else picture_made_before(args.picture_from)
    strokes_dir = Path(args.strokes_dir)
    try:
        digits = load_unipen(strokes_dir / "unipen_digits_dev.npz")
        characters = load_unipen(strokes_dir / "unipen_nondigits_dev.npz")
    except (KeyError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(f"the UNIPEN files in {strokes_dir} cannot be read ({error})") from error
    picture = made or picture_network(args, digits, characters)
    print(f"picture: threshold {picture.threshold:.3f}", file=sys.stderr)
    detector = with_pen_path(picture, digits, characters, args.seed, args.path_epochs)
    assert detector.joint is not None
    save_detector(args.out, detector)
    refused = ", ".join(
        f"{name} {share:.2%}" for name, share in detector.metadata.items() if "refused" in name
    )
    print(f"joint threshold {detector.joint.threshold:.3f} (held-back writers: {refused}); saved {args.out}")
    return 0


def picture_made_before(path: Path) -> Detector:
    """The picture's network of a detector file, with its threshold and what it was made with."""
    made = load_detector(path)
    if made is None:
        raise DataError(f"{path} is not a digit detector digitpad can read")
    picture_only = {name: value for name, value in made.metadata.items() if "joint" not in name}
    return Detector(made.net, made.threshold, picture_only)


def picture_network(args: argparse.Namespace, digits: StrokeDigits, characters: StrokeDigits) -> Detector:
    from .detector_training import choose_threshold, detector_sets, one_thread, train_detector

    mnist = find_mnist(args.data_dir)
    if mnist is None:
        raise DataError("MNIST was not found: give --data-dir")
    print("rendering the training writers' digits, letters, symbols and scribbles...", file=sys.stderr)
    with one_thread():
        fit, held = detector_sets(mnist, digits.subset(digits.strict), characters, args.seed)
    if any(len(images) == 0 for images in held.values()):
        raise DataError(f"the UNIPEN files in {args.strokes_dir} hold too few writers to train on")
    print(f"fitting on {len(fit[1]):,} images ({int(fit[1].sum()):,} not digits)", file=sys.stderr)
    net: DetectorNet = train_detector(fit, epochs=args.epochs, seed=args.seed)
    threshold, held_back = choose_threshold(net, held)
    return Detector(
        net, threshold, {"seed": args.seed, "epochs": args.epochs, "fit images": len(fit[1]), **held_back}
    )


def with_pen_path(
    picture: Detector, digits: StrokeDigits, characters: StrokeDigits, seed: int, epochs: float
) -> Detector:
    """The picture's detector with the pen path's network, joined on the held-back writers."""
    from .detector_training import one_thread, render, training_strokes
    from .pen_path_training import fit_joint, path_sets, train_pen_path

    fit = path_sets(digits, characters, seed)
    if len(fit[1]) == 0 or not (fit[1] == 0).any():
        raise DataError("the UNIPEN files hold too few writers to train on")
    print(
        f"fitting the pen's path on {len(fit[1]):,} drawings ({int(fit[1].sum()):,} not digits)",
        file=sys.stderr,
    )
    path_net = train_pen_path(fit, epochs=epochs, seed=seed)
    held_digits, held_letters = training_strokes(digits, characters, held=True)
    if not held_digits or not held_letters:
        raise DataError("the UNIPEN files hold too few writers to hold some back")
    rng = np.random.default_rng(seed + 2)
    with one_thread():
        images = render(held_digits, rng), render(held_letters, rng)
    if len(images[0]) != len(held_digits) or len(images[1]) != len(held_letters):
        raise DataError("some held-back drawings of the UNIPEN files have no ink")
    joint, figures = fit_joint(
        (image_logits(picture.net, images[0] / 255), image_logits(picture.net, images[1] / 255)),
        (path_logits(path_net, held_digits), path_logits(path_net, held_letters)),
    )
    if not joint.is_usable():
        raise DataError("the held-back writers are too few to join the two networks")
    metadata = {**picture.metadata, "path seed": seed, "path epochs": epochs, **figures}
    return Detector(picture.net, picture.threshold, metadata, path_net, joint)


def add_detector_command(sub: AddsCommands) -> None:
    detector = sub.add_parser("detector", help='train the digit detector behind "I don\'t know"')
    detector.add_argument("--data-dir", help="folder holding MNIST")
    detector.add_argument("--strokes-dir", required=True, help="folder of the UNIPEN dev .npz files")
    detector.add_argument(
        "--epochs", type=float, default=DETECTOR_EPOCHS, help="passes over the rendered images"
    )
    detector.add_argument("--path-epochs", type=float, default=PATH_EPOCHS, help="passes over the pen paths")
    detector.add_argument(
        "--picture-from", type=Path, help="take the picture's network from this detector file, not train it"
    )
    detector.add_argument("--seed", type=int, default=0)
    detector.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    detector.add_argument("--out", type=Path, default=DETECTOR_WEIGHTS)
    detector.set_defaults(run=command_detector)

"""I don't know: the digit detector refuses what is not a digit and keeps what is."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch
from repo_paths import SHARED_STROKES as STROKES

from model.checkpoint import DEFAULT_WEIGHTS, load_checkpoint
from model.detector import DETECTOR_WEIGHTS, Detector, DetectorNet, load_detector, save_detector
from model.detector_training import (
    MIRRORED,
    ON_ITS_SIDE,
    UPSIDE_DOWN,
    polylines,
    render,
    scribbles,
    turned_digits,
)
from model.reading import read_drawing
from model.strokes import is_training_writer, load_unipen


def sure(net: DetectorNet, not_a_digit: bool) -> DetectorNet:
    """A detector that says the same of everything."""
    with torch.no_grad():
        last = net.layers[-1]
        last.weight.zero_()
        last.bias.fill_(20.0 if not_a_digit else -20.0)
    return net


def test_the_answer_is_unknown_only_over_the_threshold(tmp_path) -> None:
    digit_net, _ = load_checkpoint(DEFAULT_WEIGHTS)
    image = np.zeros((280, 280), np.uint8)
    image[40:240, 130:150] = 255
    for refuses in (True, False):
        path = tmp_path / f"{refuses}.pt"
        save_detector(path, Detector(sure(DetectorNet(), refuses), 0.5, {"note": "test"}))
        detector = load_detector(path)
        assert detector is not None and detector.metadata == {"note": "test"}
        answer = read_drawing(
            digit_net, 1, image, with_layers=False, judge=partial(detector.judge, strokes=None)
        )
        assert answer.unknown is refuses and answer.not_a_digit == pytest.approx(float(refuses), abs=1e-6)
        assert answer.probabilities is not None and answer.digit == 1  # the bars still show
    assert read_drawing(digit_net, 2, image).not_a_digit is None  # no detector: always a digit


def test_a_missing_damaged_or_foreign_detector_is_none(tmp_path) -> None:
    assert load_detector(tmp_path / "missing.pt") is None
    (tmp_path / "damaged.pt").write_bytes(b"\x80\x02 not a checkpoint")
    assert load_detector(tmp_path / "damaged.pt") is None
    torch.save({"format": "something else"}, tmp_path / "foreign.pt")
    assert load_detector(tmp_path / "foreign.pt") is None
    save_detector(tmp_path / "bad-threshold.pt", Detector(DetectorNet(), 1.5, {}))
    assert load_detector(tmp_path / "bad-threshold.pt") is None
    net = DetectorNet()
    with torch.no_grad():
        net.layers[-1].bias.fill_(float("nan"))
    save_detector(tmp_path / "nan.pt", Detector(net, 0.5, {}))
    assert load_detector(tmp_path / "nan.pt") is None


def shipped():
    detector = load_detector(DETECTOR_WEIGHTS)
    assert detector is not None, "assets/digit_detector.pt must ship"
    return detector


def test_scribbles_are_refused() -> None:
    detector = shipped()
    images = scribbles(300, np.random.default_rng(99)).astype(np.float32) / 255  # seeds training never used
    # Measured 95% on the held-back scribbles when the detector was made (the issue asks 90% of
    # scribbles on the canvas: see bench/abstain.py and the README); this guards against falling back.
    assert (detector.not_a_digit(images) >= detector.threshold).mean() >= 0.85


def test_random_polylines_are_mostly_refused() -> None:
    """What the GUI fuzz test and a curious user draw: a few random points joined."""
    detector = shipped()
    images = polylines(300, np.random.default_rng(98)).astype(np.float32) / 255  # seeds training never used
    # 88% of the held-back polylines when the detector was made (some are a fair 7, 1 or 4).
    assert (detector.not_a_digit(images) >= detector.threshold).mean() >= 0.8


@pytest.mark.skipif(not STROKES.is_dir(), reason="the shared UNIPEN strokes are not beside the clone")
def test_held_out_writers_letters_are_refused_and_their_digits_kept() -> None:
    detector = shipped()
    rng = np.random.default_rng(5)
    characters = load_unipen(STROKES / "unipen_nondigits_dev.npz")
    held_out = characters.strict & ~np.array([is_training_writer(str(w)) for w in characters.writers])
    letters = characters.subset(held_out)
    pick = rng.choice(len(letters.labels), 400, replace=False)
    images = render([letters.strokes[i] for i in pick], rng).astype(np.float32) / 255
    assert (detector.not_a_digit(images) >= detector.threshold).mean() >= 0.8  # 87.5% on the canvas (bench)
    digits = load_unipen(STROKES / "unipen_digits_dev.npz")
    digits = digits.subset(digits.strict & ~np.array([is_training_writer(str(w)) for w in digits.writers]))
    pick = rng.choice(len(digits.labels), 400, replace=False)
    images = render([digits.strokes[i] for i in pick], rng).astype(np.float32) / 255
    assert (detector.not_a_digit(images) >= detector.threshold).mean() <= 0.03  # 2.0% on the canvas


def test_turned_digits_are_only_turns_that_leave_no_digit() -> None:
    """Negatives made from digits: each is its digit mirrored, upside down or on its side, and
    never a turn that leaves a digit (a 0 any way round, a mirrored 8, a 6 upside down)."""
    rng = np.random.default_rng(3)
    labels = np.repeat(np.arange(10, dtype=np.uint8), 20)
    images = rng.integers(0, 256, (len(labels), 28, 28), dtype=np.uint8)  # each one different
    turned = turned_digits(images, labels, len(labels), np.random.default_rng(4))
    assert len(turned) == 180  # all but the twenty 0s
    turns = {
        "mirrored": (MIRRORED, lambda image: image[:, ::-1]),
        "upside down": (UPSIDE_DOWN, lambda image: image[::-1, ::-1]),
        "on its left side": (ON_ITS_SIDE, lambda image: np.rot90(image, 1)),
        "on its right side": (ON_ITS_SIDE, lambda image: np.rot90(image, -1)),
    }
    seen = set()
    for image in turned:
        matches = [
            (name, int(label))
            for original, label in zip(images, labels, strict=True)
            for name, (digits, turn) in turns.items()
            if np.array_equal(turn(original), image)
        ]
        assert len(matches) == 1
        name, label = matches[0]
        assert label in turns[name][0]
        seen.add(name)
    assert seen == set(turns)
    assert 6 not in UPSIDE_DOWN and 9 not in UPSIDE_DOWN and not {0, 1, 8} & set(MIRRORED)

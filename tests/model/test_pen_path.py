"""The pen's path: what the detector reads besides the picture, and how the two judge together."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from repo_paths import SHARED_STROKES as STROKES

from model.detector import (
    Detector,
    DetectorNet,
    Joint,
    image_logits,
    load_detector,
    path_logits,
    save_detector,
)
from model.detector_training import render
from model.pen_path import PATH_FEATURES, PATH_POINTS, PenPathNet, augmented, pen_path
from model.pen_path_training import fit_joint, logistic_fit
from model.strokes import is_training_writer, load_unipen

SEVEN = [np.array([[0.2, 0.1], [0.8, 0.1], [0.4, 0.9]])]
PLUS = [np.array([[0.5, 0.1], [0.5, 0.9]]), np.array([[0.1, 0.5], [0.9, 0.5]])]


def test_the_path_does_not_depend_on_where_how_big_or_how_finely_it_was_sampled() -> None:
    path = pen_path(SEVEN)
    assert path.shape == (PATH_FEATURES, PATH_POINTS) and path.dtype == np.float32
    moved_and_enlarged = [stroke * 300 + [40, -7] for stroke in SEVEN]
    np.testing.assert_allclose(pen_path(moved_and_enlarged), path, atol=1e-5)
    # The mouse reports many points along a segment, a pen few: the same path either way.
    dense = [
        np.concatenate(
            [np.linspace(a, b, 40, endpoint=False) for a, b in zip(SEVEN[0][:-1], SEVEN[0][1:], strict=True)]
            + [SEVEN[0][-1:]]
        )
    ]
    np.testing.assert_allclose(pen_path(dense), path, atol=2e-4)
    # Centred, and the longer side of the drawing is 1.
    assert path[0].max() - path[0].min() == pytest.approx(0.6 / 0.8, abs=0.01)  # corners fall between samples
    assert path[1].max() - path[1].min() == pytest.approx(1.0, abs=1e-6)


def test_the_pen_is_up_only_on_the_jump_between_strokes() -> None:
    up = pen_path(PLUS)[4] == 0
    assert up.any() and not up.all()
    first_up, last_up = np.flatnonzero(up)[[0, -1]]
    assert up[first_up : last_up + 1].all()  # one jump, in one piece
    # The jump counts for a tenth of its length: about 0.1 * 0.57 of 2.06 of the path.
    assert 1 <= up.sum() <= 5


def test_a_click_and_a_single_point_are_paths_too() -> None:
    for strokes in ([np.array([[0.5, 0.5]])], [np.array([[0.5, 0.5]]), np.array([[0.2, 0.7]])]):
        assert np.isfinite(pen_path(strokes)).all()
    with pytest.raises(ValueError):
        pen_path([np.zeros((0, 2))])


def test_augmented_strokes_are_the_same_drawing_turned_slanted_and_stretched_a_little() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        other = augmented(SEVEN, rng)
        assert len(other) == 1 and other[0].shape == SEVEN[0].shape
        assert 0 < np.abs(other[0] - SEVEN[0]).max() < 0.5


def test_logistic_fit_recovers_a_known_curve_as_if_both_labels_were_equally_common() -> None:
    """Scores of label 0 ~ N(-1, 1), of label 1 ~ N(1, 1): with equal shares, P(1 | score) is
    sigmoid(2 * score). Three times as many 1s change nothing: the shares are evened out."""
    rng = np.random.default_rng(1)
    scores = np.r_[rng.normal(-1, 1, 5000), rng.normal(1, 1, 15000)]
    labels = np.repeat([0.0, 1.0], [5000, 15000])
    slope, intercept = logistic_fit(scores, labels)
    assert slope == pytest.approx(2.0, abs=0.1) and intercept == pytest.approx(0.0, abs=0.06)


def test_the_joint_threshold_refuses_one_percent_of_the_held_back_digits() -> None:
    rng = np.random.default_rng(2)
    digits = rng.normal(-5, 2, 3000), rng.normal(-4, 3, 3000)
    letters = rng.normal(3, 2, 2000), rng.normal(2, 3, 2000)
    joint, figures = fit_joint((digits[0], letters[0]), (digits[1], letters[1]))
    assert joint.is_usable()
    assert figures["joint: pen digits refused"] == pytest.approx(0.01, abs=0.002)
    assert figures["joint: letters and symbols refused"] > 0.95
    # On the digits' own scale: their mean scores 0.
    assert joint.score(np.array([digits[0].mean()]), np.array([digits[1].mean()]))[0] == pytest.approx(
        0, abs=1e-9
    )


def constant(net: torch.nn.Module, logit: float) -> torch.nn.Module:
    """The network's last layer made to give `logit` whatever it reads."""
    last = [module for module in net.modules() if isinstance(module, torch.nn.Linear)][-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.fill_(logit)
    return net.eval()


def test_the_path_joins_the_picture_only_when_there_are_strokes(tmp_path) -> None:
    picture, path = constant(DetectorNet(), -2.0), constant(PenPathNet(), 6.0)
    joint = Joint(image_mean=-2.0, image_spread=1.0, path_mean=0.0, path_spread=2.0, threshold=0.7)
    detector = Detector(picture, 0.5, {"note": "test"}, path, joint)  # type: ignore[arg-type]
    pixels = np.zeros((28, 28), np.float32)
    # The picture alone: sigmoid(-2) = 0.12, a digit.
    judged = detector.judge(pixels, None)
    assert judged.not_a_digit == pytest.approx(1 / (1 + np.exp(2.0))) and not judged.unknown
    assert judged.threshold == 0.5 and not judged.with_path
    # With the path: score 0.5 * 0 + 0.5 * 6 / 2 = 1.5, sigmoid 0.82 >= 0.7: not a digit.
    judged = detector.judge(pixels, SEVEN)
    assert judged.not_a_digit == pytest.approx(1 / (1 + np.exp(-1.5))) and judged.unknown
    assert judged.threshold == 0.7 and judged.with_path
    save_detector(tmp_path / "joint.pt", detector)
    again = load_detector(tmp_path / "joint.pt")
    assert again is not None and again.joint == joint and again.metadata == {"note": "test"}
    assert again.judge(pixels, SEVEN) == judged


def test_a_damaged_joint_or_path_network_makes_the_file_unreadable(tmp_path) -> None:
    good = Detector(DetectorNet(), 0.5, {}, PenPathNet(), Joint(0.0, 1.0, 0.0, 1.0))
    save_detector(tmp_path / "good.pt", good)
    payload = torch.load(tmp_path / "good.pt", weights_only=True)
    for name, damage in {
        "nan": {"joint": {**payload["joint"], "image_spread": float("nan")}},
        "huge": {"joint": {**payload["joint"], "image_mean": 1e300, "path_mean": -1e300}},
        "tiny spread": {"joint": {**payload["joint"], "image_spread": 1e-308}},
        "flipped": {"joint": {**payload["joint"], "slope": -1.0}},
        "zero-spread": {"joint": {**payload["joint"], "path_spread": 0.0}},
        "threshold": {"joint": {**payload["joint"], "threshold": 1.0}},
        "missing field": {"joint": {k: v for k, v in payload["joint"].items() if k != "slope"}},
        "text": {"joint": {**payload["joint"], "slope": "1"}},
        "no path network": {"path state": None},
    }.items():
        torch.save({**payload, **damage}, tmp_path / f"{name}.pt")
        assert load_detector(tmp_path / f"{name}.pt") is None, name
    assert load_detector(tmp_path / "good.pt") is not None


@pytest.mark.skipif(not STROKES.is_dir(), reason="the shared UNIPEN strokes are not beside the clone")
def test_with_the_pen_path_the_shipped_detector_refuses_more_letters_of_held_out_writers() -> None:
    detector = load_detector()
    assert detector is not None and detector.path_net is not None and detector.joint is not None
    rng = np.random.default_rng(6)
    refused = {}
    for name, kind in (("letters", "unipen_nondigits_dev.npz"), ("digits", "unipen_digits_dev.npz")):
        data = load_unipen(STROKES / kind)
        held_out = data.subset(data.strict & ~np.array([is_training_writer(str(w)) for w in data.writers]))
        drawings = [held_out.strokes[i] for i in rng.choice(len(held_out.labels), 400, replace=False)]
        images = render(drawings, rng).astype(np.float32) / 255
        joint = detector.joint.probability(
            image_logits(detector.net, images), path_logits(detector.path_net, drawings)
        )
        refused[name] = (joint >= detector.joint.threshold).mean()
    # On the canvas (bench/abstain.py): letters 91.1% refused (the picture alone 87.5%), digits
    # 1.6% (2.0%).
    assert refused["letters"] >= 0.86
    assert refused["digits"] <= 0.03

"""Confidence that means what it says: the temperature, the error, and runs that end calibrated."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from model.calibration import calibration_error, divide_logits, fit_temperature
from model.data import Dataset
from model.messages import EvalResult, TrainConfig, TrainFinished
from model.networks import build_network
from model.run import TrainingRun
from model.training import TrainingData


def test_the_error_is_the_gap_between_confidence_and_accuracy_bin_by_bin() -> None:
    # 0.9 sure and right: a gap of 0.1; 0.6 sure and wrong: a gap of 0.6; each half the digits.
    probabilities = np.array([[0.9, 0.1], [0.6, 0.4]])
    assert calibration_error(probabilities, np.array([0, 1])) == pytest.approx(0.35)
    assert calibration_error(np.array([[1.0, 0.0]]), np.array([0])) == 0.0


def test_the_fitted_temperature_is_the_one_the_answers_were_drawn_with() -> None:
    """Labels drawn from softmax(z / 2) while the network says softmax(z): it is sure twice
    too fast, and the fit finds T = 2; answers drawn from softmax(z) itself need none."""
    rng = np.random.default_rng(0)
    logits = torch.from_numpy(rng.normal(0, 4, (20000, 10)))
    said = torch.softmax(logits, 1).numpy()
    for truth in (2.0, 0.5, 1.0):
        drawn = torch.softmax(logits / truth, 1).numpy()
        labels = np.array([rng.choice(10, p=p / p.sum()) for p in drawn])
        assert fit_temperature(said, labels) == pytest.approx(truth, rel=0.06)


def test_dividing_the_logits_keeps_every_answer_and_scales_the_sums() -> None:
    net = build_network("cnn", seed=0).eval()
    x = torch.rand(8, 1, 28, 28)
    with torch.no_grad():
        before = net(x)
        divide_logits(net, 0.25)
        after = net(x)
    torch.testing.assert_close(after, before / 0.25, rtol=1e-5, atol=1e-5)
    assert torch.equal(after.argmax(1), before.argmax(1))


def with_some_ambiguous(bars: Dataset) -> TrainingData:
    """Bars whose validation set has 10 of its 100 images showing two bars, their own and the
    next class's: a network that learns the bars is then sometimes wrong, as a real one is."""
    images = bars.test_images.copy()
    for image, label in zip(images[:10], bars.test_labels[:10], strict=True):
        other = (int(label) + 1) % 10
        image[3 + 2 * other : 5 + 2 * other, 4:24] = 255
    return TrainingData.from_dataset(replace(bars, test_images=images))


def finished_run(
    data: TrainingData, smoothing: float, until_accuracy: float | None = None
) -> tuple[torch.nn.Module, EvalResult, TrainFinished]:
    config = TrainConfig(arch="mlp", epochs=3, batch_size=20, seed=1, label_smoothing=smoothing)
    net = build_network("mlp", seed=1)
    last_eval = finished = None
    for message in TrainingRun(net, data, config, until_accuracy).messages():
        if isinstance(message, EvalResult):
            last_eval = message
        elif isinstance(message, TrainFinished):
            finished = message
    assert last_eval is not None and finished is not None and finished.final_eval is not None
    return net, last_eval, finished


def shown(net: torch.nn.Module, data: TrainingData) -> np.ndarray:
    net.eval()
    with torch.no_grad():
        return torch.softmax(net(data.test_x), 1).numpy()


def test_a_run_with_label_smoothing_ends_sure_as_often_as_it_is_right(bars) -> None:
    """Label smoothing leaves the answers about 90% sure however right they are; the run's
    last act makes the network itself, and what it reports, as sure as it is right."""
    data = with_some_ambiguous(bars)
    labels = data.test_y.numpy()
    net, as_trained, finished = finished_run(data, smoothing=0.1)
    calibrated = finished.final_eval.probabilities
    assert finished.reason == "completed" and 0.9 <= as_trained.accuracy < 1.0
    assert as_trained.probabilities is not None and calibrated is not None
    # What smoothing leaves: 96% right, 88% sure on average. Then as sure as right, not certain.
    assert as_trained.accuracy - as_trained.probabilities.max(1).mean() > 0.05
    assert abs(calibrated.max(1).mean() - as_trained.accuracy) < 0.01
    before, after = calibration_error(as_trained.probabilities, labels), calibration_error(calibrated, labels)
    assert after < before / 3  # 15 bins over 100 digits: not the 0.2% of 10,000 MNIST digits
    np.testing.assert_allclose(shown(net, data), calibrated, atol=1e-4)  # in the weights themselves
    assert (calibrated.argmax(1) == as_trained.probabilities.argmax(1)).all()
    said_of_the_truth = calibrated[np.arange(len(labels)), labels]
    assert finished.final_eval.loss == pytest.approx(-np.log(said_of_the_truth).mean(), rel=1e-4)
    assert finished.final_eval.loss < as_trained.loss  # the fit minimised it; T = 1 was a candidate


def test_a_run_without_label_smoothing_is_left_as_it_trained(bars) -> None:
    data = with_some_ambiguous(bars)
    net, as_trained, finished = finished_run(data, smoothing=0.0)
    assert finished.final_eval is as_trained
    assert as_trained.probabilities is not None
    np.testing.assert_allclose(shown(net, data), as_trained.probabilities, atol=1e-5)


def test_a_run_that_is_always_right_or_ends_early_is_left_as_it_trained(bars) -> None:
    """Every validation answer right: the fit would make the network certain of everything,
    which means nothing beyond those digits. Ended early (a target reached, then resumed): the
    rest of the run must go on from the weights as trained."""
    for data, until in ((TrainingData.from_dataset(bars), None), (with_some_ambiguous(bars), 0.85)):
        net, as_trained, finished = finished_run(data, smoothing=0.1, until_accuracy=until)
        assert finished.reason == ("completed" if until is None else "target reached")
        assert finished.final_eval is as_trained and as_trained.probabilities is not None
        np.testing.assert_allclose(shown(net, data), as_trained.probabilities, atol=1e-5)
        assert as_trained.probabilities.max(1).mean() < 0.95
    everything_right = np.eye(10)[np.arange(50) % 10] * 0.9 + 0.01
    assert fit_temperature(everything_right, np.arange(50) % 10) is None

"""The confusion matrix against a case worked out by hand, and the validation pass behind it."""

from __future__ import annotations

import numpy as np

from model.confusion import ValidationSet, cell_members, confusion_matrix, per_digit_accuracy
from model.data import load_practice_set
from model.messages import EvalResult, TrainConfig
from model.networks import build_network
from model.training import TrainingData, train_steps


def test_a_small_case_worked_out_by_hand() -> None:
    labels = np.array([0, 0, 1, 1, 2, 2, 2])
    predicted = np.array([0, 1, 1, 1, 0, 2, 1])
    matrix = confusion_matrix(labels, predicted, classes=3)
    assert matrix.tolist() == [[1, 1, 0], [0, 2, 0], [1, 1, 1]]
    assert np.allclose(per_digit_accuracy(matrix), [0.5, 1.0, 1 / 3])
    empty = per_digit_accuracy(confusion_matrix(np.array([0]), np.array([0]), classes=2))
    assert empty[0] == 1.0 and np.isnan(empty[1])  # no 1s at all: no accuracy, not 0%


def test_a_cells_digits_come_most_confident_first() -> None:
    labels = np.array([3, 3, 3, 5])
    probabilities = np.zeros((4, 10))
    probabilities[:, 5] = [0.6, 0.9, 0.2, 0.95]  # the first three are 3s; the third is read as 3
    probabilities[:, 3] = [0.4, 0.1, 0.8, 0.05]
    assert cell_members(labels, probabilities, 3, 5).tolist() == [1, 0]
    assert cell_members(labels, probabilities, 3, 5, limit=1).tolist() == [1]
    assert cell_members(labels, probabilities, 3, 3).tolist() == [2]


def test_the_validation_set_is_the_pixels_back_in_0_255_and_read_only() -> None:
    pixels = np.array([[0.0, 0.5, 1.0] + [0.0] * 781], np.float32).reshape(1, 1, 28, 28)
    validation = ValidationSet.from_pixels("tiny", pixels, np.array([7]))
    assert validation.images.dtype == np.uint8 and validation.images[0, 0, :3].tolist() == [0, 128, 255]
    assert not validation.images.flags.writeable and validation.labels.tolist() == [7]


def test_each_validation_pass_carries_every_digits_probabilities() -> None:
    data = TrainingData.from_dataset(load_practice_set())
    config = TrainConfig(arch="mlp", epochs=0.05, batch_size=64, evals_per_epoch=0)
    messages = train_steps(build_network("mlp", seed=0), data, config)
    result = [m for m in messages if isinstance(m, EvalResult)][-1]
    assert result.probabilities is not None and result.probabilities.shape == (len(data.test_y), 10)
    assert np.allclose(result.probabilities.sum(axis=1), 1.0, atol=1e-5)
    labels = data.test_y.numpy()
    matrix = confusion_matrix(labels, result.probabilities.argmax(axis=1))
    assert matrix.sum() == len(labels)
    assert np.trace(matrix) / len(labels) == result.accuracy  # the same pass, the same answers

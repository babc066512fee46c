"""Training configurations at the edges: a few steps, a batch larger than the data set, epoch
counts too large to finish or to represent. Refused with a sentence, or trained with true
reports of epochs and speed."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from model.data import Dataset
from model.messages import TrainConfig, TrainFinished, TrainProgress
from model.networks import ArchSpec, build_network
from model.training import TrainingData, total_steps_for, train_steps

FIELDS = ("epochs", "batch size", "learning rate", "weight decay", "evals_per_epoch", "seed", "eval_from")


def tiny_data(count: int) -> TrainingData:
    """`count` training and 10 test images of noise, labels at random: enough to take steps."""
    rng = np.random.default_rng(count)
    images = rng.integers(0, 256, (count + 10, 28, 28)).astype(np.uint8)
    labels = rng.integers(0, 10, count + 10).astype(np.uint8)
    split = Dataset("tiny", images[:count], labels[:count], images[count:], labels[count:])
    return TrainingData.from_dataset(split)


@settings(max_examples=25, deadline=None)
@given(count=st.integers(1, 40), batch=st.integers(1, 200), epochs=st.floats(0.01, 3.0))
def test_reported_epochs_and_speed_are_true_whatever_the_batch(count, batch, epochs):
    config = TrainConfig(arch="mlp", epochs=epochs, batch_size=batch, augment=False, evals_per_epoch=0)
    net = build_network(ArchSpec("mlp", hidden=(8,)), seed=0)
    messages = list(train_steps(net, tiny_data(count), config))
    finished = messages[-1]
    assert isinstance(finished, TrainFinished) and finished.reason == "completed"
    drawn = min(batch, count)  # a batch cannot hold more images than the set
    assert finished.steps == total_steps_for(config, count) == max(1, math.ceil(epochs * count / drawn))
    assert finished.epochs == pytest.approx(finished.steps * drawn / count)
    assert finished.epochs < epochs + drawn / count + 1e-9  # at most one batch past what was asked
    progress = [m for m in messages if isinstance(m, TrainProgress)]
    assert [p.step for p in progress] == list(range(1, finished.steps + 1))
    assert all(b.epoch > a.epoch for a, b in itertools.pairwise(progress))
    assert math.isfinite(finished.samples_per_second) and finished.samples_per_second > 0


def test_no_training_images_is_a_sentence_not_a_divergence():
    net = build_network(ArchSpec("mlp", hidden=(8,)), seed=0)
    with pytest.raises(ValueError, match="no training images"):
        list(train_steps(net, tiny_data(0), TrainConfig(arch="mlp")))


odd_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**30), 10**30),
    st.sampled_from([True, None, "3", 10**400]),
)


@settings(max_examples=80, deadline=None)
@given(
    changes=st.dictionaries(
        st.sampled_from(
            ["epochs", "batch_size", "learning_rate", "weight_decay", "evals_per_epoch", "seed", "eval_from"]
        ),
        odd_values,
        min_size=1,
        max_size=3,
    )
)
def test_generated_configs_are_refused_naming_the_value_or_can_finish(changes):
    try:
        config = TrainConfig(**changes)
    except ValueError as error:
        message = str(error)
        assert any(field in message for field in FIELDS) and "\n" not in message and len(message) < 200
        return
    steps = total_steps_for(config, 60_000)
    assert 1 <= steps <= 1000 * 60_000  # 1,000 epochs of single images at most: it ends
    assert torch.Generator().manual_seed(config.seed) is not None

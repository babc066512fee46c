"""The training generator on tiny synthetic data: fast, deterministic, no MNIST needed."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from model import training
from model.data import Dataset
from model.messages import EvalResult, TrainConfig, TrainFinished, TrainProgress
from model.networks import ArchSpec, build_network
from model.training import (
    SNAPSHOT_EVERY,
    TrainingData,
    evaluate,
    predict_labels,
    random_affine,
    total_steps_for,
    train_steps,
)

# 200 training images, batches of 20: ten steps per epoch.
QUICK = {"arch": "mlp", "batch_size": 20, "augment": False, "eval_from": 0.0}


@pytest.fixture
def bar_data(bars: Dataset) -> TrainingData:
    return TrainingData.from_dataset(bars)


def weights(net: nn.Module) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in net.state_dict().items()}


def same_weights(first: dict[str, torch.Tensor], second: dict[str, torch.Tensor]) -> bool:
    return first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)


def losses(messages) -> list[float]:
    return [m.loss for m in messages if isinstance(m, TrainProgress)]


def test_training_data_from_dataset(bars):
    data = TrainingData.from_dataset(bars)
    assert data.train_x.shape == (200, 1, 28, 28)
    assert data.train_x.dtype == torch.float32
    assert data.train_y.dtype == torch.int64
    assert float(data.train_x.max()) == 1.0  # 255 -> 1
    assert data.train_x[0, 0, 0, 0] == pytest.approx(bars.train_images[0, 0, 0] / 255)
    assert data.test_x.shape == (100, 1, 28, 28)
    extra = (bars.test_images[:7], bars.test_labels[:7])
    more = TrainingData.from_dataset(bars, extra)
    assert more.train_x.shape[0] == 207
    assert torch.equal(more.train_y[200:], torch.from_numpy(bars.test_labels[:7]).long())
    assert torch.equal(more.test_y, data.test_y)  # the validation split is never extended
    assert "7 rasterised" in more.name


def same_but_calibrated(final: EvalResult | None, last: EvalResult) -> bool:
    """The run's final evaluation is its last one, of the network as the run leaves it: after
    label smoothing (TrainConfig's default) made as sure as it is right, which can only lower the loss."""
    return final is not None and replace(final, loss=last.loss) == last and final.loss <= last.loss


def test_mlp_learns_and_reports_in_order(bar_data):
    net = build_network("mlp", seed=0)
    config = TrainConfig(**QUICK, epochs=2, evals_per_epoch=2)
    messages = list(train_steps(net, bar_data, config))

    progress = [m for m in messages if isinstance(m, TrainProgress)]
    assert [p.step for p in progress] == list(range(1, 21))
    assert {p.total_steps for p in progress} == {20}
    assert progress[-1].epoch == pytest.approx(2.0)
    assert all(math.isfinite(p.loss) and p.learning_rate > 0 for p in progress)

    evals = [m for m in messages if isinstance(m, EvalResult)]
    assert [e.epoch for e in evals] == pytest.approx([0.5, 1.0, 1.5, 2.0])  # 2 per epoch
    assert [e.step for e in evals] == [5, 10, 15, 20]
    assert evals[-1].accuracy > 0.9  # ten bars are trivially separable
    assert all(b.seconds >= a.seconds for a, b in itertools.pairwise(evals))

    # Each evaluation follows the progress message of its step.
    for e in evals:
        position = messages.index(e)
        assert isinstance(messages[position - 1], TrainProgress)
        assert messages[position - 1].step == e.step

    loss = losses(messages)
    assert np.mean(loss[-5:]) < 0.5 * np.mean(loss[:5])
    batch_accuracy = [p.batch_accuracy for p in progress]  # from the first step, before validation
    assert all(0.0 <= a <= 1.0 for a in batch_accuracy)
    assert batch_accuracy[0] < 0.5 < 0.95 < np.mean(batch_accuracy[-5:])  # from chance to all right

    finished = messages[-1]
    assert isinstance(finished, TrainFinished)
    assert sum(isinstance(m, TrainFinished) for m in messages) == 1
    assert finished.reason == "completed"
    assert finished.steps == 20
    assert finished.epochs == pytest.approx(2.0)
    assert same_but_calibrated(finished.final_eval, evals[-1])
    assert finished.train_seconds > 0


def test_fractional_epochs_and_onecycle_schedule(bar_data):
    config = TrainConfig(**QUICK, epochs=1.5, evals_per_epoch=1, learning_rate=0.01)
    assert total_steps_for(config, 200) == 15
    messages = list(train_steps(build_network("mlp", seed=0), bar_data, config))
    progress = [m for m in messages if isinstance(m, TrainProgress)]
    assert len(progress) == 15
    rates = [p.learning_rate for p in progress]
    peak = int(np.argmax(rates))
    assert 0 < peak < 14  # warms up, then anneals
    assert max(rates) <= 0.01 + 1e-12
    assert rates[-1] < rates[peak] / 10
    # One evaluation per epoch (step 10) plus the final one.
    assert [m.step for m in messages if isinstance(m, EvalResult)] == [10, 15]


def test_no_periodic_evaluation_still_evaluates_at_the_end(bar_data):
    config = TrainConfig(**QUICK, epochs=1, evals_per_epoch=0)
    messages = list(train_steps(build_network("mlp", seed=0), bar_data, config))
    evals = [m for m in messages if isinstance(m, EvalResult)]
    assert [e.step for e in evals] == [10]
    assert same_but_calibrated(messages[-1].final_eval, evals[0])


def test_closing_the_generator_stops_training(bar_data):
    net = build_network("mlp", seed=0)
    run = train_steps(net, bar_data, TrainConfig(**QUICK, epochs=5, evals_per_epoch=0))
    first = [next(run) for _ in range(3)]
    assert [m.step for m in first] == [1, 2, 3]
    at_close = weights(net)
    run.close()
    with pytest.raises(StopIteration):
        next(run)
    assert same_weights(weights(net), at_close)  # kept as they were: not rolled back


def test_same_seed_same_run_different_seed_different_run(bar_data):
    def run(seed: int) -> list[float]:
        net = build_network("mlp", seed=seed)
        config = TrainConfig(arch="mlp", batch_size=20, epochs=1, seed=seed, augment=True)
        return losses(train_steps(net, bar_data, config))

    first, second = run(3), run(3)
    assert first == second
    assert run(4) != first


def test_seeded_networks_start_identical_and_unseeded_differ():
    assert same_weights(weights(build_network("mlp", seed=5)), weights(build_network("mlp", seed=5)))
    assert not same_weights(weights(build_network("mlp", seed=5)), weights(build_network("mlp", seed=6)))


def test_huge_learning_rate_diverges_and_restores_the_initial_weights(bar_data):
    net = build_network("mlp", seed=0)
    initial = weights(net)
    config = TrainConfig(**QUICK, epochs=5, optimizer="sgd", learning_rate=1e6, schedule="constant")
    messages = list(train_steps(net, bar_data, config))
    finished = messages[-1]
    assert isinstance(finished, TrainFinished)
    assert finished.reason == "diverged"
    assert finished.steps < SNAPSHOT_EVERY  # so the only snapshot is the starting point
    assert "restored" in finished.message
    assert all(torch.isfinite(value).all() for value in net.state_dict().values())
    assert same_weights(weights(net), initial)


@pytest.mark.parametrize("snapshot_every", [1, 2, 3])
@pytest.mark.parametrize("learning_rate", [1e2, 1e3, 1e6])
def test_divergence_restores_weights_that_gave_a_finite_loss(
    bar_data, monkeypatch, snapshot_every, learning_rate
):
    """Whatever the step it happens at, the restored weights are ones that trained fine.

    Between two messages the generator is paused after an update, so the weights seen after
    step k's message are the ones step k+1 computes its loss with. If step d's loss is not
    finite, the good weights are those seen before steps 1..d-1, never those before step d.
    """
    monkeypatch.setattr(training, "SNAPSHOT_EVERY", snapshot_every)
    net = build_network("mlp", seed=0)
    config = TrainConfig(**QUICK, epochs=5, optimizer="sgd", learning_rate=learning_rate, schedule="constant")
    seen = [weights(net)]  # seen[k]: the weights step k+1 starts from
    finished = None
    for message in train_steps(net, bar_data, config):
        if isinstance(message, TrainProgress):
            seen.append(weights(net))
        elif isinstance(message, TrainFinished):
            finished = message
    assert finished is not None and finished.reason == "diverged"
    restored = weights(net)
    assert all(torch.isfinite(value).all() for value in restored.values())
    # The weights that produced the first non-finite loss (train or validation) are not kept.
    assert not same_weights(restored, seen[-1])
    assert any(same_weights(restored, good) for good in seen[:-1])


def test_until_accuracy_stops_early(bar_data):
    config = TrainConfig(**QUICK, epochs=10, evals_per_epoch=2)
    messages = list(train_steps(build_network("mlp", seed=0), bar_data, config, until_accuracy=0.9))
    finished = messages[-1]
    assert finished.reason == "target reached"
    assert finished.steps < 100
    assert finished.final_eval.accuracy >= 0.9
    evals = [m for m in messages if isinstance(m, EvalResult)]
    assert all(e.accuracy < 0.9 for e in evals[:-1])  # stopped at the first eval that got there
    assert messages[-2] == evals[-1]


def test_unreachable_target_completes(bar_data):
    config = TrainConfig(**QUICK, epochs=0.5, evals_per_epoch=4)
    messages = list(train_steps(build_network("mlp", seed=0), bar_data, config, until_accuracy=1.01))
    assert messages[-1].reason == "completed"
    assert messages[-1].steps == 5


def test_continuing_training_starts_from_the_current_weights(bar_data):
    net = build_network("mlp", seed=0)
    list(train_steps(net, bar_data, TrainConfig(**QUICK, epochs=2)))
    trained_loss, _ = evaluate(net, bar_data.test_x, bar_data.test_y)
    more = losses(train_steps(net, bar_data, TrainConfig(**QUICK, epochs=0.3, from_scratch=False)))
    assert trained_loss < 0.5
    assert more[0] < 0.5  # an untrained net starts near ln(10) = 2.3


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
def test_every_optimizer_takes_steps(bar_data, optimizer):
    net = build_network("mlp", seed=0)
    before = weights(net)
    config = TrainConfig(**QUICK, epochs=0.3, optimizer=optimizer, learning_rate=0.01)
    messages = list(train_steps(net, bar_data, config))
    assert messages[-1].reason == "completed"
    assert not same_weights(weights(net), before)


def test_cnn_runs_a_few_steps(bar_data):
    for spec in (ArchSpec("cnn", channels=(4,), fc=8), ArchSpec("cnn")):
        net = build_network(spec, seed=0)
        before = weights(net)
        config = TrainConfig(arch="cnn", batch_size=10, epochs=0.1, evals_per_epoch=0)
        assert total_steps_for(config, 200) == 2
        messages = list(train_steps(net, bar_data, config))
        assert [m.step for m in messages if isinstance(m, TrainProgress)] == [1, 2]
        assert messages[-1].reason == "completed"
        assert all(math.isfinite(loss) for loss in losses(messages))
        after = weights(net)
        assert not same_weights(after, before)
        # Batch-norm statistics moved as well as the weights.
        norm = next(k for k in before if k.startswith("stages.0.") and k.endswith("running_mean"))
        assert not torch.equal(after[norm], before[norm])


def test_evaluate_and_predict_labels_by_hand():
    class Fixed(nn.Module):
        """Predicts digit 3 for every image; loss is ln(10) for uniform logits."""

        def __init__(self, logits: torch.Tensor) -> None:
            super().__init__()
            self.logits = logits

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.logits.expand(len(x), -1)

    x = torch.zeros(7, 1, 28, 28)
    y = torch.tensor([3, 3, 1, 3, 0, 9, 3])
    three = torch.zeros(1, 10)
    three[0, 3] = 1.0
    net = Fixed(three).train()
    loss, accuracy = evaluate(net, x, y, batch_size=3)
    assert accuracy == pytest.approx(4 / 7)
    # Cross-entropy: -log softmax; e/(e+9) for the right class, 1/(e+9) for the others.
    expected = (4 * -math.log(math.e / (math.e + 9)) + 3 * -math.log(1 / (math.e + 9))) / 7
    assert loss == pytest.approx(expected, rel=1e-6)
    assert net.training  # the mode is restored
    assert predict_labels(net, x, batch_size=2).tolist() == [3] * 7
    assert evaluate(Fixed(torch.zeros(1, 10)), x, y)[0] == pytest.approx(math.log(10))


def test_random_affine_is_small_and_seeded():
    x = torch.zeros(4, 1, 28, 28)
    x[:, :, 10:18, 10:18] = 1.0
    first = random_affine(x, torch.Generator().manual_seed(1))
    again = random_affine(x, torch.Generator().manual_seed(1))
    assert torch.equal(first, again)
    assert first.shape == x.shape
    assert float(first.min()) >= 0.0 and float(first.max()) <= 1.0 + 1e-6
    assert not torch.equal(first, x)
    # Ink area scales by scale^2 * aspect / (1 - shear * sin(angle)): between 0.58 and 1.47.
    ratio = first.sum(dim=(1, 2, 3)) / x.sum(dim=(1, 2, 3))
    assert bool(((ratio > 0.55) & (ratio < 1.5)).all())


@pytest.mark.parametrize(
    "bad",
    [
        {"epochs": -1},
        {"epochs": 0},
        {"epochs": float("nan")},
        {"epochs": float("inf")},
        {"arch": "rnn"},
        {"batch_size": 0},
        {"batch_size": -5},
        {"batch_size": 65537},
        {"learning_rate": float("nan")},
        {"learning_rate": float("inf")},
        {"learning_rate": 0.0},
        {"learning_rate": -1e-3},
        {"optimizer": "lbfgs"},
        {"schedule": "cosine"},
        {"evals_per_epoch": -1},
    ],
)
def test_train_config_rejects_bad_values(bad):
    with pytest.raises(ValueError):
        TrainConfig(**bad)


def test_train_config_defaults_are_valid_and_frozen():
    config = TrainConfig()
    assert config.arch in ("cnn", "mlp")
    with pytest.raises(AttributeError):
        config.epochs = 5  # type: ignore[misc]


THREAD_COUNTS = """
import threading, time, torch
from model.training import compute_on_threads
counts = {}
def trainer(name):
    compute_on_threads(2)
    time.sleep(0.2)  # the predictor sets its own count meanwhile
    x = torch.randn(256, 256)
    for _ in range(5):
        x @ x
    counts[name] = torch.get_num_threads()
def predictor(name):
    time.sleep(0.05)
    compute_on_threads(1)
    counts[name] = torch.get_num_threads()
for window in ("first", "second"):  # a second window's workers, in the same process
    threads = [threading.Thread(target=trainer, args=(window + " trainer",)),
               threading.Thread(target=predictor, args=(window + " predictor",))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
print(*(counts[k] for k in ("first trainer", "first predictor", "second trainer", "second predictor")))
"""


def test_each_thread_keeps_its_own_torch_thread_count():
    """The window's trainer trains on two threads while its predictor, started at the same time,
    computes on one: a count set later by another thread must not leak into the trainer's
    (with plain torch.set_num_threads it did: training ran on one core). In a fresh process,
    as the app's: this process's main thread has set its own count already."""
    import subprocess
    import sys

    from repo_paths import REPO

    result = subprocess.run(
        [sys.executable, "-c", THREAD_COUNTS],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.split() == ["2", "1", "2", "1"]

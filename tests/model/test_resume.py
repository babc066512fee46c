"""A run saved, opened again and continued ends with the same weights as one never stopped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from model.checkpoint import load_checkpoint_and_run, save_checkpoint
from model.data import load_practice_set
from model.messages import TrainConfig, TrainProgress
from model.networks import ArchSpec, build_network
from model.run import RunStateError, TrainingRun
from model.training import TrainingData

SPECS = {
    "mlp": ArchSpec(kind="mlp", hidden=(64, 32), dropout=0.2),
    "cnn": ArchSpec(kind="cnn", channels=(4, 8), fc=16),
}


@pytest.fixture(scope="module")
def data() -> TrainingData:
    return TrainingData.from_dataset(load_practice_set())


def run_to(run: TrainingRun, step: int) -> None:
    for message in run.messages():
        if isinstance(message, TrainProgress) and message.step == step:
            return
    raise AssertionError(f"the run ended before step {step}")


def max_difference(a: torch.nn.Module, b: torch.nn.Module) -> float:
    pairs = zip(a.state_dict().values(), b.state_dict().values(), strict=True)
    return max(float((x.float() - y.float()).abs().max()) for x, y in pairs)


@pytest.mark.parametrize("kind", SPECS)
def test_saved_reopened_and_continued_equals_never_interrupted(tmp_path: Path, data, kind) -> None:
    config = TrainConfig(arch=kind, epochs=1.5, batch_size=32, evals_per_epoch=2, seed=3)
    straight = build_network(SPECS[kind], seed=1)
    run_to(TrainingRun(straight, data, config), 200)

    first = build_network(SPECS[kind], seed=1)
    half = TrainingRun(first, data, config)
    run_to(half, 100)
    save_checkpoint(tmp_path / "half.pt", first, {"note": "half way"}, run=half.state_dict())
    torch.manual_seed(12345)  # a restart: the process's random state is not the run's

    net, _, state = load_checkpoint_and_run(tmp_path / "half.pt")
    assert state is not None
    resumed = TrainingRun(
        net, data, TrainConfig(**{**state["config"], "betas": tuple(state["config"]["betas"])})
    )
    resumed.load_state_dict(state)
    assert resumed.step == 100
    run_to(resumed, 200)
    assert max_difference(straight, net) <= 1e-5


def test_a_saved_run_for_another_data_set_is_refused(data) -> None:
    config = TrainConfig(arch="mlp", epochs=0.2, batch_size=32)
    run = TrainingRun(build_network(SPECS["mlp"], seed=0), data, config)
    state = run.state_dict()
    state["order"] = torch.arange(10)
    with pytest.raises(RunStateError, match="data set of another size"):
        TrainingRun(build_network(SPECS["mlp"], seed=0), data, config).load_state_dict(state)
    state = run.state_dict()
    del state["optimizer"]
    with pytest.raises(RunStateError, match="damaged"):
        TrainingRun(build_network(SPECS["mlp"], seed=0), data, config).load_state_dict(state)


def test_the_learning_rate_changed_mid_run_applies_at_the_next_step(data) -> None:
    config = TrainConfig(arch="mlp", epochs=1.0, batch_size=32, learning_rate=1e-3, evals_per_epoch=0)
    run = TrainingRun(build_network(SPECS["mlp"], seed=0), data, config)
    steps = run.messages()
    rates = [next(m for m in steps if isinstance(m, TrainProgress)).learning_rate for _ in range(10)]
    planned = run.schedule()
    assert np.allclose(rates, planned[:10])
    run.set_peak_learning_rate(2e-3)
    after = next(m for m in steps if isinstance(m, TrainProgress))
    assert after.step == 11
    assert after.learning_rate == pytest.approx(2 * planned[10], rel=1e-6)  # same shape, twice the peak
    assert np.allclose(run.schedule(), 2 * planned)
    assert planned.argmax() == pytest.approx(0.25 * len(planned), abs=2)  # the one-cycle warm-up


def test_python_m_model_train_resume_continues_the_run_to_the_same_weights(tmp_path: Path, capsys) -> None:
    from model.checkpoint import load_checkpoint
    from model.cli import main

    common = ["train", "--practice", "--arch", "mlp", "--epochs", "1", "--batch-size", "64", "--seed", "5"]
    assert main([*common, "--out", str(tmp_path / "whole.pt")]) == 0
    assert main([*common, "--stop-after", "30", "--out", str(tmp_path / "half.pt")]) == 0
    assert (
        main(
            ["train", "--practice", "--resume", str(tmp_path / "half.pt"), "--out", str(tmp_path / "rest.pt")]
        )
        == 0
    )
    assert "continuing from step 30 of 71" in capsys.readouterr().err
    whole, rest = load_checkpoint(tmp_path / "whole.pt")[0], load_checkpoint(tmp_path / "rest.pt")[0]
    assert max_difference(whole, rest) <= 1e-5

    save_checkpoint(tmp_path / "no-run.pt", whole, {})
    assert main(["train", "--practice", "--resume", str(tmp_path / "no-run.pt")]) == 2
    assert "holds no training run to continue" in capsys.readouterr().err


def test_the_weight_decay_changed_mid_run_applies_at_the_next_step(data) -> None:
    config = TrainConfig(arch="mlp", epochs=0.5, batch_size=32, evals_per_epoch=0)
    net = build_network(SPECS["mlp"], seed=0)
    run = TrainingRun(net, data, config)
    steps = run.messages()
    next(steps)
    run.set_weight_decay(0.05)
    assert all(group["weight_decay"] == 0.05 for group in run.optimizer.param_groups)
    before = {name: tensor.clone() for name, tensor in net.state_dict().items()}
    next(steps)  # trained with it: the weights moved
    assert any(not torch.equal(before[name], tensor) for name, tensor in net.state_dict().items())
    with pytest.raises(ValueError, match="weight decay"):
        run.set_weight_decay(float("nan"))
    adamw = TrainingRun(build_network(SPECS["mlp"], seed=0), data, TrainConfig(arch="mlp", optimizer="adamw"))
    adamw.set_weight_decay(0.0)
    assert adamw.optimizer.param_groups[0]["weight_decay"] == 0.01  # AdamW's own default, as at its start


@pytest.mark.parametrize(
    "damage",
    [
        "order out of range",
        "order repeated",
        "moments of another shape",
        "moments not numbers",
        "schedule keys",
        "rates",
    ],
)
def test_a_damaged_saved_run_is_refused_in_a_sentence_not_at_its_first_step(data, damage) -> None:
    config = TrainConfig(arch="mlp", epochs=0.5, batch_size=32, evals_per_epoch=0)
    run = TrainingRun(build_network(SPECS["mlp"], seed=0), data, config)
    next(run.messages())
    state = run.state_dict()
    if damage == "order out of range":
        state["order"] = torch.full_like(state["order"], 10**9)
    elif damage == "order repeated":
        state["order"] = torch.zeros_like(state["order"])
    elif damage.startswith("moments"):
        moments = state["optimizer"]["state"][0]
        moments["exp_avg"] = torch.zeros(3) if "shape" in damage else moments["exp_avg"] * float("nan")
    elif damage == "schedule keys":
        state["scheduler"]["anything"] = 1
    else:
        state["scheduler"]["base_lrs"] = ["0.001"]
    with pytest.raises(RunStateError):
        TrainingRun(build_network(SPECS["mlp"], seed=0), data, config).load_state_dict(state)

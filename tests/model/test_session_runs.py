"""The window's engine continues a run after Stop, Save/Open or a restart; steps one batch at a
time when paused; and changes the learning rate of a run under way."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from model.messages import TrainConfig, TrainProgress
from model.session import ModelSession

CONFIG = TrainConfig(arch="mlp", epochs=1.5, batch_size=32, evals_per_epoch=2, seed=3)


def session_with_mlp(tmp_path: Path) -> ModelSession:
    session = ModelSession(str(tmp_path / "no-mnist"))  # the practice set
    session.new_network("mlp", seed=0)
    return session


def steps(session: ModelSession, count: int) -> list[TrainProgress]:
    done: list[TrainProgress] = []
    for _ in range(count):
        batch = [m for m in session.step_once() if isinstance(m, TrainProgress)]
        assert len(batch) == 1, "a step is exactly one batch"
        done += batch
    return done


def max_difference(a: torch.nn.Module, b: torch.nn.Module) -> float:
    pairs = zip(a.state_dict().values(), b.state_dict().values(), strict=True)
    return max(float((x - y).abs().max()) for x, y in pairs)


@pytest.fixture
def straight(tmp_path: Path) -> ModelSession:
    session = session_with_mlp(tmp_path)
    session.start_training(CONFIG)
    steps(session, 200)
    return session


def test_stop_then_continue_is_the_same_run(tmp_path: Path, straight: ModelSession) -> None:
    session = session_with_mlp(tmp_path)
    session.start_training(CONFIG)
    assert [p.step for p in steps(session, 3)] == [1, 2, 3]
    steps(session, 97)
    session.stop_training()
    assert session.run_position == (100, 211)
    session.start_training(replace(CONFIG, from_scratch=False))
    assert steps(session, 1)[0].step == 101
    steps(session, 99)
    assert max_difference(straight.net, session.net) <= 1e-5


def test_save_open_continue_is_the_same_run(tmp_path: Path, straight: ModelSession) -> None:
    session = session_with_mlp(tmp_path)
    session.start_training(CONFIG)
    steps(session, 100)
    session.save(tmp_path / "mid-run.pt")  # while it runs
    torch.manual_seed(99)

    reopened = ModelSession(str(tmp_path / "no-mnist"))
    reopened.load(tmp_path / "mid-run.pt")
    assert reopened.run_position is None and reopened.run_state() is not None
    reopened.start_training(replace(CONFIG, from_scratch=False))
    assert reopened.run_position == (100, 211)
    steps(reopened, 100)
    assert max_difference(straight.net, reopened.net) <= 1e-5


def test_training_from_scratch_or_another_network_ends_the_run_to_continue(tmp_path: Path) -> None:
    session = session_with_mlp(tmp_path)
    session.start_training(CONFIG)
    steps(session, 5)
    session.stop_training()
    session.start_training(CONFIG)  # from scratch: a new run
    assert steps(session, 1)[0].step == 1
    session.stop_training()
    session.new_network("mlp", seed=1)
    assert session.run_position is None and session.run_state() is None


def test_the_learning_rate_changes_at_the_next_step(tmp_path: Path) -> None:
    session = session_with_mlp(tmp_path)
    assert not session.set_learning_rate(1e-3)  # no run yet
    session.start_training(CONFIG)
    steps(session, 10)
    schedule = session.schedule()
    assert schedule is not None
    epochs, planned = schedule
    assert len(planned) == 211 and epochs[-1] == pytest.approx(1.5, abs=0.01)
    assert session.set_learning_rate(CONFIG.learning_rate / 10)
    assert steps(session, 1)[0].learning_rate == pytest.approx(planned[10] / 10, rel=1e-6)

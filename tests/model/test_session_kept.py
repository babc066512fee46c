"""Training not saved to a file survives quitting: kept at exit, restored at the next launch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from model.checkpoint import DEFAULT_WEIGHTS, load_checkpoint
from model.messages import TrainConfig, TrainProgress
from model.session import RESTORED_SOURCE, ModelSession


def trained_session(tmp_path: Path) -> ModelSession:
    session = ModelSession(str(tmp_path / "no-mnist"))
    session.start_training(TrainConfig(arch="mlp", epochs=5, batch_size=32))
    session.train_for(0.05)
    session.stop_training()
    return session


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    pairs = zip(a.state_dict().values(), b.state_dict().values(), strict=True)
    return all(torch.equal(x, y) for x, y in pairs)


def test_opened_weights_are_not_unsaved_training() -> None:
    session = ModelSession()
    assert session.load_initial() == ""
    assert not session.unsaved_training


def test_training_is_kept_at_exit_and_restored_at_the_next_launch(tmp_path: Path) -> None:
    session = trained_session(tmp_path)
    assert session.unsaved_training
    kept = tmp_path / "last-session.pt"
    session.write_kept(kept)
    net, metadata = load_checkpoint(kept)
    assert same_weights(net, session.net) and metadata["kept_at_exit"] is True

    next_launch = ModelSession()
    message = next_launch.load_initial(None, kept)
    assert "Restored" in message and "Save" in message
    assert next_launch.info.source == RESTORED_SOURCE
    assert same_weights(next_launch.net, session.net)
    assert next_launch.unsaved_training  # still only in the session file: kept again at exit


def test_saving_to_a_file_means_the_training_is_no_longer_unsaved(tmp_path: Path) -> None:
    session = trained_session(tmp_path)
    session.save(tmp_path / "mine.pt")
    assert not session.unsaved_training


def test_an_explicit_checkpoint_wins_over_the_kept_network(tmp_path: Path) -> None:
    kept = tmp_path / "last-session.pt"
    trained_session(tmp_path).write_kept(kept)
    session = ModelSession()
    assert session.load_initial(str(DEFAULT_WEIGHTS), kept) == ""
    assert session.info.source == Path(DEFAULT_WEIGHTS).name


def test_a_damaged_kept_network_falls_back_to_the_shipped_weights_with_a_message(tmp_path: Path) -> None:
    kept = tmp_path / "last-session.pt"
    kept.write_bytes(b"\x00" * 100)
    session = ModelSession()
    message = session.load_initial(None, kept)
    assert "could not be restored" in message
    assert session.info.source == "shipped weights"
    image = np.zeros((280, 280), np.uint8)
    image[60:220, 130:150] = 255
    assert session.predict(1, image).digit == 1


def test_the_kept_networks_folder_is_made_when_missing(tmp_path: Path) -> None:
    kept = tmp_path / "never" / "made" / "last-session.pt"
    trained_session(tmp_path).write_kept(kept)
    assert load_checkpoint(kept)[1]["kept_at_exit"] is True


def test_a_checkpoint_that_cannot_be_opened_falls_back_to_the_shipped_weights(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint")
    session = ModelSession()
    message = session.load_initial(str(broken), None)
    assert "broken.pt" in message and "shipped weights are open instead" in message
    assert session.info.source == "shipped weights"


def test_a_run_kept_while_it_trains_is_restored_ready_to_continue(tmp_path: Path) -> None:
    """What a crash mid-run leaves: the run's weights and position as last kept; the next
    launch continues it from there to its planned end."""
    session = ModelSession(str(tmp_path / "no-mnist"))
    session.start_training(TrainConfig(arch="mlp", epochs=1, batch_size=32))
    reported = [m for m in session.train_for(0.05) if isinstance(m, TrainProgress)]
    kept = tmp_path / "last-session.pt"
    session.write_kept(kept)  # the run goes on
    step, total = session.run_position or (0, 0)
    assert 0 < step < total and reported[-1].step == step

    next_launch = ModelSession(str(tmp_path / "no-mnist"))
    message = next_launch.load_initial(None, kept)
    assert "Restored" in message
    assert f"Its run stopped at epoch {reported[-1].epoch:.1f} of 1.0" in message  # it can go on
    assert same_weights(next_launch.net, session.net)
    assert (next_launch.run_state() or {}).get("step") == step
    next_launch.start_training(TrainConfig(arch="mlp", epochs=1, batch_size=32, from_scratch=False))
    assert next_launch.run_position == (step, total)  # continued, not begun again
    while next_launch.training:
        next_launch.train_for(0.5)
    assert next_launch.run_state() is None  # it ran to its planned end

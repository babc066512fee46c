"""ModelSession: the worker's Qt-free engine, driven directly."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from model.checkpoint import CheckpointError, save_checkpoint
from model.messages import EvalResult, TrainConfig, TrainFinished, TrainProgress
from model.networks import build_network
from model.reading import read_drawing
from model.session import PRACTICE_DESCRIPTION, ModelSession
from model.snapshot import apply_snapshot


def canvas_with_bar() -> np.ndarray:
    """A 280x280 canvas holding a vertical bar of ink, like a drawn 1."""
    image = np.zeros((280, 280), dtype=np.uint8)
    image[60:220, 130:150] = 255
    return image


def test_empty_canvas_gets_no_prediction() -> None:
    session = ModelSession()
    for image in (None, np.zeros((280, 280), dtype=np.uint8)):
        prediction = session.predict(7, image)
        assert prediction.request_id == 7
        assert prediction.probabilities is None and prediction.digit is None
        assert prediction.layers == ()


@pytest.mark.parametrize("arch", ["cnn", "mlp"])
def test_prediction_carries_input_and_every_layer(arch: str) -> None:
    session = ModelSession()
    session.new_network(arch, seed=0)
    prediction = session.predict(1, canvas_with_bar())
    assert prediction.probabilities.shape == (10,)
    assert prediction.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert prediction.pixels.shape == (28, 28)
    assert 0 <= prediction.pixels.min() <= prediction.pixels.max() <= 1
    names = [layer.name for layer in prediction.layers]
    assert names[0] == "input" and names[-1] == "output"
    assert names[1:-1] == [info.name for info in session.net.stage_infos[:-1]]
    np.testing.assert_allclose(prediction.layers[-1].values, prediction.probabilities)
    np.testing.assert_array_equal(prediction.layers[0].values[0], prediction.pixels)


def test_without_mnist_training_uses_the_practice_set(tmp_path: Path) -> None:
    session = ModelSession(str(tmp_path / "nothing-here"))
    assert session.data_description() == PRACTICE_DESCRIPTION
    assert len(session.training_data().train_y) == 4500


def test_a_run_trains_in_slices_and_ends_with_a_finished_message(tmp_path: Path) -> None:
    session = ModelSession(str(tmp_path))
    session.new_network("mlp", seed=0)
    before = session.predict(1, canvas_with_bar()).probabilities
    adopted = session.start_training(TrainConfig(epochs=0.15, batch_size=64, evals_per_epoch=10))
    assert adopted is not None and adopted.arch == "mlp" and session.training
    messages = []
    while session.training:
        messages += session.train_for(0.01)
    assert isinstance(messages[-1], TrainFinished) and messages[-1].reason == "completed"
    steps = [m for m in messages if isinstance(m, TrainProgress)]
    assert [m.step for m in steps] == list(range(1, len(steps) + 1))
    assert any(isinstance(m, EvalResult) for m in messages)
    assert session.info.metadata["steps"] == len(steps)
    assert not np.allclose(session.predict(2, canvas_with_bar()).probabilities, before)


def test_the_timelines_last_point_is_the_network_the_run_ends_with(tmp_path: Path) -> None:
    """A run with label smoothing ends calibrated: rewinding to its last step gives back those
    weights, not the ones before the end divided its logits."""
    session = ModelSession(str(tmp_path))
    session.new_network("mlp", seed=0)
    session.start_training(TrainConfig(epochs=0.15, batch_size=64, evals_per_epoch=10, label_smoothing=0.1))
    messages = []
    while session.training:
        messages += session.train_for(0.01)
    finished = messages[-1]
    assert isinstance(finished, TrainFinished) and finished.final_eval is not None
    assert finished.final_eval is not [m for m in messages if isinstance(m, EvalResult)][-1]  # calibrated
    assert session.timeline is not None
    last = session.timeline.points[-1]
    assert last.step == finished.steps
    for (name, kept), (same, now) in zip(last.snapshot.state, session.snapshot().state, strict=True):
        assert name == same and np.array_equal(kept, now), name


def test_stop_keeps_what_was_learnt(tmp_path: Path) -> None:
    session = ModelSession(str(tmp_path))
    session.start_training(TrainConfig(arch="mlp", epochs=5, batch_size=32))
    session.train_for(0.05)
    weights = [p.detach().clone() for p in session.net.parameters()]
    finished = session.stop_training()
    assert finished is not None and finished.reason == "stopped" and finished.steps >= 1
    assert not session.training
    assert session.train_for(0.05) == []
    assert all((a == b).all() for a, b in zip(weights, session.net.parameters(), strict=True))
    assert session.stop_training() is None


def test_a_run_trains_the_network_in_use_whatever_the_config_names(tmp_path: Path) -> None:
    """The panel describes the network in use, and Train trains that one: continuing never
    swaps it for another shape, and starting again re-initialises the same shape."""
    session = ModelSession(str(tmp_path))
    session.load_initial()  # the shipped CNN
    shipped = session.net
    assert session.start_training(TrainConfig(arch="mlp", epochs=1, from_scratch=False)) is None
    assert session.net is shipped and session.info.metadata["config"]["arch"] == "cnn"
    session.stop_training()
    adopted = session.start_training(TrainConfig(arch="mlp", epochs=1, from_scratch=True))
    assert adopted is not None and session.net is not shipped and session.net.spec == shipped.spec
    session.stop_training()


def test_snapshots_are_read_only_copies_that_rebuild_the_same_answers(tmp_path: Path) -> None:
    """The trainer publishes snapshots; the predictor's network, built from one, answers as the
    trainer's did then, whatever training does to the trainer's network afterwards."""
    session = ModelSession(str(tmp_path))
    session.new_network("mlp", seed=0)
    session.start_training(TrainConfig(epochs=5, batch_size=32, from_scratch=False))
    session.train_for(0.02)
    snapshot = session.snapshot()
    assert all(not array.flags.writeable for _, array in snapshot.state)
    expected = session.predict(1, canvas_with_bar()).probabilities
    predictor = apply_snapshot(None, snapshot)
    assert predictor is not session.net
    np.testing.assert_array_equal(read_drawing(predictor, 2, canvas_with_bar()).probabilities, expected)
    session.train_for(0.05)  # changes the trainer's network, not the predictor's
    np.testing.assert_array_equal(read_drawing(predictor, 3, canvas_with_bar()).probabilities, expected)
    newer = session.snapshot()
    assert newer.version > snapshot.version
    assert apply_snapshot(predictor, newer) is predictor  # same shape: updated in place
    trained = read_drawing(predictor, 4, canvas_with_bar()).probabilities
    np.testing.assert_array_equal(trained, session.predict(5, canvas_with_bar()).probabilities)
    assert not np.allclose(trained, expected)
    session.new_network("cnn", seed=1)
    rebuilt = apply_snapshot(predictor, session.snapshot())  # another shape: a new network
    assert rebuilt is not predictor and rebuilt.spec == session.net.spec
    session.stop_training()


def test_an_interrupt_ends_a_slice_after_the_step_under_way(tmp_path: Path) -> None:
    session = ModelSession(str(tmp_path))
    session.start_training(TrainConfig(arch="mlp", epochs=5, batch_size=32))
    interrupt = threading.Event()
    interrupt.set()  # as a pause coming in while the slice runs
    assert [type(m) for m in session.train_for(60.0, interrupt)] == [TrainProgress]
    assert session.training


def test_answers_without_layers_give_the_same_probabilities() -> None:
    session = ModelSession()
    session.load_initial()
    full = session.predict(1, canvas_with_bar())
    light = session.predict(2, canvas_with_bar(), with_layers=False)
    assert light.layers == () and len(full.layers) == 5
    np.testing.assert_allclose(light.probabilities, full.probabilities, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(light.pixels, full.pixels)


def test_continuing_keeps_the_weights_and_scratch_replaces_them(tmp_path: Path) -> None:
    session = ModelSession(str(tmp_path))
    session.new_network("mlp", seed=3)
    net = session.net
    assert session.start_training(TrainConfig(arch="mlp", epochs=1, from_scratch=False)) is None
    assert session.net is net
    session.stop_training()
    assert session.start_training(TrainConfig(arch="mlp", epochs=1, from_scratch=True)) is not None
    assert session.net is not net and session.net.spec == net.spec
    session.stop_training()


def test_a_bad_checkpoint_keeps_the_current_network(tmp_path: Path) -> None:
    session = ModelSession()
    session.new_network("mlp", seed=1)
    net = session.net
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError):
        session.load(bad)
    assert session.net is net
    good = tmp_path / "good.pt"
    save_checkpoint(good, build_network("cnn", seed=2), {"note": "hi"})
    info = session.load(good)
    assert info.arch == "cnn" and info.source == "good.pt" and info.metadata["note"] == "hi"


def test_a_missing_checkpoint_falls_back_to_the_shipped_weights(tmp_path: Path) -> None:
    session = ModelSession()
    warning = session.load_initial(str(tmp_path / "missing.pt"))
    assert "missing.pt does not exist" in warning and "shipped weights are open instead" in warning
    assert session.info.source == "shipped weights"


def test_missing_shipped_weights_give_a_warning_not_a_crash(tmp_path: Path, monkeypatch) -> None:
    import model.session

    monkeypatch.setattr(model.session, "DEFAULT_WEIGHTS", tmp_path / "not-shipped.pt")
    session = ModelSession()
    warning = session.load_initial(str(tmp_path / "missing.pt"))
    assert "untrained" in warning
    assert session.predict(1, canvas_with_bar()).probabilities.shape == (10,)


def test_the_save_target_travels_with_the_network(tmp_path: Path) -> None:
    session = ModelSession(str(tmp_path))
    session.load_initial()
    assert session.info.path is None  # the shipped weights are nobody's file to overwrite
    mine = tmp_path / "mine.pt"
    session.save(mine)
    assert session.info.path == str(mine) and session.info.source == "mine.pt"
    session.start_training(TrainConfig(epochs=1, from_scratch=False))
    session.stop_training()
    assert session.info.path == str(mine)  # trained further: still that file's network
    session.start_training(TrainConfig(epochs=1, from_scratch=True))
    session.stop_training()
    assert session.info.path is None  # random weights again: a new network, Save asks where
    session.load(mine)
    assert session.info.path == str(mine)
    session.new_network("mlp")
    assert session.info.path is None

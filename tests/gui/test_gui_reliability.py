"""Reliability under abuse: hammered training controls, divergence, broken MNIST copies."""

from __future__ import annotations

import random
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from gui_support import SEVEN, VERTICAL, answer_questions, drag, polyline, use_network
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton
from repo_paths import SHARED_MNIST

from gui.app import create_main_window
from model.checkpoint import load_checkpoint
from model.data import MNIST_FILES
from model.messages import TrainConfig
from model.training import SNAPSHOT_EVERY

HAS_SHARED_MNIST = all((SHARED_MNIST / f"{name}.gz").is_file() for name in MNIST_FILES)


def assert_probabilities(probabilities) -> None:
    assert isinstance(probabilities, np.ndarray) and probabilities.shape == (10,)
    assert np.all(np.isfinite(probabilities)) and np.all(probabilities >= 0)
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-5)


def answer_now(qtbot, window):
    """The answer for what is on the canvas now, asked for explicitly."""
    with qtbot.waitSignal(window.prediction_shown, timeout=15000) as blocker:
        window.controller.request_prediction()
    return blocker.args[0]


def save_weights(qtbot, window, path: Path) -> dict[str, torch.Tensor]:
    with qtbot.waitSignal(
        window.state.status_posted, timeout=10000, check_params_cb=lambda text, _ms: text.startswith("Saved")
    ):
        window.controller.save_network(str(path))
    assert window.state.save_path == str(path)
    net, _ = load_checkpoint(path)
    return net.state_dict()


def open_window(qtbot, *argv: str):
    window = create_main_window(list(argv))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.state.network is not None, timeout=15000)
    return window


# -- hammering the controls ---------------------------------------------------------------
def test_hammering_train_pause_stop_restart_and_switching_networks(qtbot, window, capfd, monkeypatch):
    """About 200 quick actions in a random order, including mid-batch, then it still works."""
    answer_questions(monkeypatch, QMessageBox.StandardButton.Discard)  # "start again anyway?"
    panel = window.training_panel
    use_network(qtbot, window, "mlp")
    panel.epochs.setValue(5.0)
    train = window.findChild(QPushButton, "trainButton")
    stop = window.findChild(QPushButton, "stopButton")
    rng = random.Random(2024)
    strokes = [VERTICAL, SEVEN, polyline((0.2, 0.5), (0.8, 0.5), steps=4)]
    actions = {
        "train button": lambda: qtbot.mouseClick(train, Qt.MouseButton.LeftButton),
        "stop button": lambda: qtbot.mouseClick(stop, Qt.MouseButton.LeftButton),
        "stop": window.controller.stop,
        "new network": lambda: window.controller.new_network(rng.choice(["cnn", "mlp"])),
        "train config": lambda: window.controller.train(
            TrainConfig(arch=rng.choice(["cnn", "mlp"]), epochs=5, from_scratch=rng.random() < 0.7)
        ),
        "draw": lambda: drag(window.canvas, rng.choice(strokes)),
        "clear": window.canvas.clear,
        "undo": window.canvas.undo,
    }
    names = list(actions)
    done = []
    for _ in range(200):
        name = rng.choice(names)
        actions[name]()
        done.append(name)
        qtbot.wait(rng.randint(0, 20))
    assert set(done) == set(names)

    # Whatever state that left, Stop brings it to rest, and the window answers drawings.
    window.controller.stop()
    qtbot.waitUntil(lambda: window.state.run.state == "idle", timeout=15000)
    window.canvas.clear()
    drag(window.canvas, VERTICAL)
    assert_probabilities(answer_now(qtbot, window))
    assert "internal error" not in window.notice.text()
    assert "could not start" not in window.notice.text()

    # A run started now trains and can be stopped: nothing was left stuck.
    steps = window.loss_plot.raw.size
    window.controller.train(TrainConfig(arch="mlp", epochs=50))  # still under way at the close
    qtbot.waitUntil(lambda: window.state.run.state == "running", timeout=10000)
    qtbot.waitUntil(lambda: window.loss_plot.raw.size > steps, timeout=20000)
    started = time.perf_counter()
    window.close()
    assert time.perf_counter() - started < 2.0
    assert not window.controller.threads_running()
    err = capfd.readouterr().err
    assert "Traceback" not in err and "QThread: Destroyed" not in err


# -- divergence ----------------------------------------------------------------------------
def test_divergence_brings_back_the_exact_weights_from_before_the_run(qtbot, window, tmp_path):
    """The promise: snapshots of good weights are taken every SNAPSHOT_EVERY steps, the first
    at the start, so a run that blows up within its first SNAPSHOT_EVERY steps gives back
    exactly the weights it started from (and the same answers).

    The fully-connected net is used: the CNN's batch normalisation keeps its loss finite even
    at absurd learning rates (it grows huge instead), so there is nothing to detect."""
    window.controller.new_network("mlp")
    qtbot.waitUntil(lambda: window.state.network.arch == "mlp", timeout=10000)
    drag(window.canvas, SEVEN)
    before = answer_now(qtbot, window)
    assert_probabilities(before)
    pixels_before = window.state.prediction.pixels.copy()
    weights_before = save_weights(qtbot, window, tmp_path / "before.pt")

    # Continue from the current weights with a learning rate no network survives.
    config = TrainConfig(
        arch=window.state.network.arch,
        epochs=1.0,
        batch_size=32,
        learning_rate=1e6,
        optimizer="sgd",
        schedule="constant",
        from_scratch=False,
    )
    window.controller.train(config)
    qtbot.waitUntil(lambda: "diverged" in window.notice.text(), timeout=30000)
    qtbot.waitUntil(lambda: window.state.run.state == "idle", timeout=5000)
    assert "learning rate" in window.notice.text() and "restored" in window.notice.text()
    assert 0 < window.loss_plot.raw.size < SNAPSHOT_EVERY  # it diverged before the 2nd snapshot
    assert window.state.network.metadata.get("reason") == "diverged"

    weights_after = save_weights(qtbot, window, tmp_path / "after.pt")
    assert weights_after.keys() == weights_before.keys()
    for name, value in weights_after.items():
        assert torch.isfinite(value).all(), name
        assert torch.equal(value, weights_before[name]), f"{name} differs from before the run"
    # The notice above shrank the canvas a little, so the drawing was repainted and re-read:
    # the answer now is exactly what the network from before the run says about it.
    after = answer_now(qtbot, window)
    net_before, _ = load_checkpoint(tmp_path / "before.pt")
    expected, _ = net_before.forward_with_activations(torch.from_numpy(window.state.prediction.pixels))
    np.testing.assert_array_equal(after, expected)
    again, _ = net_before.forward_with_activations(torch.from_numpy(pixels_before))
    np.testing.assert_array_equal(again, before)


# -- broken data ---------------------------------------------------------------------------
def choose_long_mlp_run(qtbot, window) -> None:
    panel = window.training_panel
    use_network(qtbot, window, "mlp")
    panel.epochs.setValue(5.0)


def train_and_wait_for_steps(qtbot, window) -> None:
    steps = window.loss_plot.raw.size
    qtbot.mouseClick(window.findChild(QPushButton, "trainButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.loss_plot.raw.size > steps, timeout=20000)
    window.controller.stop()
    qtbot.waitUntil(lambda: window.state.run.state == "idle", timeout=10000)


def test_a_corrupt_mnist_copy_given_with_data_dir_falls_back_to_the_practice_set(
    qtbot, corrupt_mnist, monkeypatch
):
    answer_questions(monkeypatch, QMessageBox.StandardButton.Discard)
    folder = corrupt_mnist
    window = open_window(qtbot, "--data-dir", str(folder))
    try:
        panel = window.training_panel
        choose_long_mlp_run(qtbot, window)
        train_and_wait_for_steps(qtbot, window)
        notice = window.notice.text()
        assert "train-images-idx3-ubyte.gz" in notice, notice
        assert "practice set" in notice
        assert "practice set" in panel.data_label.text()
        # The broken copy was never trained on: the run's data is the practice set.
        assert window.state.network.metadata["data"].startswith("the embedded practice set")
        drag(window.canvas, VERTICAL)
        assert_probabilities(answer_now(qtbot, window))

        if not HAS_SHARED_MNIST:
            return
        # Repair the copy in place and press Train again: this time it is used.
        for name in MNIST_FILES:
            target = folder / f"{name}.gz"
            target.unlink()
            target.symlink_to(SHARED_MNIST / f"{name}.gz")
        window.notice.hide()
        train_and_wait_for_steps(qtbot, window)
        assert panel.data_label.text().startswith("Trains on MNIST (60,000 training digits)")
        assert window.notice.text() == ""
        assert window.state.network.metadata["data"].startswith("MNIST")
    finally:
        window.close()
        assert not window.controller.threads_running()


@pytest.mark.parametrize("kind", ["empty folder", "a file", "missing"])
def test_an_empty_or_unusable_data_dir_falls_back_with_a_notice(qtbot, tmp_path, kind):
    path = tmp_path / "data"
    if kind == "empty folder":
        path.mkdir()
    elif kind == "a file":
        path.write_bytes(b"not a folder")
    window = open_window(qtbot, "--data-dir", str(path))
    try:
        panel = window.training_panel
        choose_long_mlp_run(qtbot, window)
        train_and_wait_for_steps(qtbot, window)
        notice = window.notice.text()
        assert str(path) in notice and "practice set" in notice, notice
        assert "practice set" in panel.data_label.text()
        drag(window.canvas, VERTICAL)
        assert_probabilities(answer_now(qtbot, window))
    finally:
        window.close()
        assert not window.controller.threads_running()

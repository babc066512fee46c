"""Training from the panel: Train / Pause / Resume / Stop, the live view, divergence.

Runs are given many epochs so that they are still going when the test pauses or stops
them; every test stops its run after a few dozen steps at most.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from gui_support import VERTICAL, use_network
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton

from model.networks import build_network

LONG_RUN_EPOCHS = 20.0  # never reached: the tests stop the run long before


def configure(
    qtbot, window, arch="mlp", epochs=LONG_RUN_EPOCHS, batch_size=128, learning_rate=None, optimizer=None
):
    panel = window.training_panel
    use_network(qtbot, window, arch)
    panel.epochs.setValue(epochs)
    panel.batch_size.setValue(batch_size)
    if learning_rate is not None:
        panel.learning_rate.setValue(learning_rate)
    if optimizer is not None:
        panel.optimizer.setCurrentIndex(panel.optimizer.findData(optimizer))
    config = panel.config()
    assert (config.arch, config.epochs, config.batch_size) == (arch, epochs, batch_size)
    return config


def click(qtbot, button: QPushButton) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def train_button(window) -> QPushButton:
    return window.findChild(QPushButton, "trainButton")


def stop_button(window) -> QPushButton:
    return window.findChild(QPushButton, "stopButton")


def stop_and_wait(qtbot, window) -> None:
    click(qtbot, stop_button(window))
    qtbot.waitUntil(lambda: window.state.run.state == "idle", timeout=5000)


def test_train_pause_resume_and_stop(qtbot, window):
    configure(qtbot, window)
    assert "practice" in window.training_panel.data_label.text()
    button = train_button(window)
    stop = stop_button(window)
    assert button.text() == "Train" and not stop.isEnabled()
    raw = window.loss_plot.raw

    click(qtbot, button)
    qtbot.waitUntil(lambda: raw.size > 0, timeout=10000)
    qtbot.waitUntil(lambda: button.text() == "Pause", timeout=5000)
    assert stop.isEnabled()
    assert not window.training_panel.new_button.isEnabled()  # no changing the network mid-run
    assert "of" in window.training_panel.step_label.text()

    click(qtbot, button)
    qtbot.waitUntil(lambda: button.text() == "Resume", timeout=5000)
    assert window.state.run.state == "paused"
    qtbot.wait(50)  # any progress sent before the pause has arrived by now
    paused_at = raw.size
    qtbot.wait(300)
    assert raw.size == paused_at, "training went on while paused"

    click(qtbot, button)
    qtbot.waitUntil(lambda: button.text() == "Pause", timeout=5000)
    qtbot.waitUntil(lambda: raw.size > paused_at, timeout=5000)

    stop_and_wait(qtbot, window)
    assert button.text() == "Train" and not stop.isEnabled()
    assert "stopped" in window.statusBar().currentMessage()
    assert window.training_panel.new_button.isEnabled()
    stopped_at = raw.size
    assert stopped_at < 1000, "a test run should stay short (an MLP makes ~50 steps a slice)"
    qtbot.wait(200)
    assert raw.size == stopped_at
    assert np.all(np.isfinite(raw.data()[1]))


def test_a_drawing_is_reread_live_while_training(qtbot, window, draw_and_wait):
    draw_and_wait(VERTICAL)
    assert window.activation_view.layer_names() == ("input", "conv 1", "conv 2", "dense", "output")
    configure(qtbot, window, arch="mlp")
    shown: list = []
    window.prediction_shown.connect(lambda probabilities: shown.append(probabilities))

    click(qtbot, train_button(window))
    # No input at all from here on: the answers come from the network as it learns.
    qtbot.waitUntil(lambda: len(shown) >= 4, timeout=10000)
    stop_and_wait(qtbot, window)

    assert all(p is not None and p.sum() == pytest.approx(1, abs=1e-5) for p in shown)
    assert len({p.tobytes() for p in shown}) >= 2, "the live answers should change as the network learns"
    mlp = build_network("mlp", seed=0)
    assert window.activation_view.layer_names() == ("input", *(info.name for info in mlp.stage_infos))
    assert window.state.network.arch == "mlp"
    assert "practice" in window.training_panel.data_label.text()


def test_too_high_a_learning_rate_diverges_with_a_notice_and_predictions_still_work(
    qtbot, window, draw_and_wait
):
    # SGD at a learning rate of 10 (the spin box's maximum) blows up within ten steps.
    configure(qtbot, window, arch="mlp", epochs=1.0, batch_size=32, learning_rate=10.0, optimizer="sgd")
    click(qtbot, train_button(window))
    qtbot.waitUntil(lambda: "diverged" in window.notice.text(), timeout=15000)
    qtbot.waitUntil(lambda: window.state.run.state == "idle", timeout=5000)
    assert "learning rate" in window.notice.text() or "not a number" in window.notice.text()
    assert window.loss_plot.raw.size < 40  # it stopped at the divergence, not at the end

    probabilities = draw_and_wait(VERTICAL)
    assert probabilities is not None
    assert np.all(np.isfinite(probabilities))
    assert probabilities.sum() == pytest.approx(1, abs=1e-5)
    assert window.findChild(QPushButton, "trainButton").text() == "Train"


def test_while_training_a_moving_pen_is_reread_at_most_at_screen_rate(qtbot, window):
    configure(qtbot, window)
    click(qtbot, train_button(window))
    qtbot.waitUntil(lambda: window.state.run.state == "running", timeout=10000)
    sent: list[float] = []
    window.controller.prediction_requested.connect(lambda request: sent.append(time.monotonic()))
    canvas, left, none = window.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QTest.mousePress(canvas, left, none, canvas.widget_point(0.3, 0.2).toPoint())
    for i in range(50):  # a move every 4 ms or so, for about a fifth of a second
        QTest.mouseMove(canvas, canvas.widget_point(0.3 + i / 150, 0.2 + i / 80).toPoint())
        qtbot.wait(4)
    while_drawing = list(sent)
    QTest.mouseRelease(canvas, left, none, canvas.widget_point(0.63, 0.82).toPoint())
    qtbot.waitUntil(lambda: len(sent) > len(while_drawing), timeout=2000)  # lifting the pen: at once
    stop_and_wait(qtbot, window)
    assert len(while_drawing) >= 3, "the drawing is re-read while the pen moves"
    gaps = np.diff(while_drawing)
    assert gaps.min() >= 1 / 65, np.round(gaps * 1000, 1)  # about a 60 Hz screen's frame

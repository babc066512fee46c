"""Steering a run in the window: Step while paused trains exactly one batch and every view
follows; the learning rate changes mid-run and the plot shows it; Continue goes on with the
same run after Stop, after Save and Open, and after a restart."""

from __future__ import annotations

import numpy as np
import pytest
from gui_support import VERTICAL, drag, open_window, use_network


def start_run(qtbot, window, epochs: float = 30.0) -> None:
    """A fresh MLP run far longer than any test here: on the practice set, a few epochs at the
    default batch are only a few dozen steps, and a run that ends before Pause arrives never pauses."""
    use_network(qtbot, window, "mlp")
    panel = window.training_panel
    panel.continue_training.setChecked(False)
    panel.epochs.setValue(epochs)
    panel.train_button.click()
    qtbot.waitUntil(lambda: window.state.run.progress is not None, timeout=30000)


def pause(qtbot, window) -> int:
    window.controller.pause()
    qtbot.waitUntil(lambda: window.state.run.state == "paused", timeout=10000)
    qtbot.wait(200)  # reports already on their way
    return window.state.run.progress.step


def test_step_while_paused_trains_exactly_one_batch_and_every_view_follows(qtbot, window):
    start_run(qtbot, window)
    drag(window.canvas, VERTICAL)
    step = pause(qtbot, window)
    panel = window.training_panel
    assert panel.step_button.isEnabled() and not window.training_panel.epochs.isEnabled()
    points = window.loss_plot.raw.size
    before = window.state.prediction
    with qtbot.waitSignal(window.prediction_shown, timeout=10000):
        panel.step_button.click()
    qtbot.waitUntil(lambda: window.state.run.progress.step == step + 1, timeout=10000)
    assert panel.step_label.text().startswith(f"{step + 1:,} of ")
    assert window.loss_plot.raw.size == points + 1
    assert (
        window.state.prediction is not before
        and window.state.prediction.weights_version > before.weights_version
    )
    panel.step_button.click()
    qtbot.waitUntil(lambda: window.state.run.progress.step == step + 2, timeout=10000)
    qtbot.wait(300)
    assert window.state.run.progress.step == step + 2 and window.state.run.state == "paused"


def test_the_learning_rate_changes_mid_run_and_the_plot_shows_the_plan(qtbot, window):
    start_run(qtbot, window)
    qtbot.waitUntil(lambda: len(window.loss_plot.planned[1]) > 0, timeout=10000)
    planned = window.loss_plot.planned[1].copy()
    assert planned.argmax() == pytest.approx(0.25 * len(planned), abs=2)  # the warm-up, shown
    step = pause(qtbot, window)
    panel = window.training_panel
    assert panel.learning_rate.isEnabled()
    panel.learning_rate.setValue(panel.learning_rate.value() / 10)
    qtbot.waitUntil(lambda: window.loss_plot.planned[1].max() < planned.max() / 5, timeout=10000)
    panel.step_button.click()
    qtbot.waitUntil(lambda: window.state.run.progress.step == step + 1, timeout=10000)
    assert window.state.run.progress.learning_rate == pytest.approx(planned[step] / 10, rel=1e-4)
    assert window.loss_plot.rates.data()[1][-1] == pytest.approx(planned[step] / 10, rel=1e-4)


def stop(qtbot, window) -> int:
    window.controller.stop()
    qtbot.waitUntil(lambda: window.state.run.state == "idle", timeout=10000)
    return window.state.run.progress.step if window.state.run.progress else 0


def continue_run(qtbot, window) -> int:
    window.training_panel.continue_training.setChecked(True)
    with qtbot.waitSignal(window.state.run_reset, timeout=30000):  # the last run's figures go
        window.training_panel.train_button.click()
    qtbot.waitUntil(lambda: window.state.run.progress is not None, timeout=30000)
    return window.state.run.progress.step


def test_continue_after_stop_goes_on_with_the_same_run(qtbot, window):
    start_run(qtbot, window)
    step = pause(qtbot, window)
    total = window.state.run.progress.total_steps
    stop(qtbot, window)
    first = continue_run(qtbot, window)
    assert step < first <= step + 50 and window.state.run.progress.total_steps == total
    stop(qtbot, window)


def test_continue_after_save_and_open_and_after_a_restart(qtbot, window, tmp_path, monkeypatch):
    start_run(qtbot, window)
    step = pause(qtbot, window)
    path = tmp_path / "mid-run.pt"
    window.controller.save_network(str(path))
    qtbot.waitUntil(lambda: window.state.save_path == str(path), timeout=10000)
    stop(qtbot, window)
    window.controller.open_network("")  # the shipped weights: the run is gone
    qtbot.waitUntil(lambda: window.state.network.source == "shipped weights", timeout=10000)
    window.controller.open_network(str(path))
    qtbot.waitUntil(lambda: window.state.network.source == "mid-run.pt", timeout=10000)
    assert step < continue_run(qtbot, window) <= step + 50
    step = pause(qtbot, window)
    window.close()  # mid-run: kept for the next launch, with its run

    again = open_window(qtbot)
    assert step < continue_run(qtbot, again) <= step + 50
    stop(qtbot, again)
    again.close()
    assert np.isfinite(again.state.run.progress.loss)


def test_the_weight_decay_changes_mid_run_and_is_saved_with_the_run(qtbot, window, tmp_path):
    from model.checkpoint import load_checkpoint_and_run

    start_run(qtbot, window)
    pause(qtbot, window)
    panel = window.training_panel
    assert panel.weight_decay.isEnabled()
    panel.weight_decay.setValue(0.05)
    path = tmp_path / "decaying.pt"
    window.controller.save_network(str(path))
    qtbot.waitUntil(lambda: window.state.save_path == str(path), timeout=10000)
    _, _, run = load_checkpoint_and_run(path)
    assert run is not None
    assert {group["weight_decay"] for group in run["optimizer"]["param_groups"]} == {0.05}
    stop(qtbot, window)

"""Rewind: the scrubber shows the drawing read by the weights of an earlier step of the run,
back to now on request; "Continue from here" gives the network those weights to branch from."""

from __future__ import annotations

import numpy as np
import torch
from gui_support import SEVEN, drag, use_network

from model.checkpoint import load_checkpoint


def start_mlp_run(qtbot, window, epochs: float) -> None:
    """A seven on the canvas, and a fresh MLP training for `epochs`."""
    use_network(qtbot, window, "mlp")
    drag(window.canvas, SEVEN)
    panel = window.training_panel
    panel.continue_training.setChecked(False)
    panel.epochs.setValue(epochs)
    panel.train_button.click()


def trained_run(qtbot, window) -> None:
    start_mlp_run(qtbot, window, 2.0)
    qtbot.waitUntil(
        lambda: window.state.run.state == "idle" and window.state.run.progress is not None, timeout=60000
    )
    qtbot.waitUntil(lambda: len(window.state.timeline) > 10, timeout=10000)


def test_the_scrubber_reads_the_drawing_with_earlier_weights_and_back(qtbot, window):
    trained_run(qtbot, window)
    dialog = window.rewind
    dialog.open_dialog()
    assert dialog.scrubber.isEnabled() and dialog.scrubber.maximum() == len(window.state.timeline) - 1
    latest = window.state.prediction.weights_version
    window.controller.show_point(None)  # the weights of now, whatever answer is still on its way
    qtbot.waitUntil(lambda: window.state.prediction.weights_version > latest, timeout=5000)
    now, latest = window.state.prediction.probabilities.copy(), window.state.prediction.weights_version
    first = window.state.timeline[0]
    dialog.scrubber.setValue(0)
    qtbot.waitUntil(lambda: window.state.prediction.weights_version == first.snapshot.version, timeout=5000)
    assert not np.allclose(window.state.prediction.probabilities, now)  # step 1 read the seven differently
    assert f"Step {first.step:,}" in dialog.where.text()
    dialog.now_button.click()
    qtbot.waitUntil(lambda: window.state.prediction.weights_version > latest, timeout=5000)
    np.testing.assert_allclose(window.state.prediction.probabilities, now, atol=1e-6)


def test_continue_from_here_branches_from_that_steps_weights(qtbot, window, tmp_path):
    trained_run(qtbot, window)
    dialog = window.rewind
    dialog.open_dialog()
    middle = len(window.state.timeline) // 2
    point = window.state.timeline[middle]
    dialog.scrubber.setValue(middle)
    qtbot.waitUntil(lambda: window.state.prediction.weights_version == point.snapshot.version, timeout=5000)
    dialog.branch_button.click()
    qtbot.waitUntil(lambda: "back at step" in window.statusBar().currentMessage(), timeout=5000)
    window.controller.save_network(str(tmp_path / "branch.pt"))
    qtbot.waitUntil(lambda: (tmp_path / "branch.pt").exists(), timeout=10000)
    net, _ = load_checkpoint(tmp_path / "branch.pt")
    for (name, array), tensor in zip(point.snapshot.state, net.state_dict().values(), strict=True):
        assert torch.equal(torch.from_numpy(np.array(array)), tensor), name
    window.training_panel.continue_training.setChecked(True)
    steps: list[int] = []
    window.state.progress_added.connect(lambda batch: steps.extend(p.step for p in batch))
    window.training_panel.train_button.click()
    qtbot.waitUntil(lambda: bool(steps), timeout=20000)
    assert steps[0] == 1  # a new run, branched from the weights of that step
    window.controller.stop()


def test_a_step_while_an_earlier_point_is_shown_brings_back_the_weights_of_now(qtbot, window):
    start_mlp_run(qtbot, window, 20.0)  # still under way when Pause arrives
    panel = window.training_panel
    qtbot.waitUntil(
        lambda: window.state.run.progress is not None and window.state.run.progress.step >= 30, timeout=30000
    )
    window.controller.pause()
    qtbot.waitUntil(
        lambda: window.state.run.state == "paused" and len(window.state.timeline) > 5, timeout=10000
    )
    qtbot.wait(200)
    dialog = window.rewind
    dialog.open_dialog()
    first = window.state.timeline[0]
    dialog.scrubber.setValue(0)
    qtbot.waitUntil(lambda: window.state.prediction.weights_version == first.snapshot.version, timeout=5000)
    assert dialog.showing is first
    step = window.state.run.progress.step
    panel.step_button.click()
    qtbot.waitUntil(lambda: window.state.run.progress.step == step + 1, timeout=10000)
    assert dialog.showing is None and "as it is now" in dialog.where.text()
    qtbot.waitUntil(lambda: window.state.prediction.weights_version > first.snapshot.version, timeout=5000)
    window.controller.stop()

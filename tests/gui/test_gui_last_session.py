"""Closing the window keeps training not saved to a file; the next launch restores it."""

from __future__ import annotations

from gui_support import open_window, use_network

from gui.main_window import MainWindow
from gui.pacing import Pacing
from gui.settings import last_session_path
from model.checkpoint import load_checkpoint_and_run
from model.session import RESTORED_SOURCE


def test_unsaved_training_survives_closing_and_the_shipped_weights_come_back_on_request(qtbot):
    kept = last_session_path()
    window = open_window(qtbot)
    assert window.state.network.source == "shipped weights"
    panel = window.training_panel
    use_network(qtbot, window, "mlp")
    panel.epochs.setValue(20.0)
    panel.train_button.click()
    qtbot.waitUntil(lambda: window.loss_plot.raw.size >= 3, timeout=15000)
    window.close()  # mid-training
    assert kept.exists()

    window = open_window(qtbot)
    assert window.state.network.source == RESTORED_SOURCE
    assert window.state.network.arch == "mlp"
    qtbot.waitUntil(lambda: "Restored the network you trained" in window.notice.text(), timeout=5000)

    window.controller.open_network("")
    qtbot.waitUntil(lambda: window.state.network.source == "shipped weights", timeout=10000)
    window.close()
    assert not kept.exists()  # nothing unsaved left: the next launch opens the shipped weights

    window = open_window(qtbot)
    assert window.state.network.source == "shipped weights"
    window.close()


def test_a_long_run_is_kept_while_it_trains_so_a_crash_loses_little(qtbot):
    """Not only at its end and at exit: a crash or a power cut mid-run loses at most a period."""
    kept = last_session_path()
    window = MainWindow(pacing=Pacing(keep_running_seconds=0.5))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.state.network is not None, timeout=15000)
    use_network(qtbot, window, "mlp")
    window.training_panel.epochs.setValue(20.0)
    window.training_panel.train_button.click()
    qtbot.waitUntil(kept.exists, timeout=15000)
    assert window.state.run.state == "running"
    _, _, run = load_checkpoint_and_run(kept)
    assert run is not None and run["step"] > 0  # the run under way, to be continued
    first_kept = run["step"]
    qtbot.waitUntil(lambda: load_checkpoint_and_run(kept)[2]["step"] > first_kept, timeout=15000)
    window.close()


def test_a_paused_run_is_kept_at_once(qtbot):
    kept = last_session_path()
    window = open_window(qtbot)
    use_network(qtbot, window, "mlp")
    window.training_panel.epochs.setValue(20.0)
    window.training_panel.train_button.click()
    qtbot.waitUntil(lambda: window.loss_plot.raw.size >= 3, timeout=15000)
    assert not kept.exists()  # a minute has not passed
    window.controller.pause()
    qtbot.waitUntil(kept.exists, timeout=5000)
    _, _, run = load_checkpoint_and_run(kept)
    assert window.state.run.state == "paused" and run is not None and run["step"] > 0
    window.close()

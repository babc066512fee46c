"""Closing the window keeps training not saved to a file; the next launch restores it."""

from __future__ import annotations

from gui_support import open_window, use_network

from gui.settings import last_session_path
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

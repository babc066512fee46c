"""Closing the window keeps training not saved to a file; the next launch restores it."""

from __future__ import annotations

from gui.app import create_main_window
from gui.main_window import last_session_path
from model.session import RESTORED_SOURCE


def open_window(qtbot):
    window = create_main_window([])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window._model_info is not None, timeout=15000)
    return window


def test_unsaved_training_survives_closing_and_the_shipped_weights_come_back_on_request(qtbot):
    kept = last_session_path()
    window = open_window(qtbot)
    assert window._model_info.source == "shipped weights"
    panel = window.training_panel
    panel.arch.setCurrentIndex(panel.arch.findData("mlp"))
    panel.epochs.setValue(20.0)
    panel.train_button.click()
    qtbot.waitUntil(lambda: window.loss_plot.raw.size >= 3, timeout=15000)
    window.close()  # mid-training
    assert kept.exists()

    window = open_window(qtbot)
    assert window._model_info.source == RESTORED_SOURCE
    assert window._model_info.arch == "mlp"
    qtbot.waitUntil(lambda: "Restored the network you trained" in window.notice.text(), timeout=5000)

    window.restore_shipped()
    qtbot.waitUntil(lambda: window._model_info.source == "shipped weights", timeout=10000)
    window.close()
    assert not kept.exists()  # nothing unsaved left: the next launch opens the shipped weights

    window = open_window(qtbot)
    assert window._model_info.source == "shipped weights"
    window.close()

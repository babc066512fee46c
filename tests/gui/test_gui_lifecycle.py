"""Opening and closing windows: no thread outlives its window, and closing never hangs."""

from __future__ import annotations

import threading
import time

import pytest
from gui_support import PROXY_VARIABLES, VERTICAL, drag, serve_stalling, use_network
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from gui.app import create_main_window


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def open_window(qtbot):
    window = create_main_window([])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.state.network is not None, timeout=15000)
    return window


def test_closing_mid_training_stops_the_worker_thread(qtbot, window):
    panel = window.training_panel
    use_network(qtbot, window, "mlp")
    panel.epochs.setValue(20.0)  # far longer than the test: the run is cut short by the close
    qtbot.mouseClick(window.findChild(QPushButton, "trainButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.loss_plot.raw.size > 0, timeout=10000)
    assert window.state.run.state == "running"

    started = time.perf_counter()
    window.close()
    assert time.perf_counter() - started < 3
    assert not window.controller.threads_running()
    assert not [t for t in threading.enumerate() if t.name.startswith("digitpad")]
    qtbot.wait(100)  # nothing queued from the dead worker may reach the window now


def test_two_windows_one_after_the_other(qtbot):
    for _ in range(2):
        window = open_window(qtbot)
        with qtbot.waitSignal(window.prediction_shown, timeout=10000) as blocker:
            drag(window.canvas, VERTICAL)
        assert blocker.args[0] is not None
        window.close()
        assert not window.controller.threads_running()


def test_closing_during_a_stalled_download_returns_promptly(qtbot, window, tmp_path):
    with serve_stalling() as (url, requested):
        window.controller.start_download(mirrors=(url,), target=str(tmp_path / "mnist"))
        assert window.download_bar.isVisible()
        assert requested.wait(10), "the download never reached the server"
        qtbot.wait(200)  # the downloader is now blocked reading a body that never comes

        started = time.perf_counter()
        window.close()
        elapsed = time.perf_counter() - started
    assert elapsed < 3, f"closing took {elapsed:.1f} s"
    assert not window.controller.threads_running()
    # The server has let go: the abandoned transfer sees the cancel and removes its partial file.
    folder = tmp_path / "mnist"
    qtbot.waitUntil(lambda: not any(folder.iterdir()), timeout=10000)

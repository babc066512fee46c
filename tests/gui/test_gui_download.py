"""Downloading MNIST from the window, against local mirrors on 127.0.0.1."""

from __future__ import annotations

import pytest
from gui_support import PROXY_VARIABLES, serve_directory, serve_not_found, use_network
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from repo_paths import SHARED_MNIST

from model.data import MNIST_FILES


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.slow
@pytest.mark.skipif(
    not all((SHARED_MNIST / f"{name}.gz").is_file() for name in MNIST_FILES),
    reason=f"the MNIST files are not in {SHARED_MNIST}",
)
def test_download_from_a_mirror_switches_training_to_mnist(qtbot, window, tmp_path):
    assert "practice" in window.training_panel.data_label.text()
    target = tmp_path / "mnist"
    values: list[int] = []
    window.download_bar.valueChanged.connect(values.append)

    with serve_directory(SHARED_MNIST) as url:
        window.controller.start_download(mirrors=(url,), target=str(target))
        assert window.download_bar.isVisible()
        assert window.cancel_download_button.isVisible()
        assert not window.menu_actions.download.isEnabled()
        assert window.statusBar().currentMessage().startswith("Downloading MNIST")
        qtbot.waitUntil(lambda: "MNIST (60,000" in window.training_panel.data_label.text(), timeout=60000)

    assert window.training_panel.data_path_label.full_text() == str(target)
    assert not window.download_bar.isVisible() and window.menu_actions.download.isEnabled()
    assert values and max(values) > 0, "the progress bar never moved"
    assert values == sorted(values), "the progress bar went backwards"
    assert sorted(p.name for p in target.iterdir()) == sorted(f"{name}.gz" for name in MNIST_FILES)
    assert "downloaded" in window.statusBar().currentMessage()


def test_a_failing_mirror_explains_and_training_keeps_the_practice_set(qtbot, window, tmp_path):
    with serve_not_found() as url:
        window.controller.start_download(mirrors=(url,), target=str(tmp_path / "mnist"))
        qtbot.waitUntil(lambda: "could not be downloaded" in window.notice.text(), timeout=15000)
    notice = window.notice.text()
    assert "Not Found" in notice and "practice set" in notice
    assert not window.download_bar.isVisible() and window.menu_actions.download.isEnabled()
    assert "practice" in window.training_panel.data_label.text()

    # Training still works, on the practice set: a short run to the end.
    panel = window.training_panel
    use_network(qtbot, window, "mlp")
    panel.epochs.setValue(0.2)
    qtbot.mouseClick(window.findChild(QPushButton, "trainButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.loss_plot.raw.size > 0, timeout=10000)
    qtbot.waitUntil(lambda: window.state.run.state == "idle", timeout=15000)
    qtbot.waitUntil(lambda: "finished" in window.statusBar().currentMessage(), timeout=5000)
    assert window.state.network.metadata.get("data", "").startswith("the embedded practice set")
    assert window.loss_plot.accuracy.size >= 1  # validated on the practice set's held-out digits


def test_cancel_ends_the_download_with_progress_reports_still_queued(qtbot, window, tmp_path, monkeypatch):
    import time

    from gui_support import serve_stalling

    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with serve_stalling() as (url, requested):
        window.controller.start_download(mirrors=(url,), target=str(tmp_path / "mnist"))
        assert requested.wait(10)
        time.sleep(0.3)  # the transfer has reported progress; those reports wait in the queue
        window.controller.cancel_download()
        qtbot.wait(200)  # now they arrive, after the cancel
        assert not window.state.download.active
        assert window.menu_actions.download.isEnabled() and not window.download_bar.isVisible()
        assert window.statusBar().currentMessage() == "Download cancelled."

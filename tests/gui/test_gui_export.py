"""File › Export to ONNX… and Export training script…: the trainer writes its own network, and
a notice says what was written or why not."""

from __future__ import annotations

import numpy as np
import onnxruntime
import pytest
import torch
from gui_support import use_network
from PySide6.QtWidgets import QFileDialog

from model import export as export_module
from model.checkpoint import DEFAULT_WEIGHTS, load_checkpoint


def file_action(window, text: str):
    files = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "File")
    return next(a for a in files.actions() if a.text().replace("&", "") == text)


def save_to(monkeypatch, path) -> list[str]:
    """Answer the save dialog with `path`; returns the titles of the dialogs asked."""
    asked: list[str] = []

    def answer(parent, title, *args):
        asked.append(title)
        return str(path), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", answer)
    return asked


def test_export_to_onnx_writes_the_network_in_use(qtbot, window, monkeypatch, tmp_path):
    asked = save_to(monkeypatch, tmp_path / "digits")  # no suffix: the export adds .onnx
    file_action(window, "Export to ONNX…").trigger()
    qtbot.waitUntil(lambda: "Exported digits.onnx" in window.notice.text(), timeout=15000)
    assert asked == ["Export the network to ONNX"]
    shipped, _ = load_checkpoint(DEFAULT_WEIGHTS)  # the network in use at start
    pixels = np.random.default_rng(0).random((8, 1, 28, 28), dtype=np.float32)
    session = onnxruntime.InferenceSession(str(tmp_path / "digits.onnx"), providers=["CPUExecutionProvider"])
    with torch.inference_mode():
        expected = shipped(torch.from_numpy(pixels)).numpy()
    assert np.abs(session.run(None, {"pixels": pixels})[0] - expected).max() < 1e-4


def test_export_training_script_takes_the_run_recipe_else_the_panel(qtbot, window, monkeypatch, tmp_path):
    save_to(monkeypatch, tmp_path / "shipped.py")
    file_action(window, "Export training script…").trigger()
    qtbot.waitUntil(lambda: "Exported shipped.py" in window.notice.text(), timeout=15000)
    shipped = (tmp_path / "shipped.py").read_text()
    assert "EPOCHS = 18.0" in shipped and "AUGMENT = True" in shipped  # the run that trained it (Longer)
    assert "the recipe of the run that trained this network" in window.notice.text()

    use_network(qtbot, window, "mlp")  # never trained: the panel's recipe
    window.training_panel.epochs.setValue(2.5)
    save_to(monkeypatch, tmp_path / "fresh")
    file_action(window, "Export training script…").trigger()
    qtbot.waitUntil(lambda: "Exported fresh.py" in window.notice.text(), timeout=15000)
    fresh = (tmp_path / "fresh.py").read_text()
    assert "EPOCHS = 2.5" in fresh and "nn.Linear(784, 256)" in fresh
    assert "the training panel's settings" in window.notice.text()
    compile(fresh, "fresh.py", "exec")


def test_without_onnx_the_menu_says_how_to_get_it_and_asks_nothing(qtbot, window, monkeypatch):
    monkeypatch.setattr(export_module, "onnx_available", lambda: False)
    asked = save_to(monkeypatch, "unused.onnx")
    file_action(window, "Export to ONNX…").trigger()
    assert "pip install onnx" in window.notice.text() and asked == []


@pytest.mark.parametrize("action", ["Export to ONNX…", "Export training script…"])
def test_an_export_that_cannot_be_written_is_a_sentence(qtbot, window, monkeypatch, tmp_path, action):
    save_to(monkeypatch, tmp_path / "no-such-folder" / "out")
    file_action(window, action).trigger()
    qtbot.waitUntil(lambda: "Cannot write to" in window.notice.text(), timeout=15000)
    assert str(tmp_path / "no-such-folder") in window.notice.text()
    assert not (tmp_path / "no-such-folder").exists()

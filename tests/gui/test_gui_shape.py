"""Shape a new network in the window: layers and widths within bounds, the parameter count
shown before anything is built, and the network in use becomes one of that shape."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from gui.shape_dialog import ShapeDialog
from model.networks import build_network, count_parameters


def ok_button(dialog: ShapeDialog):
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_the_parameter_count_shown_is_the_built_networks(qtbot, kind):
    dialog = ShapeDialog()
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentIndex(dialog.kind.findData(kind))
    dialog.layers.setValue(3)
    for box, width in zip(dialog.widths, (40, 30, 20), strict=False):
        box.setValue(width)
    spec = dialog.spec()
    assert spec is not None and ok_button(dialog).isEnabled()
    built = count_parameters(build_network(spec))
    assert f"{built:,} parameters" in dialog.summary.text()
    assert (spec.hidden if kind == "mlp" else spec.channels) == (40, 30, 20)


def test_a_shape_beyond_the_bounds_cannot_be_made_and_says_why(qtbot):
    dialog = ShapeDialog()
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentIndex(dialog.kind.findData("mlp"))
    dialog.layers.setValue(4)
    for box in dialog.widths:
        box.setValue(4096)  # 4 x 4096 wide: the widths are allowed, the count is not
    assert dialog.spec() is None and not ok_button(dialog).isEnabled()
    assert "cannot be built" in dialog.problem.text() and "parameters" in dialog.problem.text()
    assert dialog.widths[0].maximum() == 4096


def test_the_window_trains_the_network_of_the_chosen_shape(qtbot, window, monkeypatch):
    def shaped(self) -> int:
        self.kind.setCurrentIndex(self.kind.findData("mlp"))
        self.layers.setValue(3)
        for box, width in zip(self.widths, (64, 32, 16), strict=False):
            box.setValue(width)
        return ShapeDialog.DialogCode.Accepted

    monkeypatch.setattr(ShapeDialog, "exec", shaped)
    window.training_panel.shape_requested.emit()  # New… › Shape a new network…
    qtbot.waitUntil(lambda: window.state.network.arch == "mlp", timeout=10000)
    network = window.state.network
    assert "784 → 64 → 32 → 16 → 10" in network.description
    assert network.parameters == 784 * 64 + 64 + 64 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10
    window.training_panel.epochs.setValue(0.2)
    window.training_panel.train_button.click()
    qtbot.waitUntil(lambda: window.state.run.evaluation is not None, timeout=30000)
    assert window.state.network.parameters == network.parameters

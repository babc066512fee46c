"""Saving and opening networks from the window (the file dialogs are bypassed via the signals)."""

from __future__ import annotations

import numpy as np
import torch
from gui_support import SEVEN, VERTICAL

from model.checkpoint import load_checkpoint, save_checkpoint
from model.networks import build_network


def expected_probabilities(net, pixels: np.ndarray) -> np.ndarray:
    probabilities, _ = net.forward_with_activations(torch.from_numpy(pixels))
    return probabilities


def test_save_writes_a_checkpoint_of_the_network_in_use(qtbot, window, draw_and_wait, tmp_path):
    shown = draw_and_wait(VERTICAL)
    path = tmp_path / "mine.pt"
    window.controller.save_network(str(path))
    qtbot.waitUntil(lambda: window.state.save_path == str(path), timeout=10000)
    assert "mine.pt" in window.statusBar().currentMessage()

    net, metadata = load_checkpoint(path)
    assert net.spec.kind == window.state.network.arch
    assert isinstance(metadata, dict)
    # The saved weights give exactly the answer on screen for the drawing on screen.
    np.testing.assert_allclose(expected_probabilities(net, window.state.prediction.pixels), shown, atol=1e-6)
    assert not list(tmp_path.glob("*.tmp")), "the temporary file of the atomic save was left behind"


def test_a_corrupt_file_is_refused_with_a_notice_and_the_network_is_kept(
    qtbot, window, draw_and_wait, tmp_path
):
    draw_and_wait(SEVEN)
    kept = tmp_path / "kept.pt"  # the network in use, to compare with afterwards
    window.controller.save_network(str(kept))
    qtbot.waitUntil(lambda: window.state.save_path == str(kept), timeout=10000)
    source = window.state.network.source
    assert source == "kept.pt"  # a saved network is named by its file
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"PK\x03\x04 this is not a network" + bytes(range(256)))

    window.controller.open_network(str(bad))
    qtbot.waitUntil(lambda: "broken.pt" in window.notice.text(), timeout=10000)
    assert "unchanged" in window.notice.text()
    assert window.state.network.source == source

    # The drawing read again: the answer is the one the network from before gives.
    with qtbot.waitSignal(window.prediction_shown, timeout=5000) as again:
        window.controller.request_prediction()
    net, _ = load_checkpoint(kept)
    np.testing.assert_array_equal(again.args[0], expected_probabilities(net, window.state.prediction.pixels))


def test_a_missing_file_is_refused_with_a_notice(qtbot, window, tmp_path):
    source = window.state.network.source
    window.controller.open_network(str(tmp_path / "nowhere.pt"))
    qtbot.waitUntil(lambda: "nowhere.pt" in window.notice.text(), timeout=10000)
    assert "does not exist" in window.notice.text()
    assert window.state.network.source == source


def test_opening_a_good_file_switches_the_network(qtbot, window, draw_and_wait, tmp_path):
    draw_and_wait(VERTICAL)
    other = build_network("mlp", seed=3)
    path = tmp_path / "other.pt"
    save_checkpoint(path, other, {"note": "test"})

    with qtbot.waitSignal(window.prediction_shown, timeout=10000) as reread:
        window.controller.open_network(str(path))
    qtbot.waitUntil(lambda: window.state.network.source == "other.pt", timeout=5000)
    assert window.state.network.arch == "mlp"
    assert window.state.network.metadata.get("note") == "test"
    assert "other.pt" in window.model_label.text()
    # The drawing on the canvas was re-read by the network just opened.
    np.testing.assert_allclose(
        expected_probabilities(other, window.state.prediction.pixels), reread.args[0], atol=1e-6
    )
    assert window.activation_view.layer_names()[1] == "hidden 1"

"""One source of truth: the panel, the status bar and the statistics always describe the
network in use and the run as it is now (issue: stale panel and status after Open, pause,
stop, Restore and Download)."""

from __future__ import annotations

import numpy as np
import torch
from gui_support import SEVEN, serve_not_found, use_network

from model.checkpoint import load_checkpoint, save_checkpoint
from model.networks import ArchSpec, build_network

LONG_RUN = 20.0


def wait_for_run_state(qtbot, window, state: str) -> None:
    qtbot.waitUntil(lambda: window.state.run.state == state, timeout=10000)


def test_first_launch_names_the_shipped_network_the_same_way_everywhere(window):
    network = window.state.network
    assert network.source == "shipped weights"
    assert network.description == "CNN: conv 16 → conv 32 → dense 256 → 10"  # the shipped default CNN
    panel = window.training_panel
    assert panel.network_label.full_text() == "CNN: conv 16 → conv 32 → dense 256 → 10"
    assert panel.origin_label.full_text() == "409,338 parameters · shipped weights"
    assert (
        window.model_label.text() == f"{panel.network_label.full_text()} · {panel.origin_label.full_text()}"
    )
    assert window.training_panel.config().arch == "cnn"


def test_an_opened_cnn_is_what_the_panel_shows_and_continue_trains_it(qtbot, window, draw_and_wait, tmp_path):
    use_network(qtbot, window, "mlp")
    assert "Fully connected" in window.training_panel.network_label.full_text()
    cnn = build_network(ArchSpec(kind="cnn", channels=(8,), fc=32), seed=5)
    path = tmp_path / "small-cnn.pt"
    save_checkpoint(path, cnn, {})
    window.controller.open_network(str(path))
    qtbot.waitUntil(lambda: window.state.network.source == "small-cnn.pt", timeout=10000)
    panel = window.training_panel
    assert panel.network_label.full_text().startswith("CNN: conv 8 → dense 32 → 10")
    assert (
        window.model_label.text() == f"{panel.network_label.full_text()} · {panel.origin_label.full_text()}"
    )

    panel = window.training_panel
    panel.continue_training.setChecked(True)
    panel.epochs.setValue(LONG_RUN)
    draw_and_wait(SEVEN)
    panel.train_button.click()
    wait_for_run_state(qtbot, window, "running")
    qtbot.waitUntil(lambda: window.loss_plot.raw.size >= 2, timeout=15000)
    window.controller.stop()
    wait_for_run_state(qtbot, window, "idle")
    assert window.state.network.description == "CNN: conv 8 → dense 32 → 10"  # not a fresh other net
    assert window.state.network.unsaved_training
    saved = tmp_path / "continued.pt"
    window.controller.save_network(str(saved))
    qtbot.waitUntil(lambda: window.state.save_path == str(saved), timeout=10000)
    continued, _ = load_checkpoint(saved)
    assert continued.spec == cnn.spec
    # Continued from the opened weights: close to them, not a fresh initialisation.
    before = torch.cat([p.flatten() for p in cnn.parameters()])
    after = torch.cat([p.flatten() for p in continued.parameters()])
    fresh = torch.cat([p.flatten() for p in build_network(cnn.spec, seed=0).parameters()])
    assert (after - before).norm() < 0.5 * (fresh - before).norm()


def test_the_status_and_statistics_follow_the_run(qtbot, window):
    use_network(qtbot, window, "mlp")
    panel = window.training_panel
    panel.epochs.setValue(LONG_RUN)
    panel.train_button.click()
    wait_for_run_state(qtbot, window, "running")
    qtbot.waitUntil(lambda: panel.speed_label.text() != "–", timeout=15000)
    assert window.run_label.text() == "Training…"
    assert "digits/s" in panel.speed_label.text()

    panel.train_button.click()  # pause
    wait_for_run_state(qtbot, window, "paused")
    assert window.run_label.text() == "Training paused"
    assert panel.speed_label.text() == "–"  # no speed while nothing moves
    assert panel.time_label.text().endswith("(paused)")
    assert window.training_panel.origin_label.full_text().endswith("· trained here (not saved)")  # at once
    step = panel.step_label.text()
    assert "of" in step

    window.controller.stop()
    wait_for_run_state(qtbot, window, "idle")
    assert window.run_label.text() == ""
    assert panel.speed_label.text() == "–" and panel.time_label.text() == "–"
    assert panel.step_label.text() == step  # what the run did stays true
    assert "(not saved)" in window.model_label.text()


def test_opening_or_restoring_another_network_clears_the_last_ones_statistics(qtbot, window, tmp_path):
    use_network(qtbot, window, "mlp")
    panel = window.training_panel
    panel.epochs.setValue(LONG_RUN)
    panel.train_button.click()
    qtbot.waitUntil(lambda: window.loss_plot.raw.size > 0, timeout=15000)
    window.controller.stop()
    wait_for_run_state(qtbot, window, "idle")
    assert panel.step_label.text() != "–"

    window.controller.open_network("")  # Network › Restore the shipped weights
    qtbot.waitUntil(lambda: window.state.network.source == "shipped weights", timeout=10000)
    assert window.loss_plot.raw.size == 0
    for label in (
        panel.epoch_label,
        panel.step_label,
        panel.speed_label,
        panel.time_label,
        panel.accuracy_label,
    ):
        assert label.text() == "–"
    assert window.state.network.unsaved_training is False
    assert "(not saved)" not in window.model_label.text()


def test_a_failed_download_names_the_data_actually_in_use(qtbot, window, tmp_path):
    mnist = tmp_path / "mnist-in-use"
    mnist.mkdir()
    for name in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        (mnist / f"{name}.gz").write_bytes(b"")  # found by name; read only when training starts
    window.controller.use_data_dir(str(mnist))
    qtbot.waitUntil(lambda: window.state.data_description.startswith("MNIST"), timeout=10000)
    with serve_not_found() as url:
        window.controller.start_download(mirrors=(url,), target=str(tmp_path / "download"))
        qtbot.waitUntil(lambda: window.notice.text() != "", timeout=20000)
    assert "practice set" not in window.notice.text()
    assert "Training keeps using MNIST (60,000 training digits)" in window.notice.text()
    assert window.training_panel.data_label.text().startswith("Trains on MNIST")


def test_the_panel_and_status_bar_can_never_disagree(qtbot, window, tmp_path):
    """Whatever happens, both render the one AppState."""
    for action in (
        lambda: window.controller.new_network("mlp"),
        lambda: window.controller.new_network("cnn"),
        lambda: window.controller.open_network(""),
    ):
        before = window.state.network
        action()
        qtbot.waitUntil(lambda before=before: window.state.network is not before, timeout=10000)
        panel = window.training_panel
        assert (
            window.model_label.text()
            == f"{panel.network_label.full_text()} · {panel.origin_label.full_text()}"
        )
        assert window.training_panel.config().arch == window.state.network.arch
    assert np.isfinite(window.state.network.parameters)


def test_save_right_after_open_writes_each_network_to_its_own_file(qtbot, window, tmp_path):
    """Save is queued behind Open: it must write the network the trainer holds then to that
    network's own file, never the opened network into the previous network's file."""
    first = tmp_path / "first.pt"
    window.controller.save_network(str(first))  # the shipped CNN, now named by its file
    qtbot.waitUntil(lambda: window.state.save_path == str(first), timeout=10000)
    other = tmp_path / "other.pt"
    save_checkpoint(other, build_network("mlp", seed=3), {})
    window.controller.open_network(str(other))
    window.files.save()  # Ctrl+S at once, before the open has been served
    qtbot.waitUntil(lambda: window.state.network.source == "other.pt", timeout=10000)
    qtbot.wait(300)
    kept, _ = load_checkpoint(first)
    assert kept.spec.kind == "cnn", "the opened network was written into the previous network's file"
    assert window.state.save_path == str(other)


def test_only_a_users_file_is_a_save_target(qtbot, window, tmp_path):
    assert window.state.save_path is None  # the shipped weights: Save asks where
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"not a network")
    window.controller.open_network(str(bad))
    qtbot.waitUntil(lambda: "broken.pt" in window.notice.text(), timeout=10000)
    assert window.state.save_path is None  # a file that could not be opened is nobody's target
    window.controller.save_network()  # Save with no file: a sentence, nothing written
    qtbot.waitUntil(lambda: "Save network as" in window.notice.text(), timeout=10000)
    assert list(tmp_path.iterdir()) == [bad]


def test_replacing_a_trained_network_asks_first_and_not_while_it_trains(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    use_network(qtbot, window, "mlp")
    panel = window.training_panel
    panel.epochs.setValue(LONG_RUN)
    panel.train_button.click()
    assert panel.train_button.text() == "Starting…" and not panel.train_button.isEnabled()  # one run
    wait_for_run_state(qtbot, window, "running")
    assert not any(action.isEnabled() for action in window.menu_actions.replacing)
    assert not panel.new_button.isEnabled()
    qtbot.waitUntil(lambda: window.loss_plot.raw.size > 0, timeout=15000)
    window.controller.stop()
    wait_for_run_state(qtbot, window, "idle")
    assert all(action.isEnabled() for action in window.menu_actions.replacing)
    assert window.state.network.unsaved_training

    asked: list[str] = []
    answer = QMessageBox.StandardButton.Cancel
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: asked.append(args[1]) or answer)
    window.files.restore_shipped()
    qtbot.wait(200)
    assert asked == ["Replace the network?"] and window.state.network.arch == "mlp"  # kept
    answer = QMessageBox.StandardButton.Discard
    window.files.new_network("cnn")
    qtbot.waitUntil(lambda: window.state.network.arch == "cnn", timeout=10000)
    assert len(asked) == 2
    window.files.new_network("mlp")  # an untrained network: nothing to lose, nothing asked
    qtbot.waitUntil(lambda: window.state.network.arch == "mlp", timeout=10000)
    assert len(asked) == 2


def test_train_from_random_weights_asks_before_throwing_training_away(qtbot, window, monkeypatch):
    from gui_support import answer_questions
    from PySide6.QtWidgets import QMessageBox

    use_network(qtbot, window, "mlp")
    panel = window.training_panel
    panel.epochs.setValue(LONG_RUN)
    panel.train_button.click()  # an untrained network: nothing to lose, nothing asked
    qtbot.waitUntil(lambda: window.loss_plot.raw.size > 0, timeout=15000)
    window.controller.stop()
    wait_for_run_state(qtbot, window, "idle")
    asked = answer_questions(monkeypatch, QMessageBox.StandardButton.Cancel)
    panel.train_button.click()
    qtbot.wait(200)
    assert asked == ["Replace the network?"] and window.state.run.state == "idle"
    panel.continue_training.setChecked(True)  # continuing keeps the training: nothing asked
    panel.train_button.click()
    wait_for_run_state(qtbot, window, "running")
    assert asked == ["Replace the network?"]
    window.controller.stop()
    wait_for_run_state(qtbot, window, "idle")


def test_save_as_gives_the_file_its_suffix_so_open_lists_it(qtbot, window, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(tmp_path / "my-net"), ""))
    assert window.files.save_as()
    qtbot.waitUntil(lambda: window.state.save_path == str(tmp_path / "my-net.pt"), timeout=10000)
    assert (tmp_path / "my-net.pt").is_file()


def test_a_notice_about_a_network_goes_with_it(qtbot, window):
    window.state.post_notice("MNIST could not be downloaded.")
    window.state.post_network_notice("Restored the network you trained last time.")
    assert "Restored" in window.notice.text() and "MNIST" in window.notice.text()
    window.controller.new_network("mlp")
    qtbot.waitUntil(lambda: window.state.network.arch == "mlp", timeout=10000)
    assert "Restored" not in window.notice.text()
    assert "MNIST could not be downloaded." in window.notice.text()  # not about the network

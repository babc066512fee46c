"""Where it fails: the confusion matrix follows each validation pass; a cell opens its digits;
a digit goes onto the canvas as ink and is read at once; so does a random test digit."""

from __future__ import annotations

import numpy as np
from gui_support import use_network
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from model.confusion import confusion_matrix


def train_until_validated(qtbot, window) -> None:
    use_network(qtbot, window, "mlp")
    window.training_panel.epochs.setValue(0.5)
    window.training_panel.train_button.click()
    qtbot.waitUntil(lambda: window.state.run.evaluation is not None, timeout=30000)
    qtbot.waitUntil(lambda: window.state.validation is not None, timeout=10000)


def test_the_matrix_is_the_last_validation_pass_and_a_cell_opens_its_digits(qtbot, window):
    train_until_validated(qtbot, window)
    dialog = window.failures
    dialog.open_dialog()
    qtbot.waitUntil(lambda: dialog.grid.matrix is not None, timeout=10000)
    evaluation, validation = window.state.run.evaluation, window.state.validation
    matrix = dialog.grid.matrix
    assert matrix.sum() == len(validation.labels)
    assert np.array_equal(matrix, confusion_matrix(validation.labels, evaluation.probabilities.argmax(1)))
    assert np.trace(matrix) / matrix.sum() == evaluation.accuracy  # the figure the panel shows

    true, answer = max(
        ((t, a) for t in range(10) for a in range(10) if t != a), key=lambda cell: matrix[cell]
    )  # the most frequent mistake
    QTest.mouseClick(
        dialog.grid, Qt.MouseButton.LeftButton, pos=dialog.grid.cell_rect(true, answer).center().toPoint()
    )
    shown = min(int(matrix[true, answer]), 100)
    assert dialog.gallery.count() == shown and f"{true}s read as {answer}" in dialog.gallery_caption.text()
    first = dialog.gallery.item(0)
    index = first.data(Qt.ItemDataRole.UserRole)
    assert validation.labels[index] == true

    with qtbot.waitSignal(window.prediction_shown, timeout=10000) as shown_answer:
        dialog.gallery.itemClicked.emit(first)
    assert not window.canvas.is_empty() and window.canvas.can_undo()
    ink = window.canvas.image_array()
    block = ink.shape[0] // 28
    small = ink[: block * 28, : block * 28].reshape(28, block, 28, block).mean(axis=(1, 3))
    correlation = np.corrcoef(small.ravel(), validation.images[index].ravel().astype(float))[0, 1]
    assert correlation > 0.9  # the canvas holds that very digit, enlarged
    assert shown_answer.args[0] is not None and shown_answer.args[0].shape == (10,)
    window.canvas.undo()
    assert window.canvas.is_empty()


def test_a_random_test_digit_before_any_training_is_read_at_once(qtbot, window):
    assert window.state.validation is None  # nothing loaded until asked
    with qtbot.waitSignal(window.prediction_shown, timeout=20000) as answer:
        window.failures.random_test_digit()
    assert window.state.validation is not None and not window.canvas.is_empty()
    assert answer.args[0] is not None
    qtbot.waitUntil(lambda: "Validation digit #" in window.statusBar().currentMessage(), timeout=5000)
    digit = int(window.statusBar().currentMessage().split("it is a ")[1][0])
    assert (
        int(np.argmax(answer.args[0])) == digit or answer.args[0][digit] > 0.01
    )  # the shipped network reads it


def test_the_matrix_waits_for_a_validation_pass(qtbot, window):
    window.failures.open_dialog()
    assert window.failures.grid.matrix is None
    assert "Train to see where the network fails" in window.failures.caption.text()
    grid = window.failures.grid
    QTest.mouseClick(grid, Qt.MouseButton.LeftButton, pos=QPoint(60, 60))  # nothing to open yet
    assert window.failures.gallery.count() == 0


def test_the_matrix_shows_the_answers_the_run_ends_with(qtbot, window):
    """A run with label smoothing ends by making its answers as sure as they are right: the
    gallery's percentages are then those the network gives, not the last pass's before it."""
    seen = []
    window.state.evaluation_added.connect(seen.append)
    train_until_validated(qtbot, window)
    qtbot.waitUntil(lambda: window.state.run.state == "idle", timeout=30000)
    final = window.state.run.evaluation
    assert final is not None and final is not seen[-1]  # calibrated at the end
    assert final.accuracy == seen[-1].accuracy and final.loss < seen[-1].loss
    assert window.failures.evaluation is final

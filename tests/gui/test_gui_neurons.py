"""Inside a neuron: clicking one in the activation view opens the inspector, live with training."""

from __future__ import annotations

import numpy as np
from gui_support import VERTICAL, drag, use_network
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from model.messages import NeuronRef


def click_neuron(qtbot, window, ref: NeuronRef) -> None:
    view = window.activation_view
    qtbot.waitUntil(lambda: view.unit_centre(ref) is not None, timeout=10000)
    centre = view.unit_centre(ref)
    hovered = view.unit_under(centre)
    assert hovered is not None and hovered.ref == ref
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, pos=centre.toPoint())
    qtbot.waitUntil(lambda: getattr(window.state.prediction.inspection, "ref", None) == ref, timeout=10000)


def test_clicking_neurons_shows_their_sums_and_follows_training(qtbot, window) -> None:
    use_network(qtbot, window, "mlp")
    with qtbot.waitSignal(window.prediction_shown, timeout=10000):
        drag(window.canvas, VERTICAL)
    dialog = window.neuron_dialog
    assert not dialog.isVisible()

    hidden = next(layer for layer in window.state.prediction.layers if layer.name == "hidden 1")
    busiest = int(np.argmax(hidden.values))
    click_neuron(qtbot, window, NeuronRef("hidden 1", busiest))
    seen = window.state.prediction.inspection
    assert dialog.isVisible() and dialog.title.text() == f"hidden 1 · neuron {busiest}"
    assert seen.value == abs(seen.value) and np.isclose(seen.value, hidden.values[busiest], atol=1e-5)
    assert seen.weights.shape == (28, 28)  # a first dense layer's weights are a picture of the input
    assert f"= {seen.total:+.3f}" in dialog.sum.text() and "relu" in dialog.sum.text()
    assert dialog.looks_for.isVisible() and not dialog.feature_map.isVisible()
    caption = dialog.looks_for_caption
    assert caption.isVisible() and "Shown with every neuron" in caption.text()

    # Another neuron of the first layer, from the grid of what each of them looks for.
    box = dialog.looks_for
    target = box.target()
    point = target.topLeft() + QPoint(2, 2)
    assert box.unit_at(point) == 0
    QTest.mouseClick(box, Qt.MouseButton.LeftButton, pos=point.toPoint())
    qtbot.waitUntil(lambda: window.state.prediction.inspection.ref == NeuronRef("hidden 1", 0), timeout=10000)

    # Live while training: the same drawing, new weights, a new sum.
    before = window.state.prediction.inspection
    version = window.state.prediction.weights_version
    window.training_panel.epochs.setValue(20.0)
    QTest.mouseClick(window.training_panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.state.prediction.weights_version > version + 2, timeout=20000)
    window.controller.stop()
    qtbot.waitUntil(lambda: window.state.run.state == "idle", timeout=10000)
    after = window.state.prediction.inspection
    assert after.ref == before.ref and not np.array_equal(after.weights, before.weights)
    assert f"= {after.total:+.3f}" in dialog.sum.text()

    dialog.close()
    assert not dialog.isVisible() and dialog.ref is None
    with qtbot.waitSignal(window.prediction_shown, timeout=10000):
        drag(window.canvas, VERTICAL)
    assert window.state.prediction.inspection is None  # not computed when nobody looks


def test_feature_maps_open_with_their_filters_and_place(qtbot, window) -> None:
    with qtbot.waitSignal(window.prediction_shown, timeout=10000):
        drag(window.canvas, VERTICAL)
    ref = NeuronRef("conv 2", 3)
    click_neuron(qtbot, window, ref)
    seen = window.state.prediction.inspection
    dialog = window.neuron_dialog
    layer = next(layer for layer in window.state.prediction.layers if layer.name == "conv 2")
    assert dialog.title.text() == "conv 2 · feature map 3" and dialog.feature_map.isVisible()
    assert seen.weights.ndim == 3 and seen.weights.shape[0] == layer.values.shape[0] // 2  # 16 in, 32 out
    row, col = seen.position
    assert np.isclose(seen.value, layer.values[3, row, col], atol=1e-5)
    assert "maxpool" in dialog.sum.text() and "norm" in dialog.sum.text()
    assert window.activation_view.unit_under(window.activation_view.unit_centre(ref)).place is not None
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and dialog.ref is None


def test_a_tool_window_opens_beside_the_main_window_where_the_screen_has_room() -> None:
    from PySide6.QtCore import QRect, QSize

    from gui.placement import beside

    screen, size = QRect(0, 0, 1920, 1080), QSize(580, 760)
    assert beside(QRect(100, 50, 1177, 736), size, screen) == QPoint(1277, 50)  # on its right
    assert beside(QRect(700, 50, 1177, 736), size, screen) == QPoint(120, 50)  # on its left
    # No room either side: inside the main window's right edge, not over the drawing.
    assert beside(QRect(52, 59, 1177, 736), size, QRect(0, 0, 1280, 800)) == QPoint(649, 40)


def test_the_inspector_opens_beside_the_window_once_then_stays_where_the_user_put_it(qtbot, window) -> None:
    from gui.placement import beside

    dialog = window.neuron_dialog
    dialog.inspect(NeuronRef("conv 1", 0))
    size = dialog.frameGeometry().size()  # its title bar included
    expected = beside(window.frameGeometry(), size, window.screen().availableGeometry())
    assert dialog.pos() == expected
    dialog.move(expected + QPoint(-40, 30))  # the user moves it, closes it, opens another neuron
    dialog.close()
    dialog.inspect(NeuronRef("conv 1", 3))
    assert dialog.pos() == expected + QPoint(-40, 30)


def test_where_it_fails_and_rewind_open_on_the_screen_beside_the_window(qtbot, window) -> None:
    """They take their size when first shown: placed by the size they had before, they opened
    partly off the screen."""
    screen = window.screen().availableGeometry()
    for dialog in (window.failures, window.rewind):
        dialog.open_dialog()
        qtbot.waitExposed(dialog)
        placed = dialog.frameGeometry()
        assert placed.width() > 300
        assert placed.left() >= screen.left() and (
            placed.right() <= screen.right() or placed.left() == screen.left()
        ), (placed, screen)
        dialog.close()


def test_output_labels_thin_out_when_the_window_is_short() -> None:
    from gui.activation_view import digit_label_step

    assert digit_label_step(cell_height=16, text_height=14) == 1  # every digit
    assert digit_label_step(cell_height=5, text_height=14) == 3  # 0, 3, 6, 9: never overlapping
    assert all(digit_label_step(cell, 14) * cell >= 0.9 * 14 for cell in (1, 2.5, 4, 7, 9))
    assert digit_label_step(cell_height=0, text_height=14) >= 10  # no room: the first label only

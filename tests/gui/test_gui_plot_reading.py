"""Reading the plot: log-scale loss, a readout under the pointer, earlier runs faded beneath."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gui_support import pixels_near
from PySide6.QtCore import QEvent, QPointF
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

from gui import theme
from gui.loss_plot import RUNS_KEPT, LossPlot
from model.messages import EvalResult, TrainProgress


def run(plot: LossPlot, steps: int, loss_scale: float, rate: float = 1e-3) -> None:
    plot.add_progress(
        tuple(
            TrainProgress(step, steps, step / 100, loss_scale * math.exp(-step / 80), 1000.0, 1.0, rate)
            for step in range(1, steps + 1)
        )
    )
    plot.add_evaluation(EvalResult(step=steps, epoch=steps / 100, loss=0.3, accuracy=0.95, seconds=1.0))
    plot.refresh()


def shown_plot(qtbot) -> LossPlot:
    """A loss plot on screen, 500x400: the readout and the legend are painted as in the window."""
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(500, 400)
    plot.show()
    qtbot.waitExposed(plot)
    return plot


def test_log_scale_shows_whole_decades_of_loss(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    run(plot, 400, 2.3)  # from 2.3 down to about 0.016
    plot.set_log_loss(True)
    low, high = plot.loss_plot.getViewBox().viewRange()[1]
    assert -2.1 < low <= -2.0 and math.log10(2.5) <= high < 0.5  # 0.01 to 2.5, in log10
    plot.set_log_loss(False)
    low, high = plot.loss_plot.getViewBox().viewRange()[1]
    assert low < 0.0 < 2.5 <= high


def test_the_readout_names_the_values_under_the_pointer(qtbot):
    plot = shown_plot(qtbot)
    run(plot, 400, 2.3, rate=2e-3)
    box = plot.loss_plot.getViewBox()
    plot.scene().sigMouseMoved.emit(box.mapViewToScene(QPointF(2.0, 1.0)))
    text = plot.readout_text
    assert "epoch 2.00" in text and "loss" in text and "rate 0.002" in text
    x, y = plot.smooth.data()
    near = np.searchsorted(x, 2.0)
    assert any(f"loss {y[i]:.3f}" in text for i in (near - 1, near, near + 1))  # the point under it


def test_the_readout_goes_when_the_pointer_leaves_and_when_a_new_run_begins(qtbot):
    plot = shown_plot(qtbot)
    run(plot, 400, 2.3)
    box = plot.loss_plot.getViewBox()
    hover = lambda: plot.scene().sigMouseMoved.emit(box.mapViewToScene(QPointF(2.0, 1.0)))  # noqa: E731
    hover()
    assert plot.readout_text
    QApplication.sendEvent(plot, QEvent(QEvent.Type.Leave))
    assert plot.readout_text == ""
    hover()
    plot.clear_curves()  # a new run: the old run's values are no longer under the pointer
    assert plot.readout_text == ""


def test_the_readout_stays_in_the_corner_as_the_run_widens_the_scales(qtbot):
    plot = shown_plot(qtbot)
    run(plot, 100, 2.3)
    box = plot.loss_plot.getViewBox()
    plot.scene().sigMouseMoved.emit(box.mapViewToScene(QPointF(0.5, 1.0)))
    run(plot, 400, 2.3)  # the pointer stays; the epochs axis grows from 1 to 4
    (_, right), (_, top) = box.viewRange()
    assert right >= 4.0
    assert (plot.readout.pos().x(), plot.readout.pos().y()) == (right, top)


def test_the_legends_validation_dot_is_the_colour_of_the_validation_points(qtbot):
    plot = shown_plot(qtbot)
    legend = int(plot.legend.sceneBoundingRect().bottom()) + 1
    assert pixels_near(plot, (100, 100, 150), tolerance=20, rows=legend) == 0  # pyqtgraph's default brush
    assert pixels_near(plot, theme.VALIDATION, tolerance=20, rows=legend) > 20  # its line and its dot


def test_earlier_runs_stay_faded_with_what_they_were_on_hover(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    for number in range(1, RUNS_KEPT + 3):
        run(plot, 100 * number, 2.3, rate=1e-3 * number)
        plot.clear_curves()  # the next run starts
    assert len(plot.earlier_runs) == RUNS_KEPT  # the oldest ones go
    loss, accuracy = plot.earlier_runs[-1]
    tip = loss.toolTip()
    assert (
        tip.startswith(f"Run {RUNS_KEPT + 2}:") and "5.00 epochs" in tip and "peak learning rate 0.005" in tip
    )
    assert "95.00%" in tip and accuracy.toolTip() == tip
    assert len(loss.xData) == 500 and plot.raw.size == 0


def test_an_earlier_run_is_shown_whole_in_height_up_to_the_epochs_shown(qtbot):
    """A run that began high (its smoothed loss up to 4) stays on the plot under a run whose
    losses stay below 2; beyond the epochs the new run has reached it is cut, as before."""
    plot = LossPlot()
    qtbot.addWidget(plot)
    run(plot, 100, 4.0)
    plot.clear_curves()
    run(plot, 50, 1.5)
    (_, _), (_, top) = plot.loss_plot.getViewBox().viewRange()
    assert top >= plot.earlier_runs[0][0].getData()[1].max() >= 3.5
    (_, right), _ = plot.loss_plot.getViewBox().viewRange()
    assert right < 1.1  # the new run's 0.5 epochs (a round 1), not the faded run's


def test_an_earlier_run_says_its_settings_on_hover_in_the_window(qtbot, window):
    from gui_support import use_network

    use_network(qtbot, window, "mlp")
    panel = window.training_panel
    panel.continue_training.setChecked(False)
    panel.epochs.setValue(0.2)
    panel.batch_size.setValue(64)
    panel.train_button.click()
    qtbot.waitUntil(lambda: window.state.run.state == "idle" and window.loss_plot.raw.size > 0, timeout=30000)
    panel.batch_size.setValue(128)
    panel.continue_training.setChecked(True)  # the trained network learns further: nothing to ask
    panel.train_button.click()
    qtbot.waitUntil(lambda: len(window.loss_plot.earlier_runs) == 1, timeout=30000)
    tip = window.loss_plot.earlier_runs[0][0].toolTip()
    assert "Fully connected" in tip and "adam, batch 64" in tip and "0.2 epochs" in tip
    window.controller.stop()


def drawn_labels(plot: LossPlot) -> dict[str, list[str]]:
    """The tick labels each plot's value axis draws, as pyqtgraph lays them out to paint."""
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        return {
            name: [text for _, _, text in axis.generateDrawSpecs(painter)[2]]
            for name, axis in (
                ("loss", plot.loss_plot.getAxis("left")),
                ("accuracy", plot.accuracy_plot.getAxis("left")),
                ("rate", plot.rate_plot.getAxis("left")),
            )
        }
    finally:
        painter.end()


def test_short_plots_still_say_their_range_and_accuracy_in_percent(qtbot):
    """At the size the window gives them on a 1280x800 screen the three plots are about 40 px
    tall each: each still labels the bottom and top of its scale (pyqtgraph hid every label
    at an end), and accuracy reads as the status bar says it, in percent."""
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(415, 250)
    plot.show()
    qtbot.waitExposed(plot)
    run(plot, 70, 2.3, rate=0.01)
    labels = drawn_labels(plot)
    assert labels["loss"][0] == "0" and len(labels["loss"]) >= 2
    assert labels["accuracy"] == ["90%", "100%"]
    assert labels["rate"] == ["0", "0.01"]
    plot.resize(415, 450)
    qtbot.waitUntil(lambda: len(drawn_labels(plot)["accuracy"]) > 2)
    assert drawn_labels(plot)["accuracy"] == ["90.0%", "92.5%", "95.0%", "97.5%", "100.0%"]


def test_a_short_plot_of_a_small_loss_still_has_a_value_above_zero(qtbot):
    """A run continued from trained weights has losses below 0.3: the loss axis, a few lines
    tall, once kept only its "0" tick, and no scale."""
    plot = shown_plot(qtbot)
    plot.resize(500, 220)  # the loss plot about 30 px tall
    run(plot, 400, 0.3)
    qtbot.wait(50)
    axis = plot.loss_plot.getAxis("left")
    low, high = plot.loss_plot.getViewBox().viewRange()[1]
    ((spacing, _),) = axis.tickSpacing(low, high, axis.geometry().height())
    assert 0 < spacing <= high - low
    assert float(axis.tickStrings([spacing], 1.0, spacing)[0]) == spacing  # its label says its value


def test_the_accuracy_plot_has_the_batches_curve_from_the_first_step(qtbot):
    """Validation passes come late in a short run: the training batches' accuracy, smoothed
    like the loss, shows the rise from chance to almost all right while it happens."""
    plot = shown_plot(qtbot)
    plot.add_progress(
        tuple(
            TrainProgress(step, 50, step / 100, 2.3 / step, 1000.0, 1.0, 1e-3, min(1.0, 0.1 + step / 40))
            for step in range(1, 51)
        )
    )
    plot.refresh()
    epochs, accuracy = plot.batch_accuracy_curve.getData()
    assert len(epochs) == 50 and epochs[0] == 0.01
    assert accuracy[0] == pytest.approx(0.125) and 0.7 < accuracy[-1] < 1.0  # smoothed, from the first
    low, _ = plot.accuracy_plot.getViewBox().viewRange()[1]
    assert low <= 0.1  # the whole rise is in view
    box = plot.loss_plot.getViewBox()
    plot.scene().sigMouseMoved.emit(box.mapViewToScene(QPointF(0.3, 1.0)))
    assert "on batches" in plot.readout_text


def test_before_any_run_the_rate_axis_reaches_the_train_buttons_rate(qtbot):
    from model.messages import TrainConfig

    plot = LossPlot()
    qtbot.addWidget(plot)
    low, high = plot.rate_plot.getViewBox().viewRange()[1]
    assert low <= 0 and TrainConfig().learning_rate <= high < 2 * TrainConfig().learning_rate

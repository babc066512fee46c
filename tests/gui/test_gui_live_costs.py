"""What keeps the window cheap while it trains: round plot ranges, fixed-size live labels,
activation pictures tiled without a Python loop."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtWidgets import QGraphicsItem, QVBoxLayout, QWidget

from gui.live_label import LiveLabel
from gui.loss_plot import LossPlot
from gui.round_numbers import nice_ceiling
from model.messages import EvalResult, TrainProgress


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0021, 0.0025),
        (0.25, 0.25),
        (0.26, 0.3),
        (0.95, 1.0),
        (1.0, 1.0),
        (2.302, 2.5),
        (7.0, 8.0),
        (11, 12.0),
    ],
)
def test_nice_ceiling_is_the_next_round_number(value, expected):
    assert nice_ceiling(value) == pytest.approx(expected)


def test_nice_ceiling_of_nothing_is_one():
    assert nice_ceiling(0.0) == 1.0
    assert nice_ceiling(float("nan")) == 1.0


def progress(step: int, loss: float, steps_per_epoch: int = 400) -> TrainProgress:
    return TrainProgress(step, 10_000, step / steps_per_epoch, loss, 1000.0, 60.0, 1e-3)


def shown_range(plot, axis: int) -> tuple[float, float]:
    return tuple(plot.getViewBox().viewRange()[axis])


def test_plot_ranges_are_round_hold_every_point_and_change_rarely(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.add_progress(tuple(progress(step, 2.3 * np.exp(-step / 50)) for step in range(1, 111)))
    plot.add_evaluation(EvalResult(step=100, epoch=0.25, loss=0.4, accuracy=0.93, seconds=2.0))
    plot.refresh()
    low, high = shown_range(plot.loss_plot, 0)
    assert low < 0 and 0.3 <= high < 0.31  # last point at epoch 0.275, rounded up to 0.3; 2% padding
    low, high = shown_range(plot.loss_plot, 1)
    assert low < 0 and 2.5 <= high < 2.6  # the first loss, 2.25, rounded up to 2.5
    low, high = shown_range(plot.accuracy_plot, 1)
    assert 0.88 < low < 0.9 and 1.0 <= high < 1.01

    # Ten more batches inside the same round range: the view (and the cached axes) stay put.
    before = shown_range(plot.loss_plot, 0)
    plot.add_progress(tuple(progress(step, 0.2) for step in range(111, 121)))  # up to epoch 0.3
    plot.refresh()
    assert shown_range(plot.loss_plot, 0) == before


def test_plot_axes_are_cached_pictures(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    for item in (plot.loss_plot, plot.accuracy_plot):
        for name in ("left", "bottom"):
            assert item.getAxis(name).cacheMode() == QGraphicsItem.CacheMode.DeviceCoordinateCache


def test_clearing_the_plot_shows_the_empty_ranges_again(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.add_progress(tuple(progress(step, 9.0) for step in range(1, 2001)))
    plot.refresh()
    assert shown_range(plot.loss_plot, 0)[1] > 5
    plot.clear_curves()
    assert 1.0 <= shown_range(plot.loss_plot, 0)[1] < 1.03
    assert 2.5 <= shown_range(plot.loss_plot, 1)[1] < 2.6


class LayoutRequestCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


@pytest.mark.parametrize("label_class", [LiveLabel, None])
def test_live_label_text_changes_do_not_lay_the_window_out_again(qtbot, label_class):
    parent = QWidget()
    qtbot.addWidget(parent)
    layout = QVBoxLayout(parent)
    if label_class is None:  # the control: a plain QLabel does re-lay out its parent
        from PySide6.QtWidgets import QLabel

        label = QLabel("–")
    else:
        label = label_class("0,000,000 of 0,000,000", "–")
    layout.addWidget(label)
    parent.show()
    qtbot.waitExposed(parent)
    qtbot.wait(50)  # the layout requests of showing the window are done
    counter = LayoutRequestCounter()
    parent.installEventFilter(counter)
    for step in range(1, 30):
        label.setText(f"{step * 137:,} of 1,407")
        QCoreApplication.processEvents()
    parent.removeEventFilter(counter)
    if label_class is None:
        assert counter.count > 0
    else:
        assert counter.count == 0
        assert label.minimumSize() == label.maximumSize()
        assert label.width() >= label.fontMetrics().horizontalAdvance("1,407,000 of 1,407,000")


def test_activation_columns_are_shared_by_weight_but_never_narrower_than_their_text():
    from gui.layer_pictures import column_widths

    assert column_widths(600, [1, 1, 1], [0, 0, 0]) == pytest.approx([200, 200, 200])
    widths = column_widths(600, [1, 4, 1], [50, 0, 150])
    assert sum(widths) == pytest.approx(600)
    assert widths[2] == pytest.approx(150) and widths[0] >= 50 and widths[1] > widths[0]
    # When the text cannot fit anywhere, the weights decide (and the text wraps).
    assert column_widths(100, [1, 3], [90, 90]) == pytest.approx([25, 75])


def test_feature_maps_are_tiled_row_by_row_with_one_pixel_gaps():
    from gui.layer_pictures import mosaic, tile_grid

    maps = np.random.default_rng(0).random((5, 3, 4))
    grid = mosaic(maps)
    rows, cols = tile_grid(5)
    assert grid.shape == (rows * 4 - 1, cols * 5 - 1)
    for index in range(5):
        r, c = divmod(index, cols)
        assert np.array_equal(grid[r * 4 : r * 4 + 3, c * 5 : c * 5 + 4], maps[index])
    assert np.isnan(grid[3]).all() and np.isnan(grid[:, 4]).all()  # the gaps
    assert np.isnan(grid[4:, 5 * (5 - cols) :]).all()  # the unused tiles of the last row

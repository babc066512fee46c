"""What keeps the window cheap while it trains: round plot ranges, fixed-size live labels, and
a worker that answers a drawing while a training step is under way."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtWidgets import QGraphicsItem, QVBoxLayout, QWidget

import gui.worker
from gui.live_label import LiveLabel
from gui.loss_plot import LossPlot, nice_ceiling
from gui.worker import ModelWorker, PredictRequest
from model.messages import EvalResult, Prediction, TrainProgress


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
    plot._refresh()
    low, high = shown_range(plot.loss_plot, 0)
    assert low < 0 and 0.3 <= high < 0.31  # last point at epoch 0.275, rounded up to 0.3; 2% padding
    low, high = shown_range(plot.loss_plot, 1)
    assert low < 0 and 2.5 <= high < 2.6  # the first loss, 2.25, rounded up to 2.5
    low, high = shown_range(plot.accuracy_plot, 1)
    assert 0.88 < low < 0.9 and 1.0 <= high < 1.01

    # Ten more batches inside the same round range: the view (and the cached axes) stay put.
    before = shown_range(plot.loss_plot, 0)
    plot.add_progress(tuple(progress(step, 0.2) for step in range(111, 121)))  # up to epoch 0.3
    plot._refresh()
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
    plot._refresh()
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


class RecordingSession:
    """Stands in for ModelSession: records what the worker asks of it, in order (from both the
    worker's thread and its training thread); a step lasts until `step_may_end` is set."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.training = True
        self.step_started = threading.Event()
        self.step_may_end = threading.Event()

    def predict(self, request_id: int, image, with_layers: bool = True) -> Prediction:
        self.calls.append(f"predict {request_id}")
        return Prediction(request_id, None, np.zeros((28, 28), np.float32), ())

    def train_for(self, seconds: float, interrupt=None) -> list:
        self.calls.append("step starts")
        self.step_started.set()
        self.step_may_end.wait(timeout=10)
        self.calls.append("step ends")
        return []

    def publish_weights_for_prediction(self) -> None:
        self.calls.append("publish weights")

    def save(self, path: str) -> None:
        self.calls.append("save")


@pytest.fixture
def training_worker(monkeypatch):
    """A worker in this thread, mid-run, whose session only records what it is asked."""
    monkeypatch.setattr(gui.worker._OPTIMISERS_READY, "is_set", lambda: True)
    worker = ModelWorker()
    worker._session = RecordingSession()
    worker._state = "running"
    yield worker
    worker._state = "idle"
    worker._session.step_may_end.set()
    worker._trainer.shutdown(wait=True)
    QCoreApplication.processEvents()


def request(request_id: int) -> PredictRequest:
    return PredictRequest(request_id, np.zeros((28, 28), np.uint8))


def test_a_drawing_is_answered_while_a_training_step_is_under_way(qtbot, training_worker):
    session = training_worker._session
    training_worker._pump()
    assert session.step_started.wait(timeout=5)
    with qtbot.waitSignal(training_worker.prediction_ready, timeout=2000) as answer:
        training_worker.predict(request(7))
    assert answer.args[0].request_id == 7
    assert session.calls == ["step starts", "predict 7"]  # the step has not ended
    session.step_may_end.set()
    # The step's weights are published for the next predictions; the next step starts and
    # the drawing is classified again with the new weights (the first report is due).
    qtbot.waitUntil(lambda: session.calls.count("step starts") >= 2, timeout=2000)
    qtbot.waitUntil(lambda: session.calls.count("predict 7") == 2, timeout=2000)
    assert session.calls[2:4] == ["step ends", "publish weights"]


def test_saving_waits_for_the_step_under_way_and_training_goes_on(qtbot, training_worker, tmp_path):
    session = training_worker._session
    training_worker._pump()
    assert session.step_started.wait(timeout=5)
    threading.Timer(0.2, session.step_may_end.set).start()
    with qtbot.waitSignal(training_worker.saved, timeout=2000):
        training_worker.save(str(tmp_path / "net.pt"))  # blocks this thread until the step ends
    assert session.calls[:4] == ["step starts", "step ends", "publish weights", "save"]
    qtbot.waitUntil(lambda: session.calls.count("step starts") >= 2, timeout=2000)


def test_activation_columns_are_shared_by_weight_but_never_narrower_than_their_text():
    from gui.activation_view import column_widths

    assert column_widths(600, [1, 1, 1], [0, 0, 0]) == pytest.approx([200, 200, 200])
    widths = column_widths(600, [1, 4, 1], [50, 0, 150])
    assert sum(widths) == pytest.approx(600)
    assert widths[2] == pytest.approx(150) and widths[0] >= 50 and widths[1] > widths[0]
    # When the text cannot fit anywhere, the weights decide (and the text wraps).
    assert column_widths(100, [1, 3], [90, 90]) == pytest.approx([25, 75])


def test_feature_maps_are_tiled_row_by_row_with_one_pixel_gaps():
    from gui.activation_view import mosaic, tile_grid

    maps = np.random.default_rng(0).random((5, 3, 4))
    grid = mosaic(maps)
    rows, cols = tile_grid(5)
    assert grid.shape == (rows * 4 - 1, cols * 5 - 1)
    for index in range(5):
        r, c = divmod(index, cols)
        assert np.array_equal(grid[r * 4 : r * 4 + 3, c * 5 : c * 5 + 4], maps[index])
    assert np.isnan(grid[3]).all() and np.isnan(grid[:, 4]).all()  # the gaps
    assert np.isnan(grid[4:, 5 * (5 - cols) :]).all()  # the unused tiles of the last row

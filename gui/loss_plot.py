"""Live training curves: every batch's loss (raw and smoothed), validation loss and accuracy,
and the learning rate each step used, over the schedule planned for the run."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QGraphicsItem, QWidget

from model.messages import EvalResult, TrainConfig, TrainProgress

from . import theme
from .pacing import PACING
from .plot_axes import PercentAxis, ReadableAxis
from .round_numbers import nice_ceiling

RUNS_KEPT = 3  # earlier runs drawn faded under the current one, to compare
MAX_POINTS = 20_000  # past this the raw curves are halved: memory stays bounded on long runs
SMOOTHING = 0.95  # the smoothed curve averages about the last 20 batches
REFRESH_MS = PACING.plot_refresh_ms
LEFT_AXIS_WIDTH = 56  # pixels, the same for both plots, whatever their tick labels


class CurveBuffer:
    """x/y points in preallocated arrays; when full, every other point is dropped."""

    def __init__(self, capacity: int = MAX_POINTS) -> None:
        self.x = np.empty(capacity)
        self.y = np.empty(capacity)
        self.size = 0
        self.stride = 1  # keep one point in `stride` after decimation
        self._skipped = 0

    def append(self, x: float, y: float) -> None:
        self._skipped += 1
        if self._skipped < self.stride:
            return
        self._skipped = 0
        if self.size == len(self.x):
            half = self.size // 2
            self.x[:half] = self.x[1 : self.size : 2][:half]
            self.y[:half] = self.y[1 : self.size : 2][:half]
            self.size = half
            self.stride *= 2
        self.x[self.size] = x
        self.y[self.size] = y
        self.size += 1

    def clear(self) -> None:
        self.size, self.stride, self._skipped = 0, 1, 0

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x[: self.size], self.y[: self.size]


class Smoothed:
    """An exponential moving average over about the last 20 batches, bias-corrected so that it
    starts at the first values, not at 0."""

    def __init__(self) -> None:
        self.average, self.seen = 0.0, 0

    def add(self, value: float) -> float:
        self.average = SMOOTHING * self.average + (1 - SMOOTHING) * value
        self.seen += 1
        return self.average / (1 - SMOOTHING**self.seen)


class LossPlot(pg.GraphicsLayoutWidget):  # type: ignore[misc]  # pyqtgraph has no type information
    """Three stacked plots sharing the epoch axis: loss, validation accuracy, learning rate."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lossPlot")
        self.setBackground(theme.PANEL)
        self.setMinimumSize(340, 180)  # the legend's row and a readable curve
        # The legend has a row of its own above the plots: it never covers a curve, and it is
        # never cut off when the plot is small.
        self.legend = pg.LegendItem(colCount=3, labelTextSize="8pt", horSpacing=14)
        self.addItem(self.legend, row=0, col=0)
        self.loss_plot = self.addPlot(row=1, col=0, axisItems={"left": ReadableAxis("left")})
        self.loss_plot.getAxis("left").set_names("loss")
        self.loss_plot.showGrid(x=True, y=True, alpha=0.15)
        self.loss_plot.setClipToView(True)
        self.loss_plot.setDownsampling(auto=True, mode="peak")
        self.accuracy_plot = self.addPlot(row=2, col=0, axisItems={"left": PercentAxis("left")})
        self.accuracy_plot.getAxis("left").set_names("accuracy", "acc.")
        self.accuracy_plot.getAxis("left").setToolTip(
            "Validation accuracy: the share of the validation digits the network reads right."
        )
        self.accuracy_plot.showGrid(x=True, y=True, alpha=0.15)
        self.accuracy_plot.setXLink(self.loss_plot)
        self.rate_plot = self.addPlot(row=3, col=0, axisItems={"left": ReadableAxis("left")})
        self.rate_plot.getAxis("left").set_names("rate")
        self.rate_plot.setLabel("bottom", "epoch")
        self.rate_plot.showGrid(x=True, y=True, alpha=0.15)
        self.rate_plot.setXLink(self.loss_plot)
        self.rate_plot.getAxis("left").setToolTip(
            "The learning rate of each step. The one-cycle schedule (dashed) warms up over the first "
            "quarter of the run, which is why accuracy can dip early on, then anneals towards zero. "
            "Change the rate in the panel while training: the run follows the new plan."
        )
        for plot in (self.loss_plot, self.accuracy_plot, self.rate_plot):
            plot.hideButtons()  # the ranges are set here: pyqtgraph's "auto-range" button only confuses
            for name in ("bottom", "left"):
                plot.getAxis(name).enableAutoSIPrefix(False)  # "loss (x0.001)" misleads a beginner
            plot.disableAutoRange()  # refresh() sets round ranges that change only now and then
            plot.getAxis("left").setWidth(LEFT_AXIS_WIDTH)  # both plots' epochs line up
            for name in ("left", "bottom"):
                # Axes with their grid lines and labels are repainted from a pixmap until
                # their range changes: replaying them costs more than the curves.
                plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.legend.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.ci.layout.setRowStretchFactor(1, 5)
        self.ci.layout.setRowStretchFactor(2, 4)
        self.ci.layout.setRowStretchFactor(3, 2)
        for plot in (self.loss_plot, self.accuracy_plot):  # the rate plot's epochs serve all three
            plot.getAxis("bottom").setStyle(showValues=False)
            plot.getAxis("bottom").setHeight(6)
        self.raw_curve = self.loss_plot.plot(pen=pg.mkPen(theme.BATCH_LOSS, width=1), name="each batch")
        # One pixel wide: a wider line goes through the path stroker and costs twice the repaint.
        self.smooth_curve = self.loss_plot.plot(pen=pg.mkPen(theme.SMOOTH_LOSS, width=1), name="smoothed")
        self.val_curve = self.loss_plot.plot(
            pen=pg.mkPen(theme.VALIDATION, width=2),
            symbol="o",
            symbolSize=5,
            symbolBrush=theme.VALIDATION,
            name="validation",
        )
        # The legend paints its sample once (it is cached), from the symbols' own brush, which
        # pyqtgraph sets only with the first points: until then, its default grey-blue.
        self.val_curve.scatter.setBrush(theme.VALIDATION)
        for curve in (self.raw_curve, self.smooth_curve, self.val_curve):
            self.legend.addItem(curve, curve.name())
        # The training batches' accuracy, smoothed like the loss and drawn like it: validation
        # passes come later and less often.
        self.batch_accuracy_curve = self.accuracy_plot.plot(pen=pg.mkPen(theme.SMOOTH_LOSS, width=1))
        self.accuracy_curve = self.accuracy_plot.plot(
            pen=pg.mkPen(theme.VALIDATION, width=2),
            symbol="o",
            symbolSize=5,
            symbolBrush=theme.VALIDATION,
        )
        self.plan_curve = self.rate_plot.plot(
            pen=pg.mkPen(theme.MUTED, width=1, style=Qt.PenStyle.DashLine), name="planned rate"
        )
        self.rate_curve = self.rate_plot.plot(pen=pg.mkPen(theme.SMOOTH_LOSS, width=1), name="rate used")
        self.rates = CurveBuffer()
        self.planned = (np.zeros(0), np.zeros(0))
        self.raw = CurveBuffer()
        self.smooth = CurveBuffer()
        self.validation = CurveBuffer(4096)
        self.accuracy = CurveBuffer(4096)
        self.batch_accuracy = CurveBuffer()
        self._smoothed_loss, self._smoothed_accuracy = Smoothed(), Smoothed()
        self._dirty = False
        self._ranges: dict[tuple[int, str], tuple[float, float]] = {}  # (plot, axis) -> range shown
        self._evaluations_dirty = False  # their scatter symbols are costly to rebuild: only when new
        self.log_loss = False
        self._show_empty_ranges()
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self.earlier_runs: list[tuple[pg.PlotDataItem, pg.PlotDataItem]] = []  # oldest first
        self.run_settings = ""  # of the run on the plot, in a few words (the window sets it)
        self._runs_seen = 0
        # A readout of the curves under the pointer, in the loss plot's top right corner: it
        # takes no room from the curves when the pointer is elsewhere.
        self.readout = pg.TextItem(color=theme.MUTED, anchor=(1, 0))
        self.readout.setFont(QFont(self.font().family(), 8))
        self.readout.setZValue(10)
        self.loss_plot.addItem(self.readout, ignoreBounds=True)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.loss_plot.getViewBox().sigRangeChanged.connect(self._place_readout)

    def set_log_loss(self, on: bool) -> None:
        """Loss on a logarithmic axis: the late, slow part of learning becomes visible."""
        self.log_loss = on
        self.loss_plot.setLogMode(y=on)
        self._ranges.pop((id(self.loss_plot), "y"), None)
        self._dirty = True
        if self.raw.size:
            self.refresh()
        else:
            self._show_empty_ranges()

    def _archive_run(self) -> None:
        """Keep the run just ended as faded curves, with what it was on hover."""
        epochs, smoothed = self.smooth.data()
        if not len(epochs):
            return
        self._runs_seen += 1
        peak = float(self.rates.data()[1].max()) if self.rates.size else float("nan")
        accuracy = self.accuracy.data()[1]
        summary = (
            f"Run {self._runs_seen}: {epochs[-1]:.2f} epochs, peak learning rate {peak:.4g}, "
            f"last smoothed loss {smoothed[-1]:.3f}"
            + (f", validation accuracy {accuracy[-1]:.2%}" if len(accuracy) else "")
            + (f"\n{self.run_settings}" if self.run_settings else "")
        )
        self.run_settings = ""
        faded = QColor(*theme.SMOOTH_LOSS)
        faded.setAlphaF(0.35)
        loss = self.loss_plot.plot(epochs.copy(), smoothed.copy(), pen=pg.mkPen(faded, width=1))
        colour = QColor(*theme.VALIDATION)
        colour.setAlphaF(0.35)
        right = self.accuracy_plot.plot(
            *[a.copy() for a in self.accuracy.data()], pen=pg.mkPen(colour, width=1)
        )
        for item in (loss, right):
            item.setZValue(-1)
            item.setToolTip(summary)
        self.earlier_runs.append((loss, right))
        while len(self.earlier_runs) > RUNS_KEPT:
            for item, plot in zip(
                self.earlier_runs.pop(0), (self.loss_plot, self.accuracy_plot), strict=True
            ):
                plot.removeItem(item)

    def _on_mouse_moved(self, position: object) -> None:
        box = self.loss_plot.getViewBox()
        epoch = float(box.mapSceneToView(position).x())
        parts = [f"epoch {epoch:.2f}"]
        for name, buffer, form in (
            ("loss", self.smooth, "{:.3f}"),
            ("accuracy", self.accuracy, "{:.1%}"),
            ("on batches", self.batch_accuracy, "{:.1%}"),
            ("rate", self.rates, "{:.2g}"),
        ):
            x, y = buffer.data()
            if len(x) and x[0] <= epoch <= x[-1] * 1.02:
                index = min(int(np.searchsorted(x, epoch)), len(x) - 1)
                parts.append(f"{name} {form.format(y[index])}")
        self.readout.setText(" · ".join(parts) if len(parts) > 1 else "")
        self._place_readout()

    def leaveEvent(self, event: QEvent) -> None:
        """The readout is about the point under the pointer: none once it has left."""
        self.readout.setText("")
        super().leaveEvent(event)

    def _place_readout(self) -> None:
        """In the corner, also when the scales grow under a still pointer (it lives in data
        coordinates, which would carry it off to the left)."""
        (_, right), (_, top) = self.loss_plot.getViewBox().viewRange()
        self.readout.setPos(right, top)

    @property
    def readout_text(self) -> str:
        """What the readout says now ("" when the pointer is off the curves)."""
        return str(self.readout.toPlainText())

    def clear_curves(self) -> None:
        self._archive_run()
        self.readout.setText("")  # it read the curves just archived
        for buffer in self._buffers():
            buffer.clear()
        self.set_schedule((np.zeros(0), np.zeros(0)))
        self._smoothed_loss, self._smoothed_accuracy = Smoothed(), Smoothed()
        self._dirty = self._evaluations_dirty = True
        self._show_empty_ranges()
        self.refresh()

    def add_progress(self, messages: tuple[TrainProgress, ...]) -> None:
        for message in messages:
            self.raw.append(message.epoch, message.loss)
            self.smooth.append(message.epoch, self._smoothed_loss.add(message.loss))
            self.rates.append(message.epoch, message.learning_rate)
            if math.isfinite(message.batch_accuracy):
                accuracy = self._smoothed_accuracy.add(message.batch_accuracy)
                self.batch_accuracy.append(message.epoch, accuracy)
        self._mark_dirty()

    def set_schedule(self, planned: tuple[np.ndarray, np.ndarray]) -> None:
        """The learning rate planned for every step of the run (epochs, rates)."""
        self.planned = (np.asarray(planned[0], float), np.asarray(planned[1], float))
        self.plan_curve.setData(*self.planned)
        self._mark_dirty()

    def add_evaluation(self, result: EvalResult) -> None:
        self.validation.append(result.epoch, result.loss)
        self.accuracy.append(result.epoch, result.accuracy)
        self._evaluations_dirty = True
        self._mark_dirty()

    def point_count(self) -> int:
        """Points held by all curves: bounded however long training runs."""
        return sum(b.size for b in self._buffers()) + len(self.planned[0])

    def _buffers(self) -> tuple[CurveBuffer, ...]:
        return (self.raw, self.smooth, self.validation, self.accuracy, self.rates, self.batch_accuracy)

    def _mark_dirty(self) -> None:
        """Refresh now if the last refresh is old enough, else when it is: the new points are
        painted in the same frame as the rest of the window's news, never later than REFRESH_MS."""
        self._dirty = True
        if not self._timer.isActive():
            self.refresh()
            self._timer.start()  # the quiet time after this refresh

    def refresh(self) -> None:
        if not self._dirty:
            self._timer.stop()
            return
        self._dirty = False
        self.raw_curve.setData(*self.raw.data())
        self.smooth_curve.setData(*self.smooth.data())
        self.rate_curve.setData(*self.rates.data())
        self.batch_accuracy_curve.setData(*self.batch_accuracy.data())
        if self._evaluations_dirty:
            self._evaluations_dirty = False
            self.val_curve.setData(*self.validation.data())
            self.accuracy_curve.setData(*self.accuracy.data())
        self._fit_ranges()

    def _show_empty_ranges(self) -> None:
        self._set_range(self.loss_plot, "x", 0.0, 1.0)
        if self.log_loss:
            self._set_range(self.loss_plot, "y", -2.0, math.log10(2.5))
        else:
            self._set_range(self.loss_plot, "y", 0.0, 2.5)  # an untrained net's loss is ln 10 = 2.3
        self._set_range(self.accuracy_plot, "y", 0.0, 1.0)
        self._set_range(self.rate_plot, "y", 0.0, nice_ceiling(TrainConfig().learning_rate))  # the button's

    def _fit_ranges(self) -> None:
        """Show all points in round ranges: epochs from 0, loss from 0, accuracy up to 1."""
        epochs = np.concatenate([self.raw.data()[0], self.validation.data()[0]])
        if not len(epochs):
            return
        right = nice_ceiling(float(epochs.max()))
        self._set_range(self.loss_plot, "x", 0.0, right)
        losses = np.concatenate([self.raw.data()[1], self.validation.data()[1], self._earlier_losses(right)])
        finite = losses[np.isfinite(losses)]
        if len(finite) and self.log_loss:
            positive = finite[finite > 0]
            if len(positive):  # whole decades below, a round number above
                decade = float(math.floor(math.log10(float(positive.min()))))
                self._set_range(self.loss_plot, "y", decade, math.log10(nice_ceiling(float(positive.max()))))
        elif len(finite):
            self._set_range(self.loss_plot, "y", 0.0, nice_ceiling(float(finite.max())))
        accuracies = np.concatenate([self.accuracy.data()[1], self.batch_accuracy.data()[1]])
        if len(accuracies):
            # The batches' accuracy starts near chance, so the row spans the whole rise; a run
            # continued from trained weights zooms to tenths below 1.
            low = math.floor(10 * float(accuracies.min())) / 10
            self._set_range(self.accuracy_plot, "y", min(low, 0.9), 1.0)
        rates = np.concatenate([self.rates.data()[1], self.planned[1]])
        if len(rates) and np.isfinite(rates).all():
            self._set_range(self.rate_plot, "y", 0.0, nice_ceiling(float(rates.max())))

    def _earlier_losses(self, right: float) -> np.ndarray:
        """The faded runs' losses up to the epoch the axis ends at: the run they are compared
        with is shown whole in height, never cut off above the current run's losses."""
        parts = [np.zeros(0)]
        for loss, _ in self.earlier_runs:
            epochs, values = loss.getData()
            if epochs is not None and values is not None:
                parts.append(values[epochs <= right])
        return np.concatenate(parts)

    def _set_range(self, plot: pg.PlotItem, axis: str, low: float, high: float) -> None:
        if self._ranges.get((id(plot), axis)) == (low, high):
            return
        self._ranges[(id(plot), axis)] = (low, high)
        if axis == "x":
            plot.setXRange(low, high, padding=0.02)
        else:
            plot.setYRange(low, high, padding=0.02)

"""Rewind: the run's timeline. Dragging the scrubber shows the drawing's answer, bars and
activations as they were at that step; "Continue from here" branches a new run from there."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from model.timeline import TimelinePoint

from . import theme
from .controller import Controller
from .placement import open_beside_parent
from .state import AppState, RunStatus


class RewindDialog(QDialog):
    """Network › Rewind: a scrubber over the snapshots kept while the run trained."""

    def __init__(self, state: AppState, controller: Controller, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Rewind the run")
        self._state, self._controller = state, controller
        self._showing: TimelinePoint | None = None  # the point whose weights read the drawing
        self._run_when_shown: RunStatus | None = None  # any news of the run after it ends the showing
        self.scrubber = QSlider(Qt.Orientation.Horizontal)
        self.scrubber.setMinimumWidth(420)
        self.scrubber.setToolTip("Drag: the answer, the bars and the activations as they were then")
        self.where = QLabel()
        self.where.setObjectName("rewindWhere")
        self.hint = theme.muted(QLabel())
        self.hint.setWordWrap(True)
        self.now_button = QPushButton("Back to now")
        self.branch_button = QPushButton("Continue from here")
        self.branch_button.setToolTip(
            "The network takes these weights; Train (with Continue ticked) then trains a new run from here."
        )
        buttons = QHBoxLayout()
        buttons.addWidget(self.now_button)
        buttons.addStretch(1)
        buttons.addWidget(self.branch_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(self.scrubber)
        layout.addWidget(self.where)
        layout.addLayout(buttons)
        self.scrubber.valueChanged.connect(self._on_scrubbed)
        self.now_button.clicked.connect(self.back_to_now)
        self.branch_button.clicked.connect(self.continue_from_here)
        state.timeline_changed.connect(self._refresh)
        state.run_changed.connect(self._on_run_changed)
        self._refresh()

    @property
    def showing(self) -> TimelinePoint | None:
        return self._showing

    def open_dialog(self) -> None:
        self._refresh()
        open_beside_parent(self)
        self.activateWindow()

    def back_to_now(self) -> None:
        if self._showing is not None:
            self._showing = None
            self._controller.show_point(None)
        points = self._state.timeline
        self.scrubber.blockSignals(True)
        self.scrubber.setValue(max(0, len(points) - 1))
        self.scrubber.blockSignals(False)
        self._describe()

    def continue_from_here(self) -> None:
        if self._showing is not None:
            self._controller.rewind(self._showing)
            self._state.post_status(
                f"The network is back at step {self._showing.step:,}: press Train (Continue ticked) "
                "to branch a new run from there.",
                10000,
            )
            self._showing = None
            self._describe()

    def done(self, result: int) -> None:
        self.back_to_now()  # closing the timeline leaves the network as it is now
        super().done(result)

    def _on_scrubbed(self, index: int) -> None:
        points = self._state.timeline
        if not points or self._state.run.state == "running":
            return
        point = points[min(index, len(points) - 1)]
        latest = index >= len(points) - 1
        if latest and self._showing is not None:
            self.back_to_now()
            return
        if not latest and point is not self._showing:
            self._showing, self._run_when_shown = point, self._state.run
            self._controller.show_point(point)
        self._describe()

    def _on_run_changed(self, run: RunStatus) -> None:
        if self._showing is not None and run != self._run_when_shown:
            self._showing = None  # a step, a pause or a stop: the weights of now read the drawing
        self._refresh()

    def _refresh(self, *_: object) -> None:
        points = self._state.timeline
        running = self._state.run.state in ("running", "starting")
        self.scrubber.blockSignals(True)
        self.scrubber.setRange(0, max(0, len(points) - 1))
        if self._showing is None:
            self.scrubber.setValue(max(0, len(points) - 1))
        self.scrubber.blockSignals(False)
        self.scrubber.setEnabled(len(points) > 1 and not running)
        if not points:
            self.hint.setText(
                "Train, and the weights it goes through are kept here (up to 64 moments of the run)."
            )
        elif running:
            self.hint.setText("Pause or stop the run to go back through it.")
        else:
            self.hint.setText(
                f"{len(points)} moments of the run, from step {points[0].step:,} to {points[-1].step:,}: "
                "drag to see your drawing read as it was then."
            )
        self._describe()

    def _describe(self) -> None:
        point = self._showing
        self.branch_button.setEnabled(point is not None)
        self.now_button.setEnabled(point is not None)
        if point is None:
            now = "The right end of the scrubber is the network as it is now."
            self.where.setText(now if self._state.timeline else "")
        else:
            self.where.setText(
                f"<b>Step {point.step:,}</b> (epoch {point.epoch:.2f}): loss of that batch {point.loss:.3f}"
            )

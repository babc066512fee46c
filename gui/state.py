"""The one owner of what the window shows: every fact in one place, every view told of changes.

A view never keeps its own copy of a fact that can go stale: it renders what this object
holds, when this object says it changed. Only the controller writes here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from model.confusion import ValidationSet
from model.messages import EvalResult, ModelInfo, Prediction, TrainFinished, TrainProgress
from model.timeline import TimelinePoint

if TYPE_CHECKING:  # both import torch, which loads after the window is up
    from model.handwriting import Example
    from model.teaching import TeachProgress

RUN_STATES = ("idle", "starting", "running", "paused")


@dataclass(frozen=True)
class RunStatus:
    """The training run of the network in use, as far as the window knows it."""

    state: str = "idle"  # "idle", "starting" (asked, not yet under way), "running" or "paused"
    progress: TrainProgress | None = None  # the last step reported
    evaluation: EvalResult | None = None  # the last validation pass
    taught_since: bool = False  # the network learnt a correction after that pass

    @property
    def live(self) -> bool:
        """Steps are being made now: speed and time left mean something."""
        return self.state == "running"


@dataclass(frozen=True)
class TeachStatus:
    """The correction being learnt (or the last one), as the answer panel shows it."""

    label: int | None = None  # None: nothing taught since the network was opened
    before: np.ndarray | None = None  # the drawing's probabilities before the correction
    losses: tuple[float, ...] = ()  # the drawing's loss at each learning step so far
    rehearsal: tuple[int, int] = (0, 0)  # once learnt: rehearsal steps done, of how many
    done: bool = False
    during_run: bool = False  # a training run under way has the drawing in its batches
    gave_up: bool = False  # the step limit came before the drawing read as the taught digit
    # What the network now reads the drawing as: its own readings while it learns and
    # rehearses; once done, the answers shown for it (a run may bring the old answer back).
    read_as: int | None = None
    on_canvas: bool = True  # the taught drawing is still the one on the canvas


@dataclass(frozen=True)
class DownloadStatus:
    active: bool = False
    fraction: float = 0.0  # 0-1 of all four files
    target: str = ""


class AppState(QObject):
    """Facts: the network in use, its run, the data Train uses, the download, the drawing's answer."""

    network_changed = Signal(object)  # ModelInfo
    run_changed = Signal(object)  # RunStatus
    run_reset = Signal()  # a new run, or another network: the curves start again
    progress_added = Signal(object)  # tuple[TrainProgress, ...]: the steps since the last report
    evaluation_added = Signal(object)  # EvalResult
    data_changed = Signal(str)
    download_changed = Signal(object)  # DownloadStatus
    prediction_changed = Signal(object)  # Prediction (probabilities None: nothing drawn)
    notice_posted = Signal(str, bool)  # something the user must read; True: about the network in use
    network_notices_expired = Signal()  # the network those were about has been replaced
    status_posted = Signal(str, int)  # a passing message and how many ms it stays
    teaching_changed = Signal(object)  # TeachStatus
    examples_changed = Signal(object)  # tuple[Example, ...]
    validation_changed = Signal(object)  # ValidationSet
    timeline_changed = Signal(object)  # tuple[TimelinePoint, ...] of the run
    schedule_changed = Signal(object)  # (epochs, learning rates) of every step of the run, as planned

    def __init__(self) -> None:
        super().__init__()
        self._validation: ValidationSet | None = None
        self._timeline: tuple[TimelinePoint, ...] = ()
        self._network: ModelInfo | None = None
        self._run = RunStatus()
        # The run's last step when a correction was learnt during it: a validation pass of that
        # step pauses between batches, and the correction may have come in mid-way.
        self._taught_at_step: int | None = None
        self._learnt_version: int | None = None  # see correction_learnt
        self._data = ""
        self._download = DownloadStatus()
        self._prediction: Prediction | None = None
        self._teaching = TeachStatus()
        self._examples: tuple[Example, ...] = ()

    # -- read-only facts ------------------------------------------------------------------
    @property
    def network(self) -> ModelInfo | None:
        """The network in use; None until the trainer has loaded one."""
        return self._network

    @property
    def run(self) -> RunStatus:
        return self._run

    @property
    def data_description(self) -> str:
        """What Train uses, as a phrase ("MNIST (60,000 training digits) from ...")."""
        return self._data

    @property
    def download(self) -> DownloadStatus:
        return self._download

    @property
    def prediction(self) -> Prediction | None:
        """The answer on screen, for the drawing on the canvas."""
        return self._prediction

    @property
    def teaching(self) -> TeachStatus:
        return self._teaching

    @property
    def examples(self) -> tuple[Example, ...]:
        """The user's handwriting examples, oldest first."""
        return self._examples

    @property
    def save_path(self) -> str | None:
        """The file Save writes to: the one the network in use was opened from or last saved to."""
        return None if self._network is None else self._network.path

    def network_title(self) -> str:
        """What the network in use is: its layers."""
        return "Loading the network…" if self._network is None else self._network.description

    def network_details(self) -> str:
        """Its size and where its weights come from."""
        info = self._network
        return "" if info is None else f"{info.parameters:,} parameters · {info.origin}"

    def network_summary(self) -> str:
        """How the status bar names the network in use: the panel's two lines, on one."""
        details = self.network_details()
        return f"{self.network_title()} · {details}" if details else self.network_title()

    def run_settings(self) -> str:
        """The settings of the network's last run, in a few words ("" if it has none)."""
        info = self._network
        config = info.metadata.get("config") if info is not None else None
        if not isinstance(config, dict):
            return ""
        try:
            return (
                f"{info.description if info else ''}; {config['optimizer']}, batch {config['batch_size']}, "
                f"peak rate {float(config['learning_rate']):.4g}, {float(config['epochs']):g} epochs"
            )
        except (KeyError, TypeError, ValueError):
            return ""

    def run_summary(self) -> str:
        """A few words on the run, for the status bar."""
        run = self._run
        if run.state == "running":
            return "Training…"
        if run.state == "paused":
            return "Training paused"
        if run.state == "starting":
            return "Preparing the data…"
        return ""

    def data_in_use(self) -> tuple[str, str]:
        """What Train uses and where it is: ("MNIST (60,000 training digits)", "/path"); the
        practice set has no folder."""
        what, _, where = self._data.partition(" from ")
        return what, where

    # -- written by the controller --------------------------------------------------------
    def set_network(self, info: ModelInfo, replaced: bool) -> None:
        self._network = info
        if replaced:  # another network: the last one's run, curves and notices are not its own
            self._reset_run(RunStatus())
            self._teaching = TeachStatus()
            self.teaching_changed.emit(self._teaching)
            self.network_notices_expired.emit()
            self.set_timeline(())
        self.network_changed.emit(info)

    def request_run(self) -> None:
        """Train was pressed: nothing changes but the buttons until the trainer accepts it."""
        self.set_run_state("starting")

    @Slot()
    def begin_run(self) -> None:
        """The trainer accepted a run: the last run's curves and statistics go."""
        self._reset_run(RunStatus(state=self._run.state))

    @Slot(object)
    def set_timeline(self, points: tuple[TimelinePoint, ...]) -> None:
        self._timeline = points
        self.timeline_changed.emit(points)

    @property
    def timeline(self) -> tuple[TimelinePoint, ...]:
        """Snapshots of the run's weights (the last run's, until another starts)."""
        return self._timeline

    @Slot(object)
    def set_schedule(self, planned: tuple[np.ndarray, np.ndarray]) -> None:
        self.schedule_changed.emit(planned)

    @Slot(object)
    def set_validation(self, validation: ValidationSet) -> None:
        self._validation = validation
        self.validation_changed.emit(validation)

    @property
    def validation(self) -> ValidationSet | None:
        """The digits runs are validated on (None until the trainer has loaded them)."""
        return self._validation

    def _reset_run(self, run: RunStatus) -> None:
        self._run = run
        self._taught_at_step = None
        self.run_reset.emit()
        self.run_changed.emit(self._run)

    @Slot(str)
    def set_run_state(self, state: str) -> None:
        if state not in RUN_STATES:
            raise ValueError(f"unknown run state {state!r}")
        self._run = replace(self._run, state=state)
        self.run_changed.emit(self._run)
        if self._teaching.during_run and state == "idle":  # no run under way any more
            self._teaching = replace(self._teaching, during_run=False)
            self.teaching_changed.emit(self._teaching)

    @Slot(object)
    def add_progress(self, steps: tuple[TrainProgress, ...]) -> None:
        self._run = replace(self._run, progress=steps[-1])
        self.progress_added.emit(steps)
        self.run_changed.emit(self._run)

    @Slot(object)
    def add_evaluation(self, result: EvalResult) -> None:
        interrupted = self._taught_at_step is not None and self._taught_at_step >= result.step
        self._run = replace(self._run, evaluation=result, taught_since=interrupted)
        self.evaluation_added.emit(result)
        self.run_changed.emit(self._run)

    def finish_run(self, finished: TrainFinished) -> None:
        """A run ended: its last validation pass is the one to show."""
        self._taught_at_step = None
        if finished.final_eval is not None:
            self._run = replace(self._run, evaluation=finished.final_eval)
        self.run_changed.emit(self._run)

    @Slot(str)
    def set_data_description(self, text: str) -> None:
        self._data = text
        self.data_changed.emit(text)

    def set_download(self, status: DownloadStatus) -> None:
        self._download = status
        self.download_changed.emit(status)

    def set_prediction(self, prediction: Prediction) -> None:
        """The answer shown; for the drawing the user taught a digit, never "?" (they said it is one)."""
        teaching = self._teaching
        if prediction.unknown and teaching.label is not None and teaching.on_canvas:
            prediction = replace(prediction, unknown=False, vouched=True)
        self._prediction = prediction
        self.prediction_changed.emit(prediction)
        teaching, learnt = self._teaching, self._learnt_version
        shows_it = teaching.label is not None and teaching.done and teaching.on_canvas
        if shows_it and learnt is not None and prediction.weights_version >= learnt:
            read_as = prediction.digit
            if read_as is not None and read_as != teaching.read_as:
                self._teaching = replace(teaching, read_as=read_as)
                self.teaching_changed.emit(self._teaching)

    def begin_teaching(self, label: int) -> None:
        before = None if self._prediction is None else self._prediction.probabilities
        self._teaching = TeachStatus(label, before, during_run=self._run.state in ("running", "paused"))
        self._learnt_version = None
        if self._prediction is not None and self._prediction.unknown:
            self.set_prediction(self._prediction)  # the user said it is a digit
        self.teaching_changed.emit(self._teaching)

    def correction_learnt(self, label: int, version: int) -> None:
        """The weights of this version learnt the correction: answers from them on say what the
        drawing now reads as."""
        if label == self._teaching.label:  # not the last correction's, reported late
            self._learnt_version = version

    @Slot()
    def drawing_changed(self) -> None:
        """Another drawing: the marks of what the taught one read before its correction go,
        and, once the correction is learnt, its line too: they are not about this drawing."""
        teaching = self._teaching
        if teaching.label is None or (not teaching.on_canvas and not teaching.done):
            return
        self._teaching = TeachStatus() if teaching.done else replace(teaching, before=None, on_canvas=False)
        if teaching.done:
            self._learnt_version = None
        self.teaching_changed.emit(self._teaching)

    @Slot(str)
    def teaching_not_learnt(self, why: str) -> None:
        """The correction asked for was not learnt (no ink left, say): no "Learning 7…" for good."""
        self._teaching, self._learnt_version = TeachStatus(), None
        self.teaching_changed.emit(self._teaching)
        self.post_notice(why)

    @Slot(object)
    def add_teach_progress(self, steps: tuple[TeachProgress, ...]) -> None:
        steps = tuple(step for step in steps if step.label == self._teaching.label)
        if not steps:  # the last correction's, reported after the user asked for the next
            return
        teaching, last = self._teaching, steps[-1]
        losses = list(teaching.losses)
        for step in steps:  # the learnt step comes again, marked done, when a run takes over
            if not step.rehearsed and step.step == len(losses):
                losses.append(step.loss)
            if step.just_learnt:
                teaching = replace(teaching, gave_up=int(np.argmax(step.probabilities)) != step.label)
        handed_to_run = last.done and last.rehearsed < last.rehearsal_steps  # a starting run took over
        self._teaching = replace(
            teaching,
            losses=tuple(losses),
            rehearsal=(last.rehearsed, last.rehearsal_steps),
            done=last.done,
            read_as=int(np.argmax(last.probabilities)) if last.learnt else teaching.read_as,
            during_run=teaching.during_run or handed_to_run,
        )
        self.teaching_changed.emit(self._teaching)
        if self._run.state in ("running", "paused") and self._run.progress is not None:
            self._taught_at_step = self._run.progress.step
        if self._run.evaluation is not None and not self._run.taught_since:  # the weights moved
            self._run = replace(self._run, taught_since=True)
            self.run_changed.emit(self._run)

    @Slot(object)
    def set_examples(self, examples: tuple[Example, ...]) -> None:
        self._examples = examples
        self.examples_changed.emit(examples)

    def post_notice(self, text: str, about_network: bool = False) -> None:
        self.notice_posted.emit(text, about_network)

    def post_network_notice(self, text: str) -> None:
        self.post_notice(text, about_network=True)

    def post_status(self, text: str, milliseconds: int = 5000) -> None:
        self.status_posted.emit(text, milliseconds)

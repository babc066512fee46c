"""The trainer: owns the network being trained, in a QThread of its own.

Only this thread ever touches that network, its optimizer and its data: every request
(open, save, a new network, train, pause, stop) is a queued slot, and Qt runs slots between
two training slices, never during one. So no slot has to stop a slice first and no lock is
needed. After each slice the trainer publishes a read-only snapshot of its weights, which
the predictor copies into a network of its own. Only frozen messages and numpy copies leave.
"""

from __future__ import annotations

import threading
import time
import traceback
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from model.messages import (
    SHIPPED_SOURCE,
    EvalResult,
    ModelInfo,
    TrainConfig,
    TrainFinished,
    TrainProgress,
)

from . import collection
from .kept_network import KeptTraining
from .pacing import PACING, Pacing, ProgressReports
from .trainer_exports import ExportSlots
from .trainer_lab import LabSlots
from .trainer_teaching import TeachingSlots

if TYPE_CHECKING:  # torch loads in this thread, after the window is up
    from model.confusion import ValidationSet
    from model.session import ModelSession
    from model.snapshot import WeightSnapshot


WARM_UP_DELAY_MS = 1500  # within the first seconds, which already wait for torch to load


class Trainer(QObject, TeachingSlots, ExportSlots, LabSlots):
    """Owns the ModelSession; every slot runs in the trainer's thread."""

    network_changed = Signal(object, bool)  # ModelInfo; True when it is another network (opened, new)
    weights_published = Signal(object, bool)  # WeightSnapshot; True: re-read the drawing with it now
    progress = Signal(object)  # tuple[TrainProgress, ...] since the last report
    evaluated = Signal(object)  # EvalResult
    training_finished = Signal(object)  # TrainFinished
    run_state_changed = Signal(str)  # "idle", "running", "paused"
    run_started = Signal()  # a run accepted: its curves and statistics start from nothing
    validation_ready = Signal(object)  # ValidationSet: the digits runs are validated on
    schedule_planned = Signal(object)  # (epochs, learning rates): every step of the run, as planned
    timeline_changed = Signal(object)  # tuple[TimelinePoint, ...]: the run's weights, to rewind
    data_changed = Signal(str)  # a phrase saying what Train will use
    failed = Signal(str)  # a message for the user
    network_notice = Signal(str)  # a message about the network in use: stale once it is replaced
    saved = Signal(str)  # path
    exported = Signal(str)  # File › Export…: what was written, and how to use it
    teach_progress = Signal(object)  # tuple[TeachProgress, ...] since the last slice
    correction_learnt = Signal(int, int)  # the digit; the version of the weights that learnt it
    nothing_taught = Signal(str)  # a correction asked for and not learnt: why, for the user
    examples_changed = Signal(object)  # tuple[Example, ...]: the user's handwriting

    def __init__(
        self,
        kept: KeptTraining,
        data_dir: str | None = None,
        checkpoint: str | None = None,
        training_threads: int = 1,
        pacing: Pacing = PACING,
        handwriting: str | None = None,
    ) -> None:
        super().__init__()
        self._handwriting = handwriting  # the file of the user's examples
        self._data_dir = data_dir
        self._checkpoint = checkpoint
        self.kept = kept  # where unsaved training is kept between launches
        self._training_threads = training_threads
        self._pacing = pacing
        self._session: ModelSession | None = None
        self._state = "idle"
        self._reports = ProgressReports(pacing.report_seconds)
        self._kept_running_at = 0.0  # time.monotonic() when the run under way was last kept
        self._threads_in_use = 0  # torch threads the last run's slices computed on
        self._announced: ModelInfo | None = None  # what the window was last told of the network
        self._hold_replacement = False  # the save asked for before a replacement failed
        self._timeline_sent: tuple[object, ...] = ()  # each change of a timeline is a new tuple
        self._validation: tuple[object, ValidationSet] | None = None  # (its data, the set) last sent
        self._interrupt = threading.Event()  # set from any thread: the slice ends after its step
        self._slice_timer = QTimer(self, singleShot=True)  # moves to the trainer's thread with us
        self._slice_timer.timeout.connect(self._train_slice)

    # -- life ---------------------------------------------------------------------------
    @Slot()
    def start(self) -> None:
        """First slot in the trainer's thread: torch is imported here, after the window is up.

        Whatever goes wrong, a network comes out of it: the predictor waits for one."""
        from model.data import PRACTICE_DESCRIPTION
        from model.session import ModelSession
        from model.training import compute_on_threads, warm_up_optimisers

        compute_on_threads(self._training_threads)
        session = self._session = ModelSession(self._data_dir, self._handwriting)
        if message := session.handwriting.load():
            self.failed.emit(message)
        self.examples_changed.emit(session.handwriting.examples)
        try:
            self.data_changed.emit(session.data_description())
        except Exception as error:  # an unreadable data folder, say
            traceback.print_exc()
            self.failed.emit(f"The data folder cannot be read ({error}).")
            self.data_changed.emit(PRACTICE_DESCRIPTION)
        try:
            warning = self.kept.restore(session, self._checkpoint)
        except Exception as error:
            traceback.print_exc()
            warning = f"The network could not be loaded ({error}); this one is untrained."
        self._network_replaced()
        if warning:
            self.network_notice.emit(warning)
        # The first optimiser imports torch._dynamo (1-2 s). Done now, once drawings are being
        # read: requests wait for it instead of the first Train, and no thread is left behind.
        warm_up_optimisers()
        collection.settle()  # some 120,000 objects of torch._dynamo and sympy: long-lived
        QTimer.singleShot(WARM_UP_DELAY_MS, session.warm_up_teaching)

    @property
    def threads_in_use(self) -> int:
        """How many torch threads training computed on (read in this thread), 0 before any run."""
        return self._threads_in_use

    def interrupt(self) -> None:
        """Thread-safe: the slice under way ends after its step: a request waits one step at most."""
        self._interrupt.set()

    @Slot()
    def stop_timers(self) -> None:  # in this thread as it finishes: a timer stops only in its thread
        self._slice_timer.stop()

    def shutdown(self) -> str:
        """In the GUI thread once this thread has finished: end the run and keep unsaved training
        for the next launch. Returns "" or why it could not be kept (the window then asks)."""
        return "" if self._session is None else self.kept.keep(self._session, stop=True)

    def save_after_shutdown(self, path: str) -> str:
        """Once this thread has finished: save where the user chose; "" or why it failed."""
        return "" if self._session is None else self.kept.save_elsewhere(self._session, path)

    def _session_or_fail(self) -> ModelSession:  # every request is queued behind start()
        if self._session is None:
            raise RuntimeError("the trainer got a request before start()")
        return self._session

    # -- networks -----------------------------------------------------------------------
    @Slot(object)
    def new_network(self, arch: object) -> None:
        self._served()
        if self._replacement_held():
            return
        self._end_run()
        self._session_or_fail().new_network(arch, seed=int(time.time()))  # type: ignore[arg-type]
        self._network_replaced()

    @Slot(str)
    def load(self, path: str) -> None:
        """Open a checkpoint; an empty path means the shipped weights."""
        from model.checkpoint import DEFAULT_WEIGHTS, CheckpointError

        self._served()
        if self._replacement_held():
            return
        try:
            self._session_or_fail().load(path or DEFAULT_WEIGHTS, source=None if path else SHIPPED_SOURCE)
        except CheckpointError as error:
            self.failed.emit(f"{error} The current network is unchanged.")
            return
        self._reports.clear()
        self._set_state("idle")
        self._network_replaced()

    @Slot(str)
    def save(self, path: str) -> bool:
        """Save the network in use to `path`, or (empty) to its own file; True once saved."""
        from model.checkpoint import CheckpointError

        self._served()
        session = self._session_or_fail()
        target = path or session.info.path  # "": the file of the network in use now
        if not target:
            self.failed.emit("This network has no file yet: use File › Save network as… to choose one.")
            return False
        try:
            session.save(target)
        except CheckpointError as error:
            self.failed.emit(str(error))
            return False
        self._announce(session.info, replaced=False)
        self.saved.emit(target)
        return True

    @Slot(str)
    def save_before_replacing(self, path: str) -> None:
        """The user chose Save before replacing the network: if it fails, the replacement that
        follows (queued right behind) is not made, and the training stays."""
        self._hold_replacement = not self.save(path)

    def _replacement_held(self) -> bool:
        held, self._hold_replacement = self._hold_replacement, False
        if held:
            self.failed.emit(
                "The network was not replaced: saving it first failed, and its training is in no file."
            )
        return held

    def _network_replaced(self) -> None:
        self._announce(self._session_or_fail().info, replaced=True)
        self._publish(reread=True)

    def _publish(self, reread: bool) -> WeightSnapshot:
        snapshot = self._session_or_fail().snapshot()
        self.weights_published.emit(snapshot, reread)
        return snapshot

    # -- data -----------------------------------------------------------------------------
    @Slot(str)
    def set_data_dir(self, data_dir: str) -> None:
        self._served()
        session = self._session_or_fail()
        session.set_data_dir(data_dir)
        self.data_changed.emit(session.data_description())

    # -- training -------------------------------------------------------------------------
    @Slot(object)
    def start_training(self, config: TrainConfig) -> None:
        self._served()
        if config.from_scratch and self._replacement_held():
            self.run_state_changed.emit(self._state)  # the window waits to hear how it went
            return
        self._end_run()
        self._threads_in_use = 0
        try:
            session = self._session_or_fail()
            rehearsal = session.stop_rehearsing()  # the run replays everything: it takes over
            if rehearsal is not None:
                self.teach_progress.emit((rehearsal,))
            learning = session.teaching  # a correction not learnt yet
            session.start_training(config)
            if learning and not session.teaching:  # a new network from random weights ended it
                self.nothing_taught.emit(
                    "Training from scratch began before your correction was learnt: the new network "
                    "starts from random weights. Your drawing stays among your examples."
                )
            elif rehearsal is not None and config.from_scratch:  # what the line says was another network's
                self.nothing_taught.emit(
                    "Training from scratch: the new network starts from random weights, and your "
                    "drawing joins its batches."
                )
        except Exception as error:  # data that cannot be read must not take the thread down
            traceback.print_exc()
            self.failed.emit(f"Training could not start: {error}")
            self.run_state_changed.emit(self._state)  # the window waits to hear how it went
            return
        self._kept_running_at = time.monotonic()
        self.run_started.emit()
        self._share_schedule()
        self.share_validation_set()
        if session.data_warning:
            self.failed.emit(session.data_warning)
        self.data_changed.emit(session.data_description())
        self._announce(session.info, replaced=False)
        self._publish(reread=True)
        self._set_state("running")
        self._slice_timer.start(0)

    @Slot()
    def pause(self) -> None:
        self._served()
        if self._state == "running":
            self._report_progress()
            self._set_state("paused")
            self._publish(reread=True)
            self._keep_now()  # a window left paused keeps all of it

    @Slot()
    def resume(self) -> None:
        self._served()
        if self._state == "paused" and self._session_or_fail().training:
            self._set_state("running")
            self._slice_timer.start(0)

    @Slot()
    def stop(self) -> None:
        self._served()
        self._report_progress()
        finished = self._end_run()
        if finished is not None:
            self.training_finished.emit(finished)
            self._announce(self._session_or_fail().info, replaced=False)
            self._publish(reread=True)
            self._keep_now()

    def _keep_now(self) -> None:
        """At the end of each run, when paused and every keep_running_seconds of it, as at exit:
        a crash or a power cut later loses nothing (or little)."""
        self._kept_running_at = time.monotonic()
        problem = self.kept.keep_after_run(self._session) if self._session else ""
        if problem:
            self.failed.emit(f"{problem} File › Save as… keeps it.")

    def _served(self) -> None:
        """A request is being served: slices run their full length again."""
        self._interrupt.clear()

    def _end_run(self) -> TrainFinished | None:
        self._slice_timer.stop()
        self._reports.clear()
        finished = self._session.stop_training() if self._session is not None else None
        self._set_state("idle")
        return finished

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.run_state_changed.emit(state)

    def _announce(self, info: ModelInfo, replaced: bool) -> None:
        self._announced = info
        self.network_changed.emit(info, replaced)

    def _report_progress(self) -> None:
        steps = self._reports.take()
        if steps:
            self.progress.emit(steps)

    @Slot()
    def _train_slice(self) -> None:
        """Train for one slice, publish the weights, report; then yield to queued requests."""
        if self._session is not None and self._session.teaching:
            self._teach_slice()
            return
        if self._state != "running" or self._session is None or not self._session.training:
            return
        try:
            messages = self._session.train_for(self._pacing.slice_seconds, self._interrupt)
        except Exception as error:  # a bug must not kill the thread or lose the network
            traceback.print_exception(error)
            self._end_run()
            self.failed.emit(f"Training stopped because of an internal error: {error}")
            return
        if not self._threads_in_use:
            import torch

            self._threads_in_use = torch.get_num_threads()
        if self._session.training and self._state == "running":
            self._slice_timer.start(0)  # queued requests are served before it fires
        self._report(messages)
        if (
            self._session.training
            and time.monotonic() - self._kept_running_at >= self._pacing.keep_running_seconds
        ):
            self._keep_now()

    def _report(self, messages: list[TrainProgress | EvalResult | TrainFinished], now: bool = False) -> None:
        """Tell the window about these steps (at the pace of reports, or `now`) and publish."""
        session = self._session_or_fail()
        finished = isinstance(messages[-1], TrainFinished) if messages else False
        steps = [m for m in messages if isinstance(m, TrainProgress)]
        report_due = self._reports.add(steps, finished) or now
        if report_due or len(steps) < len(messages):
            self._report_progress()  # before an evaluation or the end: the window sees them in order
        for message in messages:
            if isinstance(message, EvalResult):
                self.evaluated.emit(message)
            elif isinstance(message, TrainFinished):
                self._set_state("idle")
                self.training_finished.emit(message)
        if session.info != self._announced:  # it now holds unsaved training, say
            self._announce(session.info, replaced=False)
        # At each report the drawing is re-read with these weights, so the window paints the new
        # answer together with the labels and the plot.
        self._publish(reread=report_due)
        timeline = session.timeline
        if timeline is not None and (report_due or finished) and timeline.points is not self._timeline_sent:
            self._timeline_sent = timeline.points
            self.timeline_changed.emit(timeline.points)
        if finished:
            self._keep_now()  # once the window has all the news

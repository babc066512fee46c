"""The one worker that owns the network, living in its own QThread.

It wraps a `ModelSession`: answers prediction requests, and trains in slices of about
SLICE_SECONDS. Each slice runs in a training thread of the worker's own while the worker's
event loop stays free, so a drawing is classified at once, from a copy of the weights taken
between slices, instead of waiting for a training step to end (20-100 ms on two cores).
Everything else that touches the network (save, open, stop, a new run...) first ends the slice
under way, after its current step. No weights are shared with the window and no locks are
needed; only frozen messages and numpy copies leave.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from model.messages import EvalResult, TrainConfig, TrainFinished, TrainProgress

if TYPE_CHECKING:
    from model.session import ModelSession

# Training per slice, in seconds. Between two slices the worker copies the weights that
# predictions are made from and reports progress; a pause, stop or save ends a slice after the
# step under way. Shorter slices cost throughput: each is a round trip between two threads.
SLICE_SECONDS = 0.1
# Seconds between progress signals while training; each goes with a re-prediction of the
# drawing, so the window shows the network learning to read it. Each is also a repaint of the
# labels, the plot, the bars and the activations: at 5 a second they cost the training ~5%.
PROGRESS_INTERVAL = 0.2
WARM_UP_POLL_MS = 20  # while the optimisers' first import runs aside, training checks this often
_OPTIMISERS_READY = threading.Event()  # set once the warm-up thread has created an optimiser


@dataclass(frozen=True)
class PredictRequest:
    request_id: int
    image: np.ndarray | None  # the canvas ink (uint8, owned copy), None when empty
    with_layers: bool = True  # False: the activation view would not show them yet


class ModelWorker(QObject):
    """Owns the ModelSession; every slot runs in the worker thread."""

    ready = Signal()  # the network is loaded and answering
    prediction_ready = Signal(object)  # Prediction
    progress = Signal(object)  # tuple[TrainProgress, ...] since the last emission
    evaluated = Signal(object)  # EvalResult
    training_finished = Signal(object)  # TrainFinished
    training_state = Signal(str)  # "idle", "running", "paused"
    model_changed = Signal(object)  # ModelInfo
    data_changed = Signal(str)  # a phrase saying what Train will use
    failed = Signal(str)  # a message for the user
    saved = Signal(str)  # path
    _slice_done = Signal()  # emitted in the training thread, received in the worker's

    def __init__(
        self, data_dir: str | None = None, checkpoint: str | None = None, last_session: str | None = None
    ) -> None:
        super().__init__()
        self._data_dir = data_dir
        self._checkpoint = checkpoint
        self._last_session = last_session  # where unsaved training is kept between launches
        self._session: ModelSession | None = None
        self._state = "idle"
        self._latest: PredictRequest | None = None
        self._unanswered = False  # the latest request has not been answered yet
        self._pending_progress: list[TrainProgress] = []  # steps not yet sent to the window
        self._last_report = 0.0  # perf_counter() of the last timed progress and live prediction
        self._answer_scheduled = False
        self._pump_timer = QTimer(self, singleShot=True)  # moves to the worker thread with us
        self._pump_timer.timeout.connect(self._pump)
        self.training_threads = 1  # torch's threads for training: all the cores, set in start()
        self._trainer = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="digitpad-training", initializer=self._init_training_thread
        )
        self._slice: Future | None = None  # the training slice under way in the training thread
        self._end_slice = threading.Event()  # set: the slice under way ends after its current step
        self._slice_done.connect(self._on_slice_done)

    # -- life ---------------------------------------------------------------------------
    @Slot()
    def start(self) -> None:
        """First slot in the worker thread: torch is imported here, after the window is up."""
        import torch

        from model.session import ModelSession

        # Torch keeps a pool of helper threads for each thread that computes in parallel; two
        # pools on two cores make every parallel step wait on sleeping threads (training slows
        # 2.5x). Training computes in parallel; this thread, one drawing at a time, does not
        # (a second thread would only wait for it, and then spin on the core the window needs).
        self.training_threads = torch.get_num_threads()
        torch.set_num_threads(1)
        # The first optimiser lazily imports torch._dynamo (~2 s): do it aside, not on Train.
        threading.Thread(target=_warm_up_optimisers, name="digitpad-warm-up", daemon=True).start()
        self._session = ModelSession(self._data_dir)
        warning = self._session.load_initial(self._checkpoint, self._last_session)
        self.model_changed.emit(self._session.info)
        if warning:
            self.failed.emit(warning)
        self.data_changed.emit(self._session.data_description())
        self.ready.emit()
        if self._latest is not None:
            self._answer(self._latest)

    def _init_training_thread(self) -> None:
        import torch

        torch.set_num_threads(self.training_threads)

    @Slot()
    def stop_timers(self) -> None:
        """Called in the worker thread as it finishes: a timer can only be stopped in its thread."""
        self._pump_timer.stop()

    def shutdown(self) -> None:
        """Stop training and keep unsaved training for the next launch.

        Called in the GUI thread once this thread has finished: nothing else touches the network.
        """
        from model.checkpoint import CheckpointError

        self._state = "idle"
        self._end_slice.set()
        self._trainer.shutdown(wait=True)  # the slice under way ends first: it may be mid-update
        if self._session is None:
            return
        self._session.stop_training()
        if self._last_session:
            try:
                self._session.keep_for_next_session(self._last_session)
            except (CheckpointError, OSError) as error:
                # The window is gone: there is no one left to tell but the terminal.
                print(f"digitpad: the trained network could not be kept: {error}", file=sys.stderr)

    # -- prediction ---------------------------------------------------------------------
    @Slot(object)
    def predict(self, request: PredictRequest) -> None:
        """Remember the request; only the newest of those queued meanwhile gets answered."""
        self._latest = request
        self._unanswered = True
        if self._session is not None and not self._answer_scheduled:
            self._answer_scheduled = True
            QTimer.singleShot(0, self._answer_latest)

    @Slot()
    def _answer_latest(self) -> None:
        """Answer the newest request if it is still unanswered."""
        self._answer_scheduled = False
        if self._unanswered and self._latest is not None:
            self._answer(self._latest)

    def _answer(self, request: PredictRequest, force_layers: bool = False) -> None:
        assert self._session is not None
        self._unanswered = False
        with_layers = force_layers or request.with_layers
        self.prediction_ready.emit(self._session.predict(request.request_id, request.image, with_layers))

    def _repredict(self) -> None:
        """Answer the drawing again, layers included: the network changed."""
        if self._latest is not None:
            self._answer(self._latest, force_layers=True)

    # -- models -------------------------------------------------------------------------
    @Slot(str)
    def new_network(self, arch: str) -> None:
        self._end_run()
        self.model_changed.emit(self._session.new_network(arch, seed=int(time.time())))
        self._repredict()

    @Slot(str)
    def load(self, path: str) -> None:
        """Open a checkpoint; an empty path means the shipped weights."""
        from model.checkpoint import DEFAULT_WEIGHTS, CheckpointError

        self._finish_slice()
        try:
            info = self._session.load(path or DEFAULT_WEIGHTS, source=None if path else "shipped weights")
        except CheckpointError as error:
            self.failed.emit(f"{error} The current network is unchanged.")
            return
        self._set_state("idle")
        self.model_changed.emit(info)
        self._repredict()

    @Slot(str)
    def save(self, path: str) -> None:
        from model.checkpoint import CheckpointError

        self._finish_slice()
        try:
            self._session.save(path)
        except CheckpointError as error:
            self.failed.emit(str(error))
            return
        self.saved.emit(path)

    # -- data ---------------------------------------------------------------------------
    @Slot(str)
    def set_data_dir(self, data_dir: str) -> None:
        self._finish_slice()
        self._session.set_data_dir(data_dir)
        self.data_changed.emit(self._session.data_description())

    # -- training -------------------------------------------------------------------------
    @Slot(object)
    def start_training(self, config: TrainConfig) -> None:
        self._end_run()
        try:
            adopted = self._session.start_training(config)
        except Exception as error:  # data that cannot be read must not take the thread down
            traceback.print_exc()
            self.failed.emit(f"Training could not start: {error}")
            return
        if self._session.data_warning:
            self.failed.emit(self._session.data_warning)
        self.data_changed.emit(self._session.data_description())
        if adopted is not None:
            self.model_changed.emit(adopted)
        self._session.publish_weights_for_prediction()
        self._set_state("running")
        self._schedule_pump()

    @Slot()
    def pause(self) -> None:
        if self._state == "running":
            self._end_slice.set()  # its steps then arrive at once, not over the next SLICE_SECONDS
            self._send_progress()
            self._set_state("paused")
            self._repredict()

    @Slot()
    def resume(self) -> None:
        if self._state == "paused" and self._session.training:
            self._set_state("running")
            self._schedule_pump()

    @Slot()
    def stop(self) -> None:
        self._finish_slice()
        self._send_progress()
        finished = self._end_run()
        if finished is not None:
            self.training_finished.emit(finished)
            self.model_changed.emit(self._session.info)
            self._repredict()

    def _end_run(self) -> TrainFinished | None:
        self._finish_slice()
        self._pending_progress.clear()  # a run ended or replaced: its unsent steps are stale
        finished = self._session.stop_training() if self._session is not None else None
        self._set_state("idle")
        return finished

    def _send_progress(self) -> None:
        if self._pending_progress:
            self.progress.emit(tuple(self._pending_progress))
            self._pending_progress.clear()

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.training_state.emit(state)

    def _schedule_pump(self, delay_ms: int = 0) -> None:
        self._pump_timer.start(delay_ms)

    @Slot()
    def _pump(self) -> None:
        """Start the next training slice in the training thread, unless one is under way."""
        if self._state != "running" or self._slice is not None or not self._session.training:
            return
        if not _OPTIMISERS_READY.is_set():
            # The first optimiser imports torch._dynamo: seconds spent under an import lock
            # the warm-up thread holds. Wait for it without blocking the event loop, so that
            # predictions, pause, stop and closing the window are served meanwhile.
            self._schedule_pump(WARM_UP_POLL_MS)
            return
        self._end_slice.clear()
        self._slice = self._trainer.submit(self._session.train_for, SLICE_SECONDS, self._end_slice)
        self._slice.add_done_callback(lambda _: self._slice_done.emit())

    @Slot()
    def _on_slice_done(self) -> None:
        # A request (save, say) may have finished this slice already: then only train on.
        if self._slice is None or self._slice.done():
            self._finish_slice(train_on=True)

    def _finish_slice(self, train_on: bool = False) -> None:
        """End the slice under way after its current step, if there is one, and report what it
        did. Anything that touches the network itself (save, open, stop...) calls this first.
        With `train_on`, the next slice starts before the report is made, not after it."""
        running, self._slice = self._slice, None
        if running is None:
            if train_on:
                self._pump()
            return
        self._end_slice.set()
        try:
            messages = running.result()
        except Exception as error:  # a bug must not kill the thread or lose the network
            traceback.print_exception(error)
            self._end_run()
            self.failed.emit(f"Training stopped because of an internal error: {error}")
            return
        self._session.publish_weights_for_prediction()
        if train_on:
            self._pump()  # the report below (a re-prediction, say) is made while it trains
        steps = [m for m in messages if isinstance(m, TrainProgress)]
        self._pending_progress.extend(steps)
        now = time.perf_counter()
        report_due = now - self._last_report >= PROGRESS_INTERVAL
        if report_due:
            self._last_report = now
            # The drawing's live prediction first, then the progress: the window receives both
            # at once and paints the new answer, the labels and the plot in a single frame.
            self._repredict()
        if report_due or len(steps) < len(messages) or self._state != "running":
            # Before an evaluation or the end, so the window sees them in order; and the last
            # step of a paused run is shown, not held back.
            self._send_progress()
        for message in messages:
            if isinstance(message, EvalResult):
                self.evaluated.emit(message)
            elif isinstance(message, TrainFinished):
                self._set_state("idle")
                self.training_finished.emit(message)
                self.model_changed.emit(self._session.info)
                self._repredict()


def _warm_up_optimisers() -> None:
    try:
        import torch

        torch.optim.Adam([torch.zeros(1, requires_grad=True)])
    except Exception:
        # Only a head start: it fails when the app quits mid-import, say, and then the
        # first training run simply does the import itself.
        pass
    finally:
        _OPTIMISERS_READY.set()

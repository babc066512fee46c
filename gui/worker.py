"""The one worker that owns the network, living in its own QThread.

It wraps a `ModelSession`: answers prediction requests, and trains in slices of about
CHUNK_SECONDS, returning to its event loop between slices so that queued requests (predict,
pause, stop, save...) are served promptly and in order, on the same network. No weights are
shared across threads and no locks are needed; only frozen messages and numpy copies leave.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from model.messages import EvalResult, TrainConfig, TrainFinished, TrainProgress

if TYPE_CHECKING:
    from model.session import ModelSession

# Longest stretch of training before queued requests are served. 0: one optimiser step, or
# one batch of a validation pass, per slice; a drawing waits for at most that (~25 ms).
CHUNK_SECONDS = 0.0
# Seconds between progress signals while training; each goes with a re-prediction of the
# drawing, so the window shows the network learning to read it. Each is also a repaint of the
# labels, the plot, the bars and the activations: at 5 a second they cost the training ~5%.
PROGRESS_INTERVAL = 0.2
WARM_UP_POLL_MS = 20  # while the optimisers' first import runs aside, training checks this often
# While the pen moves, the window sends the strokes drawn meanwhile as soon as it sees an
# answer. After answering, the next step waits up to PEN_GRACE_MS for that request rather than
# leave it queued behind a whole step (~20-40 ms): a drawing then waits for one step, not two.
# The request usually comes within a few ms and the step starts at once; the margin is for a
# window busy painting on a loaded CPU (5 ms left a tail of two-step waits).
PEN_GRACE_MS = 20
PEN_ACTIVE_SECONDS = 0.1  # "the pen moves": a request came in this recently
_OPTIMISERS_READY = threading.Event()  # set once the warm-up thread has created an optimiser


@dataclass(frozen=True)
class PredictRequest:
    request_id: int
    image: np.ndarray | None  # the canvas ink (uint8, owned copy), None when empty


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
        self._last_request = -1.0  # perf_counter() when the window last asked for a prediction
        self._in_pen_grace = False  # the next step is waiting for the pen's follow-up request
        self._pump_timer = QTimer(self, singleShot=True)  # moves to the worker thread with us
        self._pump_timer.timeout.connect(self._pump)

    # -- life ---------------------------------------------------------------------------
    @Slot()
    def start(self) -> None:
        """First slot in the worker thread: torch is imported here, after the window is up."""
        from model.session import ModelSession

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
        self._last_request = time.perf_counter()
        if self._session is not None and not self._answer_scheduled:
            self._answer_scheduled = True
            QTimer.singleShot(0, self._answer_latest)

    @Slot()
    def _answer_latest(self) -> bool:
        """Answer the newest request if it is still unanswered; True if it was."""
        self._answer_scheduled = False
        if not (self._unanswered and self._latest is not None):
            return False
        self._answer(self._latest)
        if self._in_pen_grace:
            self._schedule_pump()  # the follow-up came: train on at once
        return True

    def _answer(self, request: PredictRequest) -> None:
        assert self._session is not None
        self._unanswered = False
        self.prediction_ready.emit(self._session.predict(request.request_id, request.image))

    def _repredict(self) -> None:
        if self._latest is not None:
            self._answer(self._latest)

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

        try:
            self._session.save(path)
        except CheckpointError as error:
            self.failed.emit(str(error))
            return
        self.saved.emit(path)

    # -- data ---------------------------------------------------------------------------
    @Slot(str)
    def set_data_dir(self, data_dir: str) -> None:
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
        self._set_state("running")
        self._schedule_pump()

    @Slot()
    def pause(self) -> None:
        if self._state == "running":
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
        self._send_progress()
        finished = self._end_run()
        if finished is not None:
            self.training_finished.emit(finished)
            self.model_changed.emit(self._session.info)
            self._repredict()

    def _end_run(self) -> TrainFinished | None:
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
        """Train for about CHUNK_SECONDS, report, then give the event loop a turn."""
        if self._state != "running" or not self._session.training:
            return
        # A request that arrived during the last slice was queued behind this pump: answer it
        # first, then give the pen's follow-up request a moment to arrive.
        answered = self._answer_latest()
        pen_moving = time.perf_counter() - self._last_request < PEN_ACTIVE_SECONDS
        if answered and pen_moving and not self._in_pen_grace:
            self._in_pen_grace = True
            self._schedule_pump(PEN_GRACE_MS)
            return
        self._in_pen_grace = False
        if not _OPTIMISERS_READY.is_set():
            # The first optimiser imports torch._dynamo: seconds spent under an import lock
            # the warm-up thread holds. Wait for it without blocking the event loop, so that
            # predictions, pause, stop and closing the window are served meanwhile.
            self._schedule_pump(WARM_UP_POLL_MS)
            return
        try:
            messages = self._session.train_for(CHUNK_SECONDS)
        except Exception as error:  # a bug must not kill the thread or lose the network
            traceback.print_exc()
            self._end_run()
            self.failed.emit(f"Training stopped because of an internal error: {error}")
            return
        steps = [m for m in messages if isinstance(m, TrainProgress)]
        self._pending_progress.extend(steps)
        now = time.perf_counter()
        report_due = now - self._last_report >= PROGRESS_INTERVAL
        if report_due:
            self._last_report = now
            # The drawing's live prediction first, then the progress: the window receives both
            # at once and paints the new answer, the labels and the plot in a single frame.
            self._repredict()
        if report_due or len(steps) < len(messages):
            self._send_progress()  # before an evaluation or the end, so the window sees them in order
        for message in messages:
            if isinstance(message, EvalResult):
                self.evaluated.emit(message)
            elif isinstance(message, TrainFinished):
                self._set_state("idle")
                self.training_finished.emit(message)
                self.model_changed.emit(self._session.info)
                self._repredict()
                return
        self._schedule_pump()


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

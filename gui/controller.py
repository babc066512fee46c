"""The controller: runs the trainer's and the predictor's threads, routes the user's requests
to them and writes what they report into the AppState that the views render.

It also paces the drawing's requests: at most one in flight, the newest ink always wins,
answers for drawings no longer on the canvas are dropped.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, SignalInstance, Slot

from model.messages import (
    HandwritingEdit,
    ModelInfo,
    NeuronRef,
    Prediction,
    PredictRequest,
    TrainConfig,
    TrainFinished,
)
from model.networks import ArchSpec
from model.timeline import TimelinePoint

from .canvas import DrawingCanvas
from .download import Downloads
from .kept_network import KeptTraining
from .pacing import PACING, Pacing, training_threads
from .predictor import Predictor
from .state import AppState
from .trainer import Trainer


class Controller(QObject):
    """Lives in the GUI thread; talks to the workers only through queued signals."""

    prediction_shown = Signal(object)  # see MainWindow.prediction_shown

    prediction_requested = Signal(object)  # PredictRequest, to the predictor (and any observer)
    taught = Signal(object)  # see MainWindow.taught

    # Requests to the trainer (queued across threads).
    _train = Signal(object)
    _pause = Signal()
    _resume = Signal()
    _stop = Signal()
    _load = Signal(str)
    _save = Signal(str)
    _save_first = Signal(str)
    _new_network = Signal(object)
    _data_dir = Signal(str)
    _teach = Signal(object, object, int)  # the canvas's ink, its strokes, the digit
    _forget = Signal(bool)
    _edit = Signal(object)
    _share_validation = Signal()
    _step = Signal()
    _steer = Signal(float)
    _steer_decay = Signal(float)
    _rewind = Signal(object)
    _show_weights = Signal(object)

    def __init__(
        self,
        state: AppState,
        canvas: DrawingCanvas,
        wants_layers_now: Callable[[], bool],
        data_dir: str | None,
        checkpoint: str | None,
        kept_folder: str,
        pacing: Pacing = PACING,
        handwriting: str | None = None,
    ) -> None:
        super().__init__()
        self.state = state
        self._canvas = canvas
        self._wants_layers_now = wants_layers_now  # () -> bool: the activation view would show them
        self._pacing = pacing
        self._request_id = 0
        self._with_saliency = False  # the overlay is on: answers carry where it looked
        self._inspected: NeuronRef | None = None  # answers carry the inside of this neuron
        self._last_request_at = 0.0  # time.monotonic() of the last request
        self._awaiting_answer = False  # a request is with the predictor
        self._canvas_changed = False  # the ink changed since the last request
        self._downloads = Downloads(state, self.use_data_dir, self)
        self._closed = False
        self._shown_version = 0  # of the weights behind the answer on screen
        self._awaiting_taught: tuple[int, int] | None = None  # digit, weights version that learnt it
        # It fires once the mouse events already queued are in, and sends them as one request.
        self._request_timer = QTimer(self, singleShot=True, timerType=Qt.TimerType.PreciseTimer)
        self._request_timer.timeout.connect(self._request_for_canvas_change)
        canvas.image_changed.connect(self._on_canvas_image_changed)
        canvas.stroke_finished.connect(self._on_canvas_stroke_finished)
        canvas.cleared.connect(self._on_canvas_stroke_finished)
        # A stroke drawn, Undo, Clear, a test digit: not a resize, which repaints the same ink.
        canvas.history_changed.connect(self.state.drawing_changed)
        self._start_workers(data_dir, checkpoint, kept_folder, handwriting)

    # -- public, read-only ------------------------------------------------------------------
    @property
    def request_id(self) -> int:
        """The newest drawing request: answers to older ones are never shown."""
        return self._request_id

    @property
    def idle(self) -> bool:
        """Every drawing change has been answered and nothing is pending."""
        return not (self._awaiting_answer or self._request_timer.isActive() or self._canvas_changed)

    @property
    def closed(self) -> bool:
        """shutdown() has run: the workers' threads are joined."""
        return self._closed

    def threads_running(self) -> bool:
        return self._trainer_thread.isRunning() or self._predictor_thread.isRunning()

    # -- workers ----------------------------------------------------------------------------
    def _start_workers(
        self, data_dir: str | None, checkpoint: str | None, kept_folder: str, handwriting: str | None
    ) -> None:
        self._predictor_thread = QThread(self)
        self._predictor_thread.setObjectName("digitpad-predictor")
        self._predictor = Predictor()
        self._predictor.moveToThread(self._predictor_thread)
        self._predictor_thread.started.connect(self._predictor.start)
        self.prediction_requested.connect(self._predictor.predict)
        self._predictor.prediction_ready.connect(self._on_prediction_ready)

        self._trainer_thread = QThread(self)
        self._trainer_thread.setObjectName("digitpad-trainer")
        self.trainer = Trainer(
            KeptTraining(Path(kept_folder)),
            data_dir,
            checkpoint,
            training_threads(),
            self._pacing,
            handwriting,
        )
        self.trainer.moveToThread(self._trainer_thread)
        self._trainer_thread.started.connect(self.trainer.start)
        self._trainer_thread.finished.connect(self.trainer.stop_timers, Qt.ConnectionType.DirectConnection)
        for request, slot in (
            (self._train, self.trainer.start_training),
            (self._pause, self.trainer.pause),
            (self._resume, self.trainer.resume),
            (self._stop, self.trainer.stop),
            (self._load, self.trainer.load),
            (self._save, self.trainer.save),
            (self._save_first, self.trainer.save_before_replacing),
            (self._new_network, self.trainer.new_network),
            (self._data_dir, self.trainer.set_data_dir),
            (self._teach, self.trainer.teach),
            (self._forget, self.trainer.forget_teaching),
            (self._edit, self.trainer.edit_handwriting),
            (self._share_validation, self.trainer.share_validation_set),
            (self._step, self.trainer.step_once),
            (self._steer, self.trainer.set_learning_rate),
            (self._steer_decay, self.trainer.set_weight_decay),
            (self._rewind, self.trainer.rewind),
            (self._show_weights, self.trainer.show_weights),
        ):
            request.connect(slot)
        # Weights go from one worker to the other without passing through this thread.
        self.trainer.weights_published.connect(self._predictor.set_weights)
        self.trainer.network_changed.connect(self._on_network_changed)
        self.trainer.progress.connect(self.state.add_progress)
        self.trainer.evaluated.connect(self.state.add_evaluation)
        self.trainer.training_finished.connect(self._on_training_finished)
        self.trainer.run_state_changed.connect(self.state.set_run_state)
        self.trainer.run_started.connect(self.state.begin_run)
        self.trainer.validation_ready.connect(self.state.set_validation)
        self.trainer.schedule_planned.connect(self.state.set_schedule)
        self.trainer.timeline_changed.connect(self.state.set_timeline)
        self.trainer.data_changed.connect(self.state.set_data_description)
        self.trainer.failed.connect(self.state.post_notice)
        self.trainer.network_notice.connect(self.state.post_network_notice)
        self.trainer.saved.connect(self._on_saved)
        self.trainer.teach_progress.connect(self.state.add_teach_progress)
        self.trainer.correction_learnt.connect(self._on_correction_learnt)
        self.trainer.nothing_taught.connect(self.state.teaching_not_learnt)
        self.trainer.examples_changed.connect(self.state.set_examples)
        self._predictor_thread.start()
        self._trainer_thread.start()

    def _ask_trainer(self, request: SignalInstance, *args: object) -> None:
        """Send a request; the training slice under way ends after its step to serve it."""
        self.trainer.interrupt()
        request.emit(*args)

    def shutdown(self) -> str:
        """Stop both workers and join their threads; keep unsaved training for the next launch.
        Returns "" or why it could not be kept: then NetworkFiles.close asks the user."""
        if self._closed:
            return ""
        self._closed = True
        self._downloads.cancel()
        self._request_timer.stop()
        self.trainer.interrupt()
        for thread in (self._trainer_thread, self._predictor_thread):
            thread.quit()
        for thread in (self._trainer_thread, self._predictor_thread):
            thread.wait()
        return self.trainer.shutdown()

    # -- the user's requests ------------------------------------------------------------------
    def train(self, config: TrainConfig) -> None:
        self.state.request_run()
        self._ask_trainer(self._train, config)

    def pause(self) -> None:
        self._ask_trainer(self._pause)

    def step(self) -> None:
        """Paused: one batch."""
        self._ask_trainer(self._step)

    def set_learning_rate(self, peak: float) -> None:
        """The run under way (or paused) goes on at this peak learning rate from its next step."""
        self._ask_trainer(self._steer, peak)

    def show_point(self, point: TimelinePoint | None) -> None:
        """The drawing read by the weights of that point of the run (None: by the weights of now)."""
        self._ask_trainer(self._show_weights, None if point is None else point.snapshot)

    def rewind(self, point: TimelinePoint) -> None:
        """The network goes back to that point's weights; Train then branches a run from there."""
        self._ask_trainer(self._rewind, point)

    def set_weight_decay(self, value: float) -> None:
        """The run under way (or paused) goes on with this weight decay from its next step."""
        self._ask_trainer(self._steer_decay, value)

    def load_validation_set(self) -> None:
        """Have the trainer load the validation digits (state.validation_changed brings them)."""
        self._ask_trainer(self._share_validation)

    def resume(self) -> None:
        self._ask_trainer(self._resume)

    def stop(self) -> None:
        self._ask_trainer(self._stop)

    def open_network(self, path: str) -> None:
        """Open a saved network; an empty path restores the shipped weights."""
        self._ask_trainer(self._load, path)

    def save_network(self, path: str = "", before_replacing: bool = False) -> None:
        """Save to `path`; an empty one means the network's own file (ModelInfo.path), as the
        trainer finds it. `before_replacing`: the next replacement is dropped if this fails."""
        self._ask_trainer(self._save_first if before_replacing else self._save, path)

    def new_network(self, arch: str | ArchSpec) -> None:
        """An untrained network: the default shape of "cnn" or "mlp", or the one given."""
        self._ask_trainer(self._new_network, arch)

    def use_data_dir(self, folder: str) -> None:
        self._ask_trainer(self._data_dir, folder)

    def teach(self, label: int) -> None:
        """The drawing on the canvas is `label`: the network learns it (taught() says when)."""
        if self._canvas.is_empty():
            self.state.post_status("Draw a digit first, then say which digit it is.", 5000)
            return
        self.state.begin_teaching(label)
        # The strokes too: a small drawing is learnt as it is read, drawn bigger.
        self._ask_trainer(self._teach, self._canvas.image_array(), self._canvas.ink_strokes(), label)

    def forget_teaching(self, keep_examples: bool) -> None:
        self._ask_trainer(self._forget, keep_examples)

    def edit_handwriting(self, edit: HandwritingEdit) -> None:
        self._ask_trainer(self._edit, edit)

    @Slot(int, int)
    def _on_correction_learnt(self, label: int, version: int) -> None:
        self.state.correction_learnt(label, version)
        self._awaiting_taught = (label, version)
        self._report_taught()

    def _report_taught(self) -> None:
        """taught() follows the first answer shown from the weights that learnt the correction."""
        if self._awaiting_taught is not None and self._shown_version >= self._awaiting_taught[1]:
            label, _ = self._awaiting_taught
            self._awaiting_taught = None
            self.taught.emit(label)

    # -- what the trainer reports -------------------------------------------------------------
    @Slot(object, bool)
    def _on_network_changed(self, info: ModelInfo, replaced: bool) -> None:
        self.state.set_network(info, replaced)
        if replaced:
            self.state.post_status(f"Now using: {info.description} ({info.origin})", 8000)

    @Slot(object)
    def _on_training_finished(self, finished: TrainFinished) -> None:
        self.state.finish_run(finished)
        if finished.reason == "diverged":
            self.state.post_notice(f"Training diverged. {finished.message}")
        elif finished.reason == "stopped":
            self.state.post_status(finished.message, 5000)
        else:
            accuracy = (
                f" Validation accuracy {finished.final_eval.accuracy:.2%}." if finished.final_eval else ""
            )
            self.state.post_status(f"Training finished after {finished.epochs:.2f} epochs.{accuracy}", 10000)

    @Slot(str)
    def _on_saved(self, path: str) -> None:
        self.state.post_status(f"Saved {os.path.basename(path)}", 5000)

    # -- drawing and prediction ---------------------------------------------------------------
    def _on_canvas_image_changed(self) -> None:
        # At most one request in flight while drawing: the predictor never falls behind the pen.
        self._canvas_changed = True
        if not self._request_timer.isActive() and not self._awaiting_answer:
            self._request_timer.start(self._milliseconds_to_next_request())

    def _milliseconds_to_next_request(self) -> int:
        if self.state.run.state != "running":
            return 0  # zero delay: the mouse events already queued are merged into one request
        since = time.monotonic() - self._last_request_at
        return max(0, math.ceil(1000 * (self._pacing.training_request_seconds - since)))

    def _on_canvas_stroke_finished(self) -> None:
        self._request_timer.stop()
        self.request_prediction()

    def request_prediction(self, with_layers: bool = True) -> None:
        """Send a copy of the ink to the predictor; answers to older requests become stale."""
        self._request_id += 1
        self._canvas_changed = False
        self._awaiting_answer = True
        image = None if self._canvas.is_empty() else self._canvas.image_array()
        request = PredictRequest(
            self._request_id,
            image,
            with_layers,
            self._with_saliency,
            self._inspected,
            self._canvas.ink_strokes(),
        )
        self.prediction_requested.emit(request)
        self._last_request_at = time.monotonic()

    @Slot(bool)
    def show_saliency(self, on: bool) -> None:
        """Answers carry where the network looked (or stop carrying it) from now on."""
        self._with_saliency = on
        self.request_prediction()

    @Slot(object)
    def inspect(self, ref: NeuronRef | None) -> None:
        """Answers carry the inside of this neuron (None: of no neuron) from now on."""
        self._inspected = ref
        self.request_prediction()

    def _request_for_canvas_change(self) -> None:
        # While the pen moves the activation view shows a picture every few frames at most:
        # layers it would not show yet are not computed (half the predictor's time per answer).
        # Lifting the pen (stroke_finished) asks for them again.
        held_back = self._canvas.is_drawing() and not self._wants_layers_now()
        self.request_prediction(with_layers=not held_back)

    @Slot(object)
    def _on_prediction_ready(self, prediction: Prediction) -> None:
        if prediction.request_id != self._request_id:
            return  # an answer for a drawing that is no longer on the canvas
        self._awaiting_answer = False
        self.state.set_prediction(prediction)
        self.prediction_shown.emit(
            None if prediction.probabilities is None else prediction.probabilities.copy()
        )
        self._shown_version = max(self._shown_version, prediction.weights_version)
        self._report_taught()
        if self._canvas_changed:
            # The pen moved meanwhile: ask again now (idle), so the predictor computes the next
            # answer while this one is being painted.
            self._request_timer.stop()
            delay = self._milliseconds_to_next_request()
            if delay:
                self._request_timer.start(delay)
            else:
                self._request_for_canvas_change()

    # -- download -------------------------------------------------------------------------------
    def start_download(self, mirrors: tuple[str, ...] | None = None, target: str | None = None) -> None:
        """Download MNIST in the background; the state says how far it got."""
        self._downloads.start(mirrors, target)

    def cancel_download(self) -> None:
        self._downloads.cancel()

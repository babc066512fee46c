"""The one worker that owns the network, living in its own QThread.

It answers prediction requests and trains in short chunks, returning to its event loop
between chunks so that queued requests (predict, pause, stop, save...) are served promptly,
in order, on the same network: no weights are shared across threads and no locks are needed.
Only frozen messages and numpy copies leave this object.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from model.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from model.data import DataError, Dataset, find_mnist, load_practice_set
from model.messages import Prediction, TrainConfig, TrainFinished, TrainProgress
from model.networks import DigitNet, build_network, count_parameters
from model.training import TrainingData, train_steps

CHUNK_SECONDS = 0.03  # longest stretch of training before queued requests are served
LIVE_PREDICTION_INTERVAL = 0.1  # seconds between re-predictions of the drawing while training


@dataclass(frozen=True)
class ModelInfo:
    """What the GUI shows about the network the worker holds."""

    arch: str
    parameters: int
    description: str
    source: str  # where the weights came from: shipped file, a checkpoint, a training run
    metadata: dict


@dataclass(frozen=True)
class PredictRequest:
    request_id: int
    pixels: np.ndarray | None  # 28x28 0-1 float32, or None for an empty canvas


class ModelWorker(QObject):
    """Owns the network, the optimiser state and the data; lives in the worker thread."""

    prediction_ready = Signal(object)  # Prediction, or PredictRequest echo for an empty canvas
    progress = Signal(object)  # tuple[TrainProgress, ...] since the last emission
    evaluated = Signal(object)  # EvalResult
    training_finished = Signal(object)  # TrainFinished
    training_state = Signal(str)  # "idle", "running", "paused"
    model_changed = Signal(object)  # ModelInfo
    data_changed = Signal(str)  # a sentence saying what Train will use
    failed = Signal(str)  # a message for the user
    saved = Signal(str)  # path

    def __init__(self, data_dir: str | None = None, checkpoint: str | None = None) -> None:
        super().__init__()
        self._data_dir = data_dir
        self._initial_checkpoint = checkpoint
        self._net: DigitNet | None = None
        self._data: TrainingData | None = None
        self._run = None
        self._config: TrainConfig | None = None
        self._state = "idle"
        self._pending: list[TrainProgress] = []
        self._latest_pixels: np.ndarray | None = None
        self._latest_request = 0
        self._last_live_prediction = 0.0
        self._pump_scheduled = False

    # -- life ---------------------------------------------------------------------------
    @Slot()
    def start(self) -> None:
        """Runs in the worker thread once it starts: load the network, then warm up."""
        torch.set_num_threads(max(1, torch.get_num_threads()))
        path = self._initial_checkpoint
        from model.checkpoint import DEFAULT_WEIGHTS

        try:
            if path:
                self._adopt(*load_checkpoint(path), source=Path(path).name)
            else:
                self._adopt(*load_checkpoint(DEFAULT_WEIGHTS), source="shipped weights")
        except CheckpointError as error:
            self._adopt(build_network("cnn", seed=0), {}, source="untrained")
            self.failed.emit(f"{error} Starting with an untrained network instead.")
        self._describe_data()
        # The first optimiser lazily imports torch._dynamo (~2 s); do it now, not on Train.
        torch.optim.Adam([torch.zeros(1, requires_grad=True)])

    @Slot()
    def shutdown(self) -> None:
        """Stop training; called (blocking) just before the thread quits."""
        self._close_run()

    # -- prediction ---------------------------------------------------------------------
    @Slot(object)
    def predict(self, request: PredictRequest) -> None:
        self._latest_pixels = request.pixels
        self._latest_request = request.request_id
        self._emit_prediction(request.request_id, request.pixels)

    def _emit_prediction(self, request_id: int, pixels: np.ndarray | None) -> None:
        if pixels is None or self._net is None:
            self.prediction_ready.emit(Prediction(request_id, np.zeros(0, dtype=np.float32)))
            return
        probabilities, layers = self._net.forward_with_activations(torch.from_numpy(pixels))
        self.prediction_ready.emit(Prediction(request_id, probabilities, tuple(layers)))

    # -- models -------------------------------------------------------------------------
    @Slot(str)
    def new_network(self, arch: str) -> None:
        self._close_run()
        self._adopt(build_network(arch, seed=int(time.time())), {}, source="untrained")
        self._repredict()

    @Slot(str)
    def load(self, path: str) -> None:
        try:
            net, metadata = load_checkpoint(path)
        except CheckpointError as error:
            self.failed.emit(f"{error} The current network is unchanged.")
            return
        self._close_run()
        self._adopt(net, metadata, source=Path(path).name)
        self._repredict()

    @Slot(str)
    def save(self, path: str) -> None:
        if self._net is None:
            return
        metadata = dict(self._metadata)
        try:
            save_checkpoint(path, self._net, metadata)
        except CheckpointError as error:
            self.failed.emit(str(error))
            return
        self.saved.emit(path)

    def _adopt(self, net: DigitNet, metadata: dict, source: str) -> None:
        net.eval()
        self._net = net
        self._metadata = metadata
        spec = net.spec
        if spec.kind == "cnn":
            description = "CNN: " + " → ".join(
                [f"conv {c}" for c in spec.channels] + [f"dense {spec.fc}", "10"]
            )
        else:
            description = "Fully connected: 784 → " + " → ".join(str(h) for h in spec.hidden) + " → 10"
        self.model_changed.emit(
            ModelInfo(spec.kind, count_parameters(net), description, source, dict(metadata))
        )

    # -- data ---------------------------------------------------------------------------
    @Slot(str)
    def set_data_dir(self, data_dir: str) -> None:
        self._data_dir = data_dir or None
        self._data = None
        self._describe_data()

    def _describe_data(self) -> None:
        self.data_changed.emit(self._ensure_data().name)

    def _ensure_data(self) -> TrainingData:
        if self._data is None:
            dataset: Dataset | None
            try:
                dataset = find_mnist(self._data_dir)
            except DataError as error:
                self.failed.emit(f"{error}. Using the embedded practice set.")
                dataset = None
            self._data = TrainingData.from_dataset(dataset or load_practice_set())
        return self._data

    # -- training -----------------------------------------------------------------------
    @Slot(object)
    def start_training(self, config: TrainConfig) -> None:
        self._close_run()
        data = self._ensure_data()
        if config.from_scratch or self._net is None or self._net.spec.kind != config.arch:
            self._adopt(build_network(config.arch, seed=config.seed), {}, source="training")
            config = replace(config, from_scratch=True)
        assert self._net is not None
        self._config = config
        self._run = train_steps(self._net, data, config)
        self._metadata = {"config": config.__dict__.copy(), "data": data.name}
        self._set_state("running")
        self._schedule_pump()

    @Slot()
    def pause(self) -> None:
        if self._state == "running":
            self._set_state("paused")
            self._flush_progress()
            self._net.eval() if self._net is not None else None
            self._repredict()

    @Slot()
    def resume(self) -> None:
        if self._state == "paused" and self._run is not None:
            self._set_state("running")
            self._schedule_pump()

    @Slot()
    def stop(self) -> None:
        if self._run is None:
            return
        config = self._config
        self._close_run()
        self.training_finished.emit(
            TrainFinished(
                "stopped", 0, 0.0, 0.0, 0.0, None, "Training stopped; the network keeps what it learnt."
            )
            if config is not None
            else None
        )

    def _close_run(self) -> None:
        if self._run is not None:
            self._run.close()
            self._run = None
            self._flush_progress()
            if self._net is not None:
                self._net.eval()
            self._set_state("idle")

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.training_state.emit(state)

    def _schedule_pump(self) -> None:
        if not self._pump_scheduled:
            self._pump_scheduled = True
            QTimer.singleShot(0, self._pump)

    @Slot()
    def _pump(self) -> None:
        """Train for about CHUNK_SECONDS, then give the event loop a turn."""
        self._pump_scheduled = False
        if self._state != "running" or self._run is None:
            return
        deadline = time.perf_counter() + CHUNK_SECONDS
        try:
            while time.perf_counter() < deadline:
                message = next(self._run)
                if isinstance(message, TrainProgress):
                    self._pending.append(message)
                elif isinstance(message, TrainFinished):
                    self._finish(message)
                    return
                else:
                    self._flush_progress()
                    self.evaluated.emit(message)
        except StopIteration:
            self._finish(None)
            return
        except Exception as error:  # a bug or a broken state must not kill the thread
            traceback.print_exc()
            self._close_run()
            self.failed.emit(f"Training stopped because of an internal error: {error}")
            return
        self._flush_progress()
        now = time.perf_counter()
        if self._latest_pixels is not None and now - self._last_live_prediction >= LIVE_PREDICTION_INTERVAL:
            self._last_live_prediction = now
            self._emit_prediction(self._latest_request, self._latest_pixels)
        self._schedule_pump()

    def _finish(self, finished: TrainFinished | None) -> None:
        self._flush_progress()
        self._run = None
        if self._net is not None:
            self._net.eval()
        if finished is not None:
            self._metadata.update(
                {
                    "epochs": finished.epochs,
                    "steps": finished.steps,
                    "train_seconds": finished.train_seconds,
                    "test_accuracy": finished.final_eval.accuracy if finished.final_eval else None,
                }
            )
        self._set_state("idle")
        self.training_finished.emit(finished)
        self._repredict()

    def _flush_progress(self) -> None:
        if self._pending:
            self.progress.emit(tuple(self._pending))
            self._pending = []

    def _repredict(self) -> None:
        if self._latest_request:
            self._emit_prediction(self._latest_request, self._latest_pixels)

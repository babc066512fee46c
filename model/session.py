"""One network, its data and its training run, driven step by step: the trainer's engine.

Pure Python + torch, no Qt: the window's trainer thread wraps it in signals and slots, and
tests drive it directly. Everything it returns is a frozen message or an owned numpy copy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .checkpoint import DEFAULT_WEIGHTS, CheckpointError, load_checkpoint_and_run, save_checkpoint
from .data import PRACTICE_DESCRIPTION, DataError, Dataset, find_mnist, load_practice_set, locate_mnist
from .messages import (
    SHIPPED_SOURCE,
    UNTRAINED_SOURCE,
    EvalProgress,
    EvalResult,
    ModelInfo,
    Prediction,
    TrainConfig,
    TrainFinished,
    TrainProgress,
)
from .networks import ArchSpec, DigitNet, build_network, count_parameters, describe
from .personal import PersonalExamples
from .reading import read_drawing
from .run import RunStateError, TrainingRun, epochs_of_saved_run, saved_config
from .session_teaching import TeachingSession
from .snapshot import WeightSnapshot, apply_snapshot, take_snapshot
from .timeline import Timeline, TimelinePoint
from .training import Message, TrainingData, for_a_while

RESTORED_SOURCE = "restored from the last session"


class ModelSession(TeachingSession):
    """Holds the current network; trains it in slices of time so the caller stays responsive."""

    def __init__(self, data_dir: str | None = None, handwriting: str | Path | None = None) -> None:
        self.data_dir = data_dir
        self.handwriting = PersonalExamples(handwriting)
        self._init_teaching()
        self._own_from = 0  # the run under way mixes in the examples from this index on
        self.net: DigitNet = build_network("cnn", seed=0)
        self._info = self._describe(UNTRAINED_SOURCE, {})
        self._snapshots = 0  # versions handed out by snapshot()
        self._data: TrainingData | None = None
        self._run: Generator[Message, None, None] | None = None
        # The run under way or stopped short, or the state of one opened with the network: what
        # Train with "Continue" goes on with. Another network, or a fresh start, ends it.
        self._training_run: TrainingRun | None = None
        self._opened_run: dict[str, Any] | None = None
        self.timeline: Timeline | None = None  # the weights the run went through, to rewind
        self._last_progress: TrainProgress | None = None
        self._last_eval: EvalResult | None = None
        self.data_warning = ""  # set when a broken MNIST copy made training fall back
        self.unsaved_training = False  # the weights were trained since they were opened or saved

    # -- networks -----------------------------------------------------------------------
    def _describe(self, source: str, metadata: dict[str, Any], path: str | None = None) -> ModelInfo:
        return ModelInfo(
            self.net.spec.kind,
            count_parameters(self.net),
            describe(self.net),
            source,
            dict(metadata),
            path=path,
        )

    @property
    def info(self) -> ModelInfo:
        """What the window shows about the network in use, unsaved training included."""
        return replace(self._info, unsaved_training=self.unsaved_training)

    def snapshot(self) -> WeightSnapshot:
        """A read-only copy of the weights for another thread (the predictor's network)."""
        self._snapshots += 1
        return take_snapshot(self.net, self._snapshots)

    def _adopt(
        self, net: DigitNet, metadata: dict[str, Any], source: str, path: str | None = None
    ) -> ModelInfo:
        self.stop_training()
        self.end_teaching()
        self._before_teaching = None
        net.eval()
        self.net = net
        self._training_run = self._opened_run = None
        self.timeline = None
        self._info = self._describe(source, metadata, path)
        self.unsaved_training = False
        return self.info

    def load_initial(self, checkpoint: str | None = None, last_session: str | Path | None = None) -> str:
        """Open `checkpoint`, else the network kept from the last session, else the shipped
        weights; when the one asked for cannot be opened, the shipped weights (untrained only if
        they cannot be opened either). Returns a message for the user ("" when there is nothing to say).
        """
        if checkpoint is None and last_session is not None and Path(last_session).exists():
            try:
                self.load(last_session, source=RESTORED_SOURCE)
            except CheckpointError as error:
                fallback = self.load_initial()
                return f"The network kept from your last session could not be restored: {error} {fallback}"
            self.unsaved_training = True  # still only in the session file: keep it next time too
            run = epochs_of_saved_run(self._opened_run)
            unfinished = (
                ""
                if run is None
                else f" Its run stopped at epoch {run[0]:.1f} of {run[1]:.1f}: with “Continue from the "
                "current weights” ticked, Train goes on from there."
            )
            return (
                f"Restored the network you trained last time (not saved to a file of yours).{unfinished} "
                "File › Save keeps it; Network › Restore the shipped weights goes back to the pretrained one."
            )
        if checkpoint is not None:
            try:
                self.load(checkpoint)
                return ""
            except CheckpointError as error:
                fallback = self.load_initial()
                return f"{error} {fallback or 'The shipped weights are open instead.'}"
        try:
            self.load(DEFAULT_WEIGHTS, source=SHIPPED_SOURCE)
        except CheckpointError as error:
            return f"{error} Starting with an untrained network instead."
        return ""

    def write_kept(self, path: str | Path) -> None:
        """Write the network to `path` for the next launch, making its folder if needed; it
        stays unsaved training (only a file of the user's is "saved"). Raises CheckpointError."""
        folder = Path(path).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CheckpointError(f"Cannot create {folder}: {error.strerror or error}") from error
        save_checkpoint(path, self.net, {**self._info.metadata, "kept_at_exit": True}, run=self.run_state())

    def load(self, path: str | Path, source: str | None = None) -> ModelInfo:
        """Raises CheckpointError and keeps the current network if the file is bad.

        A file of the user's (no `source` label) becomes where Save writes; the shipped weights
        and the kept network (labelled) never do."""
        net, metadata, run = load_checkpoint_and_run(path)
        info = self._adopt(net, metadata, source or Path(path).name, None if source else str(path))
        self._opened_run = run
        return info

    def save(self, path: str | Path) -> None:
        metadata = dict(self._info.metadata)
        metadata["saved_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        save_checkpoint(path, self.net, metadata, run=self.run_state())
        self.unsaved_training = False
        self._info = replace(self._info, source=Path(path).name, metadata=metadata, path=str(path))

    def new_network(self, arch: str | ArchSpec, seed: int | None = None) -> ModelInfo:
        """An untrained network: the default shape of `arch` ("cnn", "mlp"), or the shape given."""
        return self._adopt(build_network(arch, seed=seed), {}, UNTRAINED_SOURCE)

    # -- prediction ---------------------------------------------------------------------
    def predict(self, request_id: int, image: np.ndarray | None, with_layers: bool = True) -> Prediction:
        return read_drawing(self.net, request_id, image, with_layers)

    # -- data -----------------------------------------------------------------------------
    def set_data_dir(self, data_dir: str | None) -> None:
        self.data_dir = data_dir or None
        self._data = None

    def use_training_data(self, data: TrainingData) -> None:
        """Train on `data` from the next run on, instead of looking for MNIST."""
        self._data = data
        self.data_warning = ""

    def data_description(self) -> str:
        """What Train will use, without loading it (that happens when training starts)."""
        if self._data is not None:
            return self._data.name
        found = locate_mnist(self.data_dir)
        return f"MNIST (60,000 training digits) from {found}" if found else PRACTICE_DESCRIPTION

    def training_data(self) -> TrainingData:
        """MNIST if a valid copy is found, else the practice set (with a warning if one was broken).

        A fallback caused by a broken copy is not kept: the next run looks again, so repairing
        the files (or letting a copy finish) and pressing Train again is enough.
        """
        if self._data is None or self.data_warning:
            dataset: Dataset | None
            self.data_warning = ""
            try:
                dataset = find_mnist(self.data_dir)
            except DataError as error:
                self.data_warning = (
                    f"The MNIST data you chose cannot be used: {error}. "
                    "Training uses the embedded practice set instead."
                )
                dataset = None
            self._data = TrainingData.from_dataset(dataset or load_practice_set())
        return self._data

    # -- training -------------------------------------------------------------------------
    @property
    def training(self) -> bool:
        return self._run is not None

    def start_training(self, config: TrainConfig) -> ModelInfo | None:
        """Begin a run on the network in use: from its current weights, or (`from_scratch`) from
        fresh random weights of the same shape. Without `from_scratch`, a run stopped short (or
        saved with the network) is continued, at the learning rate asked for. Returns the new
        network's info when there is one."""
        self.stop_training()
        self.stop_rehearsing()
        data = self.training_data()
        adopted = None
        config = replace(config, arch=self.net.spec.kind)
        if config.from_scratch:
            adopted = self._adopt(build_network(self.net.spec, seed=config.seed), {}, UNTRAINED_SOURCE)
        self._last_progress = self._last_eval = None
        self._own_from = 0 if config.include_handwriting else self._first_joining_example()
        run = None if config.from_scratch else self._run_to_continue(data)
        if run is None:
            self._info = replace(self._info, metadata={"config": asdict(config), "data": data.name})
            run = TrainingRun(self.net, data, config, own=self.own_examples)
        else:  # the panel's rate and decay steer the run it goes on with
            if run.peak_learning_rate != config.learning_rate:
                run.set_peak_learning_rate(config.learning_rate)
            run.set_weight_decay(config.weight_decay)
        if run is not self._training_run or self.timeline is None:  # a new run: a new timeline
            self.timeline = Timeline(
                sum(t.numel() * t.element_size() for t in self.net.state_dict().values())
            )
        self._training_run, self._opened_run = run, None
        self._run = run.messages()
        return adopted

    def _run_to_continue(self, data: TrainingData) -> TrainingRun | None:
        """The run stopped short, or the one opened with the network, if it fits these data."""
        if self._training_run is not None and not self._training_run.finished:
            return self._training_run
        if self._opened_run is None:
            return None
        try:
            run = TrainingRun(self.net, data, saved_config(self._opened_run), own=self.own_examples)
            run.load_state_dict(self._opened_run)
        except RunStateError:
            return None  # another data set, say: a new run from these weights
        return None if run.finished else run

    def run_state(self) -> dict[str, Any] | None:
        """The state of the run to continue (for a checkpoint), None when there is none."""
        if self._training_run is not None and not self._training_run.finished:
            return self._training_run.state_dict()
        return self._opened_run

    @property
    def run_position(self) -> tuple[int, int] | None:
        """(step, total steps) of the run under way, if any (a run only opened to continue: run_state())."""
        run = self._training_run
        return None if run is None or run.finished else (run.step, run.total_steps)

    def rewind(self, point: TimelinePoint) -> ModelInfo:
        """The network takes the weights it had at `point` of its run; Train (Continue) then
        branches a new run from there."""
        self.stop_training()
        if point.snapshot.spec != self.net.spec:
            raise ValueError("that snapshot belongs to a network of another shape")
        apply_snapshot(self.net, point.snapshot)
        self._training_run = self._opened_run = None
        if self.timeline is not None:  # the branch's history: up to where it went back to
            self.timeline.truncate(point.step)
        self.unsaved_training = True
        return self.info

    def set_weight_decay(self, value: float) -> bool:
        """Steer the run under way (or paused) from its next step; False without a run."""
        if self._training_run is None or self._training_run.finished:
            return False
        self._training_run.set_weight_decay(value)
        return True

    def set_learning_rate(self, peak: float) -> bool:
        """Steer the run under way (or paused): its schedule goes on at this peak from the next
        step. False when there is no run to steer."""
        if self._training_run is None or self._training_run.finished:
            return False
        self._training_run.set_peak_learning_rate(peak)
        return True

    def schedule(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(epoch, learning rate) of every step of the run, as planned now; None without a run."""
        run = self._training_run
        if run is None:
            return None
        return np.arange(1, run.total_steps + 1) / run.steps_per_epoch, run.schedule()

    def step_once(self) -> list[TrainProgress | EvalResult | TrainFinished]:
        """Exactly one batch of the run (finishing a validation pass under way first)."""
        messages: list[TrainProgress | EvalResult | TrainFinished] = []
        while self._run is not None and not any(
            isinstance(m, TrainProgress | TrainFinished) for m in messages
        ):
            messages += self.train_for(0.0)
        return messages

    def _first_joining_example(self) -> int:
        """Examples from this index on join the run: those taught from now on, and the one
        whose rehearsal the run cut short."""
        keys = [example.key for example in self.handwriting.examples]
        joining, self._joins_run = self._joins_run, ""
        return keys.index(joining) if joining in keys else len(keys)

    def own_examples(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The examples the run under way learns from: all of them, or those taught during it."""
        x, y = self.handwriting.tensors()
        start = min(self._own_from, len(y))
        return x[start:], y[start:]

    def train_for(
        self, seconds: float, interrupt: threading.Event | None = None
    ) -> list[TrainProgress | EvalResult | TrainFinished]:
        """Steps for about `seconds` (at least one), fewer once `interrupt` is set (from another
        thread, say); a TrainFinished ends the list and the run."""
        if self._run is None:
            return []
        messages: list[TrainProgress | EvalResult | TrainFinished] = []
        for message in for_a_while(self._run, seconds, interrupt):
            if isinstance(message, EvalProgress):
                pass  # mid-evaluation: nothing to report, but the slice may end here
            elif isinstance(message, TrainProgress):
                self._last_progress = message
                self.unsaved_training = True
                messages.append(message)
                if self.timeline is not None:
                    self.timeline.offer(message.step, message.epoch, message.loss, self.snapshot)
            elif isinstance(message, EvalResult):
                self._last_eval = message
                messages.append(message)
            else:
                messages.append(message)
                if self.timeline is not None:  # its last weights may have been calibrated
                    self.timeline.renew(message.steps, self.snapshot)
                self._finish(message)
                break
        return messages

    def stop_training(self) -> TrainFinished | None:
        """End the run now; the network keeps what it has learnt."""
        if self._run is None:
            return None
        self._run.close()
        self._run = None
        self.net.eval()
        last = self._last_progress
        finished = TrainFinished(
            reason="stopped",
            steps=last.step if last else 0,
            epochs=last.epoch if last else 0.0,
            train_seconds=0.0,
            samples_per_second=last.samples_per_second if last else 0.0,
            final_eval=self._last_eval,
            message="Training stopped; the network keeps what it has learnt so far.",
        )
        self._record(finished)
        return finished

    def _finish(self, finished: TrainFinished) -> None:
        self._run = None
        self.net.eval()
        self._record(finished)

    def _record(self, finished: TrainFinished) -> None:
        metadata = dict(self.info.metadata)
        metadata.update(epochs=finished.epochs, steps=finished.steps, reason=finished.reason)
        if finished.final_eval is not None:
            metadata["test_accuracy"] = finished.final_eval.accuracy
        self._info = replace(self._info, metadata=metadata)

"""A training run as an object: its loop, and everything needed to stop it and go on later.

The loop is the one `train_steps` always ran (a `TrainProgress` after every batch, an
`EvalResult` several times per epoch, a final `TrainFinished`), but its state lives here, not
in a generator's locals: the optimizer's moments, the schedule, the step, the shuffled order
and the random generators. So a run can be saved with the network, opened again (after a
restart, or with `python -m model train --resume`) and continued to the same weights as if it
had never stopped; and its learning rate can be changed while it runs.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
from collections.abc import Callable, Generator
from dataclasses import asdict, replace
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .calibration import divide_logits, fit_temperature, rescaled
from .messages import FIELDS_ADDED_LATER, EvalProgress, EvalResult, TrainConfig, TrainFinished, TrainProgress
from .training import (
    MIN_ONECYCLE_STEPS,
    SNAPSHOT_EVERY,
    Message,
    TrainingData,
    autocast,
    batch_for,
    divergence_message,
    effective_weight_decay,
    evaluation_parts,
    make_optimizer,
    random_affine,
    total_steps_for,
    uses_bfloat16,
    with_own,
)

RUN_FORMAT = 1
PCT_WARM_UP = 0.25  # share of the one-cycle schedule spent warming up


class RunStateError(ValueError):
    """A saved run that cannot be continued here; the message is for the user."""


def epochs_of_saved_run(state: dict[str, Any] | None) -> tuple[float, float] | None:
    """(epochs done, epochs planned) of a saved run, to tell the user it can go on; None when
    there is none or it does not say (it is checked properly when continued)."""
    if state is None:
        return None
    try:
        config = saved_config(state)
        return int(state["step"]) * config.batch_size / len(state["order"]), config.epochs
    except (KeyError, TypeError, ValueError, ZeroDivisionError, RunStateError):
        return None


def saved_config(state: dict[str, Any]) -> TrainConfig:
    """The settings of a saved run (TrainingRun.state_dict), checked as any TrainConfig."""
    try:
        fields = {**FIELDS_ADDED_LATER, **dict(state["config"])}
        fields["betas"] = tuple(fields["betas"])
        return TrainConfig(**fields)
    except (KeyError, TypeError, ValueError) as error:
        raise RunStateError(f"the saved run's settings cannot be used ({error})") from error


def plain_loss(logits: torch.Tensor, y: torch.Tensor, loss: torch.Tensor, smoothing: float) -> float:
    """The batch's cross-entropy without label smoothing (`loss` itself when there is none)."""
    if not smoothing:
        return float(loss.item())
    with torch.no_grad():
        return float(F.cross_entropy(logits.detach().float(), y).item())


class TrainingRun:
    """Trains `net` in place: `messages()` yields one `TrainProgress` per batch.

    `own` gives the user's handwriting examples, asked at every step; `until_accuracy` ends
    the run once validation accuracy reaches it. If the loss stops being a number, the last
    good weights are put back and the run ends "diverged".
    """

    def __init__(
        self,
        net: nn.Module,
        data: TrainingData,
        config: TrainConfig,
        until_accuracy: float | None = None,
        own: Callable[[], tuple[torch.Tensor, torch.Tensor]] | None = None,
    ) -> None:
        train_size = len(data.train_y)
        if train_size == 0:
            raise ValueError("there are no training images to train on")
        self.net, self.data, self.config = net, data, config
        self.until_accuracy, self.own = until_accuracy, own
        self.generator = torch.Generator().manual_seed(config.seed)
        torch.manual_seed(config.seed)  # dropout
        self.batch_size = batch_for(config, train_size)
        self.steps_per_epoch = train_size / self.batch_size
        self.total_steps = total_steps_for(config, train_size)
        per_epoch = config.evals_per_epoch
        self.eval_interval = max(1, round(self.steps_per_epoch / per_epoch)) if per_epoch else 0
        self.first_eval = math.ceil(config.eval_from * self.steps_per_epoch - 1e-9)
        self.optimizer = make_optimizer(net, config)
        self.scheduler = (
            torch.optim.lr_scheduler.OneCycleLR(
                self.optimizer,
                max_lr=config.learning_rate,
                total_steps=self.total_steps,
                pct_start=PCT_WARM_UP,
            )
            if config.schedule == "onecycle" and self.total_steps >= MIN_ONECYCLE_STEPS
            else None  # a run of a few steps has no room for a warm-up: its rate stays constant
        )
        self.step = 0  # updates made
        self.order = torch.randperm(train_size, generator=self.generator)
        self.cursor = 0
        self.train_seconds = 0.0
        self.samples = 0
        self.samples_per_second = 0.0
        self.learning_rate_scale = 1.0  # the user's changes to the peak learning rate
        self.last_eval: EvalResult | None = None

    # -- steering -------------------------------------------------------------------------
    @property
    def peak_learning_rate(self) -> float:
        return self.config.learning_rate * self.learning_rate_scale

    def set_peak_learning_rate(self, peak: float) -> None:
        """From the next step on, the schedule goes on at this peak (its shape unchanged)."""
        if not (peak > 0 and math.isfinite(peak)):
            raise ValueError("the learning rate must be a positive number")
        ratio = peak / self.peak_learning_rate
        for group in self.optimizer.param_groups:
            for key in ("lr", "initial_lr", "max_lr", "min_lr"):
                if key in group:
                    group[key] *= ratio
        if self.scheduler is not None:
            self.scheduler.base_lrs = [lr * ratio for lr in self.scheduler.base_lrs]
        self.learning_rate_scale *= ratio

    def set_weight_decay(self, value: float) -> None:
        """From the next step on, every weight is pulled towards 0 by this much more."""
        if not (0.0 <= value <= 1.0):
            raise ValueError("the weight decay must be a number from 0 to 1")
        for group in self.optimizer.param_groups:
            group["weight_decay"] = effective_weight_decay(self.config.optimizer, value)

    def schedule(self) -> np.ndarray:
        """The learning rate of every step of the run, as planned now (for the plot)."""
        if self.scheduler is None:
            return np.full(self.total_steps, self.peak_learning_rate)
        probe = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        plan = torch.optim.lr_scheduler.OneCycleLR(
            probe, max_lr=self.peak_learning_rate, total_steps=self.total_steps, pct_start=PCT_WARM_UP
        )
        rates = []
        for _ in range(self.total_steps):
            rates.append(probe.param_groups[0]["lr"])
            probe.step()
            plan.step()
        return np.array(rates)

    # -- saving and continuing ---------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to go on (with the network's weights, saved beside it): plain
        values and tensors only, so that torch.load(weights_only=True) reads it back."""
        return {
            "format": RUN_FORMAT,
            "config": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self.config).items()},
            "step": self.step,
            "cursor": self.cursor,
            "order": self.order.clone(),
            "generator": self.generator.get_state(),
            "torch_rng": torch.get_rng_state(),
            "optimizer": copy.deepcopy(self.optimizer.state_dict()),
            "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            "train_seconds": self.train_seconds,
            "samples": self.samples,
            "learning_rate_scale": self.learning_rate_scale,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue where `state_dict()` left off. Raises RunStateError if it does not fit."""
        try:
            if state["format"] != RUN_FORMAT:
                raise RunStateError("the saved run was written by another version of digitpad")
            order = state["order"]
            if not isinstance(order, torch.Tensor) or order.shape != self.order.shape:
                raise RunStateError("the saved run was trained on a data set of another size")
            if order.dtype != torch.int64 or not torch.equal(order.sort().values, torch.arange(len(order))):
                raise RunStateError("the saved run's order of the training digits is damaged")
            step, cursor = int(state["step"]), int(state["cursor"])
            if not 0 <= step <= self.total_steps or not 0 <= cursor <= len(order):
                raise RunStateError("the saved run's position is out of range")
            self.optimizer.load_state_dict(state["optimizer"])
            self._check_optimizer_state()
            if (state["scheduler"] is None) != (self.scheduler is None):
                raise RunStateError("the saved run has another learning-rate schedule")
            if self.scheduler is not None:
                self._load_schedule(state["scheduler"])
            self.generator.set_state(state["generator"])
            torch.set_rng_state(state["torch_rng"])
        except RunStateError:
            raise
        except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as error:
            raise RunStateError(f"the saved run is damaged ({type(error).__name__})") from error
        self.order, self.step, self.cursor = order.clone(), step, cursor
        self.train_seconds = float(state.get("train_seconds", 0.0))
        self.samples = int(state.get("samples", 0))
        self.learning_rate_scale = float(state.get("learning_rate_scale", 1.0))

    def _check_optimizer_state(self) -> None:
        """Moments of another shape or kind would only fail (or worse) at the first step."""
        for group in self.optimizer.param_groups:
            for parameter in group["params"]:
                for value in self.optimizer.state.get(parameter, {}).values():
                    if not isinstance(value, torch.Tensor) or not torch.isfinite(value).all():
                        raise RunStateError("the saved run's optimizer state is damaged")
                    if value.dim() and (value.shape != parameter.shape or value.dtype != parameter.dtype):
                        raise RunStateError("the saved run's optimizer state does not fit this network")

    def _load_schedule(self, saved: object) -> None:
        """Only the schedule's own fields, of their own kinds, for a run of this length."""
        assert self.scheduler is not None
        expected = self.scheduler.state_dict()
        if not isinstance(saved, dict) or set(saved) != set(expected):
            raise RunStateError("the saved run's learning-rate schedule is damaged")
        if any(type(saved[key]) is not type(value) for key, value in expected.items()):
            raise RunStateError("the saved run's learning-rate schedule is damaged")
        if any(saved.get(key) != expected.get(key) for key in ("total_steps", "_schedule_phases")):
            raise RunStateError("the saved run's schedule was planned for another length")
        for key in ("base_lrs", "_last_lr"):
            rates = saved.get(key)
            if not isinstance(rates, list) or len(rates) != len(expected.get(key, [])):
                raise RunStateError("the saved run's learning-rate schedule is damaged")
            if not all(type(rate) is float and 0 < rate < 1e6 for rate in rates):
                raise RunStateError("the saved run's learning rates are not usable numbers")
        self.scheduler.load_state_dict(saved)

    @property
    def finished(self) -> bool:
        return self.step >= self.total_steps

    # -- the loop -------------------------------------------------------------------------------
    def messages(self) -> Generator[Message, None, None]:
        """The rest of the run, one batch per `TrainProgress`; a `TrainFinished` at the end."""
        net, data, config = self.net, self.data, self.config
        bfloat16 = uses_bfloat16(config)
        snapshot = copy.deepcopy(net.state_dict())
        snapshot_step = self.step  # how many updates the snapshot's weights had had
        reason, message = "completed", ""
        train_size = len(data.train_y)
        net.train()
        while self.step < self.total_steps:
            step = self.step + 1
            started = time.perf_counter()
            if self.cursor + self.batch_size > train_size:
                self.order, self.cursor = torch.randperm(train_size, generator=self.generator), 0
            index = self.order[self.cursor : self.cursor + self.batch_size]
            self.cursor += self.batch_size
            x, y = data.train_x[index], data.train_y[index]
            if self.own is not None:
                x, y = with_own(x, y, *self.own(), self.generator)
            if config.augment:
                x = random_affine(x, self.generator)
            with autocast(bfloat16):
                logits = net(x)
                loss = F.cross_entropy(logits, y, label_smoothing=config.label_smoothing)
            # The plot shows the plain cross-entropy, as the validation loss is: smoothing
            # raises its floor to about 0.5, which would read as a network that never learns.
            loss_value = plain_loss(logits, y, loss, config.label_smoothing)
            batch_accuracy = float((logits.detach().argmax(1) == y).float().mean())
            if not math.isfinite(loss_value):
                net.load_state_dict(snapshot)
                reason = "diverged"
                message = divergence_message("loss", loss_value, step, config, snapshot_step)
                break
            if step % SNAPSHOT_EVERY == 0:
                # These weights just gave a finite loss; after the update below they may not.
                snapshot = copy.deepcopy(net.state_dict())
                snapshot_step = step - 1
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]  # Tensor.backward is unannotated in torch
            learning_rate = self.optimizer.param_groups[0]["lr"]  # this step's, for the plot
            self.optimizer.step()
            if self.scheduler is not None:
                self.scheduler.step()
            self.step = step
            elapsed = time.perf_counter() - started
            self.train_seconds += elapsed
            self.samples += len(y)  # the user's examples included: the speed shown is the speed
            rate = len(y) / max(elapsed, 1e-9)
            first = self.samples_per_second == 0.0
            self.samples_per_second = rate if first else 0.9 * self.samples_per_second + 0.1 * rate
            yield TrainProgress(
                step=step,
                total_steps=self.total_steps,
                epoch=step / self.steps_per_epoch,
                loss=loss_value,
                samples_per_second=self.samples_per_second,
                seconds_left=(self.total_steps - step) * self.batch_size / max(self.samples_per_second, 1e-9),
                learning_rate=learning_rate,
                batch_accuracy=batch_accuracy,
            )
            if self._evaluates_at(step):
                result = yield from self._evaluate(step)
                if not isinstance(result, EvalResult):  # the validation loss is not a number
                    net.load_state_dict(snapshot)
                    reason = "diverged"
                    message = divergence_message("validation loss", result, step, config, snapshot_step)
                    break
                if self.until_accuracy is not None and result.accuracy >= self.until_accuracy:
                    reason = "target reached"
                    break
        if reason == "completed":  # a run stopped early may be resumed: its weights stay as trained
            self._calibrate()
        yield TrainFinished(
            reason=reason,
            steps=self.step,
            epochs=self.step / self.steps_per_epoch,
            train_seconds=self.train_seconds,
            samples_per_second=self.samples / max(self.train_seconds, 1e-9),
            final_eval=self.last_eval,
            message=message,
        )

    def _calibrate(self) -> None:
        """After label smoothing, make the confidence mean what it says (model.calibration),
        fitted on the last validation pass if it saw these very weights."""
        last = self.last_eval
        if (
            self.config.label_smoothing <= 0
            or last is None
            or last.probabilities is None
            or last.step != self.step
        ):
            return
        temperature = fit_temperature(last.probabilities, self.data.test_y.numpy())
        if temperature is None:
            return
        divide_logits(self.net, temperature)
        calibrated = rescaled(last.probabilities, temperature)
        loss = F.nll_loss(calibrated, self.data.test_y).item()
        self.last_eval = replace(last, loss=loss, probabilities=calibrated.exp().numpy().astype(np.float32))

    def _evaluates_at(self, step: int) -> bool:
        every = self.eval_interval and step % self.eval_interval == 0 and step >= self.first_eval
        return bool(every) or step == self.total_steps

    def _evaluate(self, step: int) -> Generator[Message, None, EvalResult | float]:
        """A validation pass, pausable between batches; its loss alone when not a number."""
        data = self.data
        size, done, total_loss, correct = len(data.test_y), 0, 0.0, 0
        batches: list[np.ndarray] = []
        with contextlib.closing(evaluation_parts(self.net, data.test_x, data.test_y)) as parts:
            for part in parts:
                done, total_loss, correct, batch = part  # the last one holds the totals
                batches.append(batch)
                if done < size:  # a place to pause: a whole pass takes a few tenths of a second
                    yield EvalProgress(step, done, size)
        val_loss, accuracy = total_loss / max(1, size), correct / max(1, size)
        if not math.isfinite(val_loss):
            return val_loss
        probabilities = np.concatenate(batches) if batches else None
        epoch = step / self.steps_per_epoch
        self.last_eval = EvalResult(step, epoch, val_loss, accuracy, self.train_seconds, probabilities)
        yield self.last_eval
        return self.last_eval

"""The trainer's slots for the training lab: one step at a time, steering the learning rate and
the weight decay, rewinding to a snapshot of the run, and the validation digits for the
confusion matrix's gallery.

Mixed into gui.trainer.Trainer, whose thread runs them: they use its session and signals.
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING

from PySide6.QtCore import SignalInstance, Slot

from model.confusion import ValidationSet
from model.messages import EvalResult, ModelInfo, TrainFinished, TrainProgress

if TYPE_CHECKING:
    from model.session import ModelSession
    from model.snapshot import WeightSnapshot


class LabSlots:
    """Step, steer, rewind, show a snapshot: see gui.trainer.Trainer."""

    if TYPE_CHECKING:  # provided by Trainer
        failed: SignalInstance
        validation_ready: SignalInstance
        schedule_planned: SignalInstance
        timeline_changed: SignalInstance
        weights_published: SignalInstance
        _state: str
        _timeline_sent: tuple[object, ...]
        _validation: tuple[object, ValidationSet] | None

        def _served(self) -> None: ...
        def _session_or_fail(self) -> ModelSession: ...
        def _announce(self, info: ModelInfo, replaced: bool) -> None: ...
        def _publish(self, reread: bool) -> WeightSnapshot: ...
        def _end_run(self) -> object: ...
        def _report(
            self, messages: list[TrainProgress | EvalResult | TrainFinished], now: bool = False
        ) -> None: ...

    @Slot()
    def share_validation_set(self) -> None:
        """The validation digits, for the confusion matrix's gallery (loaded the first time)."""
        try:
            data = self._session_or_fail().training_data()
            if self._validation is None or self._validation[0] is not data:  # converted once per data
                self._validation = (data, ValidationSet.of(data))
        except Exception as error:  # data that cannot be read: the window says so
            traceback.print_exc()
            self.failed.emit(f"The validation digits cannot be shown ({error}).")
            return
        self.validation_ready.emit(self._validation[1])

    @Slot()
    def step_once(self) -> None:
        """Paused: train exactly one batch, and every view shows its result."""
        self._served()
        session = self._session_or_fail()
        if self._state != "paused" or not session.training:
            return
        try:
            messages = session.step_once()
        except Exception as error:  # a bug must not kill the thread or lose the network
            traceback.print_exception(error)
            self._end_run()
            self.failed.emit(f"Training stopped because of an internal error: {error}")
            return
        self._report(messages, now=True)

    @Slot(object)
    def rewind(self, point: object) -> None:
        """Go back to the weights of `point` (a TimelinePoint of this run): Train branches from there."""
        self._served()
        self._end_run()
        try:
            self._session_or_fail().rewind(point)  # type: ignore[arg-type]
        except ValueError as error:
            self.failed.emit(f"Cannot go back there: {error}.")
            return
        session = self._session_or_fail()
        self._announce(session.info, replaced=False)
        self._publish(reread=True)
        if session.timeline is not None:  # the branch's history ends where it went back to
            self._timeline_sent = session.timeline.points
            self.timeline_changed.emit(session.timeline.points)

    @Slot(object)
    def show_weights(self, snapshot: object) -> None:
        """The drawing read by a snapshot of the run (None: by the weights of now). Through this
        thread, so that what the user asked last is what the predictor ends with."""
        self._served()
        if snapshot is None:
            self._publish(reread=True)
        else:
            self.weights_published.emit(snapshot, True)

    @Slot(float)
    def set_weight_decay(self, value: float) -> None:
        self._served()
        self._session_or_fail().set_weight_decay(value)

    @Slot(float)
    def set_learning_rate(self, peak: float) -> None:
        """Steer the run under way or paused, from its next step; the plot shows the new plan."""
        self._served()
        if self._session_or_fail().set_learning_rate(peak):
            self._share_schedule()

    def _share_schedule(self) -> None:
        planned = self._session_or_fail().schedule()
        if planned is not None:
            self.schedule_planned.emit(planned)

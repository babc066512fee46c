"""The trainer's slots for teaching: a correction learnt in slices, like training, then
rehearsed; going back to before the corrections; editing the user's examples.

Mixed into gui.trainer.Trainer, whose thread runs them: they use its session, signals and
slice timer.
"""

from __future__ import annotations

import threading
import traceback
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, SignalInstance, Slot

from model.messages import HandwritingEdit, InkStroke, ModelInfo

if TYPE_CHECKING:
    import numpy as np

    from model.session import ModelSession
    from model.snapshot import WeightSnapshot

    from .pacing import Pacing


class TeachingSlots:
    """Teach, forget, edit: see gui.trainer.Trainer."""

    if TYPE_CHECKING:  # provided by Trainer
        failed: SignalInstance
        network_notice: SignalInstance
        examples_changed: SignalInstance
        teach_progress: SignalInstance
        correction_learnt: SignalInstance
        nothing_taught: SignalInstance
        _slice_timer: QTimer
        _pacing: Pacing
        _interrupt: threading.Event
        _announced: ModelInfo | None
        _state: str

        def _served(self) -> None: ...
        def _session_or_fail(self) -> ModelSession: ...
        def _announce(self, info: ModelInfo, replaced: bool) -> None: ...
        def _publish(self, reread: bool) -> WeightSnapshot: ...
        def _end_run(self) -> object: ...
        def _network_replaced(self) -> None: ...
        def _report_progress(self) -> None: ...

    @Slot(object, object, int)
    def teach(self, image: np.ndarray, ink: tuple[InkStroke, ...] | None, label: int) -> None:
        """Learn that the drawing is `label`, in slices like training: the canvas's ink `image`,
        or, when it is small for the pen, the drawing drawn bigger from its strokes `ink`, as
        the predictor reads it (model.small_drawings)."""
        from model.small_drawings import redrawn_bigger

        self._served()
        session = self._session_or_fail()
        try:
            small = redrawn_bigger(image, ink)
            example, warning = session.teach(image if small is None else small.image, label)
        except Exception as error:  # data that cannot be read, say: the network stays as it was
            traceback.print_exc()
            self.nothing_taught.emit(f"The network could not learn from your drawing: {error}")
            return
        if warning:
            self.failed.emit(f"{warning} The example is used until you close digitpad.")
        if example is None:  # all its ink erased, say
            self.nothing_taught.emit("There is no ink to learn from: draw the digit, then say which it is.")
            return
        self.examples_changed.emit(session.handwriting.examples)
        self._slice_timer.start(0)

    def _teach_slice(self) -> None:
        session = self._session_or_fail()
        try:
            steps = session.teach_for(self._pacing.slice_seconds, self._interrupt)
        except Exception as error:  # a bug must not kill the thread or lose the network
            traceback.print_exception(error)
            self.failed.emit(f"Teaching stopped because of an internal error: {error}")
            session.end_teaching()
            steps = []
        if session.info != self._announced:  # it now holds unsaved training
            self._announce(session.info, replaced=False)
        snapshot = self._publish(reread=True)  # the bars and layers follow it, live
        if self._state == "running":  # the window knows the run's step when the weights moved
            self._report_progress()
        if steps:
            self.teach_progress.emit(tuple(steps))
        if any(step.just_learnt for step in steps):  # rehearsal follows
            self.correction_learnt.emit(steps[-1].label, snapshot.version)
        if session.teaching or self._state == "running":
            self._slice_timer.start(0)

    @Slot(bool)
    def forget_teaching(self, keep_examples: bool) -> None:
        """Back to the network from before the corrections, or the shipped weights after a restart."""
        from model.checkpoint import CheckpointError

        self._served()
        self._end_run()
        try:
            self._session_or_fail().forget_teaching()
        except CheckpointError as error:
            self.failed.emit(str(error))
            return
        if not keep_examples:
            self.edit_handwriting(HandwritingEdit("clear"))
        self._network_replaced()

    @Slot(object)
    def edit_handwriting(self, edit: HandwritingEdit) -> None:
        """Relabel, delete, clear, import or export the user's examples (see HandwritingEdit)."""
        from model.handwriting import HandwritingError

        self._served()
        handwriting = self._session_or_fail().handwriting
        try:
            done = edit.apply(handwriting)
        except HandwritingError as error:
            self.failed.emit(str(error))
        else:
            if done:
                self.network_notice.emit(done)
        self.examples_changed.emit(handwriting.examples)

"""Teaching, the part of a ModelSession that learns from the user's corrections.

A correction is learnt in steps (model.teaching.teach_steps) between the window's requests,
like a training run, then rehearsed so that the rest is not forgotten. ModelSession mixes
this in: it owns the network, the data and the user's examples this part works on.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Generator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from .checkpoint import DEFAULT_WEIGHTS
from .handwriting import Example, HandwritingError, make_example
from .messages import SHIPPED_SOURCE, ModelInfo
from .networks import DigitNet
from .personal import PersonalExamples
from .teaching import TeachProgress, TeachSettings, teach_steps
from .training import TrainingData, for_a_while

MAX_REHEARSAL = 4 * TeachSettings.rehearse  # steps: about 40 s on two cores


class TeachingSession:
    """Corrections: teach, teach_for, rehearsal, and going back to before them."""

    net: DigitNet
    handwriting: PersonalExamples
    unsaved_training: bool

    if TYPE_CHECKING:  # provided by ModelSession

        @property
        def info(self) -> ModelInfo: ...

        @property
        def training(self) -> bool: ...

        def training_data(self) -> TrainingData: ...

        def load(self, path: str | Path, source: str | None = None) -> ModelInfo: ...

        def _adopt(
            self, net: DigitNet, metadata: dict[str, object], source: str, path: str | None = None
        ) -> ModelInfo: ...

    def _init_teaching(self) -> None:
        self._teaching: Generator[TeachProgress, None, None] | None = None
        self._taught_key = ""  # the example being taught
        self._joins_run = ""  # the example whose rehearsal a starting run cut short
        self._rehearsal: TeachProgress | None = None  # the last step, once the correction is learnt
        self._taught = 0  # corrections taught: each one's augmentations are its own
        self._planned_rehearsal = 0  # steps, for the correction being taught
        # The network as it was before the first correction, for "Forget what I taught".
        self._before_teaching: tuple[DigitNet, ModelInfo] | None = None

    @property
    def teaching(self) -> bool:
        return self._teaching is not None

    @property
    def can_forget_teaching(self) -> bool:
        """There is a network from before the corrections to go back to."""
        return self._before_teaching is not None

    def teach(self, image: np.ndarray, label: int) -> tuple[Example | None, str]:
        """Begin learning that the drawing `image` (canvas ink) is `label`; teach_for() does it.

        Returns the example (None if the drawing is empty) and a sentence when it could only be
        kept in memory (the folder cannot be written, say).
        """
        example = make_example(image, label)
        if example is None:
            return None, ""
        warning = ""
        try:
            self.handwriting.add(example)
        except HandwritingError as error:
            warning = str(error)
        if self._before_teaching is None:
            self._before_teaching = (copy.deepcopy(self.net), self.info)
        earlier = self.handwriting.tensors()
        self._taught += 1
        # A correction cut short by this one leaves its rehearsal to this one: quick corrections
        # get as much of it as slow ones (up to a limit). A run under way is the rehearsal.
        rehearse = min(TeachSettings.rehearse + self._rehearsal_owed(), MAX_REHEARSAL)
        settings = TeachSettings(rehearse=0 if self.training else rehearse)
        self._planned_rehearsal = settings.rehearse
        self._taught_key, self._rehearsal = example.key, None
        self._teaching = teach_steps(
            self.net, example.pixels, example.label, earlier, self.training_data(), settings, self._taught
        )
        self.unsaved_training = True
        return example, warning

    def _rehearsal_owed(self) -> int:
        """Rehearsal steps the correction being taught has yet to make (all, while it learns)."""
        if self._teaching is None:
            return 0
        if self._rehearsal is None:
            return self._planned_rehearsal
        return self._rehearsal.rehearsal_steps - self._rehearsal.rehearsed

    def warm_up_teaching(self) -> None:
        """Load the digits teaching replays and run one backward pass of each batch shape it uses,
        so that the first correction takes as long as the next ones (about 2 s less). Only a head
        start: whatever fails here, the first correction does (and reports) itself."""
        try:
            self.training_data()
            shape = TeachSettings()
            learning = shape.copies + shape.earlier + shape.replay
            rehearsal = shape.rehearse_copies + shape.rehearse_earlier + shape.replay
            for batch in (learning, rehearsal):
                self.net.eval()
                self.net(torch.zeros(batch, 1, 28, 28)).sum().backward()
        except Exception:
            pass
        finally:
            self.net.zero_grad(set_to_none=True)
            self.net.train(self.training)

    def teach_for(self, seconds: float, interrupt: threading.Event | None = None) -> list[TeachProgress]:
        """Teaching steps for about `seconds` (at least one); the last one says done when it is.
        The step that learns the correction ends its slice: the weights published after it are
        those that read the drawing as the taught digit, before any rehearsal step moves them."""
        progress: list[TeachProgress] = []
        if self._teaching is None:
            return progress
        for step in for_a_while(self._teaching, seconds, interrupt):
            progress.append(step)
            if step.learnt:
                self._rehearsal = step
            if step.done:
                self.end_teaching()
                break
            if step.just_learnt:
                break
        return progress

    def stop_rehearsing(self) -> TeachProgress | None:
        """End the rehearsal of a correction already learnt (a run is starting: it replays the
        training digits anyway, and the example joins its batches). Returns its last step,
        marked done; None when there was none."""
        if self._teaching is None or self._rehearsal is None:
            return None
        last = replace(self._rehearsal, done=True)
        self._joins_run = self._taught_key
        self.end_teaching()
        return last

    def end_teaching(self) -> None:
        """The correction is learnt, or abandoned (an error in a step): a run under way goes on."""
        self._teaching = self._rehearsal = None
        self.net.train(self.training)

    def forget_teaching(self) -> ModelInfo:
        """Back to the network from before the corrections; without one (after a restart, say),
        to the shipped weights. Raises CheckpointError if those cannot be read."""
        if self._before_teaching is None:
            return self.load(DEFAULT_WEIGHTS, source=SHIPPED_SOURCE)
        net, info = self._before_teaching
        self._adopt(net, info.metadata, info.source, info.path)
        self.unsaved_training = info.unsaved_training
        return self.info

"""The predictor: reads the drawing with a network of its own, in a QThread of its own.

It never sees the trainer's network: it copies each published WeightSnapshot into its own.
So a drawing is read at once, whatever the trainer is doing, from weights at most one
training slice old. Of the drawings queued meanwhile only the newest is read.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from model.messages import PredictRequest

if TYPE_CHECKING:  # torch loads in this thread, after the window is up
    import numpy as np

    from model.detector import Detector, Judgement
    from model.networks import DigitNet
    from model.small_drawings import Redrawn
    from model.snapshot import WeightSnapshot


@dataclass
class KeptForDrawing:
    """The predictor's memory of one request's drawing (its thread alone uses it)."""

    request_id: int
    redrawn: Redrawn | None
    path: tuple[np.ndarray, ...] | None  # what the digit detector reads of the pen's path
    judgement: Judgement | None = None


class Predictor(QObject):
    """Owns the network that reads drawings; every slot runs in the predictor's thread."""

    prediction_ready = Signal(object)  # Prediction

    def __init__(self) -> None:
        super().__init__()
        self._net: DigitNet | None = None
        self._version = 0  # of the weights in self._net
        self._latest: PredictRequest | None = None
        self._unanswered = False  # the latest request has not been answered yet
        self._answer_scheduled = False
        self._detector: Detector | None = None  # says when a drawing is no digit at all
        self._kept: KeptForDrawing | None = None  # for the latest request's drawing

    @Slot()
    def start(self) -> None:
        """First slot in the predictor's thread.

        Torch keeps a pool of helper threads for each thread that computes in parallel; two
        pools on two cores make every parallel training step wait on sleeping threads. One
        drawing at a time gains nothing from a second thread, so this thread computes alone.
        """
        from model.detector import load_detector
        from model.training import compute_on_threads

        compute_on_threads(1)
        self._detector, self._kept = load_detector(), None

    @Slot(object, bool)
    def set_weights(self, snapshot: WeightSnapshot, reread: bool) -> None:
        """Copy the trainer's weights into this thread's network; with `reread`, read the
        drawing again with them (layers included: the network changed)."""
        from model.snapshot import apply_snapshot

        self._net = apply_snapshot(self._net, snapshot)
        self._version = snapshot.version
        if self._latest is not None and (reread or self._unanswered):
            self._answer(self._latest, with_layers=True)

    @Slot(object)
    def predict(self, request: PredictRequest) -> None:
        """Remember the request; only the newest of those queued meanwhile gets answered."""
        self._latest = request
        self._unanswered = True
        if self._net is not None and not self._answer_scheduled:
            self._answer_scheduled = True
            QTimer.singleShot(0, self._answer_latest)

    @Slot()
    def _answer_latest(self) -> None:
        self._answer_scheduled = False
        if self._unanswered and self._latest is not None:
            self._answer(self._latest, self._latest.with_layers)

    def _answer(self, request: PredictRequest, with_layers: bool) -> None:
        from model.messages import Prediction
        from model.reading import read_drawing

        assert self._net is not None
        self._unanswered = False
        try:
            redrawn, judge = self._kept_for(request)
            prediction = replace(
                read_drawing(
                    self._net,
                    request.request_id,
                    request.image if redrawn is None else redrawn.image,
                    with_layers,
                    request.with_saliency,
                    request.inspect,
                    judge,
                ),
                weights_version=self._version,
            )
            if redrawn is not None and prediction.placement is not None:
                prediction = replace(
                    prediction,
                    placement=redrawn.placement_on_canvas(prediction.placement),
                    magnified=redrawn.magnification,
                )
        except Exception as error:  # a bug must not leave the window waiting for an answer
            traceback.print_exception(error)
            prediction = Prediction(request.request_id, None)
        self.prediction_ready.emit(prediction)

    def _kept_for(
        self, request: PredictRequest
    ) -> tuple[Redrawn | None, Callable[[np.ndarray], Judgement] | None]:
        """What does not change with the weights, made once per drawing: the drawing drawn
        bigger if it is small (None: its ink is read as it is), and a judge whose verdict is
        kept. Reading the drawing again while training does neither again."""
        from model.pen_path import strokes_of
        from model.small_drawings import path_box, redrawn_bigger

        if self._kept is None or self._kept.request_id != request.request_id:
            box = path_box(request.image, request.ink)
            redrawn = redrawn_bigger(request.image, request.ink, box)
            # A dot's path tells nothing its picture does not: the picture judges it alone.
            path = None if box is not None and box.is_dot else strokes_of(request.ink)
            self._kept = KeptForDrawing(request.request_id, redrawn, path)
        kept, detector = self._kept, self._detector
        if detector is None:
            return kept.redrawn, None

        def judge(pixels: np.ndarray) -> Judgement:
            if kept.judgement is None:
                kept.judgement = detector.judge(pixels, kept.path)
            return kept.judgement

        return kept.redrawn, judge

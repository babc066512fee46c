"""How often each part of the app works and repaints: one policy, in one place.

Two cores are shared by training, the drawing's answers and the window's repaints; every
number below trades one against the others and was measured (README, Performance).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from model.messages import TrainProgress


@dataclass(frozen=True)
class Pacing:
    # Training per slice, in seconds. Between two slices the trainer publishes its weights to
    # the predictor (a drawing is answered from weights at most one slice old) and serves
    # requests (pause, save...). Shorter slices cost throughput; longer ones, responsiveness.
    slice_seconds: float = 0.1
    # Seconds between progress reports while training; each comes with a re-reading of the
    # drawing, so the window shows the network learning to read it. Each is also a repaint of
    # the labels, the plot, the bars and the activations: at 5 a second they cost training ~5%.
    report_seconds: float = 0.2
    # While the network trains, a moving pen is re-read at most at a 60 Hz screen's frame rate:
    # the window then paints half as many answers and leaves the cores to training.
    training_request_seconds: float = 0.016
    # The activation view repaints at most this often, however fast answers arrive.
    activation_refresh_ms: int = 33
    # The loss plot repaints at most this often: each repaint takes CPU from training.
    plot_refresh_ms: int = 200
    # While a run goes on, its training is kept for the next launch this often (and at its
    # end): a crash or a power cut loses at most this much. A write takes some 10-50 ms.
    keep_running_seconds: float = 60.0


PACING = Pacing()


class ProgressReports:
    """Training steps gathered between two reports to the window, one report per period."""

    def __init__(self, period: float) -> None:
        self._period = period
        self._steps: list[TrainProgress] = []
        self._last = 0.0  # perf_counter() of the last report

    def add(self, steps: list[TrainProgress], finished: bool) -> bool:
        """Gather `steps`; True when a report is due (the period has passed, or the run ended)."""
        self._steps.extend(steps)
        now = time.perf_counter()
        due = finished or now - self._last >= self._period
        if due:
            self._last = now
        return due

    def take(self) -> tuple[TrainProgress, ...]:
        steps, self._steps = tuple(self._steps), []
        return steps

    def clear(self) -> None:
        """A run ended or was replaced: its unsent steps are stale."""
        self._steps.clear()


def training_threads() -> int:
    """All the cores this process may use: training computes in parallel."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)

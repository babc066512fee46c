"""A run's timeline: copies of its weights kept while it trains, for rewinding.

Every step is offered; the timeline keeps one in `every`, and when it is full it doubles
`every` and drops the snapshots in between (the run's first step always stays). So a run of any length keeps
between half and all of its capacity, spread evenly from its first step to its last, within a
fixed memory budget (at most MAX_SNAPSHOTS and MAX_BYTES).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .snapshot import WeightSnapshot

MAX_SNAPSHOTS = 64
MAX_BYTES = 100 * 2**20


@dataclass(frozen=True)
class TimelinePoint:
    """The weights after `step`, with where the run stood then (immutable: shared by threads)."""

    step: int
    epoch: float
    loss: float
    snapshot: WeightSnapshot


def snapshot_bytes(snapshot: WeightSnapshot) -> int:
    return sum(array.nbytes for _, array in snapshot.state)


class Timeline:
    """At most `capacity` snapshots of one run, evenly spread over the steps made so far."""

    def __init__(self, bytes_per_snapshot: int) -> None:
        self.capacity = max(2, min(MAX_SNAPSHOTS, MAX_BYTES // max(1, bytes_per_snapshot)))
        self.every = 1
        self.points: tuple[TimelinePoint, ...] = ()

    def offer(self, step: int, epoch: float, loss: float, snapshot: Callable[[], WeightSnapshot]) -> bool:
        """Keep the weights after `step` if it is one of the steps kept (`snapshot` is only
        called then); True when the timeline changed."""
        if step % self.every:
            return False
        self.points = (*self.points, TimelinePoint(step, epoch, loss, snapshot()))
        if len(self.points) > self.capacity:
            self.every *= 2
            first, *rest = self.points
            self.points = (first, *(p for p in rest if p.step % self.every == 0))
        return True

    @property
    def nbytes(self) -> int:
        return sum(snapshot_bytes(point.snapshot) for point in self.points)

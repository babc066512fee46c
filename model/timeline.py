"""A run's timeline: copies of its weights kept while it trains, for rewinding.

Every step is offered; one is kept when it lies far enough from the last one kept (a
`capacity`-th of the run so far), and once the timeline is full, each new snapshot pushes out
the one whose neighbours are closest together. So once full it always holds `capacity`
snapshots, from the run's first step to near its latest (within a spacing), roughly evenly
spread, within a fixed memory budget (at most MAX_SNAPSHOTS and MAX_BYTES).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

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
        self.capacity = max(3, min(MAX_SNAPSHOTS, MAX_BYTES // max(1, bytes_per_snapshot)))
        self.points: tuple[TimelinePoint, ...] = ()

    def offer(self, step: int, epoch: float, loss: float, snapshot: Callable[[], WeightSnapshot]) -> bool:
        """Keep the weights after `step` if it is one of the steps kept (`snapshot` is only
        called then); True when the timeline changed."""
        points = self.points
        if points and step - points[-1].step < max(1, (step - points[0].step) // self.capacity):
            return False
        points = (*points, TimelinePoint(step, epoch, loss, snapshot()))
        if len(points) > self.capacity:
            steps = [p.step for p in points]
            crowded = min(range(1, len(points) - 1), key=lambda i: steps[i + 1] - steps[i - 1])
            points = points[:crowded] + points[crowded + 1 :]
        self.points = points
        return True

    def renew(self, step: int, snapshot: Callable[[], WeightSnapshot]) -> None:
        """The weights after `step` changed once the step was made (a run's end calibrates
        them): its point, if kept, takes the new ones."""
        if self.points and self.points[-1].step == step:
            self.points = (*self.points[:-1], replace(self.points[-1], snapshot=snapshot()))

    def truncate(self, step: int) -> None:
        """Forget the snapshots after `step` (the network went back there)."""
        self.points = tuple(point for point in self.points if point.step <= step)

    @property
    def nbytes(self) -> int:
        return sum(snapshot_bytes(point.snapshot) for point in self.points)

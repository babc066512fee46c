"""The run's timeline stays within its bounds however long the run, spread over all of it."""

from __future__ import annotations

import numpy as np

from model.networks import build_network
from model.snapshot import take_snapshot
from model.timeline import MAX_BYTES, MAX_SNAPSHOTS, Timeline, snapshot_bytes


def test_a_long_run_keeps_its_capacity_spread_over_the_whole_run() -> None:
    net = build_network("mlp", seed=0)
    size = snapshot_bytes(take_snapshot(net, 0))
    timeline = Timeline(size)
    taken = []
    for step in range(1, 10_001):
        timeline.offer(
            step, step / 100, 1.0, lambda step=step: taken.append(step) or take_snapshot(net, step)
        )
        assert len(timeline.points) <= timeline.capacity
        if step >= MAX_SNAPSHOTS:
            assert len(timeline.points) == timeline.capacity  # full from then on: never thinned by half
    steps = [p.step for p in timeline.points]
    assert timeline.capacity == MAX_SNAPSHOTS
    assert steps[0] == 1 and steps[-1] > 9_800  # from the first step to near the last
    gaps = np.diff(steps)
    assert gaps.max() <= 4 * np.median(gaps)  # roughly evenly spread
    assert len(taken) < 1_000  # only the steps kept are copied, not every step
    assert timeline.nbytes <= MAX_BYTES


def test_the_shipped_networks_size_keeps_at_least_50_snapshots_in_100_mb() -> None:
    net = build_network("cnn", seed=0)
    from model.checkpoint import DEFAULT_WEIGHTS, load_checkpoint

    shipped, _ = load_checkpoint(DEFAULT_WEIGHTS)
    for network in (net, shipped):
        timeline = Timeline(snapshot_bytes(take_snapshot(network, 0)))
        assert timeline.capacity >= 50
        for step in range(1, 500):
            timeline.offer(step, 0.0, 0.0, lambda step=step, network=network: take_snapshot(network, step))
        assert timeline.nbytes <= MAX_BYTES and len(timeline.points) >= 50

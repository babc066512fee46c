"""Weights that cross threads: read-only numpy copies of a network's state, with its shape.

The trainer owns the network it trains; the predictor owns another one. Between them travels
only a WeightSnapshot: an immutable message the receiver copies into its own network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .networks import ArchSpec, DigitNet


@dataclass(frozen=True)
class WeightSnapshot:
    """Every parameter and buffer of a network at one moment, as read-only numpy arrays."""

    version: int  # grows with every snapshot a trainer takes: newer weights, higher number
    spec: ArchSpec
    state: tuple[tuple[str, np.ndarray], ...]


def take_snapshot(net: DigitNet, version: int) -> WeightSnapshot:
    """Copy `net`'s weights out (about 0.2 ms for the shipped CNN's 422k parameters)."""
    state = []
    with torch.no_grad():
        for name, tensor in net.state_dict().items():
            array = tensor.detach().cpu().numpy().copy()
            array.flags.writeable = False
            state.append((name, array))
    return WeightSnapshot(version, net.spec, tuple(state))


def apply_snapshot(net: DigitNet | None, snapshot: WeightSnapshot) -> DigitNet:
    """`net` holding the snapshot's weights: updated in place when the shape is the same, else
    a new network of the snapshot's shape. Always in eval mode."""
    if net is None or net.spec != snapshot.spec:
        net = DigitNet(snapshot.spec)
    with torch.no_grad():
        targets = net.state_dict()
        for name, array in snapshot.state:
            targets[name].copy_(torch.from_numpy(np.array(array)))
    return net.eval()

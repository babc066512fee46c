"""Reading a drawing: the canvas's pixels through the preprocessing and the network."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from .detector import Judgement
from .inspection import inspect_neuron
from .messages import NeuronInspection, NeuronRef, Prediction
from .networks import DigitNet
from .preprocess import preprocess_placed
from .saliency import saliency_maps


def read_drawing(
    net: DigitNet,
    request_id: int,
    image: np.ndarray | None,
    with_layers: bool = True,
    with_saliency: bool = False,
    inspect: NeuronRef | None = None,
    judge: Callable[[np.ndarray], Judgement] | None = None,
) -> Prediction:
    """Preprocess a canvas image (uint8, ink bright) and run `net` on it; every layer's output
    comes with the answer unless `with_layers` is False (half the work), and with them where
    it looked when `with_saliency` is True and inside the neuron `inspect`. With a `judge` (the
    digit detector's, e.g. `partial(detector.judge, strokes=...)`), the answer says whether
    the network's 28x28 input is a digit at all."""
    placed = None if image is None else preprocess_placed(image)
    if placed is None:
        return Prediction(request_id, None, inspection=_inspection(net, inspect, None))
    pixels, placement = placed
    tensor = torch.from_numpy(pixels)
    judged = _judged(judge, pixels)
    if not with_layers:
        return Prediction(request_id, net.probabilities(tensor), pixels, placement=placement, **judged)
    probabilities, layers = net.forward_with_activations(tensor)
    maps = saliency_maps(net, pixels) if with_saliency else None
    return Prediction(
        request_id,
        probabilities,
        pixels,
        tuple(layers),
        saliency=maps,
        placement=placement,
        inspection=_inspection(net, inspect, pixels),
        **judged,
    )


def _judged(judge: Callable[[np.ndarray], Judgement] | None, pixels: np.ndarray) -> dict[str, Any]:
    if judge is None:
        return {}
    judged = judge(pixels)
    return {"not_a_digit": judged.not_a_digit, "unknown": judged.unknown, "unknown_from": judged.threshold}


def _inspection(net: DigitNet, ref: NeuronRef | None, pixels: np.ndarray | None) -> NeuronInspection | None:
    """None when nothing is inspected, or when this network has no such neuron (another
    network was opened since it was clicked)."""
    if ref is None:
        return None
    try:
        return inspect_neuron(net, ref, pixels)
    except ValueError:
        return None

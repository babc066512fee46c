"""Reading a drawing: the canvas's pixels through the preprocessing and the network."""

from __future__ import annotations

import numpy as np
import torch

from .messages import Prediction
from .networks import DigitNet
from .preprocess import preprocess_placed
from .saliency import saliency_maps


def read_drawing(
    net: DigitNet,
    request_id: int,
    image: np.ndarray | None,
    with_layers: bool = True,
    with_saliency: bool = False,
) -> Prediction:
    """Preprocess a canvas image (uint8, ink bright) and run `net` on it; every layer's output
    comes with the answer unless `with_layers` is False (half the work), and where it looked
    with them when `with_saliency` is True."""
    placed = None if image is None else preprocess_placed(image)
    if placed is None:
        return Prediction(request_id, None)
    pixels, placement = placed
    tensor = torch.from_numpy(pixels)
    if not with_layers:
        return Prediction(request_id, net.probabilities(tensor), pixels, placement=placement)
    probabilities, layers = net.forward_with_activations(tensor)
    maps = saliency_maps(net, pixels) if with_saliency else None
    return Prediction(request_id, probabilities, pixels, tuple(layers), saliency=maps, placement=placement)

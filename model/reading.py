"""Reading a drawing: the canvas's pixels through the preprocessing and the network."""

from __future__ import annotations

import numpy as np
import torch

from .messages import Prediction
from .networks import DigitNet
from .preprocess import preprocess
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
    pixels = None if image is None else preprocess(image)
    if pixels is None:
        return Prediction(request_id, None)
    tensor = torch.from_numpy(pixels)
    if not with_layers:
        return Prediction(request_id, net.probabilities(tensor), pixels)
    probabilities, layers = net.forward_with_activations(tensor)
    maps = saliency_maps(net, pixels) if with_saliency else None
    return Prediction(request_id, probabilities, pixels, tuple(layers), saliency=maps)

"""Reading a drawing: the canvas's pixels through the preprocessing and the network."""

from __future__ import annotations

import numpy as np
import torch

from .messages import Prediction
from .networks import DigitNet
from .preprocess import preprocess


def read_drawing(
    net: DigitNet, request_id: int, image: np.ndarray | None, with_layers: bool = True
) -> Prediction:
    """Preprocess a canvas image (uint8, ink bright) and run `net` on it; every layer's output
    comes with the answer unless `with_layers` is False (half the work)."""
    pixels = None if image is None else preprocess(image)
    if pixels is None:
        return Prediction(request_id, None)
    tensor = torch.from_numpy(pixels)
    if not with_layers:
        return Prediction(request_id, net.probabilities(tensor), pixels)
    probabilities, layers = net.forward_with_activations(tensor)
    return Prediction(request_id, probabilities, pixels, tuple(layers))

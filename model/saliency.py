"""Where the network looked: how much each pixel's ink pushed each digit's score up or down.

The method is gradient × input. A digit's score is its logit z_k (the output layer's value
before softmax); for each pixel, the derivative of z_k with respect to that pixel says how
much the score would move per unit of ink there, and multiplying it by the ink present gives
the pixel's share in the score. Pixels without ink get no share: the map explains the ink
that is there, not the ink that is missing.

Why the answer was w and not k: the map of z_k - z_w, which is the map of k minus the map of
w, since the method is linear in the score.
"""

from __future__ import annotations

import numpy as np
import torch

from .constants import IMAGE_SIZE, NUM_CLASSES
from .networks import DigitNet


def saliency_maps(net: DigitNet, pixels: np.ndarray) -> np.ndarray:
    """Gradient × input of every digit's logit for one 28x28 input in 0-1: (10, 28, 28) float32.

    One forward and one backward pass of a batch of ten copies: copy k's gradient is that of
    z_k alone, since the copies do not interact (the network is in eval mode).
    """
    image = torch.as_tensor(np.asarray(pixels, dtype=np.float32)).reshape(1, 1, IMAGE_SIZE, IMAGE_SIZE)
    was_training = net.training
    net.eval()
    try:
        with torch.enable_grad():
            copies = image.repeat(NUM_CLASSES, 1, 1, 1).requires_grad_(True)
            logits = net(copies)
            (gradient,) = torch.autograd.grad(logits.diagonal().sum(), copies)
    finally:
        net.train(was_training)
    return (gradient * image)[:, 0].numpy().astype(np.float32, copy=True)

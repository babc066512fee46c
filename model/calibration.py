"""Confidence that means what it says, after training with label smoothing.

Label smoothing aims the loss at 90%-sure answers, so a network trained with it shows "88%
sure" for digits it reads right 99% of the time. At the end of such a run, one number, a
temperature T fitted on the validation set (Guo et al., 2017, "On calibration of modern
neural networks"), divides the output layer's weights and bias: softmax(z / T). The answers
do not change (the order of the logits is kept), only how sure they say they are.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

LOWEST, HIGHEST = 0.05, 20.0  # the temperatures searched: far beyond what training gives
TINY = 1e-30  # a probability of 0 is taken as this, so that its logarithm is a number


def log_probabilities(probabilities: np.ndarray) -> torch.Tensor:
    """log p in float64: the logits up to a constant per row, which softmax ignores."""
    return torch.from_numpy(np.log(np.maximum(np.asarray(probabilities, np.float64), TINY)))


def rescaled(probabilities: np.ndarray, temperature: float) -> torch.Tensor:
    """log softmax(z / T) of answers whose softmax(z) is `probabilities`."""
    return torch.log_softmax(log_probabilities(probabilities) / temperature, dim=1)


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray) -> float | None:
    """The T that minimises the cross-entropy of softmax(log p / T) on these answers (their
    logarithms are the logits up to a constant, which softmax ignores). The loss is convex in
    1/T, so its slope in log T changes sign once: bisection finds where. None when it does not
    change sign between LOWEST and HIGHEST: with every answer right, the loss falls all the way
    to T = 0, and no finite T would mean anything beyond these digits."""
    log_p = log_probabilities(probabilities)
    y = torch.from_numpy(np.asarray(labels, np.int64))

    def slope(log_t: float) -> float:
        log_temperature = torch.tensor(log_t, dtype=torch.float64, requires_grad=True)
        (gradient,) = torch.autograd.grad(F.cross_entropy(log_p / log_temperature.exp(), y), log_temperature)
        return float(gradient)

    low, high = math.log(LOWEST), math.log(HIGHEST)
    if not slope(low) < 0 < slope(high):  # also when a slope is not a number
        return None
    for _ in range(50):
        middle = (low + high) / 2
        low, high = (middle, high) if slope(middle) < 0 else (low, middle)
    return math.exp((low + high) / 2)


def output_layer(net: nn.Module) -> nn.Linear:
    """The last linear layer: the one that makes the logits in every digitpad network."""
    linears = [module for module in net.modules() if isinstance(module, nn.Linear)]
    if not linears:
        raise ValueError("the network has no linear output layer")
    return linears[-1]


@torch.no_grad()
def divide_logits(net: nn.Module, temperature: float) -> None:
    """Make the network's logits z / T, in its own weights: every view of it (the bars, the
    inspector's sums, "where it looked", an export) then shows the calibrated answer."""
    layer = output_layer(net)
    layer.weight.div_(temperature)
    if layer.bias is not None:
        layer.bias.div_(temperature)


def calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error: the gap between confidence and accuracy, bin by bin."""
    confidence, answer = probabilities.max(axis=1), probabilities.argmax(axis=1)
    right = answer == labels
    edges = np.linspace(0, 1, bins + 1)
    error = 0.0
    for low, high in itertools.pairwise(edges):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            error += inside.mean() * abs(right[inside].mean() - confidence[inside].mean())
    return float(error)

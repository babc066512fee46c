"""Where it looked: gradient × input, checked by hand on a tiny network and on the real ones."""

from __future__ import annotations

import numpy as np
import torch

from model.checkpoint import DEFAULT_WEIGHTS, load_checkpoint
from model.constants import MNIST_MEAN, MNIST_STD
from model.networks import ArchSpec, build_network
from model.reading import read_drawing
from model.saliency import saliency_maps


def test_gradient_times_input_by_hand_on_a_two_neuron_network() -> None:
    net = build_network(ArchSpec(kind="mlp", hidden=(2,)), seed=0)
    rng = np.random.default_rng(1)
    w1 = rng.normal(size=(2, 784)).astype(np.float32) * 0.1
    b1 = np.array([0.5, -50.0], np.float32)  # the second neuron never fires
    w2 = rng.normal(size=(10, 2)).astype(np.float32)
    with torch.no_grad():
        hidden, output = net.stages[0][1], net.stages[1][0]
        hidden.weight.copy_(torch.from_numpy(w1))
        hidden.bias.copy_(torch.from_numpy(b1))
        output.weight.copy_(torch.from_numpy(w2))
        output.bias.zero_()
    pixels = np.zeros((28, 28), np.float32)
    pixels[10:18, 13:15] = 1.0
    pixels[9, 12] = 0.5

    maps = saliency_maps(net, pixels)

    # z = W2 relu(W1 (x - mean) / std + b1): dz_k/dx = sum_j W2[k, j] relu'(h_j) W1[j] / std.
    x = pixels.reshape(-1)
    h = w1 @ ((x - MNIST_MEAN) / MNIST_STD) + b1
    assert h[0] > 0 > h[1]
    gradient = (w2 * (h > 0)) @ w1 / MNIST_STD
    expected = (gradient * x).reshape(10, 28, 28)
    np.testing.assert_allclose(maps, expected, rtol=1e-4, atol=1e-6)
    assert np.all(maps[:, pixels == 0] == 0)  # no ink, no share


def test_the_maps_explain_the_real_network_and_leave_it_as_it_was() -> None:
    net, _ = load_checkpoint(DEFAULT_WEIGHTS)
    net.train()
    image = np.zeros((280, 280), np.uint8)
    image[40:240, 130:150] = 255  # a one
    prediction = read_drawing(net, 1, image, with_layers=True, with_saliency=True)
    assert net.training  # the mode it had
    assert prediction.saliency is not None and prediction.saliency.shape == (10, 28, 28)
    assert prediction.saliency.dtype == np.float32 and np.isfinite(prediction.saliency).all()
    # Gradient × input is a first-order account of the score: on a piecewise-linear network
    # its sum is close to the score's change from a blank input only locally, but the winner's
    # ink must have counted for it on balance.
    assert prediction.digit == 1
    assert prediction.saliency[1].sum() > 0
    assert read_drawing(net, 2, image, with_layers=True).saliency is None  # only when asked

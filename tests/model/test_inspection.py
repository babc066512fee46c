"""Inside a neuron: the inspector's sums are the forward pass, written out term by term."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from model.checkpoint import DEFAULT_WEIGHTS, load_checkpoint
from model.constants import MNIST_MEAN, MNIST_STD
from model.inspection import NeuronRef, first_layer_weights, inspect_neuron
from model.networks import ArchSpec, DigitNet, build_network


def a_drawing(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pixels = np.zeros((28, 28), np.float32)
    pixels[6:22, 12:16] = rng.uniform(0.5, 1.0, size=(16, 4))
    pixels[6:9, 8:20] = 1.0
    return pixels


def with_trained_statistics(net: DigitNet) -> DigitNet:
    """Batch norms with running statistics and scales far from their defaults, as after training."""
    generator = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                size = module.num_features
                module.running_mean.copy_(torch.randn(size, generator=generator))
                module.running_var.copy_(torch.rand(size, generator=generator) + 0.2)
                module.weight.copy_(torch.randn(size, generator=generator))  # some scales negative
                module.bias.copy_(torch.randn(size, generator=generator) * 0.5)
    return net


def test_a_hidden_neuron_by_hand() -> None:
    net = build_network(ArchSpec(kind="mlp", hidden=(3,)), seed=0)
    rng = np.random.default_rng(2)
    w1 = rng.normal(size=(3, 784)).astype(np.float32) * 0.05
    b1 = np.array([0.25, -0.5, 1.0], np.float32)
    with torch.no_grad():
        net.stages[0][1].weight.copy_(torch.from_numpy(w1))
        net.stages[0][1].bias.copy_(torch.from_numpy(b1))
    pixels = a_drawing()

    seen = inspect_neuron(net, NeuronRef("hidden 1", 2), pixels)

    x = (pixels.reshape(-1).astype(np.float64) - MNIST_MEAN) / MNIST_STD  # normalised, as in training
    z = float(w1[2].astype(np.float64) @ x + b1[2])
    assert seen.total == pytest.approx(z, abs=1e-5)
    assert seen.value == pytest.approx(max(z, 0.0), abs=1e-5)
    assert seen.bias == pytest.approx(1.0)
    assert seen.terms == 784
    np.testing.assert_array_equal(seen.weights, w1[2].reshape(28, 28))
    products = w1[2].astype(np.float64) * x
    largest = np.argsort(-np.abs(products))[0]
    first = seen.contributions[0]
    assert first.source == f"pixel ({largest // 28}, {largest % 28})"
    assert first.product == pytest.approx(products[largest], abs=1e-6)
    assert sum(c.product for c in seen.contributions) + seen.others + seen.bias == pytest.approx(z, abs=1e-6)
    assert seen.steps == (("relu", seen.value),)
    assert seen.looks_for.shape == (3, 28, 28)


@pytest.mark.parametrize(
    "spec",
    [
        ArchSpec(kind="mlp", hidden=(32, 16)),
        ArchSpec(kind="cnn", channels=(4, 6), fc=12),
        ArchSpec(kind="cnn", channels=(3, 5), fc=0, pool_first=False, kernels=(3, 3)),
    ],
    ids=["mlp", "cnn", "cnn-pool-last-no-fc"],
)
def test_every_neuron_equals_the_forward_pass(spec: ArchSpec) -> None:
    net = with_trained_statistics(build_network(spec, seed=1))
    pixels = a_drawing(1)
    _, layers = net.forward_with_activations(torch.from_numpy(pixels))
    for layer in layers[1:]:
        for unit in range(layer.values.shape[0]):
            seen = inspect_neuron(net, NeuronRef(layer.name, unit), pixels)
            assert seen.value is not None and seen.total is not None
            if layer.kind == "conv":
                assert seen.position is not None
                row, col = seen.position
                assert layer.values[unit, row, col] == pytest.approx(layer.values[unit].max(), abs=1e-6)
                assert seen.value == pytest.approx(float(layer.values[unit, row, col]), abs=1e-5)
                assert sum(c.product for c in seen.contributions) + seen.others == pytest.approx(seen.total)
                assert seen.steps[-1][1] == pytest.approx(seen.value, abs=1e-5)
            else:
                assert seen.value == pytest.approx(float(layer.values[unit]), abs=1e-5)
                assert sum(c.product for c in seen.contributions) + seen.others + seen.bias == pytest.approx(
                    seen.total
                )
            sizes = [abs(c.product) for c in seen.contributions]
            assert sizes == sorted(sizes, reverse=True)


def test_the_shipped_network_without_a_drawing_shows_weights_only() -> None:
    net, _ = load_checkpoint(DEFAULT_WEIGHTS)
    net.train()
    seen = inspect_neuron(net, NeuronRef("conv 1", 0), None)
    assert net.training  # left in the mode it had
    assert seen.total is None and seen.value is None and seen.contributions == ()
    first = first_layer_weights(net)
    assert first.ndim == 3 and first.shape[0] == net.spec.channels[0]
    np.testing.assert_array_equal(seen.weights[0], first[0])
    assert "Feature map 0 of" in seen.where
    with pytest.raises(ValueError, match="no layer"):
        inspect_neuron(net, NeuronRef("hidden 9", 0), None)
    with pytest.raises(ValueError, match="no neuron"):
        inspect_neuron(net, NeuronRef("output", 10), None)


def test_every_layer_between_input_and_output_is_named_a_hidden_layer() -> None:
    """As the introduction says it, whatever the kind: a CNN's dense layer is its third hidden
    layer, not "hidden layer 1 of 1" beside two convolutions."""
    cnn, mlp = build_network("cnn", seed=0), build_network("mlp", seed=0)
    assert inspect_neuron(cnn, NeuronRef("conv 2", 1), None).where == (
        "Feature map 1 of 32 in conv 2, hidden layer 2 of 3 (a convolution layer)."
    )
    assert inspect_neuron(cnn, NeuronRef("dense", 7), None).where.startswith(
        "Neuron 7 of 256 in dense, hidden layer 3 of 3 (a dense layer"
    )
    assert (
        inspect_neuron(mlp, NeuronRef("hidden 2", 5), None).where == "Neuron 5 of 128 in hidden layer 2 of 2."
    )
    assert inspect_neuron(mlp, NeuronRef("output", 4), None).where == (
        "Output neuron 4: the score of the digit 4, after 2 hidden layers."
    )
    one = build_network(ArchSpec(kind="mlp", hidden=(3,)), seed=0)
    assert inspect_neuron(one, NeuronRef("output", 0), None).where.endswith("after 1 hidden layer.")


def test_the_first_filters_caption_speaks_of_ink_where_empty_pixels_count_too() -> None:
    """The input is normalised: an empty pixel is below zero, so a blue weight over it adds to
    the sum, as the largest terms show. "Red raises, blue lowers" holds for ink, not for pixels."""
    net, _ = load_checkpoint(DEFAULT_WEIGHTS)
    maps = [inspect_neuron(net, NeuronRef("conv 1", unit), a_drawing()) for unit in range(16)]
    empty = -MNIST_MEAN / MNIST_STD
    assert any(c.weight < 0 and np.isclose(c.value, empty) for seen in maps for c in seen.contributions)
    assert all("ink on red raises its sum, ink on blue lowers it" in seen.weights_caption for seen in maps)
    later = inspect_neuron(net, NeuronRef("conv 2", 0), a_drawing())
    assert all(c.value >= 0 for c in later.contributions)  # after a ReLU: red raises, blue lowers
    assert later.weights_caption.endswith("red raises its sum, blue lowers it.")

"""Inside one neuron: its incoming weights, and its value for a drawing written as the sum it is.

A dense neuron computes z = W·x + b, then relu(z) (softmax for the output layer). A
convolution channel computes the same sum at every place of its feature map, over a small
window of every input map; the inspector shows it at the place where the map is strongest,
then each step the layer takes after it (maxpool, norm, + b, relu). The numbers are computed
here in float64 from the network's own weights and inputs, so they equal the forward pass.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from .constants import IMAGE_SIZE
from .messages import Contribution, NeuronInspection, NeuronRef
from .networks import DigitNet

TOP_CONTRIBUTIONS = 6


def first_layer_weights(net: DigitNet) -> np.ndarray:
    """What each neuron of the first layer looks for: its weights over the input image."""
    first = _weighted(net.stages[0])
    with torch.no_grad():
        weight = first.weight.detach().float().numpy()
    if isinstance(first, nn.Conv2d):
        return weight[:, 0].copy()  # one input channel: (C, k, k)
    return weight.reshape(-1, IMAGE_SIZE, IMAGE_SIZE).copy()


def inspect_neuron(net: DigitNet, ref: NeuronRef, pixels: np.ndarray | None) -> NeuronInspection:
    """`ref`'s weights and, with a 28x28 drawing in 0-1, its value as the sum it is."""
    names = [info.name for info in net.stage_infos]
    if ref.layer not in names:
        raise ValueError(f"the network has no layer {ref.layer!r}")
    index = names.index(ref.layer)
    was_training = net.training
    net.eval()
    try:
        with torch.inference_mode():
            inputs = None if pixels is None else _stage_input(net, index, pixels)
            looks_for = first_layer_weights(net)
            if net.stage_infos[index].kind == "conv":
                return _conv(net, index, ref, inputs, looks_for)
            return _dense(net, index, ref, inputs, looks_for)
    finally:
        net.train(was_training)


def _stage_input(net: DigitNet, index: int, pixels: np.ndarray) -> np.ndarray:
    x = net.normalize(torch.as_tensor(np.asarray(pixels, np.float32)).reshape(1, 1, IMAGE_SIZE, IMAGE_SIZE))
    for stage in net.stages[:index]:
        x = stage(x)
    inputs: np.ndarray = x[0].numpy().astype(np.float64)
    return inputs


def _weighted(stage: nn.Module) -> nn.Linear | nn.Conv2d:
    return next(m for m in stage.modules() if isinstance(m, nn.Linear | nn.Conv2d))


def _source(net: DigitNet, index: int, place: tuple[int, ...]) -> str:
    """Names an input of stage `index` by its place in the stage's input: (row, column) of the
    image, (map, row, column) of a convolution's output, or (neuron,)."""
    if index == 0:
        return f"pixel ({place[-2]}, {place[-1]})"
    previous = net.stage_infos[index - 1].name
    if len(place) == 3:
        return f"{previous} · map {place[0]} at ({place[1]}, {place[2]})"
    return f"{previous} · neuron {place[0]}"


def _largest(
    weights: np.ndarray, values: np.ndarray, name: Callable[[int], str]
) -> tuple[tuple[Contribution, ...], float]:
    """The largest terms w × x by size, and the sum of the others."""
    products = weights * values
    order = np.argsort(-np.abs(products), kind="stable")[:TOP_CONTRIBUTIONS]
    top = tuple(Contribution(name(int(i)), float(weights[i]), float(values[i])) for i in order)
    return top, float(products.sum() - products[order].sum())


def _position(net: DigitNet, index: int, unit: int) -> str:
    """Where the unit sits, in the words of the introduction: every layer between the input
    and the output is a hidden layer, whatever its kind."""
    info = net.stage_infos[index]
    hidden = len(net.stage_infos) - 1
    if info.kind == "output":
        layers = f"{hidden} hidden layer{'s' * (hidden != 1)}"
        return f"Output neuron {unit}: the score of the digit {unit}, after {layers}."
    width = _weighted(net.stages[index]).weight.shape[0]
    thing = "Feature map" if info.kind == "conv" else "Neuron"
    where = f"hidden layer {index + 1} of {hidden}"
    named = where if info.name.startswith("hidden") else f"{info.name}, {where}"
    if len({stage.kind for stage in net.stage_infos[:-1]}) == 1:
        return f"{thing} {unit} of {width} in {named}."
    kind = "a convolution layer" if info.kind == "conv" else "a dense layer: it sees all of the one before"
    return f"{thing} {unit} of {width} in {named} ({kind})."


def _dense(
    net: DigitNet, index: int, ref: NeuronRef, inputs: np.ndarray | None, looks_for: np.ndarray
) -> NeuronInspection:
    linear = _weighted(net.stages[index])
    assert isinstance(linear, nn.Linear)
    if not 0 <= ref.unit < linear.out_features:
        raise ValueError(f"{ref.layer} has no neuron {ref.unit}")
    all_weights = linear.weight.double().numpy()
    all_biases = linear.bias.double().numpy()
    weights, bias = all_weights[ref.unit], float(all_biases[ref.unit])
    shape = _input_shape(net, index)
    output = net.stage_infos[index].kind == "output"
    previous_name = net.stage_infos[index - 1].name if index else "input"
    caption = (
        "Its weights over the 28×28 input: ink on red weights raises its sum, ink on blue lowers it."
        if index == 0
        else f"Its {weights.size:,} weights, one per value of {previous_name}, laid out like it."
    )
    total = value = None
    contributions: tuple[Contribution, ...] = ()
    others = 0.0
    steps: tuple[tuple[str, float], ...] = ()
    if inputs is not None:
        x = inputs.reshape(-1)
        total = float(weights @ x + bias)
        contributions, others = _largest(
            weights, x, lambda i: _source(net, index, tuple(int(n) for n in np.unravel_index(i, shape)))
        )
        if output:
            logits = all_weights @ x + all_biases
            exp = np.exp(logits - logits.max())
            value = float(exp[ref.unit] / exp.sum())
            steps = (("softmax", value),)
        else:
            value = max(total, 0.0)
            steps = (("relu", value),)
    return NeuronInspection(
        ref,
        "output" if output else "dense",
        _position(net, index, ref.unit),
        weights.reshape(shape).astype(np.float32),
        caption,
        bias,
        total,
        contributions,
        others,
        weights.size,
        steps,
        value,
        None,
        looks_for,
        net.stage_infos[0].name,
    )


def _input_shape(net: DigitNet, index: int) -> tuple[int, ...]:
    if index == 0:
        return (IMAGE_SIZE, IMAGE_SIZE)
    previous = net.stage_infos[index - 1]
    if previous.kind == "conv":
        channels = _weighted(net.stages[index - 1]).weight.shape[0]
        size = IMAGE_SIZE >> sum(info.kind == "conv" for info in net.stage_infos[:index])
        return (channels, size, size)
    return (_weighted(net.stages[index - 1]).weight.shape[0],)


def _conv(
    net: DigitNet, index: int, ref: NeuronRef, inputs: np.ndarray | None, looks_for: np.ndarray
) -> NeuronInspection:
    stage = net.stages[index]
    conv = _weighted(stage)
    norm = next(m for m in stage.modules() if isinstance(m, nn.BatchNorm2d))
    assert isinstance(conv, nn.Conv2d)
    if not 0 <= ref.unit < conv.out_channels:
        raise ValueError(f"{ref.layer} has no feature map {ref.unit}")
    kernels = conv.weight[ref.unit].double().numpy()  # (C_in, k, k)
    assert norm.running_mean is not None and norm.running_var is not None  # tracked: eval mode uses them
    scale = float(norm.weight[ref.unit]) / float(np.sqrt(float(norm.running_var[ref.unit]) + norm.eps))
    mean, shift = float(norm.running_mean[ref.unit]), float(norm.bias[ref.unit])
    in_channels, kernel = kernels.shape[0], kernels.shape[-1]
    previous_name = net.stage_infos[index - 1].name if index else "input"
    # The input is normalised, so an empty pixel is below zero and a blue weight on it adds to
    # the sum: it is ink that raises or lowers it. Later layers' values are never negative.
    caption = (
        f"Its {kernel}×{kernel} filter, slid over the input image: "
        "ink on red raises its sum, ink on blue lowers it."
        if index == 0
        else f"Its {in_channels} {kernel}×{kernel} filters, one per feature map of {previous_name}: "
        "red raises its sum, blue lowers it."
    )
    total = value = None
    position = None
    contributions: tuple[Contribution, ...] = ()
    others = 0.0
    steps: tuple[tuple[str, float], ...] = ()
    if inputs is not None:
        pad = kernel // 2
        padded = np.pad(inputs, ((0, 0), (pad, pad), (pad, pad)))
        size = inputs.shape[-1]
        windows = np.lib.stride_tricks.sliding_window_view(padded, (kernel, kernel), axis=(1, 2))
        sums = np.einsum("chwij,cij->hw", windows, kernels)  # the convolution, (size, size)
        pool_first = net.spec.pool_first
        after_norm = (sums - mean) * scale + shift
        activated = sums if pool_first else np.maximum(after_norm, 0.0)  # what the pool compares
        half = size // 2
        blocks = activated[: half * 2, : half * 2].reshape(half, 2, half, 2)
        pooled = blocks.max(axis=(1, 3))
        final = np.maximum((pooled - mean) * scale + shift, 0.0) if pool_first else pooled
        row, col = np.unravel_index(int(np.argmax(final)), final.shape)
        block = blocks[row, :, col, :]
        dy, dx = np.unravel_index(int(np.argmax(block)), (2, 2))
        at = (2 * int(row) + int(dy), 2 * int(col) + int(dx))
        position = (int(row), int(col))
        window = windows[:, at[0], at[1]]
        total = float(sums[at])

        def name(flat: int) -> str:
            channel, offset = divmod(flat, kernel * kernel)
            return _source(
                net, index, (channel, at[0] + offset // kernel - pad, at[1] + offset % kernel - pad)
            )

        contributions, others = _largest(kernels.reshape(-1), window.reshape(-1), name)
        normed = (total - mean) * scale
        if pool_first:
            steps = (
                ("maxpool: the largest sum of its 2×2 block", total),
                ("norm", normed),
                ("+ b", normed + shift),
                ("relu", max(normed + shift, 0.0)),
            )
        else:
            steps = (
                ("norm", normed),
                ("+ b", normed + shift),
                ("relu", max(normed + shift, 0.0)),
                ("maxpool: the largest of its 2×2 block", float(final[row, col])),
            )
        value = float(final[row, col])
    return NeuronInspection(
        ref,
        "conv",
        _position(net, index, ref.unit)
        + (
            ""
            if position is None
            else f" Shown at ({position[0]}, {position[1]}), where the map is strongest."
        ),
        kernels.astype(np.float32),
        caption,
        shift,
        total,
        contributions,
        others,
        kernels.size,
        steps,
        value,
        position,
        looks_for,
        net.stage_infos[0].name,
    )

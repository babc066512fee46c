"""What a checkpoint holds, checked before it becomes the network in use.

torch's safe loader guarantees only that no code ran. The numbers may still be unusable: a
float64 weight of 1e300 is finite in the file and infinite once copied into the float32
network; complex, sparse or integer tensors are not weights; a tensor may be a stride-0 view
claiming a trillion elements. So every tensor's type and shape is compared with the network
before any of its values is touched, its values are checked in the file's dtype and again
in the network's, none may be beyond any trained network's size, and the network must
answer with numbers.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .constants import IMAGE_SIZE

MAX_WEIGHT = 1e6  # trained networks' weights stay below 100; a million is no network's


class UnusableWeights(ValueError):
    """The weights cannot make a working network; the message completes "<file> ..."."""


def check_tensors(state: Any, net: nn.Module) -> dict[str, torch.Tensor]:
    """`state` as the network's state dict, once every entry is a real, dense tensor of the
    network's shape and kind of number. Touches no tensor's values."""
    if not isinstance(state, dict):
        raise UnusableWeights("holds no weights")
    expected = net.state_dict()
    if (
        not all(type(key) is str for key in state)
        or len(state) != len(expected)
        or set(state) != set(expected)
    ):
        raise UnusableWeights("does not match its network: its weights have other shapes or names")
    for key, target in expected.items():
        value = state[key]
        if not isinstance(value, torch.Tensor) or value.layout != torch.strided:
            raise UnusableWeights(f"holds something other than weights for {key}")
        if value.is_complex():
            raise UnusableWeights(f"holds complex numbers for {key}: a network's weights are real numbers")
        if value.is_floating_point() != target.is_floating_point() or value.dtype == torch.bool:
            raise UnusableWeights(f"holds numbers of the wrong kind for {key} ({value.dtype})")
        if value.shape != target.shape:
            raise UnusableWeights("does not match its network: its weights have other shapes or names")
    return state


def check_finite(state: dict[str, torch.Tensor], when: str) -> None:
    """Every floating weight a number (no NaN or infinity), in whatever dtype it is in now."""
    for key, value in state.items():
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise UnusableWeights(f"holds weights that are not numbers (NaN or infinity){when}: {key}")


def check_magnitudes(state: dict[str, torch.Tensor]) -> None:
    """No training makes weights anywhere near MAX_WEIGHT; larger ones are a broken or hostile
    file, and can overflow into answers that are not numbers on some drawing or other."""
    for key, value in state.items():
        if value.is_floating_point() and value.numel() and float(value.abs().max()) > MAX_WEIGHT:
            raise UnusableWeights(f"holds weights far too large to be a trained network's: {key}")


def check_statistics(net: nn.Module) -> None:
    """Batch normalisation divides by the square root of its running variances."""
    for key, value in net.state_dict().items():
        if key.endswith("running_var") and bool((value < 0).any()):
            raise UnusableWeights(f"holds negative variances ({key}): no data set has those")


@torch.inference_mode()
def check_answers(net: nn.Module, shape: tuple[int, ...] = (1, IMAGE_SIZE, IMAGE_SIZE)) -> None:
    """Finite weights can still overflow on the way through (1e38 times 784 pixels): the
    network must give numbers for a blank, a full and a noisy input of `shape`."""
    noise = torch.rand(shape, generator=torch.Generator().manual_seed(0))
    probes = torch.stack([torch.zeros(shape), torch.ones(shape), noise])
    was_training = net.training
    net.eval()
    try:
        logits = net(probes)
    finally:
        net.train(was_training)
    answers = torch.softmax(logits, 1) if logits.ndim == 2 else torch.sigmoid(logits)
    if not bool(torch.isfinite(logits).all()) or not bool(torch.isfinite(answers).all()):
        raise UnusableWeights("holds weights so large that the network's answers are not numbers")


def load_weights(
    state: Any, net: nn.Module, input_shape: tuple[int, ...] = (1, IMAGE_SIZE, IMAGE_SIZE)
) -> None:
    """Copy `state` into `net` after every check; UnusableWeights says what is wrong. The
    network reads inputs of `input_shape` (one picture unless said)."""
    checked = check_tensors(state, net)
    check_finite(checked, "")
    try:
        net.load_state_dict(checked, strict=True)
    except (RuntimeError, TypeError) as error:
        raise UnusableWeights("does not match its network: its weights have other shapes or names") from error
    check_finite(net.state_dict(), " once stored as the network's 32-bit numbers (they are too large)")
    check_magnitudes(net.state_dict())
    check_statistics(net)
    check_answers(net, input_shape)

"""The messages a user reads when something goes wrong: plain words, and true.

No Python exception text ("[Errno 111]", "Error -3 while decompressing"), no bare "nan",
and a divergence message that says exactly which weights came back.
"""

from __future__ import annotations

import gzip
import re
import socket

import pytest
import torch
from torch import nn

from model import training
from model.data import DataError, Dataset, download_mnist, find_mnist, read_idx_file
from model.messages import TrainConfig, TrainFinished, TrainProgress
from model.networks import build_network
from model.training import TrainingData, divergence_message, train_steps

JARGON = re.compile(r"\[Errno|Error -?\d|Traceback|\bnan\b|\binf\b|None|\.\.(?!\.)")


def weights(net: nn.Module) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in net.state_dict().items()}


def same_weights(first: dict[str, torch.Tensor], second: dict[str, torch.Tensor]) -> bool:
    return first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)


@pytest.mark.parametrize(
    ("value", "snapshot_step", "from_scratch", "expected"),
    [
        (float("nan"), 0, False, "Its weights from before this run were restored."),
        (float("inf"), 0, True, "Its freshly initialised weights from the start of the run were restored."),
        (float("nan"), 50, True, "Its weights after step 50, the last ones known to be good, were restored."),
    ],
)
def test_divergence_message_wording(value, snapshot_step, from_scratch, expected):
    config = TrainConfig(learning_rate=1e6, from_scratch=from_scratch)
    message = divergence_message("loss", value, 61, config, snapshot_step)
    became = "infinite" if value == float("inf") else "not a number (NaN)"
    assert message == (
        f"At step 61 the loss became {became}: a learning rate of 1,000,000 is too high for this "
        f"network; try a smaller one. {expected}"
    )
    assert not JARGON.search(message.replace("(NaN)", ""))


@pytest.mark.parametrize("snapshot_every", [1, 2, 3, 1000])
def test_the_divergence_message_names_the_weights_that_came_back(bars: Dataset, monkeypatch, snapshot_every):
    monkeypatch.setattr(training, "SNAPSHOT_EVERY", snapshot_every)
    net = build_network("mlp", seed=0)
    config = TrainConfig(
        arch="mlp",
        batch_size=20,
        augment=False,
        epochs=5,
        optimizer="sgd",
        learning_rate=1e3,
        schedule="constant",
    )
    seen = [weights(net)]  # seen[k]: the weights after k updates
    finished = None
    for message in train_steps(net, TrainingData.from_dataset(bars), config):
        if isinstance(message, TrainProgress):
            seen.append(weights(net))
        elif isinstance(message, TrainFinished):
            finished = message
    assert finished is not None and finished.reason == "diverged"
    match = re.search(r"after step (\d+),", finished.message)
    restored_after = int(match.group(1)) if match else 0
    if restored_after == 0:
        assert "freshly initialised weights from the start of the run" in finished.message
    assert same_weights(weights(net), seen[restored_after]), finished.message


def test_a_corrupt_gzip_file_is_described_without_zlib_jargon(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(bytes(range(256)) * 40)[:100])  # cut short
    with pytest.raises(DataError) as error:
        read_idx_file(path, "train-labels-idx1-ubyte")
    assert (
        str(error.value)
        == f"train-labels-idx1-ubyte.gz in {tmp_path} cannot be read: it is cut short or damaged"
    )


def test_a_file_given_as_the_data_folder(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(DataError, match=r"notes\.txt is a file, not a folder holding MNIST$"):
        find_mnist(path)


def test_download_errors_are_in_words(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DataError) as refused:
        download_mnist(tmp_path / "mnist", mirrors=[f"http://127.0.0.1:{port}/"], timeout=5)
    assert str(refused.value) == (
        f"no mirror could send train-images-idx3-ubyte.gz (http://127.0.0.1:{port}/: Connection refused)"
    )
    blocker = tmp_path / "a file"
    blocker.write_text("in the way")
    with pytest.raises(DataError) as uncreatable:
        download_mnist(blocker / "mnist", mirrors=[f"http://127.0.0.1:{port}/"])
    assert str(uncreatable.value) == f"cannot create the data folder {blocker / 'mnist'} (Not a directory)"
    for message in (str(refused.value), str(uncreatable.value)):
        assert not JARGON.search(message)

"""Take it elsewhere: ONNX files onnxruntime reads like PyTorch, and training scripts that
train without digitpad exactly as digitpad does."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
import torch

from model import export as export_module
from model.checkpoint import DEFAULT_WEIGHTS, load_checkpoint
from model.cli import main
from model.data import Dataset
from model.export import INPUT_NAME, OUTPUT_NAME, ExportError, export_onnx
from model.messages import TrainConfig
from model.networks import ArchSpec, build_network
from model.script_export import export_training_script, recorded_config, run_recipe, training_script
from model.training import TrainingData, evaluate, train_steps

MAX_LOGIT_DIFFERENCE = 1e-4


def torch_logits(net: torch.nn.Module, pixels: np.ndarray) -> np.ndarray:
    net.eval()
    with torch.inference_mode():
        return torch.cat(
            [net(torch.from_numpy(pixels[i : i + 500])) for i in range(0, len(pixels), 500)]
        ).numpy()


def onnx_logits(path: Path, pixels: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    logits: np.ndarray = session.run([OUTPUT_NAME], {INPUT_NAME: pixels})[0]
    return logits


@pytest.mark.slow
@pytest.mark.parametrize("which", ["shipped cnn", "mlp"])
def test_onnxruntime_reproduces_the_logits_on_the_10000_mnist_test_digits(mnist, tmp_path, which):
    if which == "shipped cnn":
        net, _ = load_checkpoint(DEFAULT_WEIGHTS)
    else:  # an MLP a few steps into training: weights no longer at their initial scale
        net = build_network("mlp", seed=5)
        data = TrainingData.from_dataset(mnist)
        for _ in train_steps(net, data, TrainConfig(arch="mlp", epochs=0.05, evals_per_epoch=0)):
            pass
    path = tmp_path / "digits.onnx"
    export_onnx(net, path)
    pixels = mnist.test_images.astype(np.float32)[:, None] / 255.0
    assert pixels.shape == (10_000, 1, 28, 28)
    expected = torch_logits(net, pixels)
    got = onnx_logits(path, pixels)
    assert np.abs(got - expected).max() <= MAX_LOGIT_DIFFERENCE
    assert (got.argmax(1) == mnist.test_labels).mean() == (expected.argmax(1) == mnist.test_labels).mean()


def test_the_onnx_graph_is_plain_operators_and_describes_its_input(tmp_path):
    net, _ = load_checkpoint(DEFAULT_WEIGHTS)
    sentence = export_onnx(net, tmp_path / "net.onnx")
    model = onnx.load(tmp_path / "net.onnx")
    onnx.checker.check_model(model)
    assert {node.op_type for node in model.graph.node} <= {
        "Constant", "Sub", "Div", "Conv", "Relu", "MaxPool", "BatchNormalization", "Flatten", "Gemm",
    }  # fmt: skip
    assert [i.name for i in model.graph.input] == [INPUT_NAME] and "0-1" in model.doc_string
    arch = json.loads({p.key: p.value for p in model.metadata_props}["digitpad_arch"])
    assert arch["channels"] == list(net.spec.channels)
    assert sentence.startswith("Exported net.onnx")
    # Any batch size: one image or a hundred.
    for batch in (1, 100):
        pixels = np.random.default_rng(batch).random((batch, 1, 28, 28), dtype=np.float32)
        assert np.abs(onnx_logits(tmp_path / "net.onnx", pixels) - torch_logits(net, pixels)).max() < 1e-4


def test_exporting_leaves_a_network_in_training_as_it_was(tmp_path):
    net = build_network(ArchSpec(kind="cnn", channels=(4, 8), fc=16, dropout=0.5), seed=1)
    net.train()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    export_onnx(net, tmp_path / "net.onnx")
    assert net.training
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())


def test_without_onnx_the_export_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(export_module, "onnx_available", lambda: False)
    with pytest.raises(ExportError, match="pip install onnx"):
        export_onnx(build_network("mlp"), tmp_path / "net.onnx")
    assert not (tmp_path / "net.onnx").exists()


def test_an_unwritable_place_is_a_sentence_and_the_old_file_stays(tmp_path):
    with pytest.raises(ExportError, match="Cannot write to"):
        export_onnx(build_network("mlp"), tmp_path / "missing" / "net.onnx")
    earlier = tmp_path / "train.py"
    earlier.write_text("earlier")
    (tmp_path / "train.py.d").mkdir()
    with pytest.raises(ExportError, match="Could not write"):
        export_training_script(tmp_path / "train.py.d", build_network("mlp"), TrainConfig(arch="mlp"))
    assert earlier.read_text() == "earlier"


def test_the_recipe_comes_from_the_checkpoint_a_run_saved():
    _, metadata = load_checkpoint(DEFAULT_WEIGHTS)
    config = recorded_config(metadata)
    assert config is not None and (config.epochs, config.seed, config.augment) == (18.0, 0, True)
    assert recorded_config({}) is None
    assert recorded_config({"config": {"epochs": -1}}) is None
    old_run = TrainConfig(betas=(0.7, 0.9), label_smoothing=0.0)  # recorded before smoothing existed
    assert recorded_config({"config": {"betas": [0.7, 0.9], "unknown": 1}}) == old_run


def write_idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def synthetic_mnist(folder: Path, train: int = 160, test: int = 40) -> Dataset:
    """A small IDX folder of digit-like bars whose position is the label (not the real MNIST:
    the app's own loader checks MNIST's checksums, the script does not)."""
    rng = np.random.default_rng(0)

    def split(count: int) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.integers(0, 10, count).astype(np.uint8)
        images = (rng.random((count, 28, 28)) * 60).astype(np.uint8)
        for image, label in zip(images, labels, strict=True):
            image[4:24, 3 + 2 * label : 5 + 2 * label] = 255
        return images, labels

    (train_x, train_y), (test_x, test_y) = split(train), split(test)
    folder.mkdir()
    for name, array in (
        ("train-images-idx3-ubyte", train_x),
        ("train-labels-idx1-ubyte", train_y),
        ("t10k-images-idx3-ubyte", test_x),
        ("t10k-labels-idx1-ubyte", test_y),
    ):
        write_idx(folder / f"{name}.gz", array)
    return Dataset("synthetic", train_x, train_y, test_x, test_y)


def run_script(script: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}  # as the tests' torch: one thread
    return subprocess.run(
        [sys.executable, str(script), *map(str, args)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=script.parent,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("spec", "config"),
    [
        (
            ArchSpec(kind="cnn", channels=(4, 8), fc=16, dropout=0.25),
            TrainConfig(epochs=2.0, batch_size=32, seed=3, precision="float32"),
        ),
        (
            ArchSpec(kind="cnn", channels=(4, 6, 8), kernels=(3, 3, 3), fc=0, pool_first=False),
            TrainConfig(epochs=1.5, batch_size=24, optimizer="sgd", learning_rate=0.05, precision="float32"),
        ),
        (
            ArchSpec(kind="mlp", hidden=(32,)),
            TrainConfig(arch="mlp", epochs=1.0, batch_size=200, optimizer="adamw", augment=False, seed=7),
        ),
    ],
    ids=["cnn", "cnn-pool-last-sgd", "mlp-adamw-one-batch-bigger-than-the-set"],
)
def test_the_exported_script_trains_the_same_weights_as_digitpad(tmp_path, spec, config):
    """The strongest form of "reproduces the run": same first weights, batches, augmentation,
    dropout, optimizer and schedule give the same trained weights, so the same accuracy."""
    dataset = synthetic_mnist(tmp_path / "mnist")
    config = replace(config, arch=spec.kind, precision="float32", evals_per_epoch=0)
    net = build_network(spec, seed=config.seed)
    data = TrainingData.from_dataset(dataset)
    for _ in train_steps(net, data, config):
        pass
    _, app_accuracy = evaluate(net, data.test_x, data.test_y)

    script = tmp_path / "train_digits.py"
    export_training_script(script, net, config)
    result = run_script(script, tmp_path / "mnist", "--save", tmp_path / "scripted.pt")
    assert result.returncode == 0, result.stderr
    assert f"test accuracy {app_accuracy:.2%}" in result.stdout
    scripted, metadata = load_checkpoint(tmp_path / "scripted.pt")  # digitpad opens what it saves
    assert scripted.spec == spec and metadata["test_accuracy"] == pytest.approx(app_accuracy)
    for name, value in net.state_dict().items():
        torch.testing.assert_close(scripted.state_dict()[name], value, atol=1e-5, rtol=1e-4, msg=name)


def test_the_script_takes_its_settings_from_the_command_line(tmp_path):
    synthetic_mnist(tmp_path / "mnist", train=40, test=20)
    script = tmp_path / "train.py"
    export_training_script(script, build_network("mlp"), TrainConfig(arch="mlp", epochs=20))
    result = run_script(script, tmp_path / "mnist", "--epochs", "0.5", "--batch-size", "10", "--no-augment")
    assert result.returncode == 0, result.stderr
    assert "step 2/2" in result.stdout and "test accuracy" in result.stdout


def test_the_script_reads_like_a_recipe():
    net, metadata = load_checkpoint(DEFAULT_WEIGHTS)
    config = recorded_config(metadata)
    assert config is not None
    script = training_script(net, config, "Made for a test.", name="train_shipped.py")
    compile(script, "train_shipped.py", "exec")
    assert not re.search(r"^(from|import) (model|gui|digitpad)\b", script, re.MULTILINE)
    assert "type: ignore" not in script and "# settings begin" not in script
    for line in (
        "EPOCHS = 18.0",
        "SEED = 0",
        "AUGMENT = True",
        "nn.Dropout(0.0)",
        "python train_shipped.py",
    ):
        assert line in script
    assert "Made for a test." in script
    assert len(script.splitlines()) < 270 and max(len(line) for line in script.splitlines()) <= 110


# `python -m model export`, in process: `main` is what the command runs.


def test_cli_exports_a_checkpoint_as_onnx_and_as_a_script(tmp_path, capsys):
    code = main(["export", "--onnx", str(tmp_path / "net.onnx"), "--script", str(tmp_path / "train.py")])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads(captured.out)
    assert summary["onnx"] == str(tmp_path / "net.onnx") and summary["script"] == str(tmp_path / "train.py")
    onnx.checker.check_model(onnx.load(tmp_path / "net.onnx"))
    assert "EPOCHS = 18.0" in (tmp_path / "train.py").read_text()


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        ([], "--onnx OUT, --script OUT or both"),
        (["--checkpoint", "{tmp}/missing.pt", "--onnx", "{tmp}/net.onnx"], "missing.pt does not exist"),
        (["--onnx", "{tmp}/no-folder/net.onnx"], "Cannot write to"),
    ],
)
def test_cli_export_errors_are_one_line_with_status_2(tmp_path, capsys, arguments, fragment):
    code = main(["export", *(a.format(tmp=tmp_path) for a in arguments)])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("error: ") and fragment in captured.err


def test_the_script_says_what_it_cannot_repeat_of_the_run():
    net, metadata = load_checkpoint(DEFAULT_WEIGHTS)
    config, notes = run_recipe(net, metadata, TrainConfig(epochs=2), "the panel's")
    assert config.epochs == 18.0 and "13,632 rasterised pen-written digits" in notes
    stopped = {"config": {"epochs": 3.0, "from_scratch": False}, "reason": "stopped", "epochs": 1.25}
    _, notes = run_recipe(net, stopped, TrainConfig(), "the panel's")
    assert "stopped after 1.25 of its 3 epochs" in notes and "earlier weights" in notes
    config, notes = run_recipe(build_network("mlp"), {}, TrainConfig(epochs=2), "the panel's")
    assert (config.arch, config.epochs) == ("mlp", 2) and "the recipe is the panel's" in notes

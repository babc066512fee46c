"""A run as a short standalone PyTorch script: the network and the recipe, without digitpad.

The script is model/training_script.py with its settings and its network written for the run:
the same layers in the same order, the same seeds, batches, augmentation, optimizer and
schedule as model/training.py, so it reaches the run's test accuracy (the same weights, on
the same machine and number of threads). It trains on MNIST alone: the user's handwriting
and any extra digits a run added are left out, and the script says so.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

from .constants import IMAGE_SIZE, NUM_CLASSES
from .export import write_file
from .messages import FIELDS_ADDED_LATER, TrainConfig
from .networks import ArchSpec, DigitNet, describe
from .training import uses_bfloat16

TEMPLATE = Path(__file__).with_name("training_script.py")
SCRIPT_SUFFIX = ".py"
DEFAULT_NAME = "train_digitpad.py"
DOCSTRING_WIDTH = 92
STAGE_WIDTH = 84  # characters of a stage on one line, indentation aside: the script stays 100 wide


def recorded_config(metadata: dict[str, Any]) -> TrainConfig | None:
    """The TrainConfig a checkpoint's metadata records (saved by a run), or None."""
    fields = metadata.get("config")
    if not isinstance(fields, dict):
        return None
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    values = FIELDS_ADDED_LATER | {
        k: tuple(v) if isinstance(v, list) else v for k, v in fields.items() if k in known
    }
    try:
        return TrainConfig(**values)
    except (TypeError, ValueError):
        return None


def run_recipe(
    net: DigitNet, metadata: dict[str, Any], fallback: TrainConfig, fallback_name: str
) -> tuple[TrainConfig, str]:
    """The recipe of the run that trained `net` (its checkpoint's metadata), else `fallback`;
    and notes for the script on what it cannot repeat of that run."""
    recorded = recorded_config(metadata)
    config = replace(recorded or fallback, arch=net.spec.kind)
    if recorded is None:
        return config, f"This network records no training run of its own: the recipe is {fallback_name}."
    notes = []
    data = metadata.get("data")
    if isinstance(data, str) and " + " in data:
        notes.append(f"The run also trained on {data.split(' + ', 1)[1]}, which this script leaves out.")
    epochs = metadata.get("epochs")
    if metadata.get("reason") == "stopped" and isinstance(epochs, int | float):
        stopped = f"{epochs:.2f} of its {config.epochs:g} epochs"
        notes.append(f"The run was stopped after {stopped}; this script trains them all.")
    if not config.from_scratch:
        notes.append("The run went on from earlier weights; this script starts from random ones.")
    if config.include_handwriting:
        notes.append("The run mixed your own handwriting examples into its batches; this script does not.")
    return config, " ".join(notes)


def training_script(net: DigitNet, config: TrainConfig, notes: str = "", name: str = DEFAULT_NAME) -> str:
    """The template with `config`'s settings and `net`'s layers; `notes` join its docstring."""
    text = TEMPLATE.read_text(encoding="utf-8")
    text = _replace_between(text, "settings", _settings(config))
    text = _replace_between(text, "network", _network(net))
    docstring = _docstring(net, config, notes, name)
    text = re.sub(r'\A""".*?"""\n', lambda _: docstring, text, count=1, flags=re.DOTALL)
    # Type checkers' notes are for digitpad's own checks, not for the person reading the script.
    return re.sub(r"  # type: ignore\[[\w-]+\]", "", text)


def export_run_script(
    path: str | os.PathLike[str],
    net: DigitNet,
    metadata: dict[str, Any],
    fallback: TrainConfig,
    fallback_name: str,
) -> str:
    """Write the script of the run that trained `net` (else of `fallback`); a sentence for the
    user, which says where the recipe came from. Raises ExportError."""
    config, notes = run_recipe(net, metadata, fallback, fallback_name)
    done = export_training_script(path, net, config, notes)
    origin = "the recipe of the run that trained this network" if recorded_config(metadata) else fallback_name
    return f"{done} It trains with {origin}."


def export_training_script(
    path: str | os.PathLike[str], net: DigitNet, config: TrainConfig, notes: str = ""
) -> str:
    """Write the script atomically; returns a sentence for the user. Raises ExportError."""
    path = Path(path)
    write_file(path, training_script(net, config, notes, path.name).encode("utf-8"))
    return (
        f"Exported {path.name}: run it as python {path.name} MNIST_FOLDER (it needs only PyTorch and NumPy)."
    )


def _replace_between(text: str, region: str, replacement: str) -> str:
    pattern = rf"# {region} begin\n.*?# {region} end\n"
    new, count = re.subn(pattern, lambda _: replacement, text, count=1, flags=re.DOTALL)
    if count != 1:
        raise RuntimeError(f"the training script template has no {region} region")
    return new


def _docstring(net: DigitNet, config: TrainConfig, notes: str, name: str) -> str:
    recipe = (
        f"{config.epochs:g} epochs of batches of {config.batch_size}, {config.optimizer} with a peak "
        f"learning rate of {config.learning_rate:g} ({_schedule(config)}), "
        + ("with" if config.augment else "without")
        + f" augmentation, seed {config.seed}"
    )
    about = (
        f"Exported by digitpad from a run's settings: {recipe}. It needs only PyTorch and NumPy, and "
        "builds the same layers in the same order, with the same seeds, batches, augmentation, "
        "optimizer and schedule as digitpad's training loop."
    )
    lines = [
        f"Train digitpad's network on MNIST: {describe(net)}.",
        "",
        *textwrap.wrap(about, DOCSTRING_WIDTH),
        *(["", *textwrap.wrap(notes, DOCSTRING_WIDTH)] if notes else []),
        "",
        f"    python {name} MNIST_FOLDER [--save trained.pt]",
        "",
        "MNIST_FOLDER holds the four MNIST files (train-images-idx3-ubyte.gz, ...), gzipped or not.",
        "digitpad opens the network --save writes (File › Open network…).",
    ]
    return '"""' + "\n".join(lines) + '\n"""\n'


def _schedule(config: TrainConfig) -> str:
    return "one-cycle schedule" if config.schedule == "onecycle" else "constant rate"


def _settings(config: TrainConfig) -> str:
    bfloat16 = uses_bfloat16(config)
    precision = "as the run on this CPU" if config.precision == "auto" else "as the run asked"
    return f"""\
EPOCHS = {config.epochs!r}  # fractional epochs are allowed: 0.5 trains on half of the training set
BATCH_SIZE = {config.batch_size!r}
LEARNING_RATE = {config.learning_rate!r}  # the peak of the one-cycle schedule
ONE_CYCLE = {config.schedule == "onecycle"!r}  # warm up a quarter of the steps, then anneal
AUGMENT = {config.augment!r}  # small random rotations, scalings, shears and shifts of every batch
LABEL_SMOOTHING = {config.label_smoothing!r}  # the loss aims at this much less than certainty
BFLOAT16 = {bfloat16!r}  # mixed precision ({precision}): fast with AMX or AVX-512 BF16
SEED = {config.seed!r}


def make_optimizer(parameters: Iterator[nn.Parameter], learning_rate: float) -> torch.optim.Optimizer:
    return {_optimizer(config)}

"""


def _optimizer(config: TrainConfig) -> str:
    """The optimizer model.training.make_optimizer builds for `config`, as a line of code."""
    if config.optimizer == "sgd":
        return (
            "torch.optim.SGD(parameters, lr=learning_rate, momentum=0.9, nesterov=True, "
            f"weight_decay={config.weight_decay!r})"
        )
    betas = tuple(float(b) for b in config.betas)
    if config.optimizer == "adamw":
        return (
            f"torch.optim.AdamW(parameters, lr=learning_rate, betas={betas!r}, "
            f"weight_decay={config.weight_decay or 1e-2!r})"
        )
    decay = config.weight_decay
    return f"torch.optim.Adam(parameters, lr=learning_rate, betas={betas!r}, weight_decay={decay!r})"


def _network(net: DigitNet) -> str:
    """build_network() for `net`'s shape, made in the order model.networks.DigitNet makes it."""
    spec = net.spec
    fields = "".join(f"    {json.dumps(k)}: {v!r},\n" for k, v in _plain(spec).items())
    arch = "{  # the shape, as digitpad's checkpoints record it\n" + fields.replace("'", '"') + "}"
    stages = _cnn_stages(spec) if spec.kind == "cnn" else _mlp_stages(spec)
    body = "\n".join(f"            {stage}," for stage in stages)
    made = "    net = DigitNet(\n        [\n" + body + "\n        ]\n    )\n"
    if spec.kind == "cnn":
        made += (
            "    # Channels-last feature maps: the CPU's convolutions are much faster on this layout.\n"
            "    net.to(memory_format=torch.channels_last)  # type: ignore[call-overload]\n"
        )
    made += "    return net\n"
    return f'ARCH = {arch}\n\n\ndef build_network() -> DigitNet:\n    """{describe(net)}."""\n{made}'


def _plain(spec: ArchSpec) -> dict[str, Any]:
    """The spec as JSON-friendly values, which digitpad's checkpoint loader reads back."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in spec.to_dict().items()}


def _cnn_stages(spec: ArchSpec) -> list[str]:
    stages, in_channels, size = [], 1, IMAGE_SIZE
    for channels, kernel in zip(spec.channels, spec.kernels, strict=True):
        conv = f"nn.Conv2d({in_channels}, {channels}, {kernel}, padding={kernel // 2}, bias=False)"
        norm, relu, pool = f"nn.BatchNorm2d({channels})", "nn.ReLU(inplace=True)", "nn.MaxPool2d(2)"
        layers = [conv, pool, norm, relu] if spec.pool_first else [conv, norm, relu, pool]
        stages.append(_sequential(layers))
        in_channels, size = channels, size // 2
    features, dropout = in_channels * size * size, f"nn.Dropout({spec.dropout!r})"
    if spec.fc:
        stages.append(
            _sequential(["nn.Flatten()", dropout, f"nn.Linear({features}, {spec.fc})", "nn.ReLU()"])
        )
        stages.append(_sequential([dropout, f"nn.Linear({spec.fc}, {NUM_CLASSES})"]))
    else:
        stages.append(_sequential(["nn.Flatten()", dropout, f"nn.Linear({features}, {NUM_CLASSES})"]))
    return stages


def _mlp_stages(spec: ArchSpec) -> list[str]:
    stages, width, first = [], IMAGE_SIZE * IMAGE_SIZE, ["nn.Flatten()"]
    for hidden in spec.hidden:
        stages.append(_sequential([*first, f"nn.Linear({width}, {hidden})", "nn.ReLU()"]))
        first, width = [], hidden
    stages.append(_sequential([*first, f"nn.Linear({width}, {NUM_CLASSES})"]))
    return stages


def _sequential(layers: list[str]) -> str:
    """nn.Sequential(...) on one line when it fits in the script's width, else a layer a line."""
    one_line = "nn.Sequential(" + ", ".join(layers) + ")"
    if len(one_line) <= STAGE_WIDTH:
        return one_line
    return "nn.Sequential(\n" + "".join(f"                {layer},\n" for layer in layers) + "            )"

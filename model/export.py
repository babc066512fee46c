"""A network as an ONNX file, for runtimes other than PyTorch (onnxruntime, browsers, phones).

torch's TorchScript exporter writes it: of torch's two exporters it needs only the `onnx`
package (the dynamo exporter also needs onnxscript and its dependencies) and takes a fraction
of a second. `onnx` is optional: digitpad runs without it and says how to get it when asked
to export. The graph takes a batch of 0-1 pixels (normalisation is inside, as in digitpad)
and gives the ten logits.
"""

from __future__ import annotations

import importlib.util
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import BinaryIO

import torch

from .atomic import FolderNotWritable, write_atomically
from .constants import IMAGE_SIZE
from .networks import DigitNet, describe

INPUT_NAME = "pixels"  # (N, 1, 28, 28) float32 in 0-1, white ink on black as MNIST
OUTPUT_NAME = "logits"  # (N, 10): softmax gives the probabilities of the digits 0-9
OPSET = 17  # ONNX 1.12 (2022): read by every onnxruntime of the last years
ONNX_SUFFIX = ".onnx"
NEEDS_ONNX = 'Exporting to ONNX needs the onnx package: pip install onnx (or pip install "digitpad[onnx]").'


class ExportError(Exception):
    """An export could not be written; the message is for the user."""


def onnx_available() -> bool:
    """Whether the optional onnx package is installed (without importing it: that takes a while)."""
    return importlib.util.find_spec("onnx") is not None


def onnx_bytes(net: DigitNet) -> bytes:
    """`net` in eval mode as a serialised ONNX model with a batch dimension of any size.

    The network's mode is restored afterwards: it may be in the middle of a training run.
    """
    if not onnx_available():
        raise ExportError(NEEDS_ONNX)
    import onnx

    was_training = net.training
    net.eval()
    try:
        with tempfile.TemporaryDirectory(prefix="digitpad-onnx-") as folder:
            exported = Path(folder) / f"network{ONNX_SUFFIX}"
            _trace_to_onnx(net, exported)
            model = onnx.load_model(exported)
    except (RuntimeError, torch.onnx.errors.OnnxExporterError) as error:
        raise ExportError(f"The network could not be exported to ONNX: {error}") from error
    except OSError as error:  # the temporary folder: a full disk, say
        raise ExportError(f"The network could not be exported to ONNX: {error.strerror or error}.") from error
    finally:
        net.train(was_training)
    model.producer_name = "digitpad"
    model.doc_string = (
        f"{describe(net)}. Input {INPUT_NAME!r}: (N, 1, {IMAGE_SIZE}, {IMAGE_SIZE}) float32 pixels in 0-1, "
        f"white ink on black as in MNIST. Output {OUTPUT_NAME!r}: (N, 10) logits of the digits 0-9."
    )
    onnx.helper.set_model_props(model, {"digitpad_arch": json.dumps(net.spec.to_dict())})
    serialised: bytes = model.SerializeToString()
    return serialised


def _trace_to_onnx(net: DigitNet, path: Path) -> None:
    # With gradients on, MaxPool takes nn.MaxPool2d's path, which becomes ONNX's MaxPool
    # node; its no-gradient shortcut would become a dozen slicing nodes.
    with warnings.catch_warnings(), torch.enable_grad():
        # "legacy exporter" and "will be removed": torch 2.9+ prefers dynamo, which needs onnxscript.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            net,
            (torch.zeros(1, 1, IMAGE_SIZE, IMAGE_SIZE),),
            path,
            dynamo=False,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
            opset_version=OPSET,
        )


def export_onnx(net: DigitNet, path: str | os.PathLike[str]) -> str:
    """Write `net` to `path` atomically; returns a sentence for the user. Raises ExportError."""
    path = Path(path)
    content = onnx_bytes(net)
    write_file(path, content)
    return (
        f"Exported {path.name}: input {INPUT_NAME!r} (N×1×{IMAGE_SIZE}×{IMAGE_SIZE} pixels in 0-1), "
        f"output {OUTPUT_NAME!r} (N×10)."
    )


def write_file(path: Path, content: bytes) -> None:
    """All of `content` at `path`, or the old file untouched; ExportError says why not."""
    try:
        write_atomically(path, lambda out: _write_all(out, content))
    except FolderNotWritable as error:
        raise ExportError(f"Cannot write to {path.parent}: {error.strerror}.") from error
    except OSError as error:
        raise ExportError(f"Could not write {path.name}: {error.strerror or error}.") from error


def _write_all(out: BinaryIO, content: bytes) -> None:
    out.write(content)

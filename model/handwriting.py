"""The user's own handwriting: digits they taught the network, kept between launches.

Each example keeps its ink (the drawing as the canvas painted it, scaled to 112x112), so a
future preprocessing can render it again, and the 28x28 input the current one makes of it.
The file is a numpy archive read without pickle, validated in full and bounded in size
before anything is loaded; it is written atomically. A file that cannot be read is set
aside under another name, never deleted.
"""

from __future__ import annotations

import os
import time
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .atomic import write_atomically
from .preprocess import preprocess, to_uint8
from .safe_files import UnsafeFileError, check_npz, open_regular

FORMAT = "digitpad-handwriting"
FORMAT_VERSION = 1
INK_SIZE = 112  # as big as the pen-written digits are rasterised for training
MAX_EXAMPLES = 10_000
_ARRAYS = {"format", "version", "keys", "labels", "created", "ink"}
# Every array at its largest, with room for the archive's own headers.
_MAX_UNPACKED_BYTES = MAX_EXAMPLES * (INK_SIZE * INK_SIZE + 32 * 4 + 16) + (1 << 20)


class HandwritingError(Exception):
    """Examples could not be read or written; the message is for the user."""


@dataclass(frozen=True)
class Example:
    """One digit the user taught: read-only arrays, safe to hand to another thread."""

    key: str  # unique, so that importing a file twice adds nothing the second time
    label: int
    created: float  # seconds since the epoch
    ink: np.ndarray  # (INK_SIZE, INK_SIZE) uint8, ink bright
    pixels: np.ndarray  # (28, 28) uint8: what the network learns from

    def relabelled(self, label: int) -> Example:
        return Example(self.key, check_label(label), self.created, self.ink, self.pixels)


def check_label(label: int) -> int:
    if not 0 <= int(label) <= 9:
        raise ValueError(f"a digit is 0-9, not {label}")
    return int(label)


def ink_from_canvas(image: np.ndarray) -> np.ndarray:
    """The canvas's ink (any square size, uint8) at INK_SIZE, anti-aliased."""
    tensor = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None, None]
    scaled = F.interpolate(tensor, size=(INK_SIZE, INK_SIZE), mode="bilinear", antialias=True)
    return _read_only(to_uint8(scaled[0, 0].numpy() / 255.0))


def make_example(image: np.ndarray, label: int, created: float | None = None) -> Example | None:
    """An example from a canvas image; None when there is no ink to learn from."""
    ink = ink_from_canvas(image)
    return _example(uuid.uuid4().hex, check_label(label), time.time() if created is None else created, ink)


def _example(key: str, label: int, created: float, ink: np.ndarray) -> Example | None:
    pixels = preprocess(ink)
    if pixels is None:
        return None
    return Example(key, label, created, _read_only(ink), _read_only(to_uint8(pixels)))


def _read_only(array: np.ndarray) -> np.ndarray:
    array = np.array(array, copy=True)
    array.flags.writeable = False
    return array


def training_tensors(examples: Sequence[Example]) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs (N, 1, 28, 28) in 0-1 and labels, as training batches take them."""
    if not examples:
        return torch.zeros(0, 1, 28, 28), torch.zeros(0, dtype=torch.long)
    pixels = np.stack([e.pixels for e in examples])
    x = torch.from_numpy(pixels).float().div_(255.0).unsqueeze(1)
    return x, torch.tensor([e.label for e in examples], dtype=torch.long)


def merge(kept: Sequence[Example], incoming: Iterable[Example]) -> tuple[tuple[Example, ...], int]:
    """`kept` plus the incoming examples it does not hold yet (by key); and how many were new."""
    known = {e.key for e in kept}
    added: list[Example] = []
    for example in incoming:
        if example.key not in known and len(kept) + len(added) < MAX_EXAMPLES:
            known.add(example.key)
            added.append(example)
    return (*kept, *added), len(added)


# -- files -------------------------------------------------------------------------------------
def save_examples(path: str | os.PathLike[str], examples: Sequence[Example]) -> None:
    """Write atomically; raises HandwritingError with a sentence for the user."""
    path = Path(path)
    count = len(examples)
    arrays = {
        "format": np.array(FORMAT),
        "version": np.array(FORMAT_VERSION),
        "keys": np.array([e.key for e in examples], dtype="<U32").reshape(count),
        "labels": np.array([e.label for e in examples], dtype=np.uint8).reshape(count),
        "created": np.array([e.created for e in examples], dtype=np.float64).reshape(count),
        "ink": np.zeros((count, INK_SIZE, INK_SIZE), np.uint8),
    }
    for row, example in enumerate(examples):
        arrays["ink"][row] = example.ink
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, lambda out: np.savez(out, allow_pickle=False, **arrays))
    except OSError as error:
        raise HandwritingError(
            f"Your handwriting could not be saved to {path}: {error.strerror or error}. "
            "The previous file is unchanged."
        ) from error


def load_examples(path: str | os.PathLike[str]) -> tuple[Example, ...]:
    """Every example in a file written by save_examples, or HandwritingError saying what is wrong."""
    path = Path(path)
    name = path.name
    what = "digitpad handwriting file"
    try:
        with open_regular(path, what, _MAX_UNPACKED_BYTES) as handle:
            with zipfile.ZipFile(handle) as archive:
                members = archive.infolist()
                if {m.filename.removesuffix(".npy") for m in members} != _ARRAYS:
                    raise HandwritingError(f"{name} is not a digitpad handwriting file.")
                if sum(m.file_size for m in members) > _MAX_UNPACKED_BYTES:
                    raise HandwritingError(f"{name} holds more than {MAX_EXAMPLES:,} examples.")
                if archive.testzip() is not None:
                    raise HandwritingError(f"{name} is damaged.")
            handle.seek(0)
            check_npz(handle, name, what, _MAX_UNPACKED_BYTES)
            with np.load(handle, allow_pickle=False) as arrays:
                contents = {key: arrays[key] for key in _ARRAYS}
    except HandwritingError:
        raise
    except UnsafeFileError as error:
        raise HandwritingError(str(error)) from error
    except FileNotFoundError as error:
        raise HandwritingError(f"{name} does not exist.") from error
    except PermissionError as error:
        raise HandwritingError(f"{name} cannot be read (permission denied).") from error
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError, RuntimeError) as error:
        raise HandwritingError(f"{name} is damaged or not a digitpad handwriting file.") from error
    return _validated(name, contents)


def _validated(name: str, arrays: dict[str, np.ndarray]) -> tuple[Example, ...]:
    if arrays["format"].shape != () or str(arrays["format"]) != FORMAT:
        raise HandwritingError(f"{name} is not a digitpad handwriting file.")
    version = arrays["version"]
    if version.shape != () or version.dtype.kind not in "iu":
        raise HandwritingError(f"{name} is damaged (it has no format version).")
    if int(version) > FORMAT_VERSION:
        raise HandwritingError(f"{name} was written by a newer digitpad; please update digitpad to read it.")
    keys, labels, created, ink = arrays["keys"], arrays["labels"], arrays["created"], arrays["ink"]
    count = len(labels) if labels.ndim == 1 else -1
    if (
        count < 0
        or keys.shape != (count,)
        or keys.dtype.kind != "U"
        or created.shape != (count,)
        or ink.shape != (count, INK_SIZE, INK_SIZE)
        or labels.dtype != np.uint8
        or created.dtype != np.float64
        or ink.dtype != np.uint8
    ):
        raise HandwritingError(f"{name} is damaged: its arrays do not fit together.")
    if count and (labels.max() > 9 or not np.isfinite(created).all()):
        raise HandwritingError(f"{name} is damaged: it holds labels or dates that are not valid.")
    if len(set(keys.tolist())) != count:
        raise HandwritingError(f"{name} is damaged: some examples appear twice.")
    examples = []
    for key, label, when, drawing in zip(keys.tolist(), labels.tolist(), created.tolist(), ink, strict=True):
        example = _example(str(key), int(label), float(when), drawing)
        if example is not None:  # a blank drawing teaches nothing: leave it out
            examples.append(example)
    return tuple(examples)


def set_aside(path: str | os.PathLike[str]) -> Path:
    """Rename a file that could not be read, so a new one can start and nothing is lost."""
    path = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.unreadable-{stamp}{path.suffix}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.stem}.unreadable-{stamp}-{counter}{path.suffix}")
    os.replace(path, target)
    return target

"""Save and load networks safely.

A checkpoint is a plain dict (format version, architecture, weights, metadata) written with
`torch.save` and read back with `weights_only=True`, so opening a file can never run code.
Opening one never blocks (a pipe), never unpacks without bound (a zip bomb) and never builds
a network no machine could hold: every part is checked before it is used.
Saving goes to a temporary file in the same folder, is flushed to disk, then renamed over
the target: a crash mid-save leaves the previous file as it was.
"""

from __future__ import annotations

import errno
import os
import pickle
import shutil
import zipfile
import zlib
from pathlib import Path
from typing import Any

import torch

from .arch_limits import shown
from .atomic import FolderNotWritable, write_atomically
from .checkpoint_contents import UnusableWeights, load_weights
from .networks import ArchSpec, DigitNet, build_network
from .plain_data import NotPlainData, check_plain, plain_copy
from .safe_files import MiB, UnsafeFileError, check_zip, open_regular

FORMAT = "digitpad-checkpoint"
FORMAT_VERSION = 1
DEFAULT_WEIGHTS = Path(__file__).resolve().parent.parent / "assets" / "default_cnn.pt"


MAX_CHECKPOINT_BYTES = 512 * MiB  # the largest network built (50 M weights) in float64, and room
MAX_ARCHIVE_MEMBERS = 1024  # torch.save writes one file per tensor, plus a few


class CheckpointError(Exception):
    """A checkpoint could not be read or written; the message is for the user."""


def save_checkpoint(
    path: str | os.PathLike[str],
    net: DigitNet,
    metadata: dict[str, Any] | None = None,
    run: dict[str, Any] | None = None,
) -> None:
    """Write atomically: the file at `path` is either the old one or the complete new one.
    `run` is the state of a training run to continue later (model.run.TrainingRun.state_dict)."""
    path = Path(path)
    try:
        check_plain(dict(metadata or {}))
    except NotPlainData as error:
        raise CheckpointError(
            f"Could not save {path.name}: its metadata must be plain numbers, strings, lists and dicts"
            f" ({error})."
        ) from error
    weights = {k: v.detach().clone() for k, v in net.state_dict().items()}
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "arch": net.spec.to_dict(),
        "state_dict": weights,
        "metadata": dict(metadata or {}),
    }
    if run is not None:
        payload["run"] = run
    size = sum(t.numel() * t.element_size() for t in weights.values())
    try:
        write_atomically(path, lambda out: torch.save(payload, out))
    except FolderNotWritable as error:
        raise CheckpointError(
            f"Cannot write to {path.parent}: {why_not_written(error, path.parent, 0)}."
        ) from error
    except (OSError, RuntimeError) as error:
        raise CheckpointError(
            f"Could not save {path.name}: {why_not_written(error, path.parent, size)}."
            " The previous file is unchanged."
        ) from error


def why_not_written(error: BaseException, folder: Path, size: int) -> str:
    """Why a write failed, in words: never torch's own text ("[enforce fail at inline_container.cc...]"),
    which is all a full disk gets from torch.save."""
    number = getattr(error, "errno", None)
    reasons = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "you have used all of your disk quota",
        errno.EFBIG: "the file is larger than this disk or your account allows",
        errno.EROFS: "the disk is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENOENT: "the folder does not exist",
        errno.ENOTDIR: "part of its path is a file, not a folder",
        errno.EISDIR: "a folder is in the way",
    }
    if number in reasons:
        return reasons[number]
    try:
        if shutil.disk_usage(folder).free < size + MiB:
            return "the disk is full"
    except OSError:
        pass
    if isinstance(error, OSError) and error.strerror:
        return error.strerror[0].lower() + error.strerror[1:]
    return "it could not be written"


def read_torch_file(path: str | os.PathLike[str], what: str = "checkpoint") -> Any:
    """What torch.save wrote to `path`, read with weights_only (no code can run), from a
    regular file of bounded size whose archive unpacks within that bound and whose CRCs hold
    (torch does not check them, so a flipped bit in the weights would load silently).
    CheckpointError, a sentence naming the file, for anything else."""
    path = Path(path)
    name = path.name
    try:
        with open_regular(path, what, MAX_CHECKPOINT_BYTES) as handle:
            check_zip(handle, name, what, MAX_CHECKPOINT_BYTES, MAX_ARCHIVE_MEMBERS)
            with zipfile.ZipFile(handle) as archive:
                damaged = archive.testzip()
            if damaged is not None:
                raise zipfile.BadZipFile(f"bad CRC-32 for {damaged}")
            handle.seek(0)
            return torch.load(handle, map_location="cpu", weights_only=True)
    except UnsafeFileError as error:
        raise CheckpointError(str(error)) from error
    except FileNotFoundError as error:
        raise CheckpointError(f"{name} does not exist.") from error
    except IsADirectoryError as error:
        raise CheckpointError(f"{name} is a folder, not a {what}.") from error
    except PermissionError as error:
        raise CheckpointError(f"{name} cannot be read (permission denied).") from error
    except pickle.UnpicklingError as error:
        raise CheckpointError(
            f"{name} contains objects other than weights and was not loaded (it could run code)."
        ) from error
    except MemoryError as error:
        raise CheckpointError(f"{name} is too large to open on this computer.") from error
    except (
        RuntimeError,
        EOFError,
        zipfile.BadZipFile,
        ValueError,
        OSError,
        TypeError,
        AttributeError,
        KeyError,
        IndexError,
        NotImplementedError,
        OverflowError,
        RecursionError,
        zlib.error,
    ) as error:
        raise CheckpointError(f"{name} is damaged or not a digitpad {what}.") from error


def load_checkpoint(path: str | os.PathLike[str]) -> tuple[DigitNet, dict[str, Any]]:
    """A validated network and its metadata (plain data only), or CheckpointError saying what is wrong."""
    net, metadata, _ = load_checkpoint_and_run(path)
    return net, metadata


def load_checkpoint_and_run(
    path: str | os.PathLike[str],
) -> tuple[DigitNet, dict[str, Any], dict[str, Any] | None]:
    """As load_checkpoint, with the saved state of its training run if it has one (checked
    when the run is continued: model.run.TrainingRun.load_state_dict)."""
    name = Path(path).name
    payload = read_torch_file(path)
    if not isinstance(payload, dict) or not _is_text(payload.get("format"), FORMAT):
        raise CheckpointError(f"{name} is not a digitpad checkpoint.")
    version = payload.get("format_version")
    if type(version) is not int:
        raise CheckpointError(f"{name} is a damaged digitpad checkpoint (it has no format version).")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{name} was saved by a newer digitpad (format {shown(version)});"
            " please update digitpad to open it."
        )
    try:
        spec = ArchSpec.from_dict(payload.get("arch"))
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{name} describes an unknown network architecture: {error}.") from error
    net = build_network(spec)
    try:
        load_weights(payload.get("state_dict"), net)
    except UnusableWeights as error:
        raise CheckpointError(f"{name} {error}.") from error
    net.eval()
    metadata = plain_copy(payload.get("metadata"))
    run = payload.get("run")
    return net, metadata if isinstance(metadata, dict) else {}, run if isinstance(run, dict) else None


def _is_text(value: Any, text: str) -> bool:
    return type(value) is str and value == text

"""Save and load networks safely.

A checkpoint is a plain dict (format version, architecture, weights, metadata) written with
`torch.save` and read back with `weights_only=True`, so opening a file can never run code.
Saving goes to a temporary file in the same folder, is flushed to disk, then renamed over
the target: a crash mid-save leaves the previous file as it was.
"""

from __future__ import annotations

import os
import pickle
import zipfile
import zlib
from pathlib import Path
from typing import Any

import torch

from .atomic import FolderNotWritable, write_atomically
from .networks import ArchSpec, DigitNet, build_network

FORMAT = "digitpad-checkpoint"
FORMAT_VERSION = 1
DEFAULT_WEIGHTS = Path(__file__).resolve().parent.parent / "assets" / "default_cnn.pt"


class CheckpointError(Exception):
    """A checkpoint could not be read or written; the message is for the user."""


def save_checkpoint(
    path: str | os.PathLike[str], net: DigitNet, metadata: dict[str, Any] | None = None
) -> None:
    """Write atomically: the file at `path` is either the old one or the complete new one."""
    path = Path(path)
    if not _is_plain(dict(metadata or {})):
        raise CheckpointError(
            f"Could not save {path.name}: its metadata must be plain numbers, strings, lists and dicts."
        )
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "arch": net.spec.to_dict(),
        "state_dict": {k: v.detach().clone() for k, v in net.state_dict().items()},
        "metadata": dict(metadata or {}),
    }
    try:
        write_atomically(path, lambda out: torch.save(payload, out))
    except FolderNotWritable as error:
        raise CheckpointError(f"Cannot write to {path.parent}: {error.strerror}") from error
    except (OSError, RuntimeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise CheckpointError(
            f"Could not save {path.name}: {reason}. The previous file is unchanged."
        ) from error


def _is_plain(value: Any) -> bool:
    """Whether `weights_only` loading will accept it back: a numpy float would not, for one."""
    if type(value) in (list, tuple):
        return all(_is_plain(item) for item in value)
    if type(value) is dict:
        return all(_is_plain(key) and _is_plain(item) for key, item in value.items())
    return type(value) in (str, int, float, bool, type(None))  # exact types: np.float64 is a float


def _check_archive(path: Path) -> None:
    """torch does not check the zip's CRCs, so a flipped bit in the weights would load silently."""
    with zipfile.ZipFile(path) as archive:
        damaged = archive.testzip()
    if damaged is not None:
        raise zipfile.BadZipFile(f"bad CRC-32 for {damaged}")


def load_checkpoint(path: str | os.PathLike[str]) -> tuple[DigitNet, dict[str, Any]]:
    """A validated network and its metadata, or CheckpointError saying what is wrong."""
    path = Path(path)
    name = path.name
    try:
        _check_archive(path)
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError as error:
        raise CheckpointError(f"{name} does not exist.") from error
    except IsADirectoryError as error:
        raise CheckpointError(f"{name} is a folder, not a checkpoint.") from error
    except PermissionError as error:
        raise CheckpointError(f"{name} cannot be read (permission denied).") from error
    except pickle.UnpicklingError as error:
        raise CheckpointError(
            f"{name} contains objects other than weights and was not loaded (it could run code)."
        ) from error
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
        zlib.error,
    ) as error:
        raise CheckpointError(f"{name} is damaged or not a digitpad checkpoint.") from error
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{name} is not a digitpad checkpoint.")
    version = payload.get("format_version")
    if not isinstance(version, int):
        raise CheckpointError(f"{name} is a damaged digitpad checkpoint (it has no format version).")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{name} was saved by a newer digitpad (format {version}); please update digitpad to open it."
        )
    try:
        spec = ArchSpec.from_dict(payload["arch"])
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"{name} describes an unknown network architecture.") from error
    net = build_network(spec)
    state = payload.get("state_dict")
    if not isinstance(state, dict):
        raise CheckpointError(f"{name} holds no weights.")
    try:
        net.load_state_dict(state, strict=True)
    except (RuntimeError, TypeError) as error:
        raise CheckpointError(
            f"{name} does not match its network: its weights have other shapes or names."
        ) from error
    if not all(torch.isfinite(t).all() for t in state.values() if t.is_floating_point()):
        raise CheckpointError(f"{name} holds weights that are not numbers (NaN or infinity).")
    net.eval()
    metadata = payload.get("metadata")
    return net, dict(metadata) if isinstance(metadata, dict) else {}

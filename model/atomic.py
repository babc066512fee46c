"""Atomic file writes: a file is either its old self or the complete new one, never half of each.

Checkpoints and the user's handwriting examples are written the same way: into a temporary
file in the same folder, flushed to disk, then renamed over the target.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


class FolderNotWritable(OSError):
    """The temporary file could not even be made: the folder is missing, read-only or full."""


def write_atomically(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> None:
    """Call `write` on a temporary file beside `path`, then rename it over `path`.

    Raises whatever the write raises (OSError for a full or read-only disk); the previous
    file is then untouched and no temporary file is left behind, even after an interrupt.
    """
    path = Path(path)
    try:
        handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise FolderNotWritable(error.errno, error.strerror or str(error), str(path.parent)) from error
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        # mkstemp makes the file private (0600); what digitpad writes is an ordinary document.
        os.chmod(temp_name, stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644)
        os.replace(temp_name, path)
    finally:
        Path(temp_name).unlink(missing_ok=True)

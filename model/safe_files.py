"""Open files that came from outside without blocking and without unbounded memory.

Every reader of a user's file (checkpoints, the digit detector, MNIST, UNIPEN strokes, the
user's handwriting) opens it here. A named pipe would block open() forever and a device such
as /dev/zero never ends, so only regular files are opened, and then without blocking; a file
larger than any real one of its kind is refused before it is read; compressed content (gzip,
zip members, .npy arrays inside an .npz) is checked against a bound before it is unpacked,
so a small file that inflates to gigabytes is refused, never inflated.

Only the standard library and numpy: the window imports the stroke reader before torch loads.
"""

from __future__ import annotations

import gzip
import math
import os
import stat
import zipfile
from pathlib import Path
from typing import BinaryIO

import numpy as np
from numpy.lib import format as npy_format

MiB = 1 << 20


class UnsafeFileError(Exception):
    """The file is not one to read (a pipe, a device, far too large, a bomb); the message is a
    sentence for the user that names the file."""


def size_in_words(count: float) -> str:
    """'512 MB', '50 GB': sizes as a person reads them."""
    for unit, scale in (("GB", 1 << 30), ("MB", MiB), ("KB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:,.4g} {unit}"
    return f"{int(count)} bytes"


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "something else"


def _check_regular(name: str, mode: int, size: int, what: str, max_bytes: int) -> None:
    if not stat.S_ISREG(mode):
        raise UnsafeFileError(f"{name} is {_kind_of(mode)}, not a regular file: it cannot be a {what}.")
    if size > max_bytes:
        raise UnsafeFileError(
            f"{name} is {size_in_words(size)}: larger than any {what} can be"
            f" (at most {size_in_words(max_bytes)})."
        )


def open_regular(path: str | os.PathLike[str], what: str, max_bytes: int) -> BinaryIO:
    """A binary handle on `path` if it is a regular file (symlinks followed) of at most
    `max_bytes`; UnsafeFileError otherwise. OSErrors (missing, permission) pass through.

    The file is looked at before it is opened (opening some devices has effects), then opened
    with O_NONBLOCK (a pipe swapped in meanwhile cannot block) and looked at again."""
    path = Path(path)
    status = os.stat(path)
    _check_regular(path.name, status.st_mode, status.st_size, what, max_bytes)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags)
    try:
        status = os.fstat(descriptor)
        _check_regular(path.name, status.st_mode, status.st_size, what, max_bytes)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_bounded(handle: BinaryIO, name: str, what: str, max_bytes: int) -> bytes:
    """All of `handle`, or UnsafeFileError if it holds more than `max_bytes` (a file that grew)."""
    content = handle.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise UnsafeFileError(
            f"{name} is larger than any {what} can be (at most {size_in_words(max_bytes)})."
        )
    return content


def gunzip_bounded(handle: BinaryIO, name: str, what: str, max_bytes: int) -> bytes:
    """The unpacked content of a gzip stream, unpacked no further than `max_bytes`: a gzip
    bomb is refused after max_bytes of work, never inflated. gzip's own errors (BadGzipFile,
    EOFError, zlib.error) pass through."""
    with gzip.GzipFile(fileobj=handle, mode="rb") as unpacked:
        content = unpacked.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise UnsafeFileError(
            f"{name} unpacks to more than {size_in_words(max_bytes)}: far more than any {what}."
        )
    return content


def check_zip(
    handle: BinaryIO, name: str, what: str, max_unpacked: int, max_members: int = 1024
) -> list[zipfile.ZipInfo]:
    """The members of a zip archive, once their declared sizes fit within `max_unpacked`.

    Python's zipfile never unpacks more than a member's declared size (and then checks its
    CRC), so bounding the declared sizes bounds the memory of every later read through it.
    zipfile's own errors (BadZipFile) pass through."""
    with zipfile.ZipFile(handle) as archive:
        members = archive.infolist()
    if len(members) > max_members:
        raise UnsafeFileError(f"{name} holds {len(members):,} files: no {what} has that many.")
    declared = sum(member.file_size for member in members)
    if declared > max_unpacked:
        raise UnsafeFileError(
            f"{name} unpacks to {size_in_words(declared)}: far more than any {what}"
            f" (at most {size_in_words(max_unpacked)})."
        )
    if any(member.flag_bits & 0x1 for member in members):
        raise UnsafeFileError(f"{name} is encrypted: it is not a {what}.")
    handle.seek(0)
    return members


def check_npz(handle: BinaryIO, name: str, what: str, max_unpacked: int, max_members: int = 64) -> None:
    """check_zip, then each .npy array's header: numpy allocates what a header declares before
    it reads the data, so an array may not declare more bytes than its member holds, nor hold
    Python objects. The handle is left at its start for np.load."""
    members = check_zip(handle, name, what, max_unpacked, max_members)
    with zipfile.ZipFile(handle) as archive:
        for member in members:
            with archive.open(member) as array_file:
                try:
                    version = npy_format.read_magic(array_file)
                    if version == (1, 0):
                        shape, _, dtype = npy_format.read_array_header_1_0(array_file)
                    elif version == (2, 0):
                        shape, _, dtype = npy_format.read_array_header_2_0(array_file)
                    else:
                        raise ValueError(f"unsupported .npy version {version}")
                except (ValueError, SyntaxError, TypeError) as error:
                    raise UnsafeFileError(
                        f"{name} is damaged or not a {what}: {member.filename} is not a numpy array."
                    ) from error
                if np.dtype(dtype).hasobject:
                    raise UnsafeFileError(
                        f"{name} holds Python objects ({member.filename}) and was not read: "
                        "it could run code."
                    )
                declared = math.prod(shape) * np.dtype(dtype).itemsize
                if declared > member.file_size:
                    raise UnsafeFileError(
                        f"{name} is damaged: {member.filename} claims {size_in_words(declared)}"
                        f" but holds {size_in_words(member.file_size)}."
                    )
    handle.seek(0)

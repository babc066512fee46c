"""Files made to hurt a reader, for the tests and bench/hostile.py (never shipped).

Pipes, devices, 50 GB sparse files, zip and gzip bombs (small on disk, with a huge declared
or real unpacked size), .npy headers that declare terabytes, and checkpoints whose parts are
hostile. Zips are written by hand so that every size they declare is the one wanted.
"""

from __future__ import annotations

import functools
import gzip
import io
import os
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from model.checkpoint import FORMAT, FORMAT_VERSION
from model.networks import ArchSpec, build_network

GB = 1 << 30
MB = 1 << 20
DEVICES = (Path("/dev/zero"), Path("/dev/null"), Path("/dev/urandom"))


@dataclass(frozen=True)
class Member:
    """One zip member as it will be written: its bytes on disk and what it claims."""

    name: str
    data: bytes  # as stored (deflated when `deflated`)
    crc: int
    size: int  # the unpacked size declared in both headers
    deflated: bool


def stored(name: str, content: bytes) -> Member:
    return Member(name, content, zlib.crc32(content), len(content), deflated=False)


@functools.cache
def zeros_deflated(size: int) -> tuple[bytes, int]:
    """`size` zero bytes deflated (raw deflate, as zip stores it), and their CRC-32."""
    packer = zlib.compressobj(1, zlib.DEFLATED, -15)
    chunk, crc, parts = bytes(MB), 0, []
    for start in range(0, size, MB):
        piece = chunk[: min(MB, size - start)]
        parts.append(packer.compress(piece))
        crc = zlib.crc32(piece, crc)
    parts.append(packer.flush())
    return b"".join(parts), crc


def zeros_member(name: str, real_size: int, declared: int | None = None) -> Member:
    """A deflated member of `real_size` zeros that declares `declared` bytes (default: the truth)."""
    data, crc = zeros_deflated(real_size)
    return Member(name, data, crc, real_size if declared is None else declared, deflated=True)


def write_zip(path: Path, members: Iterable[Member]) -> Path:
    """A zip archive of exactly these members and declared sizes (each below 4 GB)."""
    out, central = io.BytesIO(), io.BytesIO()
    count = 0
    for member in members:
        name = member.name.encode()
        method = zipfile.ZIP_DEFLATED if member.deflated else zipfile.ZIP_STORED
        sizes = (member.crc, len(member.data), member.size)
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, *sizes, len(name), 0))
        out.write(name + member.data)
        central.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                method,
                0,
                0x21,
                *sizes,
                len(name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + name
        )
        count += 1
    directory = central.getvalue()
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), out.tell(), 0)
    path.write_bytes(out.getvalue() + directory + end)
    return path


def zip_members(path: Path) -> list[Member]:
    """The members of an existing (stored) zip, such as a checkpoint, to rewrite with more."""
    with zipfile.ZipFile(path) as archive:
        return [stored(info.filename, archive.read(info)) for info in archive.infolist()]


def make_fifo(folder: Path, name: str = "pipe.pt") -> Path:
    path = folder / name
    os.mkfifo(path)
    return path


def symlink_to(folder: Path, target: Path, name: str) -> Path:
    link = folder / name
    link.symlink_to(target)
    return link


def sparse_file(path: Path, size: int = 50 * GB, head: bytes = b"PK\x03\x04") -> Path:
    """A file that claims `size` bytes and takes none on disk."""
    with path.open("wb") as file:
        file.write(head)
        file.truncate(size)
    return path


def gzip_bomb(path: Path, real_size: int, members: int = 1) -> Path:
    """A gzip file (of `members` concatenated members) unpacking to `real_size` zeros in all."""
    each = real_size // members
    data, crc = zeros_deflated(each)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    one = header + data + struct.pack("<II", crc, each & 0xFFFFFFFF)
    path.write_bytes(one * members)
    return path


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def npy_claiming(shape: tuple[int, ...], dtype: str = "<f8") -> bytes:
    """A .npy header declaring an array of `shape`, followed by a few bytes of data."""
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    text = repr(header).encode("latin1")
    text += b" " * (63 - (10 + len(text)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + bytes(64)


def npz_of(path: Path, arrays: dict[str, bytes]) -> Path:
    """An .npz of ready-made .npy bytes (honest or not)."""
    return write_zip(path, [stored(f"{key}.npy", data) for key, data in arrays.items()])


# -- checkpoints -----------------------------------------------------------------------------------
SMALL_SPEC = ArchSpec("mlp", hidden=(8,))


def payload(net: torch.nn.Module | None = None, **changes: Any) -> dict[str, Any]:
    """What save_checkpoint writes for a small network, with fields replaced."""
    net = net if net is not None else build_network(SMALL_SPEC, seed=0)
    spec = getattr(net, "spec", SMALL_SPEC)
    content: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "arch": spec.to_dict(),
        "state_dict": {k: v.clone() for k, v in net.state_dict().items()},
        "metadata": {},
    }
    content.update(changes)
    return content


def checkpoint_file(path: Path, content: Any) -> Path:
    torch.save(content, path)
    return path


def checkpoint_with_bomb(path: Path, real_size: int, declared: int | None = None) -> Path:
    """A real small checkpoint plus one deflated member of zeros (honest or lying about its size)."""
    checkpoint_file(path, payload())
    members = zip_members(path)
    folder = members[0].name.split("/")[0]  # torch names the archive's folder after the file
    members.insert(1, zeros_member(f"{folder}/data/99", real_size, declared))
    return write_zip(path, members)


def gzip_of(content: bytes) -> bytes:
    return gzip.compress(content)

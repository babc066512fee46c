"""Files that are not regular files, or that expand without bound, for every reader.

Each reader must refuse a pipe, a device, a symlink to either, a 50 GB sparse file and a
bomb quickly, with a sentence naming the file, and without reading more than its bound.
A reader that blocks is failed, not hung: the pipe's other end is opened to release it.
"""

from __future__ import annotations

import os
import resource
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.checkpoint import CheckpointError, load_checkpoint
from model.data import DataError, load_keras_npz, read_idx_file
from model.detector import load_detector
from model.handwriting import HandwritingError, load_examples
from model.personal import PersonalExamples
from model.strokes import StrokeFileError, load_unipen
from tools import hostile_files as hostile

SECONDS = 10.0  # far more than any refusal takes; a blocked open() takes forever


def refuse_checkpoint(path: Path) -> str:
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    return str(caught.value)


def refuse_detector(path: Path) -> str:
    assert load_detector(path) is None
    return f"{path.name} was passed over"


def refuse_idx(path: Path) -> str:
    with pytest.raises(DataError) as caught:
        read_idx_file(path, "t10k-labels-idx1-ubyte")
    return str(caught.value)


def refuse_keras(path: Path) -> str:
    with pytest.raises(DataError) as caught:
        load_keras_npz(path)
    return str(caught.value)


def refuse_strokes(path: Path) -> str:
    with pytest.raises(StrokeFileError) as caught:
        load_unipen(path)
    return str(caught.value)


def refuse_handwriting(path: Path) -> str:
    with pytest.raises(HandwritingError) as caught:
        load_examples(path)
    return str(caught.value)


def refuse_import(path: Path) -> str:
    examples = PersonalExamples(None)
    with pytest.raises(HandwritingError) as caught:
        examples.import_file(path)
    assert len(examples) == 0
    return str(caught.value)


READERS: dict[str, Callable[[Path], str]] = {
    "checkpoint": refuse_checkpoint,
    "detector": refuse_detector,
    "mnist idx": refuse_idx,
    "keras npz": refuse_keras,
    "unipen strokes": refuse_strokes,
    "handwriting": refuse_handwriting,
    "handwriting import": refuse_import,
}


def within_seconds(reader: Callable[[Path], str], path: Path, unblock: Path | None = None) -> str:
    """reader(path) in a thread; if it is still running after SECONDS, open `unblock` (a pipe)
    for writing so that it ends, and fail."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["message"] = reader(path)
        except BaseException as error:
            result["error"] = error

    started = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(SECONDS)
    if thread.is_alive():
        if unblock is not None:
            os.close(os.open(unblock, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(SECONDS)
        pytest.fail(f"reading {path} blocked for more than {SECONDS} s")
    if "error" in result:
        raise result["error"]
    assert time.monotonic() - started < SECONDS
    return str(result["message"])


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("kind", ["fifo", "symlink to a fifo", "/dev/zero", "/dev/null", "/dev/urandom"])
def test_pipes_and_devices_are_refused_without_blocking(tmp_path, reader, kind):
    fifo = None
    if "fifo" in kind:
        fifo = hostile.make_fifo(tmp_path, "pipe.bin")
        path = fifo if kind == "fifo" else hostile.symlink_to(tmp_path, fifo, "link.bin")
    else:
        path = hostile.symlink_to(tmp_path, Path(kind), "device.bin")
    message = within_seconds(READERS[reader], path, unblock=fifo)
    assert path.name in message
    if reader != "detector":
        assert "not a regular file" in message
        assert ("named pipe" if fifo else "device") in message


@pytest.mark.parametrize("reader", READERS)
def test_a_50_gb_sparse_file_is_refused_by_its_size(tmp_path, reader):
    path = hostile.sparse_file(tmp_path / "huge.bin")
    message = within_seconds(READERS[reader], path)
    if reader != "detector":
        assert "50 GB" in message and "larger than any" in message


@pytest.mark.parametrize("reader", READERS)
def test_a_folder_is_refused(tmp_path, reader):
    folder = tmp_path / "folder.bin"
    folder.mkdir()
    message = within_seconds(READERS[reader], folder)
    if reader != "detector":
        assert "is a folder" in message


def limited_memory(megabytes: int) -> Any:
    """While it holds, the process cannot grow by more than `megabytes`: inflating a bomb
    would raise MemoryError instead of passing unnoticed."""

    class Limit:
        def __enter__(self) -> None:
            self.before = resource.getrlimit(resource.RLIMIT_AS)
            usage = int(Path("/proc/self/statm").read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            resource.setrlimit(resource.RLIMIT_AS, (usage + megabytes * hostile.MB, self.before[1]))

        def __exit__(self, *exc: object) -> None:
            resource.setrlimit(resource.RLIMIT_AS, self.before)

    return Limit()


BOMB = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@BOMB
@given(
    real_mb=st.sampled_from([1, 4, 600]),
    declared=st.one_of(st.none(), st.integers(513 * hostile.MB, 4 * hostile.GB - 1), st.integers(0, 4096)),
)
def test_checkpoint_zip_bombs_are_refused(tmp_path, real_mb, declared):
    """A member with a huge declared size, a huge real size, or a real size above what it
    declares: refused before torch allocates what the member claims."""
    path = hostile.checkpoint_with_bomb(tmp_path / "bomb.pt", real_mb * hostile.MB, declared)
    shown = real_mb * hostile.MB if declared is None else declared
    if shown <= 512 * hostile.MB and declared is None:  # an honest, small extra member is no bomb
        net, _ = load_checkpoint(path)
        assert net.spec == hostile.SMALL_SPEC
        return
    with limited_memory(400):
        message = refuse_checkpoint(path)
    assert message.startswith("bomb.pt ")
    assert ("unpacks to" in message) if shown > 512 * hostile.MB else ("damaged" in message)


@BOMB
@given(real_mb=st.sampled_from([65, 130, 300]), members=st.sampled_from([1, 3, 20]))
def test_gzip_bombs_among_the_mnist_files_are_refused(tmp_path, real_mb, members):
    path = hostile.gzip_bomb(tmp_path / "t10k-labels-idx1-ubyte.gz", real_mb * hostile.MB, members)
    assert path.stat().st_size < 2 * real_mb * hostile.MB // 100  # small on disk
    with limited_memory(300):
        message = refuse_idx(path)
    assert "unpacks to more than 64 MB" in message


NPZ_NAMES = {
    "keras npz": ["x_train", "y_train", "x_test", "y_test"],
    "unipen strokes": [
        "points",
        "stroke_offsets",
        "sample_offsets",
        "labels",
        "writers",
        "suspect",
        "contributors",
    ],
    "handwriting": ["format", "version", "keys", "labels", "created", "ink"],
}
NPZ_READERS = {"keras npz": refuse_keras, "unipen strokes": refuse_strokes, "handwriting": refuse_handwriting}


@BOMB
@given(
    reader=st.sampled_from(sorted(NPZ_READERS)),
    shape=st.lists(st.integers(1, 10**6), min_size=1, max_size=4).filter(
        lambda s: np.prod(s, dtype=object) > 64
    ),
    dtype=st.sampled_from(["<f8", "<u1", "<i8", "<U40"]),
)
def test_npy_headers_declaring_more_than_their_data_are_refused(tmp_path, reader, shape, dtype):
    """numpy allocates what a header declares before reading: a header may not declare more
    than its member holds."""
    names = NPZ_NAMES[reader]
    arrays = {name: hostile.npy_bytes(np.zeros(3, np.uint8)) for name in names}
    arrays[names[0]] = hostile.npy_claiming(tuple(shape), dtype)
    path = hostile.npz_of(tmp_path / "claims.npz", arrays)
    with limited_memory(300):
        message = NPZ_READERS[reader](path)
    assert "claims.npz" in message and ("claims" in message or "damaged" in message)


@pytest.mark.parametrize("reader", sorted(NPZ_READERS))
@pytest.mark.parametrize("declared_gb", [1, 3.9])
def test_npz_members_declaring_gigabytes_are_refused(tmp_path, reader, declared_gb):
    first, *others = NPZ_NAMES[reader]
    bomb = hostile.zeros_member(f"{first}.npy", hostile.MB, int(declared_gb * hostile.GB))
    small = [hostile.stored(f"{name}.npy", hostile.npy_bytes(np.zeros(3, np.uint8))) for name in others]
    path = hostile.write_zip(tmp_path / "declares.npz", [bomb, *small])
    with limited_memory(300):
        message = NPZ_READERS[reader](path)
    assert "declares.npz" in message
    assert "unpacks to" in message or "more than" in message


@pytest.mark.parametrize("reader", sorted(NPZ_READERS))
def test_npz_members_that_inflate_past_the_bound_are_refused(tmp_path, reader):
    first, *others = NPZ_NAMES[reader]
    bomb = hostile.zeros_member(f"{first}.npy", 300 * hostile.MB)
    small = [hostile.stored(f"{name}.npy", hostile.npy_bytes(np.zeros(3, np.uint8))) for name in others]
    path = hostile.write_zip(tmp_path / "inflates.npz", [bomb, *small])
    assert path.stat().st_size < 3 * hostile.MB
    with limited_memory(300):
        message = NPZ_READERS[reader](path)
    assert "inflates.npz" in message


def test_an_object_array_is_refused_before_numpy_sees_it(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, points=np.array([{"a": 1}], dtype=object))
    assert "Python objects" in refuse_strokes(path)

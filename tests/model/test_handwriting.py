"""The user's handwriting file: round trips, merges, and every file that must be refused."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from repo_paths import REPO

from model.handwriting import (
    INK_SIZE,
    MAX_EXAMPLES,
    HandwritingError,
    load_examples,
    make_example,
    merge,
    save_examples,
)
from model.personal import PersonalExamples


def canvas(seed: int, side: int = 300) -> np.ndarray:
    """A canvas image with a thick random stroke on it."""
    rng = np.random.default_rng(seed)
    image = np.zeros((side, side), np.uint8)
    row, col = rng.integers(side // 4, side // 2, size=2)
    image[row : row + side // 3, col : col + side // 12] = 255
    return image


def examples(count: int, start: int = 0):
    made = [make_example(canvas(start + i), (start + i) % 10, created=1e9 + i) for i in range(count)]
    assert all(e is not None for e in made)
    return tuple(made)


def test_a_blank_drawing_makes_no_example() -> None:
    assert make_example(np.zeros((200, 200), np.uint8), 3) is None


def test_round_trip_keeps_ink_labels_dates_and_the_input(tmp_path: Path) -> None:
    kept = examples(5)
    path = tmp_path / "handwriting.npz"
    save_examples(path, kept)
    loaded = load_examples(path)
    assert [e.key for e in loaded] == [e.key for e in kept]
    assert [e.label for e in loaded] == [e.label for e in kept]
    assert [e.created for e in loaded] == [e.created for e in kept]
    for a, b in zip(loaded, kept, strict=True):
        assert a.ink.shape == (INK_SIZE, INK_SIZE) and np.array_equal(a.ink, b.ink)
        assert np.array_equal(a.pixels, b.pixels)  # rendered again by the current preprocessing
        assert not a.ink.flags.writeable


def test_merge_adds_only_what_is_new() -> None:
    mine, theirs = examples(3), examples(4, start=2)
    merged, added = merge(mine, (*theirs, *mine))
    assert added == 4 and len(merged) == 7
    again, added_again = merge(merged, theirs)
    assert added_again == 0 and again == merged


def test_the_same_drawing_taught_again_keeps_only_the_last_label(tmp_path: Path) -> None:
    store = PersonalExamples(tmp_path / "handwriting.npz")
    first = make_example(canvas(1), 4)
    second = make_example(canvas(1), 9)
    store.add(first)
    store.add(second)
    assert [e.label for e in store.examples] == [9]
    assert [e.label for e in load_examples(tmp_path / "handwriting.npz")] == [9]


def test_a_damaged_file_is_set_aside_never_deleted(tmp_path: Path) -> None:
    path = tmp_path / "handwriting.npz"
    save_examples(path, examples(3))
    damaged = path.read_bytes()[:-100]
    path.write_bytes(damaged)
    store = PersonalExamples(path)
    message = store.load()
    assert "could not be read" in message and "kept as" in message
    assert store.examples == ()
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("handwriting.unreadable-")]
    assert len(aside) == 1 and aside[0].read_bytes() == damaged
    store.add(make_example(canvas(9), 1))  # new examples go to a new file
    assert len(load_examples(path)) == 1 and aside[0].exists()


def test_a_failed_write_keeps_the_change_in_memory_and_the_old_file(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    store = PersonalExamples(folder / "handwriting.npz")
    store.add(make_example(canvas(1), 1))
    before = (folder / "handwriting.npz").read_bytes()
    (folder / "handwriting.npz").unlink()
    folder.rmdir()
    (tmp_path / "data").write_text("a file where the folder was")
    with pytest.raises(HandwritingError, match="could not be saved"):
        store.add(make_example(canvas(2), 2))
    assert [e.label for e in store.examples] == [1, 2]
    assert before  # the earlier save had written a real file


def _archive(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _valid_arrays(count: int = 2) -> dict[str, np.ndarray]:
    return {
        "format": np.array("digitpad-handwriting"),
        "version": np.array(1),
        "keys": np.array([f"k{i}" for i in range(count)], dtype="<U32"),
        "labels": np.arange(count, dtype=np.uint8),
        "created": np.full(count, 1e9),
        "ink": np.stack([examples(1, start=i)[0].ink for i in range(count)]),
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": np.array("something-else")}, "not a digitpad handwriting"),
        ({"version": np.array(99)}, "newer digitpad"),
        ({"labels": np.array([1, 12], np.uint8)}, "not valid"),
        ({"created": np.array([np.nan, 1.0])}, "not valid"),
        ({"keys": np.array(["same", "same"], dtype="<U32")}, "twice"),
        ({"ink": np.zeros((2, 10, 10), np.uint8)}, "do not fit"),
        ({"labels": np.array([1, 2], np.int64)}, "do not fit"),
        ({"labels": np.array([1, 2, 3], np.uint8)}, "do not fit"),
    ],
)
def test_files_that_do_not_hold_valid_examples_are_refused(tmp_path: Path, change, message) -> None:
    path = tmp_path / "bad.npz"
    path.write_bytes(_archive(**{**_valid_arrays(), **change}))
    with pytest.raises(HandwritingError, match=message):
        load_examples(path)


def test_object_arrays_are_refused_without_unpickling(tmp_path: Path) -> None:
    path = tmp_path / "pickled.npz"
    arrays = {**_valid_arrays(), "keys": np.array([object(), object()], dtype=object)}
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=True, **arrays)
    path.write_bytes(buffer.getvalue())
    with pytest.raises(HandwritingError):
        load_examples(path)


def test_an_archive_that_would_inflate_beyond_the_bound_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "bomb.npz"
    arrays = _valid_arrays()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            if name != "ink":
                with archive.open(f"{name}.npy", "w") as member:
                    np.lib.format.write_array(member, array)
        with archive.open("ink.npy", "w", force_zip64=True) as member:
            chunk = bytes(1 << 20)
            for _ in range((MAX_EXAMPLES * INK_SIZE * INK_SIZE >> 20) + 64):
                member.write(chunk)
    assert path.stat().st_size < 5_000_000
    with pytest.raises(HandwritingError, match="more than"):
        load_examples(path)


def test_a_pipe_or_a_folder_is_refused_without_blocking(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.npz"
    os.mkfifo(pipe)
    with pytest.raises(HandwritingError, match="not a regular file"):
        load_examples(pipe)
    with pytest.raises(HandwritingError, match="not a regular file"):
        load_examples(tmp_path)
    with pytest.raises(HandwritingError, match="does not exist"):
        load_examples(tmp_path / "missing.npz")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=4000), cut=st.integers(min_value=0, max_value=20000))
def test_any_bytes_are_read_or_refused_with_a_sentence(tmp_path: Path, data: bytes, cut: int) -> None:
    valid = _archive(**_valid_arrays())
    path = tmp_path / "fuzz.npz"
    for content in (data, valid[:cut] + data, valid[: len(valid) // 2] + data + valid[len(valid) // 2 :]):
        path.write_bytes(content)
        try:
            loaded = load_examples(path)
        except HandwritingError as error:
            assert str(error)
        else:
            assert all(0 <= e.label <= 9 for e in loaded)


KILLER = """
import sys
sys.path.insert(0, {repo!r})
import numpy as np
from model.handwriting import make_example, save_examples
image = np.zeros((300, 300), np.uint8); image[50:250, 140:160] = 255
many = tuple(make_example(image, i % 10, created=float(i)) for i in range(1500))
print("ready", flush=True)
while True:
    save_examples({path!r}, many)
"""


def test_storage_survives_a_kill_mid_write(tmp_path: Path) -> None:
    path = tmp_path / "handwriting.npz"
    original = examples(3)
    save_examples(path, original)
    child = subprocess.Popen(
        [sys.executable, "-c", KILLER.format(repo=str(REPO), path=str(path))],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        import time

        time.sleep(1.5)  # mid-way through some write
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
        if child.stdout is not None:
            child.stdout.close()
    loaded = load_examples(path)  # the old file or a complete new one, never half of each
    assert len(loaded) in (3, 1500)

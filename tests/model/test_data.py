"""Reading, verifying and finding MNIST, and the embedded practice set."""

from __future__ import annotations

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest

from model import data
from model.data import (
    DATA_ENV,
    IMAGE_MAGIC,
    LABEL_MAGIC,
    DataError,
    find_mnist,
    load_dataset,
    load_idx_directory,
    load_keras_npz,
    load_practice_set,
    parse_idx,
    read_idx_file,
)

# Published per-digit counts (see shared/datasets/mnist/SOURCE.md).
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def image_idx(count: int, rows: int, cols: int, pixels: bytes) -> bytes:
    return struct.pack(">IIII", IMAGE_MAGIC, count, rows, cols) + pixels


def label_idx(labels: bytes) -> bytes:
    return struct.pack(">II", LABEL_MAGIC, len(labels)) + labels


# --- parse_idx on hand-built bytes -----------------------------------------------------------


def test_parse_idx_images():
    content = image_idx(2, 3, 4, bytes(range(24)))
    array = parse_idx(content, IMAGE_MAGIC)
    assert array.shape == (2, 3, 4)
    assert array.dtype == np.uint8
    assert array[0, 0].tolist() == [0, 1, 2, 3]
    assert array[0, 2, 3] == 11
    assert array[1, 0, 0] == 12
    assert array[1, 2, 3] == 23
    assert array.flags.writeable  # an owned copy, not a view of the bytes


def test_parse_idx_labels():
    array = parse_idx(label_idx(bytes([7, 0, 9, 3, 3])), LABEL_MAGIC)
    assert array.tolist() == [7, 0, 9, 3, 3]
    assert array.dtype == np.uint8


def test_parse_idx_empty_set_is_valid():
    assert parse_idx(label_idx(b""), LABEL_MAGIC).shape == (0,)


@pytest.mark.parametrize(
    ("content", "magic", "message"),
    [
        (label_idx(b"\x01\x02"), IMAGE_MAGIC, "magic number 2049"),  # labels where images expected
        (image_idx(1, 1, 1, b"\x00"), LABEL_MAGIC, "magic number 2051"),
        (b"", LABEL_MAGIC, "too short"),
        (b"\x00\x00\x08\x01\x00\x00", LABEL_MAGIC, "too short"),
        (struct.pack(">III", IMAGE_MAGIC, 1, 28), IMAGE_MAGIC, "header is truncated"),
        (image_idx(2, 2, 2, bytes(7)), IMAGE_MAGIC, "promises 24"),  # one pixel missing
        (image_idx(2, 2, 2, bytes(9)), IMAGE_MAGIC, "promises 24"),  # one byte too many
        (label_idx(bytes(3))[:-1], LABEL_MAGIC, "promises 11"),
    ],
)
def test_parse_idx_rejects_malformed_content(content, magic, message):
    with pytest.raises(DataError, match=message):
        parse_idx(content, magic)


# --- read_idx_file ---------------------------------------------------------------------------


def test_read_idx_file_rejects_valid_idx_with_the_wrong_checksum(tmp_path):
    # Well-formed, gzipped, right name; just not the original MNIST content.
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(label_idx(bytes(range(10)))))
    with pytest.raises(DataError, match="checksum"):
        read_idx_file(path, "t10k-labels-idx1-ubyte")


def test_read_idx_file_rejects_uncompressed_impostor(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(label_idx(bytes(10_000)))
    with pytest.raises(DataError, match="checksum"):
        read_idx_file(path, "t10k-labels-idx1-ubyte")


def test_read_idx_file_missing_file(tmp_path):
    with pytest.raises(DataError, match="cannot be read"):
        read_idx_file(tmp_path / "nothing.gz", "t10k-labels-idx1-ubyte")


# --- the real files --------------------------------------------------------------------------


def test_real_mnist_has_the_published_shapes_and_label_counts(mnist):
    assert mnist.train_images.shape == (60_000, 28, 28)
    assert mnist.test_images.shape == (10_000, 28, 28)
    assert mnist.train_images.dtype == mnist.train_labels.dtype == np.uint8
    assert np.bincount(mnist.train_labels, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(mnist.test_labels, minlength=10).tolist() == TEST_COUNTS


def test_real_files_read_gzipped_and_uncompressed_alike(mnist_dir, tmp_path):
    raw = tmp_path / "t10k-labels-idx1-ubyte"
    raw.write_bytes(gzip.decompress((mnist_dir / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    labels = read_idx_file(raw, "t10k-labels-idx1-ubyte")
    assert np.bincount(labels, minlength=10).tolist() == TEST_COUNTS


def corrupt_copies(original: bytes) -> dict[str, bytes]:
    middle = len(original) // 2
    flipped = bytearray(original)
    flipped[middle] ^= 0x01
    return {
        "truncated": original[:middle],
        "truncated-by-one": original[:-1],
        "flipped byte": bytes(flipped),
        "empty": b"",
        "appended garbage": original + b"\x00garbage",
    }


@pytest.mark.parametrize("kind", list(corrupt_copies(b"0123456789")))
def test_corrupted_copy_of_a_real_file_is_rejected(mnist_dir, tmp_path, kind):
    name = "train-labels-idx1-ubyte"
    damaged = corrupt_copies((mnist_dir / f"{name}.gz").read_bytes())[kind]
    path = tmp_path / f"{name}.gz"
    path.write_bytes(damaged)
    with pytest.raises(DataError):
        read_idx_file(path, name)


def test_directory_with_one_damaged_file_is_rejected(mnist_dir, tmp_path, link_mnist):
    folder = link_mnist(tmp_path / "mnist", skip=("t10k-labels-idx1-ubyte",))
    content = bytearray(gzip.decompress((mnist_dir / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    content[100] = (content[100] + 1) % 10  # one label changed: still a valid IDX file
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(content)))
    with pytest.raises(DataError, match=r"t10k-labels.*checksum"):
        load_idx_directory(folder)


def test_directory_with_a_missing_file_is_rejected(tmp_path, link_mnist):
    folder = link_mnist(tmp_path / "mnist", skip=("train-labels-idx1-ubyte",))
    with pytest.raises(DataError, match="train-labels-idx1-ubyte"):
        load_idx_directory(folder)


# --- find_mnist and where it looks -----------------------------------------------------------


def test_find_mnist_with_a_broken_explicit_dir_raises(tmp_path, link_mnist):
    folder = link_mnist(tmp_path / "broken", skip=("t10k-images-idx3-ubyte",))
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"not mnist"))
    with pytest.raises(DataError):
        find_mnist(folder)


def test_find_mnist_with_an_empty_explicit_dir_raises(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="no MNIST files"):
        find_mnist(empty)


def test_find_mnist_with_a_missing_explicit_dir_raises(tmp_path, monkeypatch, link_mnist):
    # Even with a valid copy elsewhere, a mistyped --data-dir must not silently use it.
    monkeypatch.setenv(DATA_ENV, str(link_mnist(tmp_path / "elsewhere")))
    with pytest.raises(DataError, match="does not exist"):
        find_mnist(tmp_path / "typo")


def test_find_mnist_finds_nothing_in_an_empty_home():
    assert find_mnist() is None


def test_empty_env_dir_falls_through_to_none(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv(DATA_ENV, str(empty))
    assert find_mnist() is None


def test_broken_env_dir_falls_through_to_the_cache(tmp_path, monkeypatch, isolated_home):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "train-images-idx3-ubyte.gz").write_bytes(b"junk")
    monkeypatch.setenv(DATA_ENV, str(broken))

    def fake_load(directory: Path) -> str:
        if directory == broken:
            raise DataError("damaged")
        return f"loaded {directory}"

    monkeypatch.setattr(data, "load_idx_directory", fake_load)
    cache = isolated_home / ".cache" / "digitpad" / "mnist"
    cache.mkdir(parents=True)
    (cache / "train-images-idx3-ubyte.gz").write_bytes(b"stub")
    assert find_mnist() == f"loaded {cache}"


def test_env_dir_is_used(tmp_path, monkeypatch, link_mnist):
    folder = link_mnist(tmp_path / "from-env")
    monkeypatch.setenv(DATA_ENV, str(folder))
    dataset = find_mnist()
    assert dataset is not None
    assert str(folder) in dataset.name
    assert np.bincount(dataset.test_labels, minlength=10).tolist() == TEST_COUNTS


def test_search_order_and_layouts(tmp_path, monkeypatch, isolated_home):
    """Explicit dir beats the environment, which beats the cache; torchvision layouts work."""
    monkeypatch.setattr(data, "load_idx_directory", lambda directory: f"loaded {directory}")

    def fake_mnist(folder: Path) -> Path:
        folder.mkdir(parents=True)
        (folder / "train-images-idx3-ubyte").write_bytes(b"stub")
        return folder

    cache = fake_mnist(isolated_home / ".cache" / "digitpad" / "mnist")
    assert find_mnist() == f"loaded {cache}"
    env = fake_mnist(tmp_path / "env" / "MNIST" / "raw")  # torchvision's layout
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "env"))
    assert find_mnist() == f"loaded {env}"
    explicit = fake_mnist(tmp_path / "explicit" / "raw")
    assert find_mnist(tmp_path / "explicit") == f"loaded {explicit}"


def test_cache_honours_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.mnist_cache_dir() == tmp_path / "xdg" / "digitpad" / "mnist"


def test_load_dataset_without_mnist():
    with pytest.raises(DataError, match="MNIST was not found"):
        load_dataset(allow_practice=False)
    assert "practice" in load_dataset(allow_practice=True).name


# --- Keras's mnist.npz -----------------------------------------------------------------------


@pytest.fixture
def keras_npz(mnist, isolated_home) -> Path:
    path = isolated_home / ".keras" / "datasets" / "mnist.npz"
    path.parent.mkdir(parents=True)
    np.savez(
        path,
        x_train=mnist.train_images,
        y_train=mnist.train_labels,
        x_test=mnist.test_images,
        y_test=mnist.test_labels,
    )
    return path


def test_keras_npz_is_found_and_loaded(keras_npz, mnist):
    dataset = find_mnist()  # found in ~/.keras/datasets
    assert dataset is not None
    assert str(keras_npz) in dataset.name
    np.testing.assert_array_equal(dataset.train_images, mnist.train_images)
    np.testing.assert_array_equal(dataset.test_labels, mnist.test_labels)


def test_tampered_keras_npz_is_rejected(keras_npz, mnist):
    with np.load(keras_npz) as archive:
        arrays = dict(archive)
    arrays["x_test"][1234, 14, 14] ^= 0xFF
    np.savez(keras_npz, **arrays)
    with pytest.raises(DataError, match="t10k-images"):
        load_keras_npz(keras_npz)
    assert find_mnist() is None  # a bad copy in a default place is skipped, not trusted


@pytest.mark.parametrize(
    "damage", ["missing key", "not a zip", "empty", "cut off", "flipped byte", "npy inside"]
)
def test_unreadable_keras_npz_is_rejected(tmp_path, damage):
    path = tmp_path / "mnist.npz"
    arrays = {key: np.zeros((3, 28, 28), np.uint8) for key in ("x_train", "y_train", "x_test", "y_test")}
    np.savez(path, **arrays)
    content = path.read_bytes()
    if damage == "missing key":
        np.savez(path, x_train=arrays["x_train"])
    elif damage == "not a zip":
        path.write_bytes(b"PK\x03\x04 definitely not a zip")
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "cut off":  # an interrupted download
        path.write_bytes(content[: len(content) // 2])
    elif damage == "flipped byte":
        path.write_bytes(content[:200] + bytes([content[200] ^ 0xFF]) + content[201:])
    else:
        with path.open("wb") as out:
            np.save(out, arrays["x_train"])
    with pytest.raises(DataError, match="not a readable Keras MNIST archive"):
        load_keras_npz(path)


def test_cut_off_keras_npz_in_the_default_place_is_skipped(isolated_home):
    path = isolated_home / ".keras" / "datasets" / "mnist.npz"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"PK\x03\x04" + bytes(1000))
    assert find_mnist() is None


# --- the embedded practice set ---------------------------------------------------------------


def test_practice_set_split():
    practice = load_practice_set()
    assert practice.train_images.shape == (4500, 28, 28)
    assert practice.test_images.shape == (500, 28, 28)
    assert np.bincount(practice.train_labels, minlength=10).tolist() == [450] * 10
    assert np.bincount(practice.test_labels, minlength=10).tolist() == [50] * 10
    # Every stored digit lands in exactly one split, with its own label.
    with np.load(data.PRACTICE_SET) as archive:
        images, labels = archive["images"], archive["labels"]

    def keyed(imgs, labs):
        return sorted(
            hashlib.md5(i.tobytes() + bytes([int(lab)])).hexdigest()
            for i, lab in zip(imgs, labs, strict=True)
        )

    train_keys = keyed(practice.train_images, practice.train_labels)
    test_keys = keyed(practice.test_images, practice.test_labels)
    assert not set(train_keys) & set(test_keys)
    assert sorted(train_keys + test_keys) == keyed(images, labels)


def test_practice_split_is_repeatable():
    first, second = load_practice_set(), load_practice_set()
    np.testing.assert_array_equal(first.test_images, second.test_images)


@pytest.mark.parametrize("content", [None, b"", b"PK\x03\x04 broken"])
def test_practice_set_missing_or_damaged_file(tmp_path, content):
    path = tmp_path / "practice.npz"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataError, match="practice set"):
        load_practice_set(path)

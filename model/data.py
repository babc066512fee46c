"""MNIST: find it, download it, verify it, read it; and the embedded practice set.

Every copy is checked against the published MD5 of the uncompressed IDX content, so a
truncated download, a corrupt file or a different data set is never trained on.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import struct
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .paths import expand_user, user_cache_dir
from .safe_files import MiB, UnsafeFileError, check_npz, gunzip_bounded, open_regular, read_bounded

MAX_IDX_BYTES = 64 * MiB  # an MNIST IDX file, packed or not (the largest is 47 MB unpacked)
MAX_NPZ_BYTES = 128 * MiB  # a Keras mnist.npz unpacked (55 MB) or the practice set, and room
IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049

# name -> (MD5 of the .gz file, MD5 of the uncompressed IDX content), as published.
MNIST_FILES: dict[str, tuple[str, str]] = {
    "train-images-idx3-ubyte": ("f68b3c2dcbeaaa9fbdd348bbdeb94873", "6bbc9ace898e44ae57da46a324031adb"),
    "train-labels-idx1-ubyte": ("d53e105ee54ea40749a09fcbcd1e9432", "a25bea736e30d166cdddb491f175f624"),
    "t10k-images-idx3-ubyte": ("9fb629c4189551a2d022fa330f9573f3", "2646ac647ad5339dbf082846283269ea"),
    "t10k-labels-idx1-ubyte": ("ec29112dd5afa0611ce80d1b7f02629c", "27ae3e4e09519cfbb04c329615203637"),
}
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
DATA_ENV = "DIGITPAD_DATA"
PRACTICE_SET = Path(__file__).resolve().parent.parent / "assets" / "practice_mnist_5k.npz"
PRACTICE_DESCRIPTION = "the embedded practice set (5,000 MNIST digits)"  # the practice set's Dataset.name
PRACTICE_TRAINING_DIGITS = 4_500  # of them: 450 of each digit (load_practice_set)

ProgressCallback = Callable[[str, int, int], None]  # (file name, bytes done, bytes total or 0)
CancelCheck = Callable[[], bool]


class DataError(Exception):
    """A data set is missing, corrupt or could not be fetched; the message is for the user."""


class DownloadCancelled(DataError):
    """The user cancelled a download."""


@dataclass(frozen=True)
class Dataset:
    """Images as uint8 (N, 28, 28), labels as uint8 (N,); `name` says what it is to the user."""

    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def parse_idx(content: bytes, expected_magic: int) -> np.ndarray:
    """Decode an uncompressed IDX file (images or labels) into a uint8 array."""
    if len(content) < 8:
        raise DataError("the file is too short to be an IDX file")
    magic, count = struct.unpack(">II", content[:8])
    if magic != expected_magic:
        raise DataError(
            f"not an MNIST {'image' if expected_magic == IMAGE_MAGIC else 'label'} file"
            f" (magic number {magic})"
        )
    shape: tuple[int, ...]
    if magic == IMAGE_MAGIC:
        if len(content) < 16:
            raise DataError("the image file header is truncated")
        rows, cols = struct.unpack(">II", content[8:16])
        shape, offset = (count, rows, cols), 16
    else:
        shape, offset = (count,), 8
    expected = offset + int(np.prod(shape))
    if len(content) != expected:
        raise DataError(f"the file holds {len(content)} bytes but its header promises {expected}")
    return np.frombuffer(content, dtype=np.uint8, offset=offset).reshape(shape).copy()


def read_idx_file(path: Path, name: str) -> np.ndarray:
    """Read a .gz or raw IDX file and check its content against the published MD5.

    Neither the file nor what it unpacks to may exceed MAX_IDX_BYTES (the largest MNIST file
    is 47 MB unpacked): a gzip bomb is refused after that much work, a pipe is not waited on."""
    try:
        with open_regular(path, "MNIST file", MAX_IDX_BYTES) as handle:
            is_gzip = handle.read(2) == b"\x1f\x8b"
            handle.seek(0)
            if is_gzip:
                content = gunzip_bounded(handle, path.name, "MNIST file", MAX_IDX_BYTES)
            else:
                content = read_bounded(handle, path.name, "MNIST file", MAX_IDX_BYTES)
    except UnsafeFileError as error:
        raise DataError(f"{error} (in {path.parent})") from error
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:  # BadGzipFile is an OSError too
        raise DataError(f"{path.name} in {path.parent} cannot be read: it is cut short or damaged") from error
    except OSError as error:
        raise DataError(f"{path.name} in {path.parent} cannot be read ({_reason(error)})") from error
    if hashlib.md5(content).hexdigest() != MNIST_FILES[name][1]:
        raise DataError(
            f"{path.name} in {path.parent} is damaged or not the original MNIST"
            " (its checksum differs from the published one)"
        )
    return parse_idx(content, IMAGE_MAGIC if "images" in name else LABEL_MAGIC)


def _reason(error: OSError) -> str:
    """An OSError in words ("Permission denied"), without its errno and repeated path."""
    return error.strerror or str(error)


def _find_file(directory: Path, name: str) -> Path | None:
    for candidate in (name + ".gz", name, name.replace("-idx", ".idx") + ".gz", name.replace("-idx", ".idx")):
        path = directory / candidate
        if path.is_file():
            return path
    return None


def load_idx_directory(directory: Path) -> Dataset:
    """Load the four MNIST files from one directory (gzipped or not)."""
    arrays = {}
    for name in MNIST_FILES:
        path = _find_file(directory, name)
        if path is None:
            raise DataError(f"{directory} has no {name}(.gz)")
        arrays[name] = read_idx_file(path, name)
    return Dataset(
        name=f"MNIST (60,000 training digits) from {directory}",
        train_images=arrays["train-images-idx3-ubyte"],
        train_labels=arrays["train-labels-idx1-ubyte"],
        test_images=arrays["t10k-images-idx3-ubyte"],
        test_labels=arrays["t10k-labels-idx1-ubyte"],
    )


def _idx_bytes(array: np.ndarray, magic: int) -> bytes:
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def load_keras_npz(path: Path) -> Dataset:
    """Keras's mnist.npz, checked by rebuilding the IDX bytes and comparing their MD5."""
    try:
        # Our own handle: np.load leaks it when the zip is damaged (e.g. a cut-off download).
        with open_regular(path, "Keras MNIST archive", MAX_NPZ_BYTES) as handle:
            check_npz(handle, Path(path).name, "Keras MNIST archive", MAX_NPZ_BYTES)
            with np.load(handle, allow_pickle=False) as archive:
                arrays = {
                    key: np.asarray(archive[key], dtype=np.uint8)
                    for key in ("x_train", "y_train", "x_test", "y_test")
                }
    except UnsafeFileError as error:
        raise DataError(str(error)) from error
    except (OSError, EOFError, ValueError, KeyError, TypeError, zlib.error, zipfile.BadZipFile) as error:
        raise DataError(f"{path} is not a readable Keras MNIST archive: {error}") from error
    pairs = {
        "train-images-idx3-ubyte": (arrays["x_train"], IMAGE_MAGIC),
        "train-labels-idx1-ubyte": (arrays["y_train"], LABEL_MAGIC),
        "t10k-images-idx3-ubyte": (arrays["x_test"], IMAGE_MAGIC),
        "t10k-labels-idx1-ubyte": (arrays["y_test"], LABEL_MAGIC),
    }
    for name, (array, magic) in pairs.items():
        if hashlib.md5(_idx_bytes(array, magic)).hexdigest() != MNIST_FILES[name][1]:
            raise DataError(f"{path} does not hold the original MNIST ({name} differs)")
    return Dataset(
        f"MNIST (60,000 training digits) from {path}",
        arrays["x_train"],
        arrays["y_train"],
        arrays["x_test"],
        arrays["y_test"],
    )


def mnist_cache_dir() -> Path:
    """Where File › Download MNIST writes."""
    return user_cache_dir() / "mnist"


def candidate_locations(data_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Where MNIST is looked for, in order: option, environment, cache, other tools' copies."""
    places: list[Path] = []
    if data_dir:
        places.append(expand_user(data_dir))
    if os.environ.get(DATA_ENV):
        places.append(expand_user(os.environ[DATA_ENV]))
    places.append(mnist_cache_dir())
    home = Path.home()
    places += [
        home / ".keras" / "datasets" / "mnist.npz",
        Path.cwd() / "data" / "MNIST" / "raw",
        home / "data" / "MNIST" / "raw",
        home / ".cache" / "torchvision" / "MNIST" / "raw",
    ]
    return places


def _load_location(place: Path) -> Dataset:
    if place.suffix == ".npz":
        return load_keras_npz(place)
    for sub in (place, place / "MNIST" / "raw", place / "raw"):
        if sub.is_dir() and _find_file(sub, "train-images-idx3-ubyte") is not None:
            return load_idx_directory(sub)
    if place.is_file():
        raise DataError(f"{place} is a file, not a folder holding MNIST")
    raise DataError(f"there are no MNIST files in {place}")


def locate_mnist(data_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """The first place that seems to hold MNIST, without reading or verifying it (fast)."""
    for place in candidate_locations(data_dir):
        if place.suffix == ".npz" and place.is_file():
            return place
        for sub in (place, place / "MNIST" / "raw", place / "raw"):
            if sub.is_dir() and all(_find_file(sub, name) for name in MNIST_FILES):
                return sub
    return None


def find_mnist(data_dir: str | os.PathLike[str] | None = None) -> Dataset | None:
    """The first valid MNIST copy found, or None. An explicit data_dir that is broken raises."""
    # A mistyped folder must not silently fall back to some other copy (or the practice set).
    if data_dir and not expand_user(data_dir).exists():
        raise DataError(f"the folder {data_dir} does not exist")
    for place in candidate_locations(data_dir):
        if not place.exists():
            continue
        try:
            return _load_location(place)
        except DataError:
            if data_dir and place == expand_user(data_dir):
                raise
            # A broken copy elsewhere (an old cache, another tool's folder) is passed over.
    return None


def download_mnist(
    target: Path | None = None,
    mirrors: Iterable[str] = MIRRORS,
    progress: ProgressCallback | None = None,
    cancelled: CancelCheck | None = None,
    timeout: float = 30.0,
) -> Dataset:
    """Fetch the four files into `target` (the cache by default), verify, then load them.

    Each file is written to a temporary name and renamed only once its checksum matches,
    so an interrupted or bad download never leaves a file that looks complete.
    """
    target = Path(target) if target is not None else mnist_cache_dir()
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DataError(f"cannot create the data folder {target} ({_reason(error)})") from error
    mirrors = tuple(mirrors)
    for name, (gz_md5, _) in MNIST_FILES.items():
        final = target / (name + ".gz")
        if final.is_file() and _md5_of_file(final) == gz_md5:
            continue
        failures = []
        for mirror in mirrors:
            try:
                _download_file(mirror + name + ".gz", final, gz_md5, name, progress, cancelled, timeout)
                break
            except DownloadCancelled:
                raise
            except DataError as error:
                failures.append(f"{mirror}: {error}")
        else:
            raise DataError(f"no mirror could send {name}.gz (" + "; ".join(failures) + ")")
    return load_idx_directory(target)


def _md5_of_file(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download_file(
    url: str,
    final: Path,
    expected_md5: str,
    name: str,
    progress: ProgressCallback | None,
    cancelled: CancelCheck | None,
    timeout: float,
) -> None:
    digest = hashlib.md5()
    handle, temp_name = tempfile.mkstemp(dir=final.parent, prefix=final.name + ".", suffix=".part")
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while True:
                if cancelled is not None and cancelled():
                    raise DownloadCancelled("download cancelled")
                block = response.read(1 << 16)
                if not block:
                    break
                out.write(block)
                digest.update(block)
                done += len(block)
                if progress is not None:
                    progress(name, done, total)
            if total and done != total:
                raise DataError(f"the server sent {done} of {total} bytes")
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != expected_md5:
            raise DataError("the downloaded file has the wrong checksum")
        os.replace(temp, final)
    # http.client's own errors (a cut-off chunk, a reply that is not HTTP) are not OSErrors.
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
        reason = getattr(error, "reason", None) or error  # a URLError wraps the OSError
        raise DataError(_reason(reason) if isinstance(reason, OSError) else str(reason)) from error
    finally:
        temp.unlink(missing_ok=True)


def load_practice_set(path: Path = PRACTICE_SET) -> Dataset:
    """The 5,000-digit MNIST subset shipped in assets/: 450 per digit to train, 50 to validate."""
    try:
        with open_regular(path, "practice set", MAX_NPZ_BYTES) as handle:
            check_npz(handle, Path(path).name, "practice set", MAX_NPZ_BYTES)
            with np.load(handle, allow_pickle=False) as archive:
                images, labels = archive["images"], archive["labels"]
    except UnsafeFileError as error:
        raise DataError(f"the embedded practice set cannot be read: {error}") from error
    except (OSError, EOFError, ValueError, KeyError, TypeError, zlib.error, zipfile.BadZipFile) as error:
        raise DataError(f"the embedded practice set {path} cannot be read: {error}") from error
    rng = np.random.default_rng(0)
    test_index = np.concatenate([rng.permutation(np.flatnonzero(labels == d))[:50] for d in range(10)])
    is_test = np.zeros(len(labels), dtype=bool)
    is_test[test_index] = True
    return Dataset(
        PRACTICE_DESCRIPTION,
        images[~is_test],
        labels[~is_test],
        images[is_test],
        labels[is_test],
    )


def load_dataset(data_dir: str | os.PathLike[str] | None = None, allow_practice: bool = True) -> Dataset:
    """Full MNIST if any copy is found, else the embedded practice set (or an error)."""
    dataset = find_mnist(data_dir)
    if dataset is not None:
        return dataset
    if allow_practice:
        return load_practice_set()
    raise DataError(
        "MNIST was not found (looked in: "
        + ", ".join(str(p) for p in candidate_locations(data_dir))
        + "); pass --data-dir or set DIGITPAD_DATA"
    )

"""Shared fixtures for the Qt-free model tests.

Every test runs with HOME, the XDG cache and the working directory pointed at its own
temporary folder, so no test can read or write the user's real MNIST cache.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from repo_paths import SHARED_MNIST as MNIST_DIR

from model.data import Dataset, load_idx_directory

MNIST_NAMES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """A long training run shares the two cores: one thread keeps the tests quick and polite."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private HOME, cache and working directory; no DIGITPAD_DATA, no proxies."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.delenv("DIGITPAD_DATA", raising=False)
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    return home


@pytest.fixture
def mnist_dir() -> Path:
    """The shared, read-only original MNIST files."""
    if not all((MNIST_DIR / f"{name}.gz").is_file() for name in MNIST_NAMES):
        pytest.skip(f"the shared MNIST copy is not at {MNIST_DIR}")
    return MNIST_DIR


@pytest.fixture(scope="session")
def mnist() -> Dataset:
    """The full MNIST data set, read and verified once per session."""
    if not all((MNIST_DIR / f"{name}.gz").is_file() for name in MNIST_NAMES):
        pytest.skip(f"the shared MNIST copy is not at {MNIST_DIR}")
    return load_idx_directory(MNIST_DIR)


@pytest.fixture
def link_mnist(mnist_dir: Path):
    """A function filling a folder with symlinks to the shared MNIST files (except `skip`)."""

    def link(directory: Path, skip: tuple[str, ...] = ()) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        for name in MNIST_NAMES:
            if name not in skip:
                (directory / f"{name}.gz").symlink_to(mnist_dir / f"{name}.gz")
        return directory

    return link


def bar_images(count: int, seed: int, classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Class k is a bright horizontal bar at rows 3+2k..4+2k over faint noise: easy to learn."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, count).astype(np.uint8)
    images = rng.integers(0, 40, (count, 28, 28)).astype(np.uint8)
    for image, label in zip(images, labels, strict=True):
        image[3 + 2 * label : 5 + 2 * label, 4:24] = 255
    return images, labels


@pytest.fixture
def bars() -> Dataset:
    """200 training and 100 validation images of ten trivially separable classes."""
    train_images, train_labels = bar_images(200, seed=1)
    test_images, test_labels = bar_images(100, seed=2)
    return Dataset("bars", train_images, train_labels, test_images, test_labels)

"""Shared test set-up: headless Qt, and no test ever touches the user's real files."""

from __future__ import annotations

import os
from pathlib import Path

# Before anything imports PySide6: an empty value would fall back to xcb and abort.
os.environ["QT_QPA_PLATFORM"] = os.environ.get("QT_QPA_PLATFORM") or "offscreen"

import numpy as np
import pytest

from model.data import MNIST_FILES


@pytest.fixture(autouse=True)
def isolated_user_files(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings, cache and data lookups point at empty temporary folders."""
    home = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("DIGITPAD_SETTINGS", str(home / "settings.ini"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("DIGITPAD_DATA", str(home / "no-mnist-here"))


@pytest.fixture
def corrupt_mnist(tmp_path: Path) -> Path:
    """A folder with the four MNIST file names holding garbage (a cut-off copy, a wrong download...)."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in MNIST_FILES:  # a gzip header, then noise
        (folder / f"{name}.gz").write_bytes(b"\x1f\x8b\x08\x00" + rng.bytes(3000))
    return folder

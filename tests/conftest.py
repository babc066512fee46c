"""Shared test set-up: headless Qt, and no test ever touches the user's real files."""

from __future__ import annotations

import os
from pathlib import Path

# Before anything imports PySide6: an empty value would fall back to xcb and abort.
os.environ["QT_QPA_PLATFORM"] = os.environ.get("QT_QPA_PLATFORM") or "offscreen"

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_MNIST = REPO.parent / "shared" / "datasets" / "mnist"
SHARED_STROKES = REPO.parent / "shared" / "datasets" / "strokes" / "unipen_digits_dev.npz"


@pytest.fixture(autouse=True)
def isolated_user_files(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings, cache and data lookups point at empty temporary folders."""
    home = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("DIGITPAD_SETTINGS", str(home / "settings.ini"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("DIGITPAD_DATA", str(home / "no-mnist-here"))

"""Paths and environment that cannot be used: the window still opens, says so in a sentence,
and falls back (the usual settings and folders, the practice set), never hangs on a pipe."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from gui_support import open_window

from gui.settings import open_settings
from model.paths import settings_override, user_data_dir


@pytest.fixture
def usual_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the usual settings and data folder are, in this test: never the real ones."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path


def unusable_settings(kind: str, folder: Path) -> str:
    if kind == "pipe":
        os.mkfifo(folder / "settings.ini")
        return str(folder / "settings.ini")
    if kind == "unknown user":
        return "~no-such-user-here/digitpad/settings.ini"
    if kind == "under a file":
        (folder / "a-file").write_text("not a folder")
        return str(folder / "a-file" / "settings.ini")
    if kind == "a folder":
        (folder / "settings.ini").mkdir()
        return str(folder / "settings.ini")
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["pipe", "unknown user", "under a file", "a folder"])
def test_a_settings_file_that_cannot_be_used_falls_back_to_the_usual_ones(
    qtbot, usual_folders, monkeypatch, kind
):
    named = unusable_settings(kind, usual_folders)
    monkeypatch.setenv("DIGITPAD_SETTINGS", named)
    assert settings_override()[0] is None
    assert user_data_dir() == usual_folders / "data" / "digitpad"
    window = open_window(qtbot)
    qtbot.waitUntil(lambda: "the usual settings and folders are used" in window.notice.text(), timeout=5000)
    assert named in window.notice.text()
    window.close()  # settings are saved to the usual place, not into the pipe (which would hang)
    usual = Path(open_settings().fileName())
    assert usual.is_file() and str(usual) != named


@pytest.mark.parametrize("kind", ["pipe", "unknown user", "under a file", "unreadable"])
def test_a_data_folder_that_cannot_be_used_leaves_the_practice_set(qtbot, tmp_path, monkeypatch, kind):
    if kind == "pipe":
        os.mkfifo(tmp_path / "mnist")
        named = str(tmp_path / "mnist")
    elif kind == "unknown user":
        named = "~no-such-user-here/mnist"
    elif kind == "under a file":
        (tmp_path / "a-file").write_text("x")
        named = str(tmp_path / "a-file" / "mnist")
    else:
        (tmp_path / "mnist").mkdir()
        (tmp_path / "mnist" / "train-images-idx3-ubyte.gz").write_bytes(b"")
        (tmp_path / "mnist").chmod(0)
        named = str(tmp_path / "mnist")
    monkeypatch.setenv("DIGITPAD_DATA", named)
    window = open_window(qtbot)
    assert window.state.data_description.startswith("the embedded practice set")
    window.close()
    window = open_window(qtbot, "--data-dir", named)
    assert window.state.data_description.startswith("the embedded practice set")
    window.close()

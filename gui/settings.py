"""The user's preferences (QSettings) and where the window keeps what it writes for the user.

Every value read back is checked: a missing, unparsable or out-of-range one falls back to
its default alone, the others are kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from gui.kept_network import slot_path
from model.paths import settings_override, user_data_dir, user_documents_dir

HANDWRITING_NAME = "handwriting.npz"


def last_session_path() -> Path:
    """Where the first window keeps training not saved to a file, for the next launch (others
    use the next slots: gui.kept_network)."""
    return slot_path(user_data_dir(), 1)


def handwriting_path() -> Path:
    """The user's handwriting examples, beside the kept network."""
    return user_data_dir() / HANDWRITING_NAME


def open_settings() -> QSettings:
    """The user's preferences; DIGITPAD_SETTINGS points tests (or portable installs) at a file
    (when it names a pipe, a device or an unknown user's folder: the usual settings)."""
    path, _ = settings_override()
    if path is not None:
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings("digitpad", "digitpad")


def saved_number(
    settings: QSettings, key: str, default: float, low: float, high: float, whole: bool = False
) -> float:
    """The number saved at `key` if it parses and lies in [low, high] (whole if asked), else default."""
    value = settings.value(key)
    if isinstance(value, QByteArray):
        value = bytes(value.data()).decode("ascii", "replace")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return default
    if not low <= number <= high or (whole and not number.is_integer()):  # also refuses NaN
        return default
    return number


def saved_choice(settings: QSettings, key: str, default: str, choices: Iterable[str]) -> str:
    """The name saved at `key` if it is one of `choices`, else default."""
    value = settings.value(key)
    return value if isinstance(value, str) and value in set(choices) else default


def saved_flag(settings: QSettings, key: str) -> bool:
    """A tick box saved as "true" or "false" at `key`; unticked when missing or unreadable."""
    return saved_choice(settings, key, "false", ("true", "false")) == "true"


def saved_geometry(settings: QSettings) -> QByteArray | None:
    geometry = settings.value("window/geometry")
    return geometry if isinstance(geometry, QByteArray) and not geometry.isEmpty() else None


def file_dialog_folder(settings: QSettings) -> str:
    """The folder the last file dialog ended in, if it still exists, else the user's documents."""
    folder = settings.value("files/folder")
    if isinstance(folder, str) and folder and Path(folder).is_dir():
        return folder
    documents = user_documents_dir()
    return str(documents if documents.is_dir() else Path.home())


def remember_file_dialog_folder(path: str) -> None:
    settings = open_settings()
    settings.setValue("files/folder", str(Path(path).parent))
    settings.sync()

"""Where digitpad keeps things on this computer: one mechanism (platformdirs) for the whole app.

The window (settings, the kept network) and the headless tools (the MNIST cache) use the
same folders, following each platform's convention.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "digitpad"
SETTINGS_ENV = "DIGITPAD_SETTINGS"  # a settings file: tests and portable installs keep everything beside it


def user_cache_dir() -> Path:
    """Downloads: ~/.cache/digitpad on Linux, ~/Library/Caches/digitpad, %LOCALAPPDATA%\\digitpad\\Cache."""
    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def user_data_dir() -> Path:
    """What the app writes for the user (the kept network), unless DIGITPAD_SETTINGS names a
    settings file: then everything lives next to it."""
    override = os.environ.get(SETTINGS_ENV)
    if override:
        return Path(override).expanduser().parent
    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def user_documents_dir() -> Path:
    """Where file dialogs open first: the user's documents, never the program's own folder."""
    return Path(platformdirs.user_documents_dir())

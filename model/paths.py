"""Where digitpad keeps things on this computer: one mechanism (platformdirs) for the whole app.

The window (settings, the kept network) and the headless tools (the MNIST cache) use the
same folders, following each platform's convention.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import platformdirs

APP = "digitpad"
SETTINGS_ENV = "DIGITPAD_SETTINGS"  # a settings file: tests and portable installs keep everything beside it


def user_cache_dir() -> Path:
    """Downloads: ~/.cache/digitpad on Linux, ~/Library/Caches/digitpad, %LOCALAPPDATA%\\digitpad\\Cache."""
    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def expand_user(path: str | os.PathLike[str]) -> Path:
    """`~` and `~user` expanded; a path naming an unknown user is left as written: it then
    does not exist, and whoever looks for it says so."""
    try:
        return Path(path).expanduser()
    except RuntimeError:
        return Path(path)


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path as a file manager shows it: inside the home folder as ~/…, so that what is on
    screen (and in a screenshot) says where it is without whose computer it is."""
    full = Path(os.path.normpath(path))
    try:
        home = Path.home()
        inside = full.relative_to(home)
    except (ValueError, RuntimeError):  # elsewhere, or no home folder known
        return str(full)
    if home == Path(home.anchor):  # a home of / (a service account) would put ~ before everything
        return str(full)
    return "~" if inside == Path() else str(Path("~") / inside)


def settings_override() -> tuple[Path | None, str]:
    """The settings file DIGITPAD_SETTINGS names, if it is usable; else None and why not (the
    usual settings and folders are then used)."""
    named = os.environ.get(SETTINGS_ENV)
    if not named:
        return None, ""
    path = expand_user(named)
    if str(path).startswith("~"):
        return None, f"{SETTINGS_ENV} names {named}, but that user is unknown here"
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return path, ""  # made at the first save
    except OSError as error:
        return None, f"{SETTINGS_ENV} names {named}, which cannot be read ({error.strerror or error})"
    if not stat.S_ISREG(mode):
        return None, f"{SETTINGS_ENV} names {named}, which is not an ordinary file"
    if not os.access(path, os.R_OK | os.W_OK):
        return None, f"{SETTINGS_ENV} names {named}, which cannot be read and written"
    return path, ""


def user_data_dir() -> Path:
    """What the app writes for the user (the kept network), unless DIGITPAD_SETTINGS names a
    usable settings file: then everything lives next to it."""
    override, _ = settings_override()
    if override is not None:
        return override.parent
    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def user_documents_dir() -> Path:
    """Where file dialogs open first: the user's documents, never the program's own folder."""
    return Path(platformdirs.user_documents_dir())

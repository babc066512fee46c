"""Fetching MNIST in a background thread, with progress and a cancel that takes effect at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from model.data import MIRRORS, MNIST_FILES, DataError, DownloadCancelled, download_mnist, mnist_cache_dir

from .state import AppState, DownloadStatus

DOWNLOAD_PARTS = tuple(MNIST_FILES)  # the order the download fetches them in


class MnistDownloader(QObject):
    """Lives in the GUI thread; the transfer runs in a daemon thread that holds no Qt object.

    Its signals are emitted from that thread and delivered, queued, to GUI-thread receivers.
    A stalled server can block a socket read for the whole timeout, where the cancel flag is
    not seen: so cancel() answers at once and any later word from the transfer is ignored;
    the transfer then ends on its own and removes its partial file.
    """

    progress = Signal(str, int, int)  # file name, bytes done, bytes total (0 if unknown)
    succeeded = Signal(str)  # the folder now holding verified MNIST
    failed = Signal(str)  # a message for the user ("" when cancelled)

    def __init__(self, mirrors: tuple[str, ...] | None = None, target: str | None = None) -> None:
        super().__init__()
        self._cancel = threading.Event()
        self._mirrors = mirrors
        self.target = target or str(mnist_cache_dir())

    def start(self) -> None:
        threading.Thread(target=self._transfer, name="digitpad-download", daemon=True).start()

    def cancel(self) -> None:
        if not self._cancel.is_set():
            self._cancel.set()
            self.failed.emit("")

    def _report(self, name: str, done: int, total: int) -> None:
        if not self._cancel.is_set():
            self.progress.emit(name, done, total)

    def _transfer(self) -> None:
        mirrors = self._mirrors or MIRRORS
        message: str | None
        try:
            download_mnist(Path(self.target), mirrors, progress=self._report, cancelled=self._cancel.is_set)
        except DownloadCancelled:
            return
        except DataError as error:
            message = f"MNIST could not be downloaded: {error}."
        except Exception as error:  # a bug must not leave the window waiting forever
            message = f"MNIST could not be downloaded: {error!r}"
        else:
            message = None
        if self._cancel.is_set():
            return
        if message is None:
            self.succeeded.emit(self.target)
        else:
            self.failed.emit(message)


class Downloads(QObject):
    """The window's one download at a time: its progress and outcome go into the state, and
    a verified copy becomes the data Train uses (`use_folder`)."""

    def __init__(self, state: AppState, use_folder: Callable[[str], None], parent: QObject) -> None:
        super().__init__(parent)
        self._state = state
        self._use_folder = use_folder
        self._downloader: MnistDownloader | None = None

    def start(self, mirrors: tuple[str, ...] | None = None, target: str | None = None) -> None:
        if self._downloader is not None:
            return
        self._downloader = MnistDownloader(mirrors or None, target)
        self._downloader.progress.connect(self._on_progress)
        self._downloader.succeeded.connect(self._on_succeeded)
        self._downloader.failed.connect(self._on_failed)
        self._state.set_download(DownloadStatus(True, 0.0, self._downloader.target))
        self._downloader.start()

    def cancel(self) -> None:
        if self._downloader is not None:
            self._downloader.cancel()

    @Slot(str, int, int)
    def _on_progress(self, name: str, done: int, total: int) -> None:
        if not self._from_current_download():
            return
        part = DOWNLOAD_PARTS.index(name)
        fraction = done / total if total else 0.0
        self._state.set_download(
            DownloadStatus(True, (part + fraction) / len(DOWNLOAD_PARTS), self._state.download.target)
        )

    @Slot(str)
    def _on_succeeded(self, folder: str) -> None:
        if not self._from_current_download():
            return
        self._end()
        self._state.post_status("MNIST downloaded and verified.", 8000)
        self._use_folder(folder)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if not self._from_current_download():
            return
        self._end()
        if message:
            keeps, _ = self._state.data_in_use()
            self._state.post_notice(f"{message} Training keeps using {keeps}; try again later.")
        else:
            self._state.post_status("Download cancelled.", 5000)

    def _from_current_download(self) -> bool:
        """Reports queued by a download already cancelled or ended arrive late: ignore them."""
        return self._downloader is not None and self.sender() is self._downloader

    def _end(self) -> None:
        self._downloader = None
        self._state.set_download(DownloadStatus())

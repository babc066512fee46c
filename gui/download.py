"""Fetching MNIST in a background thread, with progress and a cancel that takes effect at once."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from model.data import MIRRORS, DataError, DownloadCancelled, download_mnist, mnist_cache_dir


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

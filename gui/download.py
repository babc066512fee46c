"""Fetching MNIST in its own thread, with progress and a cancel that takes effect at once."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal, Slot

from model.data import DataError, DownloadCancelled, download_mnist, mnist_cache_dir


class MnistDownloader(QObject):
    """Lives in a short-lived QThread; the cancel flag is a threading.Event set from the GUI."""

    progress = Signal(str, int, int)  # file name, bytes done, bytes total (0 if unknown)
    succeeded = Signal(str)  # the folder now holding verified MNIST
    failed = Signal(str)  # a message for the user ("" when cancelled)

    def __init__(self, mirrors: tuple[str, ...] | None = None, target: str | None = None) -> None:
        super().__init__()
        self._cancel = threading.Event()
        self._mirrors = mirrors
        self._target = target

    def cancel(self) -> None:
        """Thread-safe: the download loop checks the flag between blocks."""
        self._cancel.set()

    @Slot()
    def run(self) -> None:
        target = self._target or str(mnist_cache_dir())
        kwargs = {"mirrors": self._mirrors} if self._mirrors else {}
        try:
            download_mnist(target, progress=self.progress.emit, cancelled=self._cancel.is_set, **kwargs)
        except DownloadCancelled:
            self.failed.emit("")
        except DataError as error:
            self.failed.emit(f"MNIST could not be downloaded: {error}")
        else:
            self.succeeded.emit(target)

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
        """Runs in the QThread, which must end at once on cancel (the window waits for it on close).

        A stalled server blocks a socket read for the whole timeout (30 s) where the cancel flag
        cannot be seen, so the transfer runs in a daemon thread that holds no Qt object, and this
        slot polls it: on cancel it returns at once and the transfer ends on its own later.
        """
        target = self._target or str(mnist_cache_dir())
        kwargs = {"mirrors": self._mirrors} if self._mirrors else {}
        cancel, done = self._cancel, threading.Event()
        latest: list[tuple[str, int, int]] = []
        outcome: list[str | None] = []  # None: success, "": cancelled, else a message

        def transfer() -> None:
            try:
                download_mnist(
                    target, progress=lambda *p: latest.insert(0, p), cancelled=cancel.is_set, **kwargs
                )
                outcome.append(None)
            except DownloadCancelled:
                outcome.append("")
            except DataError as error:
                outcome.append(f"MNIST could not be downloaded: {error}")
            except Exception as error:  # a bug must not leave the window waiting forever
                outcome.append(f"MNIST could not be downloaded: {error!r}")
            finally:
                done.set()

        threading.Thread(target=transfer, name="digitpad-download", daemon=True).start()
        reported = None
        while not done.wait(0.05):
            if cancel.is_set():
                self.failed.emit("")
                return
            if latest and latest[0] != reported:
                reported = latest[0]
                del latest[1:]
                self.progress.emit(*reported)
        if outcome[0] is None:
            self.succeeded.emit(target)
        else:
            self.failed.emit(outcome[0])

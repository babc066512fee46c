"""Reference cycles are collected in the GUI thread, whichever thread made them garbage."""

from __future__ import annotations

import gc
import threading

from gui import collection
from gui.app import create_main_window
from gui.main_window import MainWindow


class _Cycle:
    """An object in a reference cycle that notes the thread that finally deletes it."""

    def __init__(self, deleted_in: list[str]) -> None:
        self.itself = self
        self.deleted_in = deleted_in

    def __del__(self) -> None:
        self.deleted_in.append(threading.current_thread().name)


def test_cycles_dropped_by_a_busy_worker_thread_are_collected_in_the_gui_thread(
    window: MainWindow, qtbot
) -> None:
    deleted_in: list[str] = []
    qtbot.waitUntil(lambda: collection.start_ups_settled() == 2, timeout=15000)  # else frozen with it

    def busy_worker() -> None:
        _Cycle(deleted_in)  # garbage at once, but only a cycle collection can delete it
        for _ in range(20 * gc.get_threshold()[0]):  # enough new cycles to set off collections
            _Cycle([])

    worker = threading.Thread(target=busy_worker, name="busy worker")
    worker.start()
    worker.join()
    assert not gc.isenabled(), "automatic collection would run in whichever thread allocates"
    qtbot.waitUntil(lambda: bool(deleted_in), timeout=5000)
    assert deleted_in == [threading.main_thread().name]


def test_automatic_collection_is_back_on_once_the_last_window_has_closed(qtbot) -> None:
    first, second = create_main_window([]), create_main_window([])
    for opened in (first, second):
        qtbot.addWidget(opened)
    first.close()
    assert not gc.isenabled(), "the second window's workers still run"
    second.close()
    assert gc.isenabled()

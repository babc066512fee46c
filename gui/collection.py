"""Python's cyclic garbage collected in the GUI thread only, while a window's workers run.

pyqtgraph keeps Qt objects in reference cycles (a plot's menus, a curve taken off the plot).
Python's collector runs in whichever thread allocates when its count is reached, often the
trainer's, and a QObject deleted outside its own thread can crash Qt (a "Bus error"). So while
a window is open automatic collection is off, and pyqtgraph's GarbageCollector collects once a
second in the GUI thread. What start-up made lives as long as the window: it is frozen (the
window's own objects once it is built, torch's once the trainer has warmed up), so that a full
collection scans only what came after, in a millisecond instead of some 80.
"""

from __future__ import annotations

import gc

from pyqtgraph.util.garbage_collector import GarbageCollector

_collector: GarbageCollector | None = None
_windows_open = 0
_settled = 0  # start-ups frozen since the first of the windows open now


def hold() -> None:
    """A window is opening: from now on, collect in the GUI thread only (call it there)."""
    global _collector, _windows_open
    _windows_open += 1
    if _collector is None:
        _collector = GarbageCollector(interval=1.0)
    gc.disable()


def settle() -> None:
    """Start-up is over: freeze what it made (from any thread: freezing deletes nothing, and
    what is garbage then stays until the last window closes: some 2,000 objects, no Qt ones)."""
    global _settled
    gc.freeze()
    _settled += 1


def start_ups_settled() -> int:
    """How many start-ups were frozen while windows are open: each window settles twice, once
    built and once its trainer has warmed up (tests wait for it before making garbage)."""
    return _settled


def release() -> None:
    """A window has closed and joined its workers. The last one turns automatic collection back
    on, the frozen objects included: the closed windows' are garbage now."""
    global _windows_open, _settled
    _windows_open = max(0, _windows_open - 1)
    if _windows_open == 0:
        gc.unfreeze()
        gc.enable()
        _settled = 0

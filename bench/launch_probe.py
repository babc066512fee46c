"""Child process of startup.py: launch digitpad as `python -m gui` does, print when the window
first painted and when it first showed a prediction for a drawn stroke, then quit."""

from __future__ import annotations

import sys
import time

import numpy as np
from common import isolate_user_files  # also puts the repository on sys.path for tools/
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from gui.app import create_main_window, run_event_loop
from tools.driver import PredictionCatcher, drag_stroke


def main() -> int:
    isolate_user_files()  # never the user's settings or kept network
    app = QApplication(sys.argv[:1])
    app.setApplicationName("digitpad")
    app.setOrganizationName("digitpad")
    window = create_main_window([])
    window.show()
    QTimer.singleShot(0, lambda: print(f"window shown {time.perf_counter():.3f}", flush=True))
    catcher = PredictionCatcher(window)

    def probe() -> None:
        if window.state.network is None:
            QTimer.singleShot(5, probe)
            return
        drag_stroke(window, np.array([[0.5, 0.2], [0.5, 0.8]]))
        catcher.wait_for(window.controller.request_id, timeout=30)
        print(f"first prediction {time.perf_counter():.3f}", flush=True)
        window.close()

    QTimer.singleShot(0, probe)
    return run_event_loop(app)


if __name__ == "__main__":
    sys.exit(main())

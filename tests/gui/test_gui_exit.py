"""Quitting mid-training: the process is gone within 2 s of the window closing, quietly, and
the training is kept for the next launch.

A separate process runs the real start-up path (create_main_window, then the event loop of
gui.app), starts training, draws, and closes the window about a second later.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

from repo_paths import REPO

from gui.settings import last_session_path

EXIT_BUDGET = 2.0  # seconds from closing the window to the process being gone

SCRIPT = textwrap.dedent(
    """
    import os
    import sys
    import time

    import numpy as np
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    sys.path.insert(0, os.getcwd())  # the repository: tools/ is not installed
    from gui.app import create_main_window, run_event_loop
    from tools.driver import drag_stroke

    app = QApplication(sys.argv[:1])
    window = create_main_window([])
    window.show()


    def start():
        if window.state.network is None:  # the worker is still importing torch
            QTimer.singleShot(10, start)
            return
        window.training_panel.epochs.setValue(20.0)  # far longer than this script lives
        window.training_panel.train_button.click()
        drag_stroke(window, np.array([[0.5, 0.2], [0.5, 0.5], [0.5, 0.8]]))
        QTimer.singleShot(1000, close_once_trained)


    def close_once_trained():
        if window.loss_plot.raw.size == 0:  # the first run still imports the optimisers
            QTimer.singleShot(50, close_once_trained)
            return
        close()


    def close():
        print("state", window.state.run.state, flush=True)
        print("steps", window.loss_plot.raw.size, flush=True)
        print("closing", repr(time.time()), flush=True)
        window.close()
        app.quit()


    QTimer.singleShot(0, start)
    sys.exit(run_event_loop(app))
    """
)


def test_closing_mid_training_exits_the_process_within_two_seconds(tmp_path):
    script = tmp_path / "close_mid_training.py"
    script.write_text(SCRIPT)
    # The environment (offscreen Qt, private settings and cache, no MNIST) is inherited.
    process = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = process.communicate(timeout=90)
    finally:
        process.kill()
    exited = time.time()
    lines = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    assert process.returncode == 0, err
    assert lines.get("state") == "running", out  # it really was training when closed
    assert int(lines["steps"]) > 0, out
    elapsed = exited - float(lines["closing"])
    assert elapsed < EXIT_BUDGET, f"the process took {elapsed:.2f} s to exit after the close"
    assert "QThread: Destroyed" not in err, err
    assert "QObject::" not in err, err  # e.g. "Timers cannot be stopped from another thread"
    assert last_session_path().exists(), "the training was not kept for the next launch"
    assert "Traceback" not in err, err

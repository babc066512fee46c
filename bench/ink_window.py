"""Child process of ink_fidelity.py: the real digitpad window on the X display in $DISPLAY, driven
by one-line commands on stdin and answering with lines "@ {json}" on stdout.

    where            the drawing square's global screen rectangle {"left", "top", "side"}
    status           {"network": loaded?, "run": "idle"/"running"/"paused"}
    train EPOCHS     type EPOCHS in the panel and Train, as the button does:
                     controller.train(training_panel.config())
    clear            wipe the canvas and zero the counters
    dump N PATH      once N strokes are finished: np.save(PATH, canvas.image_array()) and the counters
    quit             close the window (the process then exits)

Unasked, it says {"event": "shown"} when the canvas first paints (the window is on screen).
Counters since the last clear (or the first paint): mouse moves and presses the canvas received
(an event filter on it), whether the network was loaded at the first press, and how late a 5 ms
heartbeat timer got (how busy the GUI thread was meanwhile).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
from common import isolate_user_files
from PySide6.QtCore import QElapsedTimer, QEvent, QObject, QSocketNotifier, Qt, QTimer
from PySide6.QtWidgets import QApplication

from gui.app import create_main_window
from gui.main_window import MainWindow

HEARTBEAT_MS = 5


def reply(**fields: object) -> None:
    print("@ " + json.dumps(fields), flush=True)


class InkWatcher(QObject):
    """Counts what reaches the canvas and how late the GUI thread runs; obeys the commands."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.window = window
        self.shown = False
        self.clock = QElapsedTimer()
        self.clock.start()
        self.last_beat = 0.0
        self.heartbeat = QTimer(interval=HEARTBEAT_MS, timerType=Qt.TimerType.PreciseTimer)
        self.heartbeat.timeout.connect(self.on_beat)
        self.heartbeat.start()
        self.reset()
        window.canvas.installEventFilter(self)
        self.pending = b""
        self.notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
        self.notifier.activated.connect(self.on_stdin)

    def reset(self) -> None:
        self.moves = 0
        self.presses = 0
        self.loaded_at_press: bool | None = None
        self.latest_beat = 0.0
        self.last_beat = self.clock.nsecsElapsed() / 1e6

    def on_beat(self) -> None:
        now = self.clock.nsecsElapsed() / 1e6
        self.latest_beat = max(self.latest_beat, now - self.last_beat - HEARTBEAT_MS)
        self.last_beat = now

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseMove:
            self.moves += 1
        elif kind == QEvent.Type.MouseButtonPress:
            self.presses += 1
            if self.loaded_at_press is None:
                self.loaded_at_press = self.window.state.network is not None
        elif kind == QEvent.Type.Paint and not self.shown:
            self.shown = True
            self.reset()  # the first stroke's figures count from here
            reply(event="shown")
        return False

    def on_stdin(self) -> None:
        chunk = os.read(sys.stdin.fileno(), 4096)
        if not chunk:  # the parent is gone
            self.notifier.setEnabled(False)
            self.window.close()
            return
        self.pending += chunk
        while b"\n" in self.pending:
            line, self.pending = self.pending.split(b"\n", 1)
            words = line.decode().split(maxsplit=2)
            try:
                self.run(words)
            except Exception as error:  # the parent must hear of it, not wait
                reply(error=f"{words}: {error!r}")

    def run(self, words: list[str]) -> None:
        window, canvas = self.window, self.window.canvas
        command = words[0] if words else ""
        if command == "where":
            top_left = canvas.mapToGlobal(canvas.widget_point(0.0, 0.0))
            bottom_right = canvas.mapToGlobal(canvas.widget_point(1.0, 1.0))
            reply(left=top_left.x(), top=top_left.y(), side=bottom_right.x() - top_left.x())
        elif command == "status":
            reply(network=window.state.network is not None, run=window.state.run.state)
        elif command == "train":
            window.training_panel.epochs.setValue(float(words[1]))
            window.controller.train(window.training_panel.config())
            reply(ok=True)
        elif command == "clear":
            canvas.clear()
            self.reset()
            reply(ok=True)
        elif command == "dump":
            self.dump(int(words[1]), words[2], time.monotonic() + 30)
        elif command == "quit":
            window.close()
        else:
            reply(error=f"unknown command {words}")

    def dump(self, strokes: int, path: str, deadline: float) -> None:
        """Save the ink once the last stroke's release has arrived (X delivers events in order,
        so every move before it has too); wait in the event loop until then."""
        canvas = self.window.canvas
        if (canvas.stroke_count() < strokes or canvas.is_drawing()) and time.monotonic() < deadline:
            QTimer.singleShot(5, lambda: self.dump(strokes, path, deadline))
            return
        np.save(path, canvas.image_array())
        reply(
            strokes=canvas.stroke_count(),
            moves=self.moves,
            presses=self.presses,
            loaded_at_press=self.loaded_at_press,
            latest_ms=round(self.latest_beat, 1),
            run=self.window.state.run.state,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compress", action="store_true", help="merge queued mouse moves (Qt's default)")
    parser.add_argument("--data-dir", help="MNIST folder for Train (else the practice set)")
    args = parser.parse_args()
    isolate_user_files()
    app = QApplication(sys.argv[:1])
    app.setApplicationName("digitpad")
    app.setOrganizationName("digitpad")
    window = create_main_window(["--data-dir", args.data_dir] if args.data_dir else [])
    if args.compress:  # the old behaviour, to show what it did to the ink
        app.setAttribute(Qt.ApplicationAttribute.AA_CompressHighFrequencyEvents, True)
    window.move(0, 0)
    window.resize(1280, 760)
    watcher = InkWatcher(window)
    window.show()
    code = app.exec()
    watcher.heartbeat.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())

"""Is digitpad fluid? Drawing-to-prediction latency and GUI event-loop stalls: idle, teaching, training.

A timer in the GUI thread drags the mouse along digit-shaped paths at 125 Hz, as a hand would,
releasing at the end of each digit. For every mouse event we time how long until the bars
show a prediction that includes it (move: the next request after it; release: its own
request). A 5 ms heartbeat timer measures how late the event loop gets to it (its stalls).
Python's cyclic garbage collections are timed too, by the thread they ran in (the window
collects in the GUI thread only: gui/collection.py).
In the teaching phase the drawing on the canvas is taught a digit (as a digit key would)
whenever the last correction has been learnt and rehearsed, so the network learns all
through it. With --saliency, "Where it looked" is on: every full answer also computes the
saliency maps, and the canvas and the input paint them.

    python bench/responsiveness.py [--seconds 20] [--data-dir DIR] [--arch cnn] [--saliency] [--lab]
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import sys
import threading
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = os.environ.get("QT_QPA_PLATFORM") or "offscreen"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from common import open_window
from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from model.messages import TrainConfig
from tools.driver import use_network

HEARTBEAT_MS = 5
MOVE_MS = 8
TEACH_POLL_MS = 50


def digit_path(index: int, points: int = 60) -> list[tuple[float, float]]:
    """A looping curve (an 8, a 0 or a 2-like hook) in canvas fractions."""
    t = np.linspace(0, 2 * math.pi, points)
    kind = index % 3
    if kind == 0:
        x, y = 0.5 + 0.18 * np.sin(2 * t), 0.5 - 0.3 * np.cos(t)
    elif kind == 1:
        x, y = 0.5 + 0.2 * np.sin(t), 0.5 - 0.3 * np.cos(t)
    else:
        x, y = 0.3 + 0.4 * t / (2 * math.pi), 0.2 + 0.6 * np.sin(t / 4) ** 2
    return list(zip(x.tolist(), y.tolist(), strict=True))


class Probe:
    """Drives the mouse and records latencies; every method runs in the GUI thread."""

    def __init__(self, window) -> None:
        self.window = window
        self.clock = QElapsedTimer()
        self.clock.start()
        self.pending: list[tuple[float, int, str]] = []  # (event time ms, request id needed, kind)
        self.latencies: dict[str, list[float]] = {"move": [], "release": []}
        self.beats: list[float] = []
        self.shown = 0  # predictions displayed in this phase
        self.last_beat = self.clock.nsecsElapsed() / 1e6
        self.path: list[tuple[float, float]] = []
        self.digits = 0
        window.prediction_shown.connect(self.on_shown)
        self.heartbeat = QTimer(interval=HEARTBEAT_MS, timerType=Qt.TimerType.PreciseTimer)
        self.heartbeat.timeout.connect(self.on_beat)
        self.mover = QTimer(interval=MOVE_MS, timerType=Qt.TimerType.PreciseTimer)
        self.mover.timeout.connect(self.on_move)

    def now(self) -> float:
        return self.clock.nsecsElapsed() / 1e6

    def start(self) -> None:
        self.heartbeat.start()
        self.mover.start()

    def stop(self) -> None:
        self.heartbeat.stop()
        self.mover.stop()

    def reset(self) -> None:
        self.latencies = {"move": [], "release": []}
        self.beats = []
        self.pending = []
        self.shown = 0

    def on_beat(self) -> None:
        now = self.now()
        self.beats.append(now - self.last_beat - HEARTBEAT_MS)
        self.last_beat = now

    def on_move(self) -> None:
        canvas = self.window.canvas
        left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
        if not self.path:
            self.path = digit_path(self.digits)
            self.digits += 1
            canvas.clear()
            QTest.mousePress(canvas, left, none, canvas.widget_point(*self.path[0]).toPoint())
            self.path.pop(0)
            return
        point = canvas.widget_point(*self.path.pop(0)).toPoint()
        if self.path:
            QTest.mouseMove(canvas, point)
            # A move is shown once a request made after it is answered.
            self.pending.append((self.now(), self.window.controller.request_id + 1, "move"))
        else:
            QTest.mouseRelease(canvas, left, none, point)
            self.pending.append((self.now(), self.window.controller.request_id, "release"))

    def on_shown(self, probabilities) -> None:
        now, shown = self.now(), self.window.controller.request_id
        self.shown += 1
        keep = []
        for at, needed, kind in self.pending:
            if shown >= needed:
                self.latencies[kind].append(now - at)
            else:
                keep.append((at, needed, kind))
        self.pending = keep


class Collections:
    """How long each cyclic garbage collection took, by the thread it ran in (gc.callbacks)."""

    def __init__(self) -> None:
        self.began: dict[int, float] = {}
        self.pauses: dict[str, list[float]] = {"GUI thread": [], "other threads": []}
        gc.callbacks.append(self.on_collection)

    def reset(self) -> None:
        self.pauses = {"GUI thread": [], "other threads": []}

    def on_collection(self, phase: str, info: dict[str, int]) -> None:
        thread = threading.get_ident()
        if phase == "start":
            self.began[thread] = time.perf_counter()
        elif thread in self.began:
            where = "GUI thread" if thread == threading.main_thread().ident else "other threads"
            self.pauses[where].append(1000 * (time.perf_counter() - self.began.pop(thread)))

    def describe(self) -> str:
        return "; ".join(
            f"{where} {len(pauses)}" + (f", longest {max(pauses):.1f} ms" if pauses else "")
            for where, pauses in self.pauses.items()
        )


def percentiles(values: list[float]) -> str:
    if not values:
        return "no samples"
    a = np.asarray(values)
    p50, p99 = np.percentile(a, [50, 99])
    return f"p50 {p50:5.1f} ms  p99 {p99:5.1f} ms  max {a.max():5.1f} ms  (n={len(a)})"


def run_phase(
    app: QApplication, probe: Probe, seconds: float, name: str, collections: Collections
) -> dict[str, list[float]]:
    probe.reset()
    collections.reset()
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    gui_cpu, process_cpu, wall = time.thread_time(), time.process_time(), time.perf_counter()
    loop.exec()
    gui_cpu, process_cpu = time.thread_time() - gui_cpu, time.process_time() - process_cpu
    wall = time.perf_counter() - wall
    print(f"\n{name}")
    # CPU time, unlike the latencies, hardly depends on what else the machine runs.
    print(
        f"  CPU: GUI thread {gui_cpu / wall:4.0%} busy, {1000 * gui_cpu / max(1, probe.shown):.2f} ms per "
        f"prediction shown ({probe.shown / wall:.0f}/s); whole process {process_cpu / wall:.2f} cores"
    )
    print(f"  drawing → prediction (mouse move):    {percentiles(probe.latencies['move'])}")
    print(f"  drawing → prediction (mouse release): {percentiles(probe.latencies['release'])}")
    print(f"  event-loop stall (heartbeat lateness): {percentiles(probe.beats)}")
    print(f"  garbage collections: {collections.describe()}")
    return {**probe.latencies, "stall": list(probe.beats)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--data-dir", help="MNIST folder for the training phase (else the practice set)")
    parser.add_argument("--arch", default="cnn", choices=("cnn", "mlp"))
    parser.add_argument("--saliency", action="store_true", help="with 'Where it looked' on")
    parser.add_argument(
        "--lab", action="store_true", help="with Where it fails and Rewind open beside the window"
    )
    args = parser.parse_args()
    app, window = open_window(["--data-dir", args.data_dir] if args.data_dir else [])
    window.saliency.toggle.setChecked(args.saliency)
    print(f"'Where it looked': {'on' if args.saliency else 'off'}")
    if args.lab:  # the confusion matrix follows each validation pass; the timeline each report
        window.failures.open_dialog()
        window.rewind.open_dialog()
    print(f"Where it fails and Rewind: {'open' if args.lab else 'closed'}")
    time.sleep(2)  # let the optimiser warm-up thread finish, as it would before a user trains
    app.processEvents()
    probe, collections = Probe(window), Collections()
    probe.start()
    run_phase(app, probe, 3, "warm-up (not counted)", collections)
    run_phase(app, probe, args.seconds, "IDLE: drawing while the network only predicts", collections)
    teacher = QTimer(interval=TEACH_POLL_MS)
    corrections = [0]

    def correct() -> None:
        teaching = window.state.teaching
        if not window.canvas.is_empty() and (teaching.label is None or teaching.done):
            corrections[0] += 1
            window.controller.teach(corrections[0] % 10)

    teacher.timeout.connect(correct)
    teacher.start()
    run_phase(app, probe, args.seconds, "TEACHING: drawing while the network learns corrections", collections)
    teacher.stop()
    print(f"  corrections taught: {corrections[0]}")
    use_network(window, args.arch)
    window.controller.train(TrainConfig(arch=args.arch, epochs=50))
    run_phase(app, probe, 3, "training warm-up (not counted)", collections)
    run_phase(
        app, probe, args.seconds, f"TRAINING ({args.arch}): drawing while the network trains", collections
    )
    probe.stop()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

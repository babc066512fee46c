"""Live overhead: training throughput with the whole GUI live, against headless training.

    python bench/live_overhead.py [--seconds 20] [--rounds 3] [--data-dir DIR] [--batch-size 128]

Headless: `model.training.train_steps` driven directly, in a child process (so that this
process is only the app, whose peak memory is measured). Live: the real window (offscreen),
a digit drawn on the canvas, Train requested with the same TrainConfig; the worker trains in
its thread while the loss plot, the training panel, and the live prediction and activation
view of the drawing update. Samples per second come from the steps the progress messages
report (received in the GUI thread) over the same length of time, after a warm-up.

Throughput on these shared 2-core machines drifts by 10-20% from one run to the next, so
headless and live runs alternate for several rounds, each a fresh network, and the ratio is
of the medians. Also prints the peak resident memory (VmHWM) while the window trains, and
how many live predictions were shown meanwhile.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = os.environ.get("QT_QPA_PLATFORM") or "offscreen"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from common import mnist_dir, open_window
from PySide6.QtCore import QEventLoop, QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication

from gui.pacing import training_threads
from model.data import load_dataset
from model.messages import TrainConfig, TrainProgress
from model.networks import build_network
from model.training import TrainingData, train_steps
from tools.driver import drag_stroke, use_network

REPO = Path(__file__).resolve().parents[1]

WARM_UP_SECONDS = 4.0


def proc_status(key: str) -> float:
    """A memory figure of this process from /proc/self/status, in MB (NaN where there is none)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def reset_peak_memory() -> None:
    """Start VmHWM afresh (Linux: writing 5 to clear_refs), so the peak is the live run's."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        pass


def thread_cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far by each thread of this process, by "name (id)" (Linux only)."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        used[f"{name} ({task.name})"] = (int(fields[11]) + int(fields[12])) / ticks
    return used


def headless_in_child(data_dir: str | None, config: TrainConfig, seconds: float) -> float:
    """The headless rate measured in a fresh process with the same torch settings."""
    command = [sys.executable, __file__, "--headless-child", "--seconds", str(seconds)]
    command += ["--batch-size", str(config.batch_size)]
    if data_dir:
        command += ["--data-dir", data_dir]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return float(json.loads(output.strip().splitlines()[-1])["samples_per_second"])


def headless_rate(data: TrainingData, config: TrainConfig, seconds: float) -> float:
    net = build_network(config.arch, seed=config.seed)
    run = train_steps(net, data, config)
    started = time.perf_counter()
    first: tuple[float, int] | None = None
    last = (started, 0)
    for message in run:
        if not isinstance(message, TrainProgress):
            continue
        now = time.perf_counter()
        if first is None and now - started >= WARM_UP_SECONDS:
            first = (now, message.step)
        last = (now, message.step)
        if first is not None and now - first[0] >= seconds:
            break
    run.close()
    assert first is not None, "training ended during the warm-up: raise the epochs"
    return (last[1] - first[1]) * config.batch_size / (last[0] - first[0])


class Probe(QObject):
    """Lives in the GUI thread; records the steps the worker reports and the predictions shown."""

    def __init__(self, window) -> None:
        super().__init__()
        self.steps: list[tuple[float, int]] = []
        self.predictions: list[float] = []
        window.state.progress_added.connect(self.on_progress)
        window.prediction_shown.connect(self.on_shown)

    @Slot(object)
    def on_progress(self, messages: tuple) -> None:
        self.steps.append((time.perf_counter(), messages[-1].step))

    @Slot(object)
    def on_shown(self, probabilities) -> None:
        self.predictions.append(time.perf_counter())


def pump(app: QApplication, seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def digit_two() -> np.ndarray:
    """A pen stroke shaped like a 2, in canvas fractions."""
    t = np.linspace(0, 1, 80)
    arc = np.stack([0.5 + 0.2 * np.cos(np.pi * (1 - t[:40])), 0.35 - 0.15 * np.sin(np.pi * t[:40])], 1)
    arc[:, 0] = 0.5 - 0.2 * np.cos(np.pi * t[:40])
    diagonal = np.stack([np.linspace(0.7, 0.3, 25), np.linspace(0.35, 0.75, 25)], 1)
    base = np.stack([np.linspace(0.3, 0.72, 15), np.full(15, 0.75)], 1)
    return np.concatenate([arc, diagonal, base])


def live_rate(app: QApplication, window, config: TrainConfig, seconds: float) -> dict:
    probe = Probe(window)
    use_network(window, config.arch)  # from scratch, as headless: the same shape and seed
    window.canvas.clear()
    drag_stroke(window, digit_two())
    pump(app, 0.5)
    reset_peak_memory()
    window.controller.train(config)
    pump(app, WARM_UP_SECONDS)
    cpu_before, wall_before = thread_cpu_seconds(), time.perf_counter()
    pump(app, seconds)
    cpu_after, wall = thread_cpu_seconds(), time.perf_counter() - wall_before
    window.controller.stop()
    pump(app, 0.5)
    peak = proc_status("VmHWM")
    busy = sorted(((cpu_after[k] - cpu_before.get(k, 0.0)) / wall, k) for k in cpu_after if k in cpu_before)[
        ::-1
    ]
    steps = [(t, s) for t, s in probe.steps if t >= probe.steps[0][0] + WARM_UP_SECONDS]
    (t0, s0), (t1, s1) = steps[0], steps[-1]
    window_seconds = t1 - t0
    predictions = [t for t in probe.predictions if t0 <= t <= t1]
    return {
        "rate": (s1 - s0) * config.batch_size / window_seconds,
        "peak_mb": peak,
        "predictions_per_second": len(predictions) / window_seconds,
        "progress_per_second": len(steps) / window_seconds,
        "threads": [f"{name} {share:.0%}" for share, name in busy if share >= 0.01],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each measurement")
    parser.add_argument("--data-dir", help="folder with MNIST (else the usual places)")
    parser.add_argument("--batch-size", type=int, default=TrainConfig().batch_size)
    parser.add_argument("--rounds", type=int, default=3, help="headless/live pairs; medians are compared")
    parser.add_argument("--headless-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    data_dir = mnist_dir(args.data_dir)
    config = TrainConfig(epochs=50, batch_size=args.batch_size)  # the Train button's defaults
    if args.headless_child:
        data = TrainingData.from_dataset(load_dataset(data_dir))
        print(json.dumps({"samples_per_second": headless_rate(data, config, args.seconds)}))
        return 0

    app, window = open_window(["--data-dir", data_dir] if data_dir else [])
    time.sleep(2)  # the optimiser warm-up thread, as before a user presses Train
    app.processEvents()

    load = os.getloadavg()
    print(
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
        f"data: {window.training_panel.data_label.text()}"
    )
    print(f"{config.arch}, batch {config.batch_size}, augment {config.augment}")
    headless, live = [], []
    for round_number in range(1, args.rounds + 1):
        headless.append(headless_in_child(data_dir, config, args.seconds))
        result = live_rate(app, window, config, args.seconds)
        live.append(result["rate"])
        print(
            f"round {round_number}: headless {headless[-1]:7,.0f} samples/s, live GUI {live[-1]:7,.0f} "
            f"samples/s ({result['predictions_per_second']:.1f} live predictions/s, "
            f"{result['progress_per_second']:.0f} progress messages/s)"
        )
        print(f"  CPU share of each busy thread while live: {', '.join(result['threads'])}")
    ratio = float(np.median(live) / np.median(headless))
    print(f"median headless: {np.median(headless):8,.0f} samples/s")
    print(f"median live GUI: {np.median(live):8,.0f} samples/s")
    print(f"live / headless: {ratio:.1%}  (target >= 90%)")
    print(
        f"torch threads the window trained on: {window.controller.trainer.threads_in_use} of "
        f"{training_threads()} (headless: torch's default)"
    )
    print(f"peak RSS while training live: {result['peak_mb']:.0f} MB (VmHWM)")
    load = os.getloadavg()
    print(f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

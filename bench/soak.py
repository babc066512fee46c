"""Long-session soak: train and draw continuously, print memory and plot sizes over time.

    python bench/soak.py [--minutes 10] [--data-dir DIR] [--arch mlp]

Memory (RSS) should stay flat after warm-up and nothing should grow without bound: the loss
plot's buffers are decimated past a fixed size, activations are replaced, not accumulated.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = os.environ.get("QT_QPA_PLATFORM") or "offscreen"
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import open_window
from PySide6.QtCore import QEventLoop, QTimer
from responsiveness import Probe

from model.messages import TrainConfig
from tools.driver import use_network


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--data-dir")
    parser.add_argument(
        "--arch", default="mlp", choices=("cnn", "mlp"), help="mlp: many steps, many plot points"
    )
    parser.add_argument("--every", type=float, default=30.0, help="seconds between reports")
    args = parser.parse_args()
    _app, window = open_window(["--data-dir", args.data_dir] if args.data_dir else [])
    probe = Probe(window)
    probe.start()
    use_network(window, args.arch)
    config = TrainConfig(arch=args.arch, epochs=1000)
    window.controller.train(config)
    started = time.monotonic()
    print(" minutes   RSS MB   plot points   plot scene items   python objects   steps")
    baseline = None
    samples = []
    while time.monotonic() - started < args.minutes * 60:
        loop = QEventLoop()
        QTimer.singleShot(int(args.every * 1000), loop.quit)
        loop.exec()
        if window.state.run.state == "idle":  # e.g. a finished run: keep the soak going
            window.controller.train(config)
        gc.collect()
        minutes = (time.monotonic() - started) / 60
        rss = rss_mb()
        scene_items = len(window.loss_plot.scene().items())
        steps = window.loss_plot.raw.size * window.loss_plot.raw.stride
        print(
            f"{minutes:8.1f} {rss:8.0f} {window.loss_plot.point_count():13,} {scene_items:18,}"
            f" {len(gc.get_objects()):16,} {steps:7,}",
            flush=True,
        )
        samples.append(rss)
        if baseline is None and minutes >= 1.0:
            baseline = rss
    probe.stop()
    window.close()
    if baseline is not None:
        print(
            f"\nRSS after warm-up (1 min): {baseline:.0f} MB; at the end: {samples[-1]:.0f} MB; "
            f"max {max(samples):.0f} MB; growth {samples[-1] - baseline:+.0f} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

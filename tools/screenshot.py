"""Grab the real window to a PNG: a drawn digit, live training, every view filled in.

python tools/screenshot.py assets/screenshot.png [--train-seconds 12] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = os.environ.get("QT_QPA_PLATFORM") or "offscreen"
os.environ.setdefault("DIGITPAD_SETTINGS", str(Path(tempfile.mkdtemp()) / "settings.ini"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

import numpy as np
from PySide6.QtWidgets import QApplication

from gui.app import create_main_window
from tools.driver import PredictionCatcher, drag_stroke, wait_until_ready

# A handwritten-looking 4 in canvas fractions: the down-and-across stroke, then the stem.
FOUR = [
    np.array(
        [[0.42, 0.18], [0.38, 0.3], [0.33, 0.42], [0.29, 0.54], [0.36, 0.56], [0.5, 0.56], [0.66, 0.55]]
    ),
    np.array([[0.58, 0.22], [0.575, 0.4], [0.57, 0.58], [0.565, 0.72], [0.56, 0.84]]),
]


def pump(app: QApplication, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--train-seconds", type=float, default=12.0)
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    app = QApplication([])
    window = create_main_window(["--data-dir", args.data_dir] if args.data_dir else [])
    window.resize(1280, 800)
    window.show()
    catcher = PredictionCatcher(window)
    wait_until_ready(window)
    for stroke in FOUR:
        drag_stroke(window, np.concatenate([np.linspace(a, b, 6) for a, b in itertools.pairwise(stroke)]))
    catcher.wait_for(window.controller.request_id, timeout=60)
    if args.train_seconds > 0:
        window.training_panel.train_button.click()
        pump(app, args.train_seconds)
        window.training_panel.train_button.click()  # pause, so the picture shows a paused run
        pump(app, 1.0)
    pump(app, 0.5)
    window.grab().save(str(args.output))
    window.close()
    print(f"saved {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The training lab's figures (issue 13): Step latency with every view updated, and resume
equality (a run saved, opened and continued against one never stopped).

Scrubber: then the rewind dialog's scrubber is set to random points of the run: from the
drag to the answer shown, read with that step's weights (target p99 100 ms); and the
snapshots kept and their memory.

Step: the real window (offscreen unless DISPLAY is set) trains the network of the Train
button's defaults on MNIST with a digit on the canvas, pauses, then presses Step 40 times;
each latency runs from the click to the moment the window has shown the new step (panel,
plot) and the answer for the drawing read with the new weights. Target: 150 ms.

Resume: an MLP and the default CNN train 200 steps on MNIST straight, and 100 + save to a
file + open + 100; the largest weight difference is printed (target 1e-5 on float32).

    python bench/lab.py [--data-dir DIR] [--steps 40]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = os.environ.get("QT_QPA_PLATFORM") or "offscreen"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from common import describe_machine, mnist_dir, open_window


def lab_latencies(data_dir: str | None, count: int) -> tuple[list[float], list[float], int, int]:
    """Step latencies, scrubber latencies, snapshots kept and their bytes."""
    from PySide6.QtWidgets import QApplication

    from tools.driver import drag_stroke

    app, window = open_window([] if data_dir is None else ["--data-dir", data_dir])
    seen: list[object] = []
    window.prediction_shown.connect(seen.append)

    def pump_until(done, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError("the window did not show it")
            app.processEvents()
            time.sleep(0.0005)

    try:
        drag_stroke(window, np.array([[0.3, 0.25], [0.7, 0.25], [0.45, 0.8]]))
        window.training_panel.continue_training.setChecked(False)
        window.training_panel.train_button.click()
        pump_until(lambda: window.state.run.progress is not None and window.state.run.progress.step >= 20)
        window.controller.pause()
        pump_until(lambda: window.state.run.state == "paused")
        end = time.monotonic() + 1.0
        pump_until(lambda: time.monotonic() > end)  # reports already on their way
        latencies = []
        for _ in range(count):
            step = window.state.run.progress.step
            version = window.state.prediction.weights_version
            seen.clear()
            started = time.perf_counter()
            window.training_panel.step_button.click()
            pump_until(
                lambda step=step, version=version: (
                    window.state.run.progress.step == step + 1
                    and window.state.prediction.weights_version > version
                    and bool(seen)
                )
            )
            QApplication.processEvents()  # the repaint the news asked for
            latencies.append(time.perf_counter() - started)
        window.rewind.open_dialog()
        points = window.state.timeline
        scrubs = []
        for index in np.random.default_rng(0).integers(0, len(points) - 1, count):
            version = points[index].snapshot.version
            seen.clear()
            started = time.perf_counter()
            window.rewind.scrubber.setValue(int(index))
            if window.state.prediction.weights_version != version or not seen:
                pump_until(
                    lambda version=version: window.state.prediction.weights_version == version and bool(seen)
                )
            QApplication.processEvents()
            scrubs.append(time.perf_counter() - started)
        memory = sum(array.nbytes for point in points for _, array in point.snapshot.state)
        return latencies, scrubs, len(points), memory
    finally:
        window.controller.stop()
        window.close()


def resume_difference(data_dir: str | None, arch: str) -> float:
    import torch

    from model.checkpoint import load_checkpoint_and_run, save_checkpoint
    from model.data import load_dataset
    from model.messages import TrainConfig, TrainProgress
    from model.networks import build_network
    from model.run import TrainingRun, saved_config
    from model.training import TrainingData

    data = TrainingData.from_dataset(load_dataset(data_dir, allow_practice=True))
    config = TrainConfig(arch=arch, epochs=1.0, seed=7, precision="float32")

    def run_to(run: TrainingRun, step: int) -> None:
        for message in run.messages():
            if isinstance(message, TrainProgress) and message.step == step:
                return

    straight = build_network(arch, seed=1)
    run_to(TrainingRun(straight, data, config), 200)
    first = build_network(arch, seed=1)
    half = TrainingRun(first, data, config)
    run_to(half, 100)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "half.pt"
        save_checkpoint(path, first, {}, run=half.state_dict())
        net, _, state = load_checkpoint_and_run(path)
    assert state is not None
    resumed = TrainingRun(net, data, saved_config(state))
    resumed.load_state_dict(state)
    run_to(resumed, 200)
    pairs = zip(straight.state_dict().values(), net.state_dict().values(), strict=True)
    return max(float((a.float() - b.float()).abs().max()) for a, b in pairs if torch.is_tensor(a))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--steps", type=int, default=40)
    args = parser.parse_args()
    data_dir = mnist_dir(args.data_dir)
    print(describe_machine())
    steps, scrubs, kept, memory = lab_latencies(data_dir, args.steps)
    latencies, scrubbed = np.array(steps) * 1000, np.array(scrubs) * 1000
    print(
        f"Step with every view updated ({len(latencies)} steps, the default CNN on MNIST): median "
        f"{np.median(latencies):.0f} ms, p95 {np.percentile(latencies, 95):.0f} ms, max "
        f"{latencies.max():.0f} ms (target <= 150 ms)"
    )
    print(
        f"scrubber: the drawing read with an earlier step's weights ({len(scrubbed)} drags): median "
        f"{np.median(scrubbed):.0f} ms, p99 {np.percentile(scrubbed, 99):.0f} ms (target <= 100 ms); "
        f"{kept} snapshots kept, {memory / 2**20:.1f} MB (target: >= 50 per run within 100 MB)"
    )
    for arch in ("mlp", "cnn"):
        difference = resume_difference(data_dir, arch)
        print(
            f"resume equality, {arch}, 200 steps (100 + save + open + 100): max weight difference "
            f"{difference:.2e} (target <= 1e-5)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

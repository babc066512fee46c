"""Time to 99% MNIST test accuracy: digitpad's trainer against PyTorch's own MNIST example.

    python bench/speed.py [--seeds 0,1,2] [--budget 480] [--data-dir DIR] [--threads N]
    python bench/speed.py --quick          # a smoke run in well under a minute

Ours is what the Train button runs with its defaults: `model.training.train_steps` with
`TrainConfig()` (the Quick recipe, no hidden settings) on the default network, from freshly
initialised weights; `--precision float32` where the CPU would otherwise use bfloat16. Its
clock is wall time from building the network to the evaluation that reaches the target,
evaluations included.

The reference re-implements pytorch/examples mnist/main.py faithfully: conv 32 -> conv 64
-> max-pool -> dropout 0.25 -> fc 128 -> dropout 0.5 -> fc 10, log_softmax + nll_loss,
Adadelta (lr 1.0) with StepLR (step 1, gamma 0.7), batches of 64 from a DataLoader over a
TensorDataset with shuffle=True, inputs normalised with mean 0.1307 and std 0.3081, test
batches of 1000. It reads the same IDX files (model.data, no torchvision). To be generous to
it, it is evaluated every quarter epoch with its evaluation time left OUT of its clock, and
it is stopped when that clock passes --budget seconds: if it has not reached the target by
then, the ratio is reported as "more than budget / ours".

Both run in this one process with the same torch thread settings, after a short untimed
warm-up of each (first-use costs: torch's lazy imports, oneDNN kernel creation). Loading
MNIST is not timed for either. The test-accuracy curves go to assets/speed_curves.png: the
reference's, the points of our timed runs, and the curve of one more, untimed run of ours
evaluated every 0.1 epoch with its evaluations off its clock, as the reference's are.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = os.environ.get("QT_QPA_PLATFORM") or "offscreen"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch
import torch.nn.functional as F
from common import describe_machine, mnist_dir
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from model.data import load_dataset
from model.messages import PRECISIONS, EvalResult, TrainConfig, TrainFinished
from model.networks import build_network
from model.training import TrainingData, evaluate, train_steps, uses_bfloat16

REPO = Path(__file__).resolve().parents[1]

DEFAULT_PNG = REPO / "assets" / "speed_curves.png"


@dataclass
class Run:
    name: str
    seconds_to_target: float | None = None  # None: not reached
    points: list[tuple[float, float]] = field(default_factory=list)  # (seconds, test accuracy)
    epochs: float = 0.0
    note: str = ""


# -- ours ---------------------------------------------------------------------------------
def run_ours(data: TrainingData, config: TrainConfig, target: float) -> Run:
    run = Run(f"digitpad, seed {config.seed}")
    started = time.perf_counter()
    net = build_network(config.arch, seed=config.seed)
    finished = None
    for message in train_steps(net, data, config, until_accuracy=target):
        if isinstance(message, EvalResult):
            now = time.perf_counter() - started
            run.points.append((now, message.accuracy))
            if message.accuracy >= target and run.seconds_to_target is None:
                run.seconds_to_target = now
        elif isinstance(message, TrainFinished):
            finished = message
    assert finished is not None
    run.epochs = finished.epochs
    _, float32_accuracy = evaluate(net, data.test_x, data.test_y)  # untimed, full precision
    run.note = (
        f"{finished.reason} after {finished.epochs:.2f} epochs; test accuracy "
        f"{run.points[-1][1]:.2%} as trained, {float32_accuracy:.2%} in float32"
    )
    return run


def curve_of_ours(data: TrainingData, config: TrainConfig) -> Run:
    """An untimed run of the same recipe evaluated every tenth of an epoch from the start, for
    the picture: its points are at training seconds with evaluations off the clock, as the
    reference's are (the timed runs evaluate only near the crossing)."""
    run = Run(f"digitpad curve, seed {config.seed}")
    net = build_network(config.arch, seed=config.seed)
    for message in train_steps(net, data, replace(config, eval_from=0.0, evals_per_epoch=10)):
        if isinstance(message, EvalResult):
            run.points.append((message.seconds, message.accuracy))
    return run


# -- the reference: pytorch/examples mnist/main.py ---------------------------------------------
class ReferenceNet(nn.Module):
    """pytorch/examples mnist/main.py's Net, layer for layer."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def reference_loaders(data: TrainingData) -> tuple[DataLoader, DataLoader]:
    def normalise(x: torch.Tensor) -> torch.Tensor:  # transforms.Normalize((0.1307,), (0.3081,))
        return (x - 0.1307) / 0.3081

    train = TensorDataset(normalise(data.train_x), data.train_y)
    test = TensorDataset(normalise(data.test_x), data.test_y)
    return DataLoader(train, batch_size=64, shuffle=True), DataLoader(test, batch_size=1000)


def reference_test(model: nn.Module, loader: DataLoader) -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            output = model(x)
            correct += output.argmax(dim=1, keepdim=True).eq(y.view(-1, 1)).sum().item()
    model.train()
    return correct / len(loader.dataset)


def run_reference(
    data: TrainingData, target: float, budget: float, evals_per_epoch: int = 4, seed: int = 1
) -> Run:
    """Train until the target is reached or the clock (evaluations excluded) passes `budget`."""
    torch.manual_seed(seed)  # main.py's default seed
    train_loader, test_loader = reference_loaders(data)
    model = ReferenceNet()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    run = Run("pytorch/examples mnist")
    batches = len(train_loader)
    eval_at = {round(batches * k / evals_per_epoch) for k in range(1, evals_per_epoch + 1)}
    clock = 0.0
    for epoch in range(1, 15):  # main.py's 14 epochs
        model.train()
        started = time.perf_counter()
        for index, (x, y) in enumerate(train_loader, start=1):
            optimizer.zero_grad()
            loss = F.nll_loss(model(x), y)
            loss.backward()
            optimizer.step()
            if index in eval_at:
                clock += time.perf_counter() - started
                accuracy = reference_test(model, test_loader)  # not on the clock
                run.points.append((clock, accuracy))
                run.epochs = epoch - 1 + index / batches
                print(
                    f"  reference: epoch {run.epochs:5.2f}  {clock:6.1f} s  test accuracy {accuracy:.2%}",
                    flush=True,
                )
                if accuracy >= target:
                    run.seconds_to_target = clock
                    run.note = f"reached after {run.epochs:.2f} epochs"
                    return run
                started = time.perf_counter()
            if clock + time.perf_counter() - started > budget:
                clock += time.perf_counter() - started
                run.epochs = epoch - 1 + index / batches
                run.note = f"stopped at the {budget:.0f} s budget after {run.epochs:.2f} epochs"
                return run
        clock += time.perf_counter() - started
        scheduler.step()
    run.note = "all 14 epochs done"
    return run


def warm_up(data: TrainingData, config: TrainConfig) -> None:
    """First-use costs of both trainers, off the clock: lazy imports, oneDNN kernels."""
    small = TrainingData(
        "warm-up", data.train_x[:2048], data.train_y[:2048], data.test_x[:500], data.test_y[:500]
    )
    for _ in train_steps(build_network(config.arch, seed=0), small, config):
        pass
    train_loader, _ = reference_loaders(small)
    model = ReferenceNet()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    for index, (x, y) in enumerate(train_loader):
        optimizer.zero_grad()
        F.nll_loss(model(x), y).backward()
        optimizer.step()
        if index == 3:
            break
    reference_test(model, DataLoader(TensorDataset(small.test_x, small.test_y), batch_size=1000))


# -- the picture ---------------------------------------------------------------------------
def save_curves(
    path: Path, ours: list[Run], curve: Run | None, reference: Run, target: float, budget: float
) -> None:
    """Test accuracy against seconds, both trainers, log time axis; pyqtgraph offscreen."""
    import pyqtgraph as pg
    from pyqtgraph.exporters import ImageExporter

    app = pg.mkQApp()
    pg.setConfigOptions(antialias=True, foreground="k", background="w")
    widget = pg.GraphicsLayoutWidget()
    widget.resize(1000, 560)
    plot = widget.addPlot()
    plot.setLogMode(x=True, y=False)
    plot.setLabel("bottom", "seconds of training (log scale; ours includes its evaluations)")
    plot.setLabel("left", "MNIST test accuracy (%)")
    plot.setTitle(f"Time to {target:.0%} MNIST test accuracy, {os.cpu_count()} CPU cores")
    plot.showGrid(x=True, y=True, alpha=0.25)
    seconds = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)
    plot.getAxis("bottom").setTicks([[(math.log10(v), f"{v} s") for v in seconds]])
    plot.addLegend(offset=(-10, -10), labelTextSize="10pt")
    accuracies = [a for run in (*ours, reference) for _, a in run.points]
    accuracies += [a for _, a in curve.points] if curve is not None else []
    plot.setYRange(max(95.0, 100 * min(accuracies, default=0.96) - 0.2), 99.8, padding=0)
    blue, orange = (30, 110, 220), (220, 100, 30)
    times = [r.seconds_to_target for r in ours if r.seconds_to_target is not None]
    ours_name = f"digitpad, timed runs ({len(ours)} seeds"
    ours_name += f"; median {statistics.median(times):.1f} s to {target:.0%})" if times else ")"
    if curve is not None and curve.points:
        x, y = zip(*curve.points, strict=True)
        plot.plot(
            x,
            [100 * a for a in y],
            pen=pg.mkPen(blue, width=2),
            name=f"digitpad, one run evaluated every 0.1 epoch (seed {curve.name.rsplit(' ', 1)[-1]}; "
            "evaluations off its clock)",
        )
    for i, run in enumerate(ours):
        x, y = zip(*run.points, strict=True)
        plot.plot(
            x,
            [100 * a for a in y],
            pen=None,
            symbol="o",
            symbolSize=9,
            symbolBrush=blue,
            name=ours_name + ", evaluations included" if i == 0 else None,
        )
    if reference.points:
        x, y = zip(*reference.points, strict=True)
        reached = reference.seconds_to_target
        where = (
            f"{reached:.0f} s to {target:.0%}"
            if reached is not None
            else f"not {target:.0%} in {budget:.0f} s"
        )
        plot.plot(
            x,
            [100 * a for a in y],
            pen=pg.mkPen(orange, width=2),
            symbol="s",
            symbolSize=6,
            symbolBrush=orange,
            name=f"pytorch/examples mnist ({where}; its evaluations off its clock)",
        )
    plot.addLine(y=100 * target, pen=pg.mkPen((90, 90, 90), width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
    widget.show()
    app.processEvents()
    path.parent.mkdir(parents=True, exist_ok=True)
    ImageExporter(widget.scene()).export(str(path))
    widget.close()


# -- main ----------------------------------------------------------------------------------
def describe(run: Run) -> str:
    reached = f"{run.seconds_to_target:6.2f} s" if run.seconds_to_target is not None else "not reached"
    return f"{run.name:24s} {reached}  ({run.note})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2", help="seeds of our runs (the median is reported)")
    parser.add_argument("--budget", type=float, default=480.0, help="the reference's time budget, seconds")
    parser.add_argument("--target", type=float, default=0.99)
    parser.add_argument("--data-dir", help="folder with the MNIST IDX files (else the usual places)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads for both (default: torch's)")
    parser.add_argument("--png", type=Path, help=f"where to draw the curves (default {DEFAULT_PNG})")
    parser.add_argument("--no-reference", action="store_true", help="time ours only")
    parser.add_argument("--quick", action="store_true", help="a tiny smoke run (< 1 min), nothing saved")
    parser.add_argument("--precision", choices=PRECISIONS, default="auto", help="the button uses auto")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data_dir = mnist_dir(args.data_dir)
    loading = time.perf_counter()
    dataset = load_dataset(data_dir, allow_practice=False)
    data = TrainingData.from_dataset(dataset)
    loading = time.perf_counter() - loading

    seeds = [int(s) for s in args.seeds.split(",")]
    config = TrainConfig(precision=args.precision)  # the Train button's, nothing else
    target, budget, reference_evals = args.target, args.budget, 4
    png = args.png or DEFAULT_PNG
    if args.quick:
        seeds = seeds[:1]
        config = replace(config, epochs=0.15, evals_per_epoch=20, eval_from=0.0)
        target, budget, reference_evals = 0.95, min(budget, 6.0), 50
        png = args.png or Path(tempfile.gettempdir()) / "digitpad_speed_quick.png"
    print(describe_machine())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"data: {data.name} (loaded in {loading:.1f} s, not timed)")
    print(
        f"ours: default {config.arch} network, the Train button's recipe: batch {config.batch_size}, Adam "
        f"lr {config.learning_rate:g} betas {config.betas}, label smoothing {config.label_smoothing:g}, "
        f"one-cycle over {config.epochs:g} epochs, augment {config.augment}, "
        f"{'bfloat16 mixed' if uses_bfloat16(config) else 'float32'} "
        f"precision, evaluations from epoch {config.eval_from:g}, {config.evals_per_epoch} per epoch"
    )
    warm_up(data, config)
    ours = []
    for seed in seeds:
        run = run_ours(data, replace(config, seed=seed), target)
        ours.append(run)
        print(describe(run), flush=True)
    reached = [r.seconds_to_target for r in ours if r.seconds_to_target is not None]
    median = statistics.median(reached) if len(reached) == len(ours) else math.inf
    print(
        f"ours: median time to {target:.1%}: "
        + (f"{median:.2f} s over {len(ours)} seeds" if math.isfinite(median) else "not reached by every seed")
    )
    reference = Run("pytorch/examples mnist")
    if not args.no_reference:
        print(f"reference: evaluated {reference_evals} times per epoch, off its clock; budget {budget:g} s")
        reference = run_reference(data, target, budget, reference_evals)
        print(describe(reference))
        if reference.seconds_to_target is not None:
            ratio = f"{reference.seconds_to_target / median:.1f}x"
            print(f"speed-up: {reference.seconds_to_target:.1f} s / {median:.2f} s = {ratio}")
        else:
            print(f"speed-up: more than {budget:.0f} s / {median:.2f} s = more than {budget / median:.1f}x")
    print(f"at the end: {describe_machine()}")
    curve = curve_of_ours(data, replace(config, seed=seeds[0]))
    save_curves(png, ours, curve, reference, target, budget)
    print(f"curves: {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Take it elsewhere, measured: does the exported work give what digitpad gives?

1. ONNX: the largest difference between onnxruntime's logits and PyTorch's on the 10,000
   MNIST test digits, for the shipped CNN and for the network trained in step 2 (target: 1e-4).
2. Training script: train with digitpad's loop (model/training.py) and with the exported
   standalone script, same short recipe, same seed and thread count; compare test accuracies
   (target: within 0.2 points) and the trained weights.

    python bench/export.py [--data-dir MNIST] [--epochs 1] [--arch cnn] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from common import describe_machine, mnist_dir

from model.checkpoint import DEFAULT_WEIGHTS, load_checkpoint
from model.data import load_idx_directory, locate_mnist
from model.export import INPUT_NAME, OUTPUT_NAME, export_onnx
from model.messages import TrainConfig
from model.networks import DigitNet, build_network
from model.script_export import export_training_script
from model.training import TrainingData, evaluate, train_steps, uses_bfloat16


def onnx_logit_difference(net: DigitNet, pixels: np.ndarray, folder: Path) -> float:
    import onnxruntime

    path = folder / "network.onnx"
    export_onnx(net, path)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run([OUTPUT_NAME], {INPUT_NAME: pixels})[0]
    net.eval()
    with torch.inference_mode():
        expected = torch.cat([net(torch.from_numpy(pixels[i : i + 500])) for i in range(0, len(pixels), 500)])
    return float(np.abs(got - expected.numpy()).max())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--arch", choices=("cnn", "mlp"), default="cnn")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    print(describe_machine())
    folder = locate_mnist(mnist_dir(args.data_dir))
    if folder is None or not folder.is_dir():
        sys.exit("error: the exported script reads MNIST's IDX files: give --data-dir, a folder holding them")
    dataset = load_idx_directory(folder)
    torch.set_num_threads(args.threads)
    pixels = dataset.test_images.astype(np.float32)[:, None] / 255.0
    work = Path(tempfile.mkdtemp(prefix="digitpad-bench-export-"))

    shipped, _ = load_checkpoint(DEFAULT_WEIGHTS)
    print(f"ONNX, shipped CNN: max |logit difference| {onnx_logit_difference(shipped, pixels, work):.2e}")

    config = TrainConfig(arch=args.arch, epochs=args.epochs, seed=args.seed, evals_per_epoch=0)
    precision = "bfloat16 mixed precision" if uses_bfloat16(config) else "float32"
    print(f"recipe: the Train button's, {config.epochs:g} epoch(s), seed {config.seed}, {precision}")
    net = build_network(args.arch, seed=config.seed)
    started = time.perf_counter()
    data = TrainingData.from_dataset(dataset)
    for _ in train_steps(net, data, config):
        pass
    app_seconds = time.perf_counter() - started
    _, app_accuracy = evaluate(net, data.test_x, data.test_y)
    print(f"digitpad's loop:      {app_accuracy:.2%} test accuracy ({app_seconds:.0f} s)")

    script = work / "train_digitpad.py"
    export_training_script(script, net, config)
    environment = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, str(script), str(folder), "--save", str(work / "scripted.pt")],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    script_seconds = time.perf_counter() - started
    found = re.search(r"test accuracy ([\d.]+)%", run.stdout)
    if run.returncode != 0 or found is None:
        sys.exit(f"error: the exported script failed:\n{run.stderr}")
    scripted, metadata = load_checkpoint(work / "scripted.pt")
    script_accuracy = float(metadata["test_accuracy"])
    seconds = f"{script_seconds:.0f} s with torch's start-up"
    print(f"exported script:      {script_accuracy:.2%} test accuracy ({seconds})")
    print(f"accuracy difference:  {100 * (script_accuracy - app_accuracy):+.2f} points (target: within ±0.2)")
    weights = max(
        float((scripted.state_dict()[name].float() - value.float()).abs().max())
        for name, value in net.state_dict().items()
    )
    print(f"largest weight difference after training: {weights:.2e}")
    trained = onnx_logit_difference(net, pixels, work)
    print(f"ONNX, the network trained above: max |logit difference| {trained:.2e}")
    print(describe_machine())


if __name__ == "__main__":
    main()

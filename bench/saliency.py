"""Is "Where it looked" faithful? Remove the ink it points at and see the answer weaken.

For each of N MNIST test digits (the first N), the shipped network's winning digit w and its
gradient × input map for w: remove (set to 0) the 10% of the ink pixels with the largest
share in w's score, and, separately, a random 10% of the ink pixels (the mean over R random
draws). The map is faithful on that digit when removing its pixels lowers w's probability
more than removing random ones. Target (issue): on at least 90% of 1,000 digits. Also prints
the time one map costs (ten copies forward and backward), which every answer pays while the
overlay is on.

    python bench/saliency.py [--data-dir DIR] [--digits 1000] [--draws 5] [--seed 0]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time

import numpy as np
import torch
from common import describe_machine, mnist_dir  # also puts the repository on sys.path

from model.checkpoint import DEFAULT_WEIGHTS, load_checkpoint
from model.data import find_mnist
from model.saliency import saliency_maps

INK = 0.1  # a pixel at least this bright (0-1) is ink
SHARE = 0.10
TARGET = 0.90


def winning_probability(net: torch.nn.Module, images: np.ndarray, digit: int) -> np.ndarray:
    with torch.inference_mode():
        logits = net(torch.from_numpy(images).float().unsqueeze(1))
        return torch.softmax(logits, dim=1)[:, digit].numpy()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", default=None, help="folder holding MNIST (default: search)")
    parser.add_argument("--digits", type=int, default=1000)
    parser.add_argument("--draws", type=int, default=5, help="random removals averaged per digit")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)  # as in the window's predictor thread
    print(describe_machine())
    net, _ = load_checkpoint(DEFAULT_WEIGHTS)
    net.eval()
    dataset = find_mnist(mnist_dir(args.data_dir))
    images = dataset.test_images[: args.digits].astype(np.float32) / 255.0
    rng = np.random.default_rng(args.seed)
    faithful, salient_drops, random_drops, costs = 0, [], [], []
    for pixels in images:
        started = time.perf_counter()
        maps = saliency_maps(net, pixels)
        costs.append(time.perf_counter() - started)
        with torch.inference_mode():
            winner = int(net(torch.from_numpy(pixels)[None, None]).argmax())
        before = winning_probability(net, pixels[None], winner)[0]
        ink = np.flatnonzero(pixels.reshape(-1) >= INK)
        count = max(1, math.ceil(SHARE * len(ink)))
        by_share = ink[np.argsort(maps[winner].reshape(-1)[ink])[::-1][:count]]
        removals = [by_share] + [rng.choice(ink, size=count, replace=False) for _ in range(args.draws)]
        variants = np.repeat(pixels[None], len(removals), axis=0).reshape(len(removals), -1)
        for row, removed in enumerate(removals):
            variants[row, removed] = 0.0
        after = winning_probability(net, variants.reshape(-1, 28, 28), winner)
        salient_drop = before - after[0]
        random_drop = float(np.mean(before - after[1:]))
        salient_drops.append(salient_drop)
        random_drops.append(random_drop)
        faithful += salient_drop > random_drop
    share = faithful / len(images)
    print(f"network: shipped ({DEFAULT_WEIGHTS.name}); {len(images)} MNIST test digits; ink: pixels >= {INK}")
    print(
        f"removing the {SHARE:.0%} of the ink with the largest share lowers the winning probability "
        f"more than removing a random {SHARE:.0%} (mean of {args.draws} draws) on {faithful} of "
        f"{len(images)} digits: {share:.1%} (target >= {TARGET:.0%}): {'ok' if share >= TARGET else 'MISSED'}"
    )
    print(
        f"median drop of the winning probability: salient {statistics.median(salient_drops):.4f}, "
        f"random {statistics.median(random_drops):.4f}"
    )
    print(
        "one map (10 copies, forward and backward, 1 thread): "
        f"median {1000 * statistics.median(costs):.1f} ms, "
        f"p99 {1000 * float(np.percentile(costs, 99)):.1f} ms"
    )
    return 0 if share >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())

"""Are small drawings read as well as big ones? Replays UNIPEN digits at several sizes.

Each digit of the strict subset by the writers of the held-out half (model.strokes:
is_training_writer; the digit detector never saw them, the shipped digit network did, at
50-90% of its canvas) is written on the real canvas as mouse drags, scaled so its bounding box
is `fill` of the canvas side. "Read right" counts the digit whose bar is highest, as the window
shows it (also under a "?", which is counted apart). The same canvas ink is also read as it
is, without drawing a small drawing bigger (model.small_drawings), by the same network: the
difference is what the redrawing gains at each size.

    python bench/small_drawings.py [--strokes FILE] [--checkpoint FILE] [--limit N]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = os.environ.get("QT_QPA_PLATFORM") or "offscreen"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from common import SHARED_STROKES, describe_machine, open_window, spread

from model.checkpoint import DEFAULT_WEIGHTS, load_checkpoint
from model.reading import read_drawing
from model.small_drawings import MIN_EXTENT_IN_PENS
from model.strokes import PEN_WIDTH_FRACTION, is_training_writer, load_unipen
from tools.driver import PredictionCatcher, read_digit

DEFAULT_STROKES = SHARED_STROKES / "unipen_digits_dev.npz"
FILLS = (0.1, 0.15, 0.2, 0.3, 0.45, 0.7)  # 0.7: the size replay_unipen.py writes at


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strokes", type=Path, default=DEFAULT_STROKES)
    parser.add_argument("--checkpoint", help="network to measure (default: the shipped one)")
    parser.add_argument("--limit", type=int, default=500, help="digits per size (a spread sample; 0: all)")
    args = parser.parse_args()
    if not args.strokes.is_file():
        print(f"error: {args.strokes} not found", file=sys.stderr)
        return 2
    print(describe_machine())
    digits = load_unipen(args.strokes)
    digits = digits.subset(digits.strict & np.array([not is_training_writer(w) for w in digits.writers]))
    pick = spread(len(digits.labels), args.limit)
    net, _ = load_checkpoint(args.checkpoint or DEFAULT_WEIGHTS)
    _app, window = open_window(["--checkpoint", args.checkpoint] if args.checkpoint else [])
    catcher = PredictionCatcher(window)
    print(
        f"{len(pick)} digits by held-out writers; model: {window.model_label.text()}; canvas "
        f"{window.canvas.width()} px; drawings under {MIN_EXTENT_IN_PENS:g} pen widths "
        f"({MIN_EXTENT_IN_PENS * PEN_WIDTH_FRACTION:.0%} of the canvas) are drawn bigger\n"
    )
    try:
        read_digit(window, catcher, digits.strokes[pick[0]], timeout=60)  # the worker may be warming up
        for fill in FILLS:
            shown, as_inked, unknown = [], [], 0
            for i in pick:
                probabilities = read_digit(window, catcher, digits.strokes[i], fill)
                shown.append(-1 if probabilities is None else int(np.argmax(probabilities)))
                unknown += window.prediction_label.text() == "?"
                ink = read_drawing(net, 0, window.canvas.image_array(), with_layers=False)
                as_inked.append(-1 if ink.probabilities is None else int(np.argmax(ink.probabilities)))
            truth = digits.labels[pick]
            print(
                f"drawing {fill:.0%} of the canvas ({fill / PEN_WIDTH_FRACTION:4.1f} pens): "
                f"read right {np.mean(np.array(shown) == truth):.2%} "
                f"(the ink as it is: {np.mean(np.array(as_inked) == truth):.2%}); "
                f'answered "?" {unknown / len(pick):.2%}',
                flush=True,
            )
    finally:
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

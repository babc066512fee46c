"""Time from launching `python -m gui` to a painted window, and to its first prediction.

    python bench/startup.py [--runs 5]

The clock starts just before the child process is spawned; the child prints
time.perf_counter() stamps (the same monotonic clock on Linux) when its window has painted
and when it has shown its first prediction for a drawn stroke.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import isolate_user_files

REPO = Path(__file__).resolve().parents[1]


def one_run() -> tuple[float, float]:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM") or "offscreen")
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "launch_probe.py")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    stamps = {}
    for line in result.stdout.splitlines():
        name, _, value = line.rpartition(" ")
        stamps[name] = float(value)
    return stamps["window shown"] - started, stamps["first prediction"] - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    isolate_user_files()
    one_run()  # warm the file cache, as a second launch would be
    shown, ready = zip(*(one_run() for _ in range(args.runs)), strict=True)
    print(
        f"window shown: median {statistics.median(shown):.2f} s, max {max(shown):.2f} s over {args.runs} runs"
    )
    print(f"first prediction: median {statistics.median(ready):.2f} s, max {max(ready):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fuzz bench: hostile files against the command line and against File › Open in the window.

    python bench/hostile.py

Makes pipes, devices, 50 GB sparse files, zip/gzip/npz bombs, checkpoints of absurd
architectures and unusable numbers, hostile stroke files and --spec values, then drives
(a) `python -m model evaluate --checkpoint F`, `train --spec S` and `train --strokes F`, each
in its own process with a time limit, and (b) the real window (offscreen), in a child process
with a time limit: controller.open_network(F) for every hostile checkpoint, then closing it.

A try survives when it ends in one sentence for the user: an "error:" line and exit 1 or 2
from the command line; a notice naming the file, with the network in use unchanged, from the
window, which must then close in time. Anything else is lost: a traceback, a hang, a crash,
another exit code, or the network replaced. Exits 1 if any try is lost.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from common import REPO, describe_machine

from model.networks import build_network
from tools import hostile_files as hostile

LIMIT = 60.0  # seconds for one command; refusing takes about one (starting torch)


def hostile_checkpoints(folder: Path) -> dict[str, Path]:
    """Every kind of file that File › Open and `evaluate --checkpoint` must refuse."""
    net = build_network(hostile.SMALL_SPEC, seed=0)

    def poisoned(name: str, change: Callable[[dict], None]) -> Path:
        state = {k: v.clone() for k, v in net.state_dict().items()}
        change(state)
        return hostile.checkpoint_file(folder / name, hostile.payload(net, state_dict=state))

    fifo = hostile.make_fifo(folder, "pipe.pt")
    first = "stages.0.1.weight"
    files = {
        "named pipe": fifo,
        "symlink to a pipe": hostile.symlink_to(folder, fifo, "pipe-link.pt"),
        "/dev/zero": hostile.symlink_to(folder, Path("/dev/zero"), "zero.pt"),
        "/dev/null": hostile.symlink_to(folder, Path("/dev/null"), "null.pt"),
        "folder": folder / "folder.pt",
        "50 GB sparse file": hostile.sparse_file(folder / "sparse.pt"),
        "zip bomb (600 MB real)": hostile.checkpoint_with_bomb(folder / "bomb-real.pt", 600 * hostile.MB),
        "zip bomb (3 GB declared)": hostile.checkpoint_with_bomb(
            folder / "bomb-declared.pt", hostile.MB, 3 * hostile.GB
        ),
        "zip member larger than declared": hostile.checkpoint_with_bomb(
            folder / "bomb-lies.pt", 40 * hostile.MB, 100
        ),
        "float64 weights of 1e300": poisoned(
            "overflow.pt", lambda s: s.update({first: s[first].double().fill_(1e300)})
        ),
        "complex weights": poisoned("complex.pt", lambda s: s.update({first: s[first].to(torch.complex64)})),
        "bfloat16 NaN": poisoned(
            "nan.pt", lambda s: s.update({first: s[first].bfloat16().fill_(float("nan"))})
        ),
        "weights of 3e38": poisoned("huge.pt", lambda s: s[first].fill_(3e38)),
        "a trillion-element view": poisoned(
            "view.pt", lambda s: s.update({first: torch.zeros(1).expand(10**12)})
        ),
        "random bytes": folder / "noise.pt",
    }
    (folder / "folder.pt").mkdir()
    (folder / "noise.pt").write_bytes(np.random.default_rng(0).bytes(4000))
    for name, arch in {
        "width 10**12": {"kind": "mlp", "hidden": [10**12]},
        "width infinity": {"kind": "mlp", "hidden": [float("inf")]},
        "9 hidden layers": {"kind": "mlp", "hidden": [8] * 9},
        "4096 channels, kernel 27": {"kind": "cnn", "channels": [4096] * 3, "kernels": [27] * 3},
        "widths as strings": {"kind": "mlp", "hidden": ["8"]},
        "width 1.5": {"kind": "mlp", "hidden": [1.5]},
        "nested widths": {"kind": "mlp", "hidden": [[8]]},
        "no kind": {"hidden": [8]},
    }.items():
        files[f"arch: {name}"] = hostile.checkpoint_file(
            folder / f"arch-{len(files)}.pt", hostile.payload(arch=arch)
        )
    return files


def hostile_strokes(folder: Path) -> dict[str, Path]:
    good = {
        "points": np.zeros((6, 2), np.float32),
        "stroke_offsets": np.arange(4) * 2,
        "sample_offsets": np.arange(4),
        "labels": np.arange(3, dtype=np.uint8),
        "writers": np.array(["a", "b", "c"]),
        "suspect": np.zeros(3, bool),
        "contributors": np.array(["x"] * 3),
    }
    files = {
        "named pipe": hostile.make_fifo(folder, "strokes-pipe.npz"),
        "/dev/zero": hostile.symlink_to(folder, Path("/dev/zero"), "strokes-zero.npz"),
        "50 GB sparse file": hostile.sparse_file(folder / "strokes-sparse.npz"),
        "npz bomb (300 MB real)": hostile.write_zip(
            folder / "strokes-bomb.npz", [hostile.zeros_member("points.npy", 300 * hostile.MB)]
        ),
        "npy header claiming 8 TB": hostile.npz_of(
            folder / "strokes-claims.npz",
            {**{k: hostile.npy_bytes(v) for k, v in good.items()}, "points": hostile.npy_claiming((10**12,))},
        ),
        "missing file": folder / "strokes-missing.npz",
    }
    for name, change in {
        "arrays missing": {"labels": None},
        "offsets past the points": {"stroke_offsets": np.array([0, 2, 4, 99])},
        "NaN points": {"points": np.full((6, 2), np.nan, np.float32)},
        "letters": {"labels": np.array(["a", "b", "c"])},
        "one writer for three samples": {"writers": np.array(["a"])},
    }.items():
        arrays = {k: v for k, v in {**good, **change}.items() if v is not None}
        path = folder / f"strokes-{len(files)}.npz"
        np.savez(path, **arrays)
        files[name] = path
    return files


SPECS = [
    '{"hidden": [1e999]}',
    '{"hidden": [1000000000000]}',
    '{"channels": [4096, 4096, 4096], "kernels": [27, 27, 27]}',
    '{"hidden": "256"}',
    '{"pool_first": "no"}',
    '{"dropout": NaN}',
    '{"fc": 1.5}',
    "[" * 100_000,
    '{"hidden": [' + "9" * 5000 + "]}",
    '{"kind": "transformer"}',
]


def run_cli(args: list[str]) -> tuple[bool, str]:
    """(survived, what happened) for one command-line run."""
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    try:
        result = subprocess.run(
            [sys.executable, "-m", "model", *args],
            capture_output=True,
            text=True,
            timeout=LIMIT,
            env=env,
            cwd=REPO,
        )
    except subprocess.TimeoutExpired:
        return False, f"hung for more than {LIMIT:.0f} s"
    lines = result.stderr.strip().splitlines()
    one_sentence = len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.stderr
    survived = result.returncode in (1, 2) and one_sentence and result.stdout == ""
    said = lines[-1] if lines else "(nothing)"
    return survived, f"exit {result.returncode}: {said[:150]}"


def window_child(paths: list[str]) -> None:
    """In the child: open each file in the real window, report, then close the window."""
    sys.path.insert(0, str(REPO / "bench"))
    from common import open_window
    from PySide6.QtWidgets import QApplication

    app, window = open_window([])
    notices: list[str] = []
    window.state.notice_posted.connect(lambda text, _about: notices.append(text))
    for path in paths:
        before = window.state.network
        notices.clear()
        window.controller.open_network(path)
        deadline = time.monotonic() + LIMIT
        while not notices and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.005)
        unchanged = window.state.network is before
        print(
            json.dumps({"path": path, "notice": notices[0] if notices else "", "unchanged": unchanged}),
            flush=True,
        )
    started = time.monotonic()
    window.close()
    app.processEvents()
    QApplication.quit()
    print(json.dumps({"closed_in": time.monotonic() - started}), flush=True)


def drive_window(files: dict[str, Path]) -> list[tuple[str, bool, str]]:
    names = {str(path): name for name, path in files.items()}
    env = dict(
        os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM") or "offscreen", OMP_NUM_THREADS="1"
    )
    env["PYTHONPATH"] = str(REPO)
    try:
        child = subprocess.run(
            [sys.executable, __file__, "--window", *names],
            capture_output=True,
            text=True,
            timeout=LIMIT * 4 + 10 * len(files),
            env=env,
            cwd=REPO,
        )
        output, problem = child.stdout, child.stderr
    except subprocess.TimeoutExpired as timeout:
        output, problem = (timeout.stdout or b"").decode(), "the window hung"
    results, closed = [], False
    for line in output.splitlines():
        report = json.loads(line)
        if "closed_in" in report:
            closed = report["closed_in"] < 10
            continue
        name = Path(report["path"]).name
        survived = report["unchanged"] and name in report["notice"]
        said = report["notice"][:150] or "no notice"
        results.append(
            (
                f"window: {names[report['path']]}",
                survived,
                said + ("" if report["unchanged"] else " (network replaced)"),
            )
        )
    if "Traceback" in problem or "hung" in problem:
        results.append(("window: no traceback and no hang", False, problem.strip().splitlines()[-1][:150]))
    results.append(("window: closes within 10 s", closed, "closed" if closed else "did not close"))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--window", nargs="*", help=argparse.SUPPRESS)  # the child's part
    args = parser.parse_args()
    if args.window is not None:
        window_child(args.window)
        return 0
    print(describe_machine())
    results: list[tuple[str, bool, str]] = []
    with tempfile.TemporaryDirectory(prefix="digitpad-hostile-") as folder_name:
        folder = Path(folder_name)
        missing = str(folder / "no-mnist")
        checkpoints = hostile_checkpoints(folder)
        for name, path in checkpoints.items():
            results.append(
                (
                    f"evaluate: {name}",
                    *run_cli(["evaluate", "--checkpoint", str(path), "--data-dir", missing]),
                )
            )
        for name, path in hostile_strokes(folder).items():
            results.append(
                (
                    f"train --strokes: {name}",
                    *run_cli(["train", "--strokes", str(path), "--data-dir", missing]),
                )
            )
        for spec in SPECS:
            shown = spec if len(spec) < 40 else spec[:30] + f"... ({len(spec):,} characters)"
            results.append(
                (
                    f"train --spec {shown}",
                    *run_cli(["train", "--arch", "cnn", "--spec", spec, "--data-dir", missing]),
                )
            )
        results += drive_window(checkpoints)
    for name, survived, said in results:
        print(f"{'survived' if survived else 'LOST    '}  {name:<45} {said}")
    lost = sum(not survived for _, survived, _ in results)
    print(f"tried {len(results)}, survived {len(results) - lost}, lost {lost}")
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())

"""Does teaching help, without forgetting, fast enough? Real UNIPEN writers correct a live window.

Teaching (a digit key, a bar, "It's a …") makes the network learn the drawing on the canvas at
once. That is worth having only if (1) corrections carry over to a writer's later digits,
(2) the network does not forget MNIST meanwhile, and (3) the corrected drawing is read as the
taught digit soon after the key press. This bench measures all three through the real UI:

  writers   The UNIPEN dev writers the shipped network was never trained on (strict subset:
            not suspect, not the noisy "ibm" contributor), one freshly launched window each,
            with its own settings folder (DIGITPAD_SETTINGS: the kept network and the examples
            live there) and MNIST to replay (DIGITPAD_DATA). Each writer's digits are written,
            in writing order, as mouse drags on the real canvas, twice in the same window:
            first only read (reading changes nothing: the misreads *without* teaching), then
            read again, pressing the true digit's key on the canvas whenever the answer shown
            is wrong (the misreads *with* teaching are the wrong answers shown before each
            digit's correction). The accuracy on the later half of each writer's digits (in
            writing order) shows what the corrections carried over. After the last digit the
            bench waits for the last correction's rehearsal to end (the wait is printed), then
            closes the window, which keeps the taught network (last-session.pt); once the
            window's process has exited, it is scored on the 10,000 MNIST test digits against
            the shipped network.
  random    One window, N random strict dev digits (any writer, fixed seed), each written and
            then taught its true digit by key (confirming one read right is allowed too); the
            kept network is then scored on MNIST test the same way.

Speed: from the key press to the first answer shown for the corrected drawing that reads it as
the taught digit (when it is read so before the window says `taught`), over all teaches.

Targets (issue): misreads cut by >= 33%; MNIST test drop <= 0.2 points after each writer,
<= 0.3 points after 100 random corrections; latency median <= 1 s, p95 <= 2 s on an idle
machine (the load average is printed before and after: compare on an idle one).

    python bench/teach.py [--writers N] [--random-corrections 100] [--seed 0]
                          [--only WRITER ...] [--strokes FILE] [--data-dir DIR] [--keep]

Each window runs in a child process (this script with --child), which prints its record as
one line "@ {json}" on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from common import (  # also puts the repository on sys.path (tools/)
    REPO,
    SHARED_MNIST,
    SHARED_STROKES,
    describe_machine,
)

DEFAULT_STROKES = SHARED_STROKES / "unipen_digits_dev.npz"
TEACH_TIMEOUT = 60.0  # seconds from the key press to taught(), before it counts as never taught
FIRST_READ_TIMEOUT = 60.0  # the fresh window's first answer (the worker may still be warming up)
READ_TIMEOUT = 10.0
MNIST_DROP_TARGET = {"writer": 0.2, "random": 0.3}  # points of MNIST test accuracy
LATENCY_TARGETS = (1.0, 2.0)  # median, p95, in seconds
REDUCTION_TARGET = 33.0  # percent fewer misreads with teaching
Record = dict[str, Any]


# -- the child: one window ---------------------------------------------------------------------
def run_child(args: argparse.Namespace) -> int:
    """One window: replay the digits chosen by --writer or --random, print "@ {json}"."""
    from common import isolate_user_files

    isolate_user_files()  # started alone, never the user's own settings or kept network
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from gui.app import create_main_window
    from gui.pacing import training_threads
    from model.paths import user_data_dir
    from model.strokes import load_unipen
    from tools.driver import PredictionCatcher, read_digit, wait_until_ready

    digits = load_unipen(args.strokes)
    digits = digits.subset(digits.strict)
    if args.writer is not None:
        chosen = np.flatnonzero(digits.writers == args.writer)  # the file's order: writing order
    else:
        chosen = np.sort(
            np.random.default_rng(args.seed).choice(len(digits.labels), args.random, replace=False)
        )
    strokes = [digits.strokes[i] for i in chosen]
    labels = [int(digits.labels[i]) for i in chosen]

    app = QApplication.instance() or QApplication([sys.argv[0]])
    window = create_main_window([])
    window.resize(1200, 820)
    window.show()
    window.activateWindow()
    wait_until_ready(window)
    catcher = PredictionCatcher(window)
    notices: list[str] = []
    window.state.notice_posted.connect(lambda text, _about_network: notices.append(text))

    @dataclass
    class Teaching:
        """What the window showed after one key press."""

        label: int = -1
        pressed_at: float = 0.0
        read_at: float | None = None  # first answer read as `label`, before taught()
        taught_at: float | None = None
        taught: list[int] = field(default_factory=list)

    now = Teaching()

    def on_shown(probabilities: np.ndarray | None) -> None:
        if (
            now.label >= 0
            and now.read_at is None
            and now.taught_at is None
            and probabilities is not None
            and int(np.argmax(probabilities)) == now.label
        ):
            now.read_at = time.perf_counter()

    def on_taught(digit: object) -> None:
        if now.taught_at is None:
            now.taught_at = time.perf_counter()
        now.taught.append(int(digit))  # type: ignore[call-overload]  # an int

    window.prediction_shown.connect(on_shown)
    window.taught.connect(on_taught)
    waiting = QEventLoop()
    window.taught.connect(waiting.quit)
    deadline = QTimer(singleShot=True)
    deadline.timeout.connect(waiting.quit)

    def read(strokes_of_digit: Sequence[np.ndarray], timeout: float) -> int:
        try:
            probabilities = read_digit(window, catcher, strokes_of_digit, timeout=timeout)
        except TimeoutError:
            return -2  # no answer shown
        return -1 if probabilities is None else int(np.argmax(probabilities))

    def teach(label: int, shown_before: int, first: bool) -> Record:
        """Press the digit's key on the focused canvas; wait (idle, in an event loop) for taught()."""
        nonlocal now
        now = Teaching(label=label)
        before = window.state.teaching
        window.canvas.setFocus()
        now.pressed_at = time.perf_counter()
        QTest.keyClick(window.canvas, getattr(Qt.Key, f"Key_{label}"))
        started = window.state.teaching is not before and window.state.teaching.label == label
        if started and now.taught_at is None:
            deadline.start(int(TEACH_TIMEOUT * 1000))
            waiting.exec()
            deadline.stop()
        shown = window.state.prediction
        record: Record = {
            "label": label,
            "shown_before": shown_before,
            "first": first,  # the window's first: it also loads the digits that teaching replays
            "started": started,  # the key press began teaching
            "taught": now.taught_at is not None,
            "taught_digits": now.taught,
            "latency": None if now.read_at is None else now.read_at - now.pressed_at,
            "to_taught": None if now.taught_at is None else now.taught_at - now.pressed_at,
            "reports": len(window.state.teaching.losses),  # progress reports of the teaching
            "shown_at_end": -1 if shown is None or shown.digit is None else int(shown.digit),
        }
        now = Teaching()
        return record

    started_at = time.perf_counter()
    read(strokes[0], FIRST_READ_TIMEOUT)  # warm-up: reading changes nothing
    result: Record = {"labels": labels, "indices": chosen.tolist(), "writer": args.writer}
    teaches: list[Record] = []
    if args.writer is not None:
        result["without"] = [read(s, READ_TIMEOUT) for s in strokes]
        result["with"] = []
        for s, label in zip(strokes, labels, strict=True):
            shown = read(s, READ_TIMEOUT)
            result["with"].append(shown)
            if shown != label:
                teaches.append(teach(label, shown, first=not teaches))
    else:
        result["shown"] = []
        for s, label in zip(strokes, labels, strict=True):
            shown = read(s, READ_TIMEOUT)
            result["shown"].append(shown)
            teaches.append(teach(label, shown, first=not teaches))
    result["teaches"] = teaches
    # The last correction's rehearsal runs on in the background, as it would while a user
    # looks at the answer: the kept network is the one after it (its wait is reported).
    waited_from = time.perf_counter()
    while not window.state.teaching.done and window.state.teaching.label is not None:
        if time.perf_counter() - waited_from > TEACH_TIMEOUT:
            break
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.01)
    result["rehearsal_wait"] = time.perf_counter() - waited_from
    result["examples"] = len(window.state.examples)
    result["data"] = " from ".join(part for part in window.state.data_in_use() if part)
    result["seconds"] = time.perf_counter() - started_at
    result["training_threads"] = training_threads()
    window.close()  # keeps the taught network in last-session.pt
    app.processEvents()
    import torch  # already loaded by the window's trainer

    result["torch_threads"] = torch.get_num_threads()
    result["threads_left"] = window.controller.threads_running()
    result["kept"] = (user_data_dir() / "last-session.pt").is_file()
    result["notices"] = notices
    print("@ " + json.dumps(result), flush=True)
    return 0


# -- the parent: launch, score, report ---------------------------------------------------------
class MnistScorer:
    """Accuracy on the 10,000 MNIST test digits, in percent; the shipped network's as reference."""

    def __init__(self, data_dir: Path) -> None:
        import torch

        from model.checkpoint import DEFAULT_WEIGHTS, load_checkpoint
        from model.data import find_mnist
        from model.training import TrainingData

        self.threads = torch.get_num_threads()
        dataset = find_mnist(data_dir)
        if dataset is None:
            raise SystemExit(f"error: no MNIST in {data_dir}")
        self.data = TrainingData.from_dataset(dataset)
        self._load = load_checkpoint
        self.shipped = self.score(DEFAULT_WEIGHTS)

    def score(self, path: Path) -> float:
        from model.training import evaluate

        net, _ = self._load(path)
        _, accuracy = evaluate(net, self.data.test_x, self.data.test_y)
        return 100 * accuracy


def launch(
    child_args: list[str], data_dir: Path, timeout: float, keep: bool
) -> tuple[Record | None, str, Path]:
    """Run one window in a child process with its own settings folder: (record, failure, folder)."""
    folder = Path(tempfile.mkdtemp(prefix="digitpad-teach-"))
    env = dict(
        os.environ,
        QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM") or "offscreen",
        DIGITPAD_SETTINGS=str(folder / "settings.ini"),
        DIGITPAD_DATA=str(data_dir),
    )
    command = [sys.executable, str(Path(__file__).resolve()), "--child", *child_args]
    try:
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as expired:
        tail = (expired.stderr or b"")[-300:]
        return None, f"timed out after {timeout:.0f} s {tail!r}", folder
    record = next(
        (json.loads(line[2:]) for line in reversed(done.stdout.splitlines()) if line.startswith("@ ")), None
    )
    if keep:
        (folder / "child-stderr.txt").write_text(done.stderr)
    failure = ""
    if record is None:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        failure = f"exit {done.returncode}: {lines[-1] if lines else 'no output'}"
    elif done.returncode:
        record.setdefault("notices", []).append(f"the process exited with {done.returncode}")
    return record, failure, folder


def kept_drop(scorer: MnistScorer, folder: Path) -> tuple[float, str]:
    """Points of MNIST test accuracy lost by the kept network (0 when none was kept)."""
    kept = folder / "last-session.pt"
    if not kept.is_file():
        return 0.0, "no kept network"
    accuracy = scorer.score(kept)
    return scorer.shipped - accuracy, f"{accuracy:.2f}%"


def setup(record: Record) -> str:
    return (
        f"teaching replays {record['data']}; training threads {record['training_threads']}, "
        f"torch threads {record['torch_threads']}"
    )


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def later_half(shown: Sequence[int], labels: Sequence[int]) -> tuple[int, int]:
    """Correct answers and count over the later half of the digits, in writing order."""
    start = len(labels) // 2
    return sum(s == t for s, t in zip(shown[start:], labels[start:], strict=True)), len(labels) - start


def describe_teaches(teaches: Sequence[Record], name: str) -> None:
    latencies = [t["latency"] for t in teaches if t["latency"] is not None]
    not_read = sum(t["latency"] is None for t in teaches)
    never = sum(not t["taught"] for t in teaches)
    not_started = sum(not t["started"] for t in teaches)
    if not teaches:
        print(f"  {name}: none")
        return
    median, p95 = (statistics.median(latencies), percentile(latencies, 95)) if latencies else (np.nan, np.nan)
    to_taught = [t["to_taught"] for t in teaches if t["to_taught"] is not None]
    print(
        f"  {name}: {len(teaches)} teaches; key press → read as taught: median {median:.2f} s, "
        f"p95 {p95:.2f} s, max {max(latencies, default=np.nan):.2f} s; "
        f"not read as taught before taught(): {not_read}"
    )
    print(
        f"  {'':{len(name)}}  key press → taught(): median {statistics.median(to_taught or [np.nan]):.2f} s; "
        f"key press did not start teaching: {not_started}; "
        f"taught() never came ({TEACH_TIMEOUT:.0f} s): {never}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strokes", type=Path, default=DEFAULT_STROKES)
    parser.add_argument(
        "--data-dir", type=Path, default=SHARED_MNIST, help="MNIST folder (test scores, replay)"
    )
    parser.add_argument(
        "--writers", type=int, help="only the first N held-out writers (0: none; default all)"
    )
    parser.add_argument(
        "--random-corrections", type=int, default=100, help="digits taught in one window (0: skip)"
    )
    parser.add_argument("--only", action="append", default=[], help="only this held-out writer (repeatable)")
    parser.add_argument("--seed", type=int, default=0, help="which random dev digits")
    parser.add_argument("--keep", action="store_true", help="keep each window's folder (and its stderr)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--writer", help=argparse.SUPPRESS)
    parser.add_argument("--random", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return run_child(args)
    if not args.strokes.is_file():
        print(f"error: {args.strokes} not found", file=sys.stderr)
        return 2
    if not args.data_dir.is_dir():
        print(f"error: the MNIST folder {args.data_dir} does not exist", file=sys.stderr)
        return 2

    from model.strokes import is_training_writer, load_unipen

    print(describe_machine())
    digits = load_unipen(args.strokes)
    digits = digits.subset(digits.strict)
    writers = list(dict.fromkeys(str(w) for w in digits.writers if not is_training_writer(str(w))))
    if args.writers is not None:
        writers = writers[: args.writers]
    if args.only:
        writers = [writer for writer in writers if writer in args.only]
    scorer = MnistScorer(args.data_dir)
    print(f"torch threads (scoring here): {scorer.threads}")
    print(f"shipped network: {scorer.shipped:.2f}% on the 10,000 MNIST test digits")
    print(f"strokes: {args.strokes}; MNIST: {args.data_dir}\n")

    teaches: list[Record] = []
    totals = {"digits": 0, "without": 0, "with": 0, "later": 0, "later_without": 0, "later_with": 0}
    drops: list[float] = []
    failures = 0
    setups: set[str] = set()  # what the windows' teaching replayed and computed on
    if writers:
        print(
            f"{'writer':<24} {'digits':>6} {'misreads w/o':>12} {'with':>5} "
            f"{'later half w/o':>14} {'with':>7} {'teaches':>7} {'MNIST':>8} {'drop':>6} {'latency':>8} "
            f"{'rehearsal wait':>14}"
        )
    for writer in writers:
        count = int((digits.writers == writer).sum())
        record, failure, folder = launch(
            ["--strokes", str(args.strokes), "--writer", writer], args.data_dir, 180 + 20 * count, args.keep
        )
        if record is None:
            failures += 1
            print(f"{writer:<24} {count:>6} FAILED: {failure}")
        else:
            labels = record["labels"]
            without = sum(s != t for s, t in zip(record["without"], labels, strict=True))
            with_teaching = sum(s != t for s, t in zip(record["with"], labels, strict=True))
            later_without, later = later_half(record["without"], labels)
            later_with, _ = later_half(record["with"], labels)
            drop, kept = kept_drop(scorer, folder)  # the child has exited: nothing else computes
            drops.append(drop)
            teaches += record["teaches"]
            setups.add(setup(record))
            latencies = [t["latency"] for t in record["teaches"] if t["latency"] is not None]
            for key, value in (
                ("digits", len(labels)),
                ("without", without),
                ("with", with_teaching),
                ("later", later),
                ("later_without", later_without),
                ("later_with", later_with),
            ):
                totals[key] += value
            print(
                f"{writer:<24} {len(labels):>6} {without:>12} {with_teaching:>5} "
                f"{later_without / later:>14.1%} {later_with / later:>7.1%} {len(record['teaches']):>7} "
                f"{kept:>8} {drop:>6.2f} "
                + (f"{statistics.median(latencies):>7.2f}s" if latencies else f"{'–':>8}")
                + f" {record['rehearsal_wait']:>13.1f}s"
            )
            odd = [t for t in record["teaches"] if not t["started"] or not t["taught"]]
            if record.get("threads_left"):
                odd.append("a worker thread outlived the window")
            for note in record.get("notices", []) + [f"teach went wrong: {t}" for t in odd]:
                print(f"{'':<24}   ! {note}")
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)

    random_drop: float | None = None
    random_teaches: list[Record] = []
    if args.random_corrections:
        record, failure, folder = launch(
            [
                "--strokes",
                str(args.strokes),
                "--random",
                str(args.random_corrections),
                "--seed",
                str(args.seed),
            ],
            args.data_dir,
            180 + 20 * args.random_corrections,
            args.keep,
        )
        print(
            f"\nrandom corrections: {args.random_corrections} strict dev digits "
            f"(seed {args.seed}), one window"
        )
        if record is None:
            failures += 1
            print(f"  FAILED: {failure}")
        else:
            random_drop, kept = kept_drop(scorer, folder)
            random_teaches = record["teaches"]
            setups.add(setup(record))
            misread = sum(s != t for s, t in zip(record["shown"], record["labels"], strict=True))
            print(
                f"  read wrong before teaching: {misread}; examples kept: {record['examples']}; "
                f"{record['seconds']:.0f} s; the last rehearsal ended {record['rehearsal_wait']:.1f} s "
                "after the last digit"
            )
            target = MNIST_DROP_TARGET["random"]
            print(
                f"  kept network: {kept} on MNIST test, drop {random_drop:.2f} points "
                f"(target <= {target}): {verdict(random_drop <= target)}"
            )
            for note in record.get("notices", []):
                print(f"    ! {note}")
            if record.get("threads_left"):
                print("    ! a worker thread outlived the window")
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)

    print("\nTOTALS")
    if totals["digits"]:
        reduction = 100 * (totals["without"] - totals["with"]) / max(1, totals["without"])
        print(
            f"  writers: {len(drops)} of {len(writers)} ({totals['digits']} digits); misreads without "
            f"teaching {totals['without']}, with teaching {totals['with']}: {reduction:.1f}% fewer "
            f"(target >= {REDUCTION_TARGET:.0f}%): {verdict(reduction >= REDUCTION_TARGET)}"
        )
        print(
            f"  later half of each writer's digits: {totals['later_without'] / totals['later']:.2%} without "
            f"teaching, {totals['later_with'] / totals['later']:.2%} with ({totals['later']} digits)"
        )
        print(
            f"  MNIST test drop after a writer's session: max {max(drops):.2f}, mean "
            f"{statistics.mean(drops):.2f} points (target <= {MNIST_DROP_TARGET['writer']}): "
            f"{verdict(max(drops) <= MNIST_DROP_TARGET['writer'])}"
        )
    if random_drop is not None:
        print(
            f"  MNIST test drop after {args.random_corrections} random corrections: {random_drop:.2f} points"
        )
    every = teaches + random_teaches
    latencies = [t["latency"] for t in every if t["latency"] is not None]
    print("  speed (an idle machine is assumed: see the load average):")
    describe_teaches(teaches, "writer corrections")
    describe_teaches(random_teaches, "random corrections")
    describe_teaches(
        [t for t in random_teaches if t["shown_before"] != t["label"]], "  of them read wrong first"
    )
    describe_teaches([t for t in random_teaches if t["shown_before"] == t["label"]], "  of them confirming")
    describe_teaches([t for t in every if t["first"]], "first teach of a window")
    describe_teaches([t for t in every if not t["first"]], "later teaches")
    if latencies:
        median, p95 = statistics.median(latencies), percentile(latencies, 95)
        print(
            f"  HEADLINE latency over all {len(every)} teaches: median {median:.2f} s "
            f"(target <= {LATENCY_TARGETS[0]:.0f} s): {verdict(median <= LATENCY_TARGETS[0])}, "
            f"p95 {p95:.2f} s "
            f"(target <= {LATENCY_TARGETS[1]:.0f} s): {verdict(p95 <= LATENCY_TARGETS[1])}"
        )
    for line in sorted(setups):
        print(f"  windows: {line}")
    print(f"  load average now {os.getloadavg()}; windows that failed: {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""Does the canvas keep every pointer sample under load? Ink drawn busy against ink drawn idle.

A real digitpad window runs on a private Xvfb display (child process bench/ink_window.py) and
real X input comes from xdotool, as a hand's mouse would: a 125 Hz stream of small moves at a
few hundred px/s. The same strokes (a 0, a 5, a 2 and a spiral) are drawn

    idle           the network only predicts (the reference; drawn twice to show it repeats)
    training       while the window trains (Train, as the button does)
    training+cpu   training plus a CPU-bound neighbour process
    first stroke   each shape as the first stroke of a fresh launch, as soon as the window shows

and each drawing (canvas.image_array()) is compared with the idle one: identical pixels and
the IoU of the ink above 128, with the mouse moves sent and the canvas received. The same
points must paint the same pixels, so anything but 100% means samples were lost or merged.
--compress turns Qt's merging of queued moves back on (the old behaviour) for the contrast.

    python bench/ink_fidelity.py [--compress] [--data-dir DIR] [--epochs 30] [--speed 400] [--hz 125]
                                 [--screenshot PNG] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from common import REPO

Fractions = list[tuple[float, float]]  # a polyline in canvas fractions (0-1)
Pixels = list[tuple[int, int]]  # a polyline in screen pixels
Answer = dict[str, Any]  # a reply of the window's process
Parametric = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def curve(fn: Parametric, start: float, stop: float) -> Fractions:
    x, y = fn(np.linspace(start, stop, 400))
    return list(zip(x.tolist(), y.tolist(), strict=True))


def ellipse(cx: float, cy: float, rx: float, ry: float) -> Parametric:
    return lambda t: (cx + rx * np.cos(t), cy + ry * np.sin(t))  # y grows downwards: -pi/2 is the top


def spiral(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    radius = 0.02 + 0.33 * t / (6 * math.pi)
    return 0.5 + radius * np.cos(t), 0.5 + radius * np.sin(t)


# Each shape is a list of strokes (press, drag, release), in canvas fractions.
SHAPES: dict[str, list[Fractions]] = {
    "0": [curve(ellipse(0.5, 0.5, 0.22, 0.32), -math.pi / 2, -math.pi / 2 - 2.1 * math.pi)],
    "5": [
        [(0.34, 0.2), (0.335, 0.47), *curve(ellipse(0.47, 0.62, 0.2, 0.17), -2.3, 2.5)],
        [(0.34, 0.2), (0.68, 0.2)],
    ],
    "2": [[*curve(ellipse(0.5, 0.36, 0.19, 0.16), -math.pi, 0.7), (0.3, 0.8), (0.72, 0.8)]],
    "spiral": [curve(spiral, 0, 6 * math.pi)],
}


@dataclass(frozen=True)
class Square:
    """The drawing square on screen."""

    left: float
    top: float
    side: float


def to_screen(stroke: Fractions, square: Square, step: float) -> Pixels:
    """The stroke as integer screen points `step` px apart along it (repeats dropped)."""
    xy = np.array([(square.left + x * square.side, square.top + y * square.side) for x, y in stroke])
    lengths = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
    at = np.append(np.arange(0.0, lengths[-1], step), lengths[-1])
    xs, ys = np.interp(at, lengths, xy[:, 0]), np.interp(at, lengths, xy[:, 1])
    points: Pixels = []
    for x, y in zip(np.rint(xs).astype(int).tolist(), np.rint(ys).astype(int).tolist(), strict=True):
        if not points or points[-1] != (x, y):
            points.append((x, y))
    return points


def draw(display: str, strokes: list[Pixels], interval: float) -> float:
    """Drag the strokes with one xdotool process; returns its wall time in seconds."""
    command = ["xdotool"]
    for points in strokes:
        command += ["mousemove", *map(str, points[0]), "mousedown", "1"]
        for x, y in points[1:]:
            command += ["sleep", f"{interval:.4f}", "mousemove", str(x), str(y)]
        command += ["mouseup", "1", "sleep", "0.1"]
    started = time.perf_counter()
    subprocess.run(command, env=dict(os.environ, DISPLAY=display), check=True, timeout=120)
    return time.perf_counter() - started


class Window:
    """The child process holding the real window; ask() sends a command and returns its answer."""

    def __init__(self, display: str, compress: bool, data_dir: str | None, settings: Path) -> None:
        command = [sys.executable, str(REPO / "bench" / "ink_window.py")]
        command += ["--compress"] if compress else []
        command += ["--data-dir", data_dir] if data_dir else []
        self.launched = time.perf_counter()
        self.process = subprocess.Popen(
            command,
            cwd=REPO,
            env=dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", DIGITPAD_SETTINGS=str(settings)),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.replies: queue.Queue[Answer] = queue.Queue()
        self.events: queue.Queue[Answer] = queue.Queue()  # said unasked, e.g. {"event": "shown"}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("@ "):
                answer = json.loads(line[2:])
                (self.events if "event" in answer else self.replies).put(answer)
            else:
                print(f"  [window] {line.rstrip()}")

    def ask(self, command: str, timeout: float = 60.0) -> Answer:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        answer = self.replies.get(timeout=timeout)
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer

    def square(self) -> Square:
        answer = self.ask("where")
        return Square(answer["left"], answer["top"], answer["side"])

    def wait_for(self, condition: Callable[[Answer], bool], timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition(self.ask("status")):
            if time.monotonic() > deadline:
                raise TimeoutError("the window did not get there")
            time.sleep(0.2)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.write("quit\n")  # type: ignore[union-attr]
            self.process.stdin.flush()  # type: ignore[union-attr]
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Result:
    condition: str
    shape: str
    sent: int
    received: int
    ink: np.ndarray
    latest_ms: float
    px_per_s: float
    note: str = ""
    agree: float = math.nan  # fraction of pixels equal to the idle drawing's
    iou: float = math.nan  # of the ink above 128, with the idle drawing's


class Bench:
    def __init__(self, args: argparse.Namespace, display: str, folder: Path) -> None:
        self.args, self.display, self.folder = args, display, folder
        self.step = args.speed / args.hz  # px between samples
        self.results: list[Result] = []
        self.launches = 0

    def launch(self) -> Window:
        """A fresh window with fresh settings (a closed window keeps its network beside them)."""
        self.launches += 1
        settings = self.folder / f"settings-{self.launches}" / "settings.ini"
        return Window(self.display, self.args.compress, self.args.data_dir, settings)

    def strokes(self, shape: str, square: Square) -> list[Pixels]:
        return [to_screen(stroke, square, self.step) for stroke in SHAPES[shape]]

    def one_shape(
        self, window: Window, condition: str, shape: str, square: Square, fresh: bool = False
    ) -> Answer:
        """Draw the shape on a clear canvas (a fresh window's is) and keep the ink and the figures;
        returns the window's counters, which count from the clear (or the first paint)."""
        if not fresh:
            window.ask("clear")
        strokes = self.strokes(shape, square)
        seconds = draw(self.display, strokes, 1 / self.args.hz)
        path = self.folder / f"{condition.replace(' ', '_')}-{shape}.npy"
        answer = window.ask(f"dump {len(strokes)} {path}")
        note = ""
        if answer["strokes"] != len(strokes):
            note += f" {answer['strokes']} of {len(strokes)} strokes arrived"
        if condition.startswith("training") and answer["run"] != "running":
            note += f" training was {answer['run']} at the end"
        sent = sum(len(points) - 1 for points in strokes)  # moves with the button down
        length = sum(float(np.hypot(*np.diff(np.array(p), axis=0).T).sum()) for p in strokes)
        speed = length / max(1e-3, seconds - 0.1 * len(strokes))  # less the pauses between strokes
        result = Result(condition, shape, sent, answer["moves"], np.load(path), answer["latest_ms"], speed)
        result.note = note.strip()
        self.results.append(result)
        return answer

    def run_session(self) -> Square:
        """Idle, idle again, training, training with a CPU-bound neighbour: one window."""
        window = self.launch()
        try:
            window.wait_for(lambda status: status["network"])
            time.sleep(2)  # the optimiser's warm-up thread, as before a user draws
            square = window.square()
            print(f"drawing square on screen: {square}")
            for condition in ("idle", "idle again"):
                for shape in SHAPES:
                    self.one_shape(window, condition, shape, square)
            for condition in ("training", "training+cpu"):
                neighbour = None
                if condition == "training+cpu":
                    neighbour = subprocess.Popen([sys.executable, "-c", "while True: pass"])
                try:
                    for shape in SHAPES:
                        if window.ask("status")["run"] != "running":  # (re)start a run
                            window.ask(f"train {self.args.epochs}")
                            window.wait_for(lambda status: status["run"] == "running")
                            time.sleep(2)  # past the run's start (building its batches)
                        self.one_shape(window, condition, shape, square)
                    if self.args.screenshot and neighbour is None:
                        self.screenshot(window, square)
                finally:
                    if neighbour is not None:
                        neighbour.kill()
                        neighbour.wait()
        finally:
            window.close()
        return square

    def screenshot(self, window: Window, square: Square) -> None:
        """The whole screen with a 5 drawn while training."""
        window.ask("clear")
        strokes = self.strokes("5", square)
        draw(self.display, strokes, 1 / self.args.hz)
        window.ask(f"dump {len(strokes)} {self.folder / 'screenshot.npy'}")
        time.sleep(1)  # the answer and the activations follow the drawing
        env = dict(os.environ, DISPLAY=self.display)
        subprocess.run(["import", "-window", "root", self.args.screenshot], env=env, check=True)
        print(f"screenshot while training: {self.args.screenshot}")

    def first_strokes(self, square: Square) -> None:
        """Each shape as the first stroke of a fresh window, drawn the moment it shows."""
        for shape in SHAPES:
            window = self.launch()
            try:
                shown = window.events.get(timeout=60)
                assert shown.get("event") == "shown", shown
                delay = time.perf_counter() - window.launched
                answer = self.one_shape(window, "first stroke", shape, square, fresh=True)
                result = self.results[-1]
                result.note = f"drawn as the window showed, {delay:.1f} s after launch" + (
                    "; network still loading at the press" if not answer["loaded_at_press"] else ""
                )
                if (now := window.square()) != square:
                    result.note += f"; the square moved to {now}"
            finally:
                window.close()

    def report(self) -> bool:
        """Print the table; True when every drawing equals the idle one."""
        reference = {r.shape: r.ink for r in self.results if r.condition == "idle"}
        print(
            f"\n{'condition':<13} {'shape':<7} {'moves sent':>10} {'received':>9} {'identical px':>13} "
            f"{'IoU ink>128':>11} {'GUI late':>9} {'speed':>10}  note"
        )
        for r in self.results:
            ref = reference[r.shape]
            if ref.shape != r.ink.shape:
                r.note = f"canvas {r.ink.shape} vs {ref.shape}; {r.note}"
            else:
                r.agree = float(np.mean(ref == r.ink))
                a, b = ref > 128, r.ink > 128
                r.iou = float((a & b).sum() / max(1, (a | b).sum()))
            print(
                f"{r.condition:<13} {r.shape:<7} {r.sent:>10} {r.received:>9} {r.agree:>12.4%} "
                f"{r.iou:>11.4f} {r.latest_ms:>6.0f} ms {r.px_per_s:>6.0f} px/s  {r.note}"
            )
        print("GUI late: the most a 5 ms timer in the window's GUI thread ran late while drawing the shape\n")
        for condition in dict.fromkeys(r.condition for r in self.results):
            rows = [r for r in self.results if r.condition == condition]
            sent, received = sum(r.sent for r in rows), sum(r.received for r in rows)
            print(
                f"{condition:<13} moves received {received}/{sent} ({received / sent:.1%}), "
                f"identical px min {min(r.agree for r in rows):.4%}, IoU min {min(r.iou for r in rows):.4f}, "
                f"GUI late up to {max(r.latest_ms for r in rows):.0f} ms"
            )
        return all(r.agree == 1.0 and r.received == r.sent for r in self.results)


def machine() -> str:
    model = "unknown CPU"
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{datetime.datetime.now():%Y-%m-%d %H:%M}, {model}, {os.cpu_count()} cores, load average {load}"


@contextmanager
def xvfb() -> Iterator[str]:
    """A private X display (the first free number from 90), stopped on the way out."""
    number = next(n for n in range(90, 200) if not Path(f"/tmp/.X{n}-lock").exists())
    server = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Xvfb :{number} did not start")
            time.sleep(0.05)
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compress", action="store_true", help="merge queued mouse moves, as Qt did")
    parser.add_argument("--data-dir", help="MNIST folder the window trains on (else the practice set)")
    parser.add_argument("--speed", type=float, default=400.0, help="pen speed in px/s")
    parser.add_argument("--hz", type=float, default=125.0, help="mouse samples per second")
    parser.add_argument("--epochs", type=float, default=30, help="typed in the panel before Train")
    parser.add_argument("--screenshot", help="PNG of the screen with a 5 drawn while training")
    parser.add_argument("--keep", help="folder to keep the drawings in (.npy), else a temporary one")
    args = parser.parse_args()
    print(f"ink fidelity: {machine()}")
    mode = "ON (the old behaviour)" if args.compress else "off (as the app sets it)"
    print(f"mouse-move compression {mode}; {args.speed:.0f} px/s, {args.hz:.0f} samples/s")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch, xvfb() as display:
        folder = Path(args.keep or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        bench = Bench(args, display, folder)
        square = bench.run_session()
        bench.first_strokes(square)
    same = bench.report()
    print(f"\nevery drawing equals the idle one, every move received: {'yes' if same else 'NO'}")
    print(f"took {time.perf_counter() - started:.0f} s; load average now {os.getloadavg()[0]:.2f}")
    return 0 if same or args.compress else 1


if __name__ == "__main__":
    sys.exit(main())

"""Helpers shared by the GUI test modules.

tests/gui/conftest.py is not importable by name (tests/ and tests/model/ have a conftest.py
too and there are no __init__.py files), so its `drag` and `polyline` are loaded by path, once.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from tools import driver

_NAME = "digitpad_gui_conftest"
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(_NAME, Path(__file__).with_name("conftest.py"))
    assert _spec is not None and _spec.loader is not None
    sys.modules[_NAME] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules[_NAME])

drag: Callable[..., None] = sys.modules[_NAME].drag
polyline: Callable[..., list[tuple[float, float]]] = sys.modules[_NAME].polyline

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")

VERTICAL = polyline((0.5, 0.15), (0.5, 0.85))  # a "1"
SEVEN = polyline((0.25, 0.2), (0.75, 0.2), (0.45, 0.85))
HORIZONTAL = polyline((0.2, 0.5), (0.8, 0.5))


def answer_questions(monkeypatch, button) -> list[str]:
    """Answer every modal question with `button` (a QMessageBox.StandardButton); returns the
    titles asked, in order."""
    from PySide6.QtWidgets import QMessageBox

    asked: list[str] = []

    def answer(parent, title: str, *args, **kwargs):
        asked.append(title)
        return button

    monkeypatch.setattr(QMessageBox, "question", answer)
    return asked


def open_window(qtbot, *argv: str):
    """The real window (as launched with `argv`), shown, once its network answers."""
    from gui.app import create_main_window

    window = create_main_window(list(argv))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.state.network is not None, timeout=15000)
    return window


def use_network(qtbot, window, arch: str) -> None:
    """Make a new untrained network of `arch` (its default shape) the one in use."""
    driver.use_network(window, arch)


def drag_with(canvas, button: Qt.MouseButton, points: Sequence[tuple[float, float]]) -> None:
    """Like conftest's drag, with any mouse button (the right button erases)."""

    def at(x: float, y: float) -> QPoint:
        return canvas.widget_point(x, y).toPoint()

    QTest.mousePress(canvas, button, Qt.KeyboardModifier.NoModifier, at(*points[0]))
    for x, y in points[1:]:
        QTest.mouseMove(canvas, at(x, y))
    QTest.mouseRelease(canvas, button, Qt.KeyboardModifier.NoModifier, at(*points[-1]))


def pixels_near(widget, colour: Sequence[int], tolerance: int, rows: int | None = None) -> int:
    """How many pixels of `widget` as it paints itself (its first `rows` rows, or all) are
    within `tolerance` (summed over red, green and blue) of `colour`."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    lines = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    rgb = lines[:rows, : 3 * image.width()].reshape(-1, image.width(), 3).astype(int)
    return int((np.abs(rgb - np.asarray(colour[:3])).sum(axis=2) < tolerance).sum())


def ink(canvas, level: int = 128) -> int:
    """How many canvas pixels are brighter than `level`."""
    return int(np.count_nonzero(canvas.image_array() > level))


class _Quiet:
    def log_message(self, format: str, *args) -> None:  # no request log on stderr
        pass


class _Files(_Quiet, SimpleHTTPRequestHandler):
    pass


class _NotFound(_Quiet, BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_error(404, "Not Found")


class _Stall(_Quiet, BaseHTTPRequestHandler):
    """Promises a megabyte, sends a little, then goes silent until released."""

    requested: threading.Event
    release: threading.Event

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(1 << 20))
        self.end_headers()
        self.wfile.write(b"\0" * 1000)
        self.wfile.flush()
        self.requested.set()
        self.release.wait(60)


@contextmanager
def _serving(handler) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="test-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def serve_directory(directory: Path):
    """A local mirror serving the files of `directory`; yields its URL."""
    return _serving(partial(_Files, directory=str(directory)))


def serve_not_found():
    """A mirror that answers 404 to everything."""
    return _serving(_NotFound)


@contextmanager
def serve_stalling() -> Iterator[tuple[str, threading.Event]]:
    """A mirror that stalls mid-file; yields (url, event set once a request is being served)."""
    requested, release = threading.Event(), threading.Event()
    handler = type("Stall", (_Stall,), {"requested": requested, "release": release})
    try:
        with _serving(handler) as url:
            yield url, requested
            release.set()
    finally:
        release.set()

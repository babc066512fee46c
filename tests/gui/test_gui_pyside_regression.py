"""PySide6-Essentials 6.12.0 on Python 3.11 drops a reference to None on every call of a C++
method returning void, so a few thousand painting calls drive None's refcount to zero and abort
the interpreter. Drawing is thousands of such calls per second, so the app must never run on it:
this test paints far more than that in a child process and checks None's refcount is intact.
"""

from __future__ import annotations

import os
import subprocess
import sys

from repo_paths import REPO

SEGMENTS = 20_000  # mouse moves on the real canvas, each painting a segment
LINES = 50_000  # plain QPainter.drawLine calls into a QImage

CHILD = f"""
import sys
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from gui.canvas import DrawingCanvas

app = QApplication([])
canvas = DrawingCanvas()
canvas.resize(280, 280)
canvas.show()
app.processEvents()
before = sys.getrefcount(None)

left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
moves = 0
while moves < {SEGMENTS}:
    QTest.mousePress(canvas, left, none, QPoint(20, 20))
    for i in range(500):
        QTest.mouseMove(canvas, QPoint(20 + (i * 7) % 240, 20 + (i * 13) % 240))
    QTest.mouseRelease(canvas, left, none, QPoint(30, 30))
    moves += 500
    app.processEvents()
    canvas.clear()
strokes_ok = canvas.stroke_count() == 0

image = QImage(64, 64, QImage.Format.Format_Grayscale8)
image.fill(0)
painter = QPainter(image)
painter.setPen(QPen(QColor(255, 255, 255), 2))
for i in range({LINES}):
    painter.drawLine(i % 64, 0, 63 - i % 64, 63)
painter.end()
app.processEvents()

after = sys.getrefcount(None)
print("NONE_REFCOUNT", before, after, strokes_ok, image.pixelColor(32, 32).value(), flush=True)
"""


def test_tens_of_thousands_of_painting_calls_keep_none_alive():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    result = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=REPO, env=env, capture_output=True, text=True, timeout=90
    )
    assert result.returncode == 0, f"the child died ({result.returncode}):\n{result.stderr[-2000:]}"
    line = next(line for line in result.stdout.splitlines() if line.startswith("NONE_REFCOUNT"))
    _, before, after, strokes_ok, centre = line.split()
    # A leak of one reference per void call would have lost at least SEGMENTS + LINES.
    assert int(before) - int(after) < 500, f"None's refcount fell from {before} to {after}"
    assert strokes_ok == "True"
    assert int(centre) > 0  # the lines were really painted

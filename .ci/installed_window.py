"""Open the installed digitpad headless until its network answers a drawn stroke, then quit.

Run by the interpreter of a fresh virtual environment, from outside the clone: it must find
everything (code, shipped weights) in the installed wheel alone.
"""

import os
import sys
import tempfile
import time

os.environ["QT_QPA_PLATFORM"] = os.environ.get("QT_QPA_PLATFORM") or "offscreen"
os.environ["DIGITPAD_SETTINGS"] = os.path.join(tempfile.mkdtemp(), "settings.ini")

import digitpad

digitpad.put_app_on_path()

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from gui.app import create_main_window  # noqa: E402

assert "site-packages" in create_main_window.__code__.co_filename, create_main_window.__code__.co_filename
app = QApplication([])
window = create_main_window([])
window.show()
answers = []
window.prediction_shown.connect(answers.append)
deadline = time.monotonic() + 60
while window.state.network is None and time.monotonic() < deadline:
    app.processEvents()
network = window.state.network
assert network is not None and network.source == "shipped weights", network
canvas = window.canvas
left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
QTest.mousePress(canvas, left, none, canvas.widget_point(0.5, 0.2).toPoint())
for i in range(1, 13):
    QTest.mouseMove(canvas, canvas.widget_point(0.5, 0.2 + i * 0.05).toPoint())
QTest.mouseRelease(canvas, left, none, canvas.widget_point(0.5, 0.8).toPoint())
while not answers and time.monotonic() < deadline:
    app.processEvents()
assert answers and answers[-1] is not None, "no answer was shown"
digit = int(answers[-1].argmax())
print(f"installed window: {network.description} ({network.source}) read a vertical stroke as {digit}")
window.close()
sys.exit(0 if digit == 1 else 1)

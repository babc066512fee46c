"""The window from its minimum size up to 4K: no widget overlaps a sibling or is squeezed
below the size it needs, and the default size fits a 1366x768 laptop screen."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap

import pytest
from gui_support import SEVEN
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QAbstractScrollArea, QSplitterHandle, QWidget
from repo_paths import REPO

from gui.theme import DEFAULT_SIZE, MIN_WINDOW_SIZE, default_size

SIZES = [MIN_WINDOW_SIZE, (1256, 706), DEFAULT_SIZE, (1920, 1080), (3840, 2160)]


def layout_problems(root: QWidget) -> list[str]:
    """Visible siblings that overlap, and widgets smaller than their minimum size hint."""
    problems = []
    stack = [root]
    while stack:
        parent = stack.pop()
        if isinstance(parent, QAbstractScrollArea):
            continue  # what is inside scrolls: it may be larger than the window shows
        children = [
            child
            for child in parent.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
            if child.isVisible() and not child.isWindow()
        ]
        laid_out = [
            child
            for child in children
            if child.objectName() != "noticeBar" and not isinstance(child, QSplitterHandle)
        ]
        for i, first in enumerate(laid_out):
            for second in laid_out[i + 1 :]:
                overlap: QRect = first.geometry().intersected(second.geometry())
                if overlap.width() > 1 and overlap.height() > 1:
                    problems.append(
                        f"{name(first)} overlaps {name(second)} by {overlap.width()}x{overlap.height()}"
                    )
            hint = first.minimumSizeHint()
            short = [
                f"{axis} {have} < {need}"
                for axis, have, need in (
                    ("width", first.width(), hint.width()),
                    ("height", first.height(), hint.height()),
                )
                if need > 0 and have < need - 1
            ]
            if short and first.minimumSize().isNull():
                problems.append(f"{name(first)} squeezed: {', '.join(short)}")
        stack.extend(children)
    return problems


def plot_name_spans(window) -> list[tuple[float, float, str]]:
    """Where each of the loss plot's rows has its name along the left edge: (top, bottom, text)
    in scene coordinates, measured on the text itself (its item has margins around it)."""
    spans = []
    plots = window.loss_plot
    for row in (plots.loss_plot, plots.accuracy_plot, plots.rate_plot):
        axis = row.getAxis("left")
        label = axis.label
        middle = label.sceneBoundingRect().center().y()
        assert abs(middle - axis.sceneBoundingRect().center().y()) <= 4, "the name is off the row's middle"
        text = label.toPlainText().strip()  # pyqtgraph leaves a space for the units
        length = QFontMetricsF(label.font()).horizontalAdvance(text)
        spans.append((middle - length / 2, middle + length / 2, text))
    return spans


def name(widget: QWidget) -> str:
    text = getattr(widget, "text", None)
    label = f" {text()!r}" if callable(text) and isinstance(text(), str) and text() else ""
    return f"{type(widget).__name__}({widget.objectName()}){label[:40]}"


@pytest.mark.parametrize("saliency", [False, True], ids=["", "where-it-looked"])
@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_nothing_overlaps_or_is_squeezed(qtbot, window, draw_and_wait, size, saliency):
    window.saliency.toggle.setChecked(saliency)
    draw_and_wait(SEVEN)
    window.state.post_notice("A notice floats over the window and moves nothing.")
    window.resize(*size)
    qtbot.waitUntil(lambda: window.size().toTuple() == size, timeout=3000)
    qtbot.wait(50)
    assert layout_problems(window) == []
    spans = plot_name_spans(window)  # top to bottom: loss, accuracy, rate
    assert all(upper[1] < lower[0] for upper, lower in itertools.pairwise(spans)), spans
    if size[1] >= DEFAULT_SIZE[1]:
        assert spans[1][2] == "accuracy"  # room for the whole word
    if size == MIN_WINDOW_SIZE:
        assert spans[1][2] == "acc."
    panel = window.training_panel
    for widget in (panel.train_button, panel.stop_button, panel.accuracy_label, window.canvas):
        assert widget.visibleRegion().boundingRect().size() == widget.size(), f"{name(widget)} is cut"


def test_the_window_cannot_shrink_below_its_minimum(qtbot, window):
    window.resize(640, 400)
    qtbot.wait(50)
    assert (window.width(), window.height()) == MIN_WINDOW_SIZE


def test_a_notice_moves_nothing(qtbot, window, draw_and_wait):
    draw_and_wait(SEVEN)
    before = {
        child.objectName() or type(child).__name__: child.geometry()
        for child in (window.canvas, window.training_panel)
    }
    window.state.post_notice("The network kept from your last session could not be restored. " * 3)
    qtbot.wait(50)
    assert window.notice.isVisible()
    after = {
        child.objectName() or type(child).__name__: child.geometry()
        for child in (window.canvas, window.training_panel)
    }
    assert after == before
    # The notice sits at the bottom of the window, clear of the canvas.
    assert not window.notice.geometry().intersects(
        window.canvas.geometry().translated(
            window.canvas.mapTo(window.centralWidget(), window.canvas.rect().topLeft()) - window.canvas.pos()
        )
    )


def test_the_default_size_fits_a_1366x768_screen():
    free_width, free_height = 1366, 768 - 40  # a taskbar
    width, height = default_size(QSize(free_width, free_height))
    assert width <= free_width and height + 30 <= free_height  # with its title bar
    assert (width, height) >= MIN_WINDOW_SIZE
    assert default_size(QSize(3840, 2100)) == DEFAULT_SIZE  # a large screen: the full default


SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[1])
    from PySide6.QtWidgets import QApplication
    from gui.app import create_main_window
    from tools.driver import wait_until_ready
    sys.path[:0] = [sys.argv[1] + "/tests", sys.argv[1] + "/tests/gui"]
    from test_gui_layout import layout_problems
    app = QApplication([])
    assert app.devicePixelRatio() == 2, app.devicePixelRatio()
    window = create_main_window([])
    window.show()
    wait_until_ready(window)
    bad = []
    for size in [(1024, 680), (1280, 800)]:
        window.resize(*size)
        for _ in range(50):
            app.processEvents()
        bad += [f"{size}: {problem}" for problem in layout_problems(window)]
    window.close()
    print("\\n".join(bad) or "ok")
    """
)


def test_a_device_pixel_ratio_of_two(tmp_path):
    script = tmp_path / "hidpi.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, QT_SCALE_FACTOR="2", QT_QPA_PLATFORM="offscreen:size=4000x3000")
    result = subprocess.run(
        [sys.executable, str(script), str(REPO)], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "ok", result.stdout

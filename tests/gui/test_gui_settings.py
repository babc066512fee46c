"""Preferences: saved settings come back, and broken ones fall back to defaults, key by key.

The settings file is an ini file (DIGITPAD_SETTINGS, set per test by tests/conftest.py).
Each test writes it by hand, garbage included, before the window is created.
"""

from __future__ import annotations

import gc
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from gui_support import VERTICAL, drag, ink
from PySide6.QtCore import QByteArray, QCoreApplication, QEvent, QRect, QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow

from gui.app import create_main_window
from gui.canvas import DrawingCanvas
from gui.ink import PEN_SCALE_DEFAULT
from gui.theme import default_size
from model.data import PRACTICE_TRAINING_DIGITS
from model.messages import TrainConfig, quick_config

DEFAULTS = quick_config(PRACTICE_TRAINING_DIGITS)  # the test windows train on the practice set
# Valid values that are not the defaults: a key that kept its value is told from one reset.
CUSTOM = {
    "train/epochs": "7.5",
    "train/batch_size": "64",
    "train/learning_rate": "0.01",
    "train/optimizer": "sgd",
    "canvas/pen_scale": "1.4",
}


def settings_path() -> Path:
    return Path(os.environ["DIGITPAD_SETTINGS"])


def write_ini(values: dict[str, str], extra: bytes = b"") -> None:
    """Write `values` ("section/key" -> raw text) as an ini file, then any raw bytes."""
    sections: dict[str, list[str]] = {}
    for key, value in values.items():
        section, name = key.split("/")
        sections.setdefault(section, []).append(f"{name}={value}")
    text = "".join(f"[{section}]\n" + "\n".join(lines) + "\n\n" for section, lines in sections.items())
    settings_path().write_bytes(text.encode() + extra)


@contextmanager
def opened(qtbot) -> Iterator[QMainWindow]:
    window = create_main_window([])
    qtbot.addWidget(window)
    try:
        # The recipes are made for the data Train uses: the trainer says which as it starts.
        qtbot.waitUntil(lambda: bool(window.training_panel.data_label.text()), timeout=10000)
        yield window
    finally:
        window.close()
        assert not window.controller.threads_running()
        # Gone now, in this thread: the next window's worker must not collect its garbage.
        window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        gc.collect()


def shown(window) -> dict[str, object]:
    """What the window offers for each preference."""
    config = window.training_panel.config()
    return {
        "train/epochs": config.epochs,
        "train/batch_size": config.batch_size,
        "train/learning_rate": config.learning_rate,
        "train/optimizer": config.optimizer,
        "canvas/pen_scale": window.canvas.pen_scale,
    }


def default(key: str) -> object:
    return PEN_SCALE_DEFAULT if key == "canvas/pen_scale" else getattr(DEFAULTS, key.split("/")[1])


def custom(key: str) -> object:
    value = CUSTOM[key]
    return value if key == "train/optimizer" else type(default(key))(float(value))


GARBAGE = {
    "strings": {
        "train/epochs": "lots",
        "train/batch_size": "many",
        "train/learning_rate": "fast",
        "canvas/pen_scale": "wide",
    },
    "zero or negative": {
        "train/epochs": "0",
        "train/batch_size": "-5",
        "train/learning_rate": "-0.1",
        "canvas/pen_scale": "0",
    },
    "beyond the controls": {
        "train/epochs": "101",
        "train/batch_size": "5000",
        "train/learning_rate": "11",
        "canvas/pen_scale": "3",
    },
    "1e300": {
        "train/epochs": "1e300",
        "train/batch_size": "1e300",
        "train/learning_rate": "1e300",
        "canvas/pen_scale": "1e300",
    },
    "nan and inf": {
        "train/epochs": "nan",
        "train/batch_size": "inf",
        "train/learning_rate": "nan",
        "canvas/pen_scale": "-inf",
    },
    "fractional batch, tiny rate": {"train/batch_size": "12.5", "train/learning_rate": "1e-9"},
    "unknown names": {"train/optimizer": "lbfgs"},
    "empty and lists": {"train/optimizer": '"adam, sgd"', "train/epochs": "3, 4"},
}


def check_restored(window, broken: dict[str, str], epochs: float = DEFAULTS.epochs) -> None:
    values = shown(window)
    for key in CUSTOM:
        expected = (epochs if key == "train/epochs" else default(key)) if key in broken else custom(key)
        assert values[key] == pytest.approx(expected), f"{key}: saved {broken.get(key, CUSTOM[key])!r}"
    checked = window.menu_actions.pens.checkedAction()
    assert checked is not None and checked.data() == pytest.approx(values["canvas/pen_scale"])


def test_broken_preferences_at_start_up_fall_back_to_defaults_and_the_others_stay(qtbot):
    broken = GARBAGE["strings"]
    write_ini({**CUSTOM, **broken})
    settings = QSettings(str(settings_path()), QSettings.Format.IniFormat)
    settings.setValue("window/geometry", QByteArray(bytes(range(7, 73))))  # bad bytes
    settings.sync()
    del settings
    with opened(qtbot) as window:
        # Read before the trainer says which data Train uses: the Quick recipe's for MNIST. The
        # other fields are the user's, so the recipe is theirs: the data do not change it.
        check_restored(window, broken, epochs=TrainConfig().epochs)
        assert (window.width(), window.height()) == default_size()  # bytes refused


@pytest.mark.parametrize("case", [case for case in GARBAGE if case != "strings"])
def test_each_kind_of_garbage_falls_back_key_by_key(window, case):
    """The same restore as at start-up, run again on the open window (quicker than a new one)."""
    write_ini({**CUSTOM, **GARBAGE[case], "window/geometry": "not a geometry"})
    window.restore_settings()
    check_restored(window, GARBAGE[case])


def test_missing_preferences_are_defaults(window):
    write_ini({"train/batch_size": "256"})
    window.restore_settings()
    values = shown(window)
    assert values["train/batch_size"] == 256
    for key in CUSTOM.keys() - {"train/batch_size"}:
        assert values[key] == pytest.approx(default(key)), key
    assert window.menu_actions.pens.checkedAction().data() == PEN_SCALE_DEFAULT


def test_random_bytes_for_the_geometry_are_refused(window):
    before = window.geometry()
    for seed in range(20):
        geometry = QByteArray(np.random.default_rng(seed).integers(0, 256, 66, dtype=np.uint8).tobytes())
        assert not window.restoreGeometry(geometry)
        settings = QSettings(str(settings_path()), QSettings.Format.IniFormat)
        settings.setValue("window/geometry", geometry)
        settings.sync()
        window.restore_settings()
        assert window.geometry() == before


def test_random_junk_in_the_settings_file(window):
    """Binary junk can hide whole sections from QSettings: whatever is read is valid."""
    for seed in range(10):
        junk = np.random.default_rng(seed).integers(0, 256, 300, dtype=np.uint8).tobytes()
        write_ini(CUSTOM, extra=junk + b"\n[train]\nepochs=" + junk[:40] + b"\n")
        window.restore_settings()
        values = shown(window)
        for key, value in values.items():
            assert value == pytest.approx(custom(key)) or value == pytest.approx(default(key)), key


def test_a_window_saved_off_screen_opens_on_the_screen(qtbot):
    far = QMainWindow()
    far.setGeometry(30000, -20000, 900, 700)  # a monitor that has since been unplugged
    settings = QSettings(str(settings_path()), QSettings.Format.IniFormat)
    settings.setValue("window/geometry", far.saveGeometry())
    settings.sync()
    del settings, far
    with opened(qtbot) as window:
        window.show()
        qtbot.waitExposed(window)
        screen: QRect = QGuiApplication.primaryScreen().availableGeometry()
        visible = screen.intersected(window.frameGeometry())
        assert visible.width() >= 100 and visible.height() >= 100, window.frameGeometry()


def test_preferences_are_saved_on_close_and_restored(qtbot):
    with opened(qtbot) as window:
        panel = window.training_panel
        panel.set_config(
            TrainConfig(arch="mlp", epochs=4.5, batch_size=96, learning_rate=0.02, optimizer="adamw")
        )
        window.menu_actions.pens.actions()[0].trigger()  # thin
        panel.continue_training.setChecked(True)
        window.resize(1024, 680)
    with opened(qtbot) as window:
        config = window.training_panel.config()
        assert (config.epochs, config.batch_size, config.optimizer) == (4.5, 96, "adamw")
        assert not config.from_scratch  # Continue is remembered
        assert config.learning_rate == pytest.approx(0.02)
        assert window.canvas.pen_scale == pytest.approx(0.7)
        assert window.menu_actions.pens.checkedAction() is window.menu_actions.pens.actions()[0]
        assert (window.width(), window.height()) == (1024, 680)
    saved = QSettings(str(settings_path()), QSettings.Format.IniFormat)
    assert float(saved.value("canvas/pen_scale")) == pytest.approx(0.7)


def test_pen_width_menu(qtbot, window):
    group = window.menu_actions.pens
    names = [action.text().replace("&", "") for action in group.actions()]
    assert names == ["Thin pen", "Normal pen", "Thick pen"]
    assert group.isExclusive()
    assert group.checkedAction().data() == 1.0
    for action in group.actions():
        assert "trained with the normal pen" in action.toolTip()
    assert "normal pen" in window.canvas.toolTip()

    canvas = window.canvas
    inked = {}
    for action in group.actions():
        canvas.clear()
        action.trigger()
        assert group.checkedAction() is action
        assert canvas.pen_scale == action.data()
        assert canvas.pen_width() == pytest.approx(0.075 * canvas.image_array().shape[0] * action.data())
        drag(canvas, VERTICAL)
        inked[action.data()] = ink(canvas)
    assert inked[0.7] < inked[1.0] < inked[1.4]
    assert inked[1.4] / inked[0.7] == pytest.approx(2.0, rel=0.15)

    # A stroke keeps the width it was drawn with through a pen change, undo and redo (which
    # repaint every stroke from its vectors).
    canvas.clear()
    group.actions()[2].trigger()
    drag(canvas, VERTICAL)
    thick = ink(canvas)
    group.actions()[0].trigger()
    drag(canvas, [(0.1, 0.9), (0.12, 0.9)])
    canvas.undo()
    assert ink(canvas) == pytest.approx(thick, rel=0.02)
    canvas.redo()
    canvas.undo()
    assert ink(canvas) == pytest.approx(thick, rel=0.02)


@pytest.mark.parametrize(
    ("asked", "kept"),
    [(0.1, 0.5), (5, 2.0), (1.2, 1.2), (math.nan, 1.0), (math.inf, 2.0), ("wide", 1.0), (None, 1.0)],
)
def test_set_pen_scale_clamps(qtbot, asked, kept):
    canvas = DrawingCanvas()
    qtbot.addWidget(canvas)
    canvas.set_pen_scale(asked)
    assert canvas.pen_scale == pytest.approx(kept)

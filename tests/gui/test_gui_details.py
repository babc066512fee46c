"""The small things a new user noticed: the canvas hint, the Eraser's look, stable labels,
file dialogs' folder, the data path, the learning-rate field, Help."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gui_support import HORIZONTAL, VERTICAL, drag
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QTextBrowser
from repo_paths import REPO

from gui import settings as prefs
from model.paths import shown_path, user_documents_dir


def on_screen(widget) -> np.ndarray:
    """What the screen shows of `widget` (the window's backing store), as grey levels."""
    window = widget.window()
    top_left = widget.mapTo(window, widget.rect().topLeft())
    shot = QGuiApplication.primaryScreen().grabWindow(window.winId())
    ratio = shot.devicePixelRatio()
    part = shot.copy(QRect(top_left * ratio, widget.size() * ratio)).toImage()
    part = part.convertToFormat(QImage.Format.Format_Grayscale8)
    data = np.frombuffer(part.constBits(), np.uint8, part.bytesPerLine() * part.height())
    return data.reshape(part.height(), part.bytesPerLine())[:, : part.width()].copy()


@pytest.mark.parametrize("key", [Qt.Key.Key_Escape, Qt.Key.Key_Delete])
def test_the_hint_goes_as_soon_as_ink_comes_back_after_clearing_with_a_key(qtbot, window, draw_and_wait, key):
    canvas = window.canvas
    draw_and_wait(VERTICAL)
    canvas.setFocus()
    QTest.keyClick(canvas, key)
    qtbot.wait(50)
    hint = on_screen(canvas)
    middle = hint[hint.shape[0] // 2 - 10 : hint.shape[0] // 2 + 10]
    assert middle.max() > 100, "the hint shows on an empty canvas"
    drag(canvas, [(0.1, 0.1), (0.2, 0.1)])  # ink far from the hint
    qtbot.wait(50)
    shown = on_screen(canvas)
    middle = shown[
        shown.shape[0] // 2 - 10 : shown.shape[0] // 2 + 10, shown.shape[1] // 4 : -shown.shape[1] // 4
    ]
    assert middle.max() < 40, "the hint stayed behind the ink"


def test_the_eraser_looks_clearly_on_or_off(qtbot, window):
    button = window.eraser_button
    off = button.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    button.click()
    assert window.canvas.eraser_mode
    qtbot.wait(20)
    on = button.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    assert on.size() == off.size()  # same size on and off: the canvas does not move

    def mean(image: QImage) -> np.ndarray:
        data = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * image.height())
        return data.reshape(image.height(), -1, 4)[:, : image.width(), :3].reshape(-1, 3).mean(axis=0)

    assert np.abs(mean(on) - mean(off)).max() > 60, "on and off differ by a few grey levels only"
    button.click()


def test_undo_and_redo_keep_their_labels(qtbot, window):
    labels = {(window.undo_button.text(), window.redo_button.text())}
    for _ in range(3):
        drag(window.canvas, HORIZONTAL)
        window.canvas.undo()
        window.canvas.redo()
        labels.add((window.undo_button.text(), window.redo_button.text()))
    window.canvas.clear()
    labels.add((window.undo_button.text(), window.redo_button.text()))
    assert labels == {("Undo", "Redo")}
    assert window.menu_actions.undo.text().replace("&", "") == "Undo"


def test_file_dialogs_start_in_the_users_documents_never_the_source_tree(tmp_path):
    folder = Path(prefs.file_dialog_folder(prefs.open_settings()))
    assert folder == (user_documents_dir() if user_documents_dir().is_dir() else Path.home())
    assert REPO not in (folder, *folder.parents)
    saved = tmp_path / "nets" / "mine.pt"
    saved.parent.mkdir()
    prefs.remember_file_dialog_folder(str(saved))
    assert prefs.file_dialog_folder(prefs.open_settings()) == str(saved.parent)
    saved.parent.rmdir()  # a folder since deleted: back to the documents (or home)
    assert Path(prefs.file_dialog_folder(prefs.open_settings())) == folder


def mnist_folder(folder: Path) -> Path:
    """A folder that looks like MNIST to the panel (the files are read only when training)."""
    folder.mkdir(parents=True)
    for name in ("train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1"):
        (folder / f"{name}-ubyte.gz").write_bytes(b"")
    return folder


def test_a_long_data_path_is_shortened_in_the_middle_on_one_line(qtbot, window, tmp_path):
    deep = mnist_folder(tmp_path.joinpath(*[f"folder-with-a-long-name-{i}" for i in range(8)], "mnist"))
    window.controller.use_data_dir(str(deep))
    label = window.training_panel.data_path_label
    qtbot.waitUntil(lambda: label.full_text() == shown_path(deep), timeout=10000)
    qtbot.wait(20)
    assert "…" in label.text() and label.text().endswith("mnist")
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width()
    assert label.toolTip() == shown_path(deep)


@pytest.mark.parametrize(
    ("name", "typed", "kept", "said"),
    [("learning_rate", "100", 10.0, "100 became 10"), ("epochs", "200", 100.0, "200 became 100")],
)
def test_a_number_field_says_when_it_changes_what_was_typed(qtbot, window, name, typed, kept, said):
    field = getattr(window.training_panel, name)
    field.setFocus()
    field.lineEdit().selectAll()
    QTest.keyClicks(field.lineEdit(), typed)
    QTest.keyClick(field.lineEdit(), Qt.Key.Key_Return)
    assert field.value() == pytest.approx(kept)
    assert said in window.statusBar().currentMessage()


def test_help_explains_the_window(qtbot, window):
    texts = [action.text().replace("&", "") for action in window.menuBar().actions()]
    assert "Help" in texts
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Help")
    guide = next(a for a in help_menu.actions() if "How digitpad works" in a.text().replace("&", ""))
    guide.trigger()
    dialog = next(w for w in window.findChildren(QDialog) if w.isVisible())
    text = dialog.findChild(QTextBrowser).toPlainText()
    for idea in ("input layer", "relu(W·x + b)", "output layer", "loss", "Continue from the current weights"):
        assert idea in text
    dialog.close()


def test_pointer_samples_are_never_merged(window):
    """Set once the application exists (xcb turns compression on while it is built): a late GUI
    thread gets every queued mouse and tablet move, and no stroke is straightened
    (bench/ink_fidelity.py shows it with real X input under Xvfb)."""
    app = QGuiApplication.instance()
    assert not app.testAttribute(Qt.ApplicationAttribute.AA_CompressHighFrequencyEvents)
    assert not app.testAttribute(Qt.ApplicationAttribute.AA_CompressTabletEvents)


def test_a_data_folder_in_the_home_folder_is_shown_from_there(qtbot, window, tmp_path, monkeypatch):
    """As a file manager shows it: ~/Downloads/mnist says where it is, not whose computer it is."""
    monkeypatch.setattr(Path, "home", lambda: tmp_path / "someone")
    label = window.training_panel.data_path_label
    window.controller.use_data_dir(str(mnist_folder(tmp_path / "someone" / "Downloads" / "mnist")))
    qtbot.waitUntil(lambda: label.full_text() == str(Path("~", "Downloads", "mnist")), timeout=10000)
    elsewhere = mnist_folder(tmp_path / "shared" / "mnist")  # outside the home folder: in full
    window.controller.use_data_dir(str(elsewhere))
    qtbot.waitUntil(lambda: label.full_text() == str(elsewhere), timeout=10000)

"""Your handwriting: the examples you taught, to look through, relabel, delete, export or import."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from model.messages import HandwritingEdit

from .ink import grey_image

if TYPE_CHECKING:
    from model.handwriting import Example

    from .controller import Controller
    from .state import AppState

THUMBNAIL = 56
FILE_FILTER = "digitpad handwriting (*.npz)"


def age(created: float, now: float | None = None) -> str:
    """ "just now", "5 min ago", "3 h ago", else the date."""
    seconds = (time.time() if now is None else now) - created
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return time.strftime("%d %b %Y", time.localtime(created))


def thumbnail(pixels: np.ndarray) -> QPixmap:
    return QPixmap.fromImage(grey_image(pixels)).scaled(
        THUMBNAIL, THUMBNAIL, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


class HandwritingDialog(QDialog):
    """Renders AppState.examples; every change is a request to the trainer, which owns them."""

    def __init__(self, state: AppState, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("handwritingDialog")
        self.setWindowTitle("Your handwriting — digitpad")
        self._state, self._controller = state, controller
        self.summary = QLabel()
        self.summary.setObjectName("handwritingSummary")
        self.summary.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("handwritingList")
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        self.list.setGridSize(QSize(THUMBNAIL + 40, THUMBNAIL + 36))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.relabel_button = QToolButton()
        self.relabel_button.setText("Relabel as")
        self.relabel_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        relabel_menu = QMenu(self.relabel_button)
        for digit in range(10):
            action = relabel_menu.addAction(str(digit))
            action.triggered.connect(lambda _checked=False, d=digit: self.relabel(d))
        self.relabel_button.setMenu(relabel_menu)
        self.delete_button = QPushButton("Delete")
        self.clear_button = QPushButton("Delete all…")
        self.export_button = QPushButton("Export…")
        self.import_button = QPushButton("Import…")
        buttons = QHBoxLayout()
        for widget in (self.relabel_button, self.delete_button, self.clear_button):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.delete_button.clicked.connect(self.delete_selected)
        self.clear_button.clicked.connect(self.clear_all)
        self.export_button.clicked.connect(self.export)
        self.import_button.clicked.connect(self.import_file)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.list, self.delete_selected)
        state.examples_changed.connect(self.show_examples)
        self.resize(560, 420)
        self.show_examples(state.examples)

    def show_examples(self, examples: tuple[Example, ...]) -> None:
        selected = set(self.selected_keys())
        self.list.clear()
        now = time.time()
        for example in reversed(examples):  # newest first
            item = QListWidgetItem(
                QIcon(thumbnail(example.pixels)), f"{example.label} · {age(example.created, now)}"
            )
            item.setData(Qt.ItemDataRole.UserRole, example.key)
            when = time.strftime("%d %b %Y %H:%M", time.localtime(example.created))
            item.setToolTip(f"A {example.label}, taught {when}")
            self.list.addItem(item)
            item.setSelected(example.key in selected)
        count = len(examples)
        self.summary.setText(
            f"{count} example{'s' * (count != 1)} of your handwriting, newest first. Each one is a drawing "
            "you corrected or confirmed; the network learnt from it, and a training run with "
            "\u201cInclude my handwriting\u201d learns from all of them."
            if count
            else "No examples yet. Draw a digit and press its key (or click its bar, or "
            "\u201cIt's a\u201d): the network learns it, and it is kept here."
        )
        self._update_buttons()

    def selected_keys(self) -> list[str]:
        return [str(item.data(Qt.ItemDataRole.UserRole)) for item in self.list.selectedItems()]

    def _update_buttons(self) -> None:
        selected = len(self.list.selectedItems())
        self.relabel_button.setEnabled(selected == 1)
        self.delete_button.setEnabled(selected > 0)
        has_examples = self.list.count() > 0
        self.clear_button.setEnabled(has_examples)
        self.export_button.setEnabled(has_examples)

    def relabel(self, digit: int) -> None:
        keys = self.selected_keys()
        if len(keys) == 1:
            self._controller.edit_handwriting(HandwritingEdit("relabel", (keys[0],), digit))

    def delete_selected(self) -> None:
        keys = self.selected_keys()
        if keys:
            self._controller.edit_handwriting(HandwritingEdit("delete", tuple(keys)))

    def clear_all(self) -> None:
        answer = QMessageBox.question(
            self,
            "Delete all your examples?",
            f"Delete all {self.list.count()} examples of your handwriting? The network keeps what it "
            "learnt from them (Teach › Forget what I taught undoes that).",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._controller.edit_handwriting(HandwritingEdit("clear"))

    def export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export your handwriting", "my-handwriting.npz", FILE_FILTER
        )
        if path:
            if Path(path).suffix.lower() != ".npz":
                path += ".npz"
            self._controller.edit_handwriting(HandwritingEdit("export", path=path))

    def import_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import handwriting", "", FILE_FILTER)
        if path:
            self._controller.edit_handwriting(HandwritingEdit("import", path=path))


def ask_forget(parent: QWidget, examples: int) -> bool | None:
    """Ask before forgetting what was taught: True keeps the examples, False deletes them,
    None cancels."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Forget what you taught?")
    box.setText(
        "Go back to the network as it was before your corrections (after a restart: the shipped "
        "network)? What it learnt since, from you or from training, is forgotten."
    )
    box.setInformativeText(f"Your {examples} example{'s' * (examples != 1)} can stay for later, or go too.")
    keep = box.addButton("Forget, keep my examples", QMessageBox.ButtonRole.AcceptRole)
    drop = box.addButton("Forget and delete my examples", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    clicked = box.clickedButton()
    if clicked is keep:
        return True
    if clicked is drop:
        return False
    return None

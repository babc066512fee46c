"""What the user does to the network as a whole: open, save, replace, train from scratch.

The dialogs live here; the controller does the work. Nothing that holds training not in a
file is thrown away without asking.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from model.messages import TrainConfig

from . import settings as prefs
from .controller import Controller
from .shape_dialog import ShapeDialog
from .state import AppState

SUFFIX = ".pt"
NETWORK_FILES = "digitpad networks (*.pt);;All files (*)"
ONNX_FILES = "ONNX models (*.onnx);;All files (*)"
SCRIPT_FILES = "Python scripts (*.py);;All files (*)"


class NetworkFiles(QObject):
    """File › Open / Save / Save as, Network › New / Restore, and Train from random weights.

    A QObject child of the window: actions connected to its methods hold no reference that
    would keep a closed window alive."""

    # File › Export…: kind ("onnx" or "script"), path, the panel's TrainConfig or None; sent
    # straight to the trainer (gui/trainer_exports.py), which says how it went with a notice.
    _export = Signal(str, str, object)

    def __init__(self, parent: QWidget, state: AppState, controller: Controller) -> None:
        super().__init__(parent)
        self._state = state
        self._controller = controller
        self._export.connect(controller.trainer.export)
        controller.trainer.exported.connect(state.post_notice)

    def _window(self) -> QWidget:
        window = self.parent()
        assert isinstance(window, QWidget)
        return window

    def may_replace(self, doing: str = "Replace it") -> bool:
        """True unless the network in use holds training not in a file and the user keeps it.
        Save as… saves it first (then the replacement goes ahead, after the save)."""
        network = self._state.network
        if network is None or not network.unsaved_training:
            return True
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self._window(),
            "Replace the network?",
            f"The network in use was trained since it was opened or saved, and that training is "
            f"not in a file yet. {doing} anyway?",
            buttons.Save | buttons.Discard | buttons.Cancel,
            buttons.Cancel,
        )
        if answer == buttons.Save:
            return self.save_as(before_replacing=True)
        return answer == buttons.Discard

    def new_network(self, arch: str) -> None:
        if self.may_replace():
            self._controller.new_network(arch)

    def shape_network(self) -> None:
        """Choose the layers of a new network; it replaces the one in use (asking first)."""
        dialog = ShapeDialog(self._window())
        spec = dialog.spec() if dialog.exec() == ShapeDialog.DialogCode.Accepted else None
        if spec is not None and self.may_replace():
            self._controller.new_network(spec)

    def restore_shipped(self) -> None:
        if self.may_replace():
            self._controller.open_network("")

    def train(self, config: TrainConfig) -> None:
        """Train; from random weights only once unsaved training has been kept or let go."""
        if config.from_scratch and not self.may_replace("Start again from random weights"):
            return
        self._controller.train(config)

    def open(self) -> None:
        folder = prefs.file_dialog_folder(prefs.open_settings())
        path, _ = QFileDialog.getOpenFileName(self._window(), "Open a network", folder, NETWORK_FILES)
        if path and self.may_replace():
            prefs.remember_file_dialog_folder(path)
            self._controller.open_network(path)

    def save(self) -> None:
        if self._state.save_path:
            self._controller.save_network()  # to the network's own file, wherever it is then
        else:
            self.save_as()

    def save_as(self, before_replacing: bool = False) -> bool:
        """Ask where, then save; False when the user cancelled. `before_replacing`: a replacement
        follows, which the trainer drops if the save fails."""
        path = self._ask_where_to_save()
        if path:
            self._controller.save_network(path, before_replacing)
        return bool(path)

    def _ask_where_to_save(self) -> str:
        folder = prefs.file_dialog_folder(prefs.open_settings())
        network = self._state.network
        suggested = str(Path(folder) / f"digitpad-{network.arch if network else 'network'}{SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self._window(), "Save the network", suggested, NETWORK_FILES)
        if path and not Path(path).suffix:
            path += SUFFIX  # so that File › Open lists it
        if path:
            prefs.remember_file_dialog_folder(path)
        return path

    def export_onnx(self) -> None:
        """File › Export to ONNX…: the network in use, for runtimes other than PyTorch."""
        from model.export import NEEDS_ONNX, ONNX_SUFFIX, onnx_available

        if not onnx_available():  # an optional package: say so before asking where
            self._state.post_notice(NEEDS_ONNX)
            return
        network = self._state.network
        name = f"digitpad-{network.arch if network else 'network'}{ONNX_SUFFIX}"
        path = self._ask_where_to_export("Export the network to ONNX", name, ONNX_FILES)
        if path:
            self._ask_trainer_to_export("onnx", path, None)

    def export_script(self, panel: TrainConfig) -> None:
        """File › Export training script…: a PyTorch script that trains the network in use again
        (with `panel`'s recipe if the network records none)."""
        network = self._state.network
        name = f"train_digitpad_{network.arch if network else 'network'}.py"
        path = self._ask_where_to_export("Export a training script", name, SCRIPT_FILES)
        if path:
            self._ask_trainer_to_export("script", path, panel)

    def _ask_trainer_to_export(self, kind: str, path: str, panel: TrainConfig | None) -> None:
        self._controller.trainer.interrupt()  # as Controller asks: the slice under way ends after its step
        self._export.emit(kind, path, panel)

    def _ask_where_to_export(self, title: str, name: str, kinds: str) -> str:
        folder = prefs.file_dialog_folder(prefs.open_settings())
        path, _ = QFileDialog.getSaveFileName(self._window(), title, str(Path(folder) / name), kinds)
        if path and not Path(path).suffix:
            path += Path(name).suffix
        if path:
            prefs.remember_file_dialog_folder(path)
        return path

    def close(self) -> None:
        """Stop the workers and keep unsaved training for the next launch; when it cannot be
        kept (a full or read-only folder), ask until it is saved elsewhere, kept after all, or
        let go by the user: closing never loses it silently."""
        problem = self._controller.shutdown()
        trainer = self._controller.trainer
        while problem:
            choice = ask_unkept(self._window(), problem)
            if choice == "discard":
                trainer.kept.discard()
                break
            path = self._ask_where_to_save() if choice == "save" else ""
            if choice == "retry":
                problem = trainer.shutdown()
            elif path:
                problem = trainer.save_after_shutdown(path)
        trainer.kept.release()

    def choose_data_folder(self) -> None:
        start = prefs.file_dialog_folder(prefs.open_settings())
        folder = QFileDialog.getExistingDirectory(self._window(), "Folder holding the MNIST files", start)
        if folder:
            self._controller.use_data_dir(folder)


def ask_unkept(parent: QWidget, problem: str) -> str:
    """ "save", "retry" or "discard": what to do with training that could not be kept."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Keep your training?", problem, parent=parent)
    box.setInformativeText(
        "Save it to a file of your choice, try again (after making room on the disk, say), or "
        "discard it: the next launch then starts without it."
    )
    save = box.addButton("Save as…", QMessageBox.ButtonRole.AcceptRole)
    retry = box.addButton("Try again", QMessageBox.ButtonRole.ActionRole)
    discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(save)
    box.setEscapeButton(retry)
    box.exec()
    clicked = box.clickedButton()  # None when closed by the title bar: that never discards
    return "save" if clicked is save else "discard" if clicked is discard else "retry"

"""The window's menus and actions, with their shortcuts and tooltips, in one place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

from .help import show_guide
from .training_panel import NEW_NETWORKS

if TYPE_CHECKING:
    from .main_window import MainWindow

# Edit menu pen widths: scale of the normal pen -> (menu text, tooltip).
PEN_SCALES = {
    0.7: ("&Thin pen", "New strokes 0.7× as wide as the normal pen."),
    1.0: ("&Normal pen", "New strokes as wide as the digits the network learnt from."),
    1.4: ("Thic&k pen", "New strokes 1.4× as wide as the normal pen."),
}
PEN_NOTE = "The network was trained with the normal pen: it reads digits drawn with it best."
Shortcut = QKeySequence | QKeySequence.StandardKey | str | list[QKeySequence]


@dataclass
class Actions:
    """The actions whose state changes while the app runs."""

    undo: QAction
    redo: QAction
    clear: QAction
    eraser: QAction
    download: QAction
    pens: QActionGroup
    replacing: list[QAction]  # actions that replace the network in use: not while it trains

    def check_pen(self, scale: float) -> None:
        for action in self.pens.actions():
            action.setChecked(abs(action.data() - scale) < 1e-6)


def _add(
    menu: QMenu,
    text: str,
    slot: Callable[..., object],
    shortcut: Shortcut | None = None,
    tip: str = "",
    checkable: bool = False,
) -> QAction:
    action = QAction(text, menu.parent(), checkable=checkable)
    if shortcut is not None:
        keys = shortcut if isinstance(shortcut, list) else [shortcut]
        action.setShortcuts([QKeySequence(k) for k in keys])
    action.setStatusTip(tip)
    action.setToolTip(tip or text.replace("&", ""))
    action.triggered.connect(slot)
    menu.addAction(action)
    return action


def build_menus(window: MainWindow) -> Actions:
    bar = window.menuBar()
    canvas, controller = window.canvas, window.controller

    files = bar.addMenu("&File")
    open_file = _add(
        files, "&Open network…", window.files.open, QKeySequence.StandardKey.Open, "Open a saved network"
    )
    _add(files, "&Save network", window.files.save, QKeySequence.StandardKey.Save, "Save the network")
    _add(files, "Save network &as…", window.files.save_as, QKeySequence.StandardKey.SaveAs)
    files.addSeparator()
    _add(
        files,
        "&Export to ONNX…",
        window.files.export_onnx,
        None,
        "The network for other runtimes (onnxruntime…)",
    )
    _add(
        files,
        "Export &training script…",
        lambda: window.files.export_script(window.training_panel.config()),
        None,
        "A standalone PyTorch script that trains this network again with the same recipe",
    )
    files.addSeparator()
    download = _add(
        files,
        "&Download MNIST",
        controller.start_download,
        None,
        "Fetch the 70,000-digit MNIST data set (11 MB)",
    )
    _add(
        files,
        "Choose MNIST &folder…",
        window.files.choose_data_folder,
        None,
        "Use MNIST files you already have",
    )
    files.addSeparator()
    _add(files, "&Quit", window.close, QKeySequence.StandardKey.Quit)

    edit = bar.addMenu("&Edit")
    edit.setToolTipsVisible(True)
    undo = _add(edit, "&Undo", canvas.undo, QKeySequence.StandardKey.Undo, "Undo the last stroke")
    redo = _add(
        edit,
        "&Redo",
        canvas.redo,
        [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")],
        "Redo the stroke undone",
    )
    clear = _add(
        edit, "&Clear", canvas.clear, [QKeySequence("Esc"), QKeySequence("Delete")], "Wipe the canvas"
    )
    eraser = _add(edit, "&Eraser", canvas.set_eraser_mode, QKeySequence("E"), "Draw to erase", checkable=True)
    edit.addSeparator()
    pens = QActionGroup(window)
    pens.setExclusive(True)
    for scale, (text, tip) in PEN_SCALES.items():
        action = _add(
            edit,
            text,
            lambda _checked=False, s=scale: window.set_pen_scale(s),
            None,
            f"{tip} {PEN_NOTE}",
            True,
        )
        action.setData(scale)
        pens.addAction(action)
    undo.setEnabled(False)
    redo.setEnabled(False)

    network = bar.addMenu("&Network")
    panel = window.training_panel
    _add(network, "&Train / Pause / Resume", panel.train_button.click, QKeySequence("Ctrl+T"))
    _add(network, "&Stop training", controller.stop, QKeySequence("Ctrl+."))
    network.addSeparator()
    _add(
        network,
        "Inside a &neuron…",
        lambda: window.neuron_dialog.show_first_layer(window.state.network),
        QKeySequence("Ctrl+I"),
        "What each neuron of the first layer looks for; click a neuron in the activation view for any other",
    )
    _add(
        network,
        "Where it &fails…",
        window.failures.open_dialog,
        QKeySequence("Ctrl+M"),
        "The confusion matrix of the last validation pass, and the digits behind each cell",
    )
    _add(
        network,
        "&Log-scale loss",
        window.loss_plot.set_log_loss,
        QKeySequence("Ctrl+L"),
        "The loss on a logarithmic axis: the slow, late part of learning becomes visible",
        True,
    )
    _add(
        network,
        "Re&wind the run…",
        window.rewind.open_dialog,
        QKeySequence("Ctrl+B"),
        "Go back through the weights the run went through; continue from any of them",
    )
    _add(
        network,
        "&Random test digit",
        window.failures.random_test_digit,
        QKeySequence("Ctrl+R"),
        "Put a digit of the validation set on the canvas",
    )
    network.addSeparator()
    panel.shape_requested.connect(window.files.shape_network)
    replacing = [open_file]
    for arch, (text, tip) in NEW_NETWORKS.items():
        replacing.append(
            _add(network, text, lambda _checked=False, a=arch: window.files.new_network(a), None, tip)
        )
    replacing.append(
        _add(
            network, "S&hape a new network…", window.files.shape_network, None, "Choose its layers and widths"
        )
    )
    replacing.append(
        _add(
            network,
            "&Restore the shipped weights",
            window.files.restore_shipped,
            None,
            "Go back to the network that came with digitpad",
        )
    )

    teach = bar.addMenu("Tea&ch")
    teach.setToolTipsVisible(True)
    for digit in range(10):
        _add(
            teach,
            f"It's a &{digit}",
            lambda _checked=False, d=digit: controller.teach(d),
            QKeySequence(str(digit)),
            f"Your drawing is a {digit}: the network learns it now",
        )
    teach.addSeparator()
    _add(teach, "Your &handwriting…", window.show_handwriting, QKeySequence("Ctrl+H"), "Your examples")
    _add(
        teach,
        "&Forget what I taught…",
        window.forget_teaching,
        None,
        "Go back to the network from before your corrections",
    )

    help_menu = bar.addMenu("&Help")
    _add(help_menu, "&How digitpad works", lambda: show_guide(window), QKeySequence.StandardKey.HelpContents)
    _add(help_menu, "&About digitpad", window.show_about)
    return Actions(undo, redo, clear, eraser, download, pens, replacing)

"""The main window: composes the views, owns the actions, and talks to the worker thread."""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QSettings, QStandardPaths, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QFont, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from model.messages import EvalResult, ModelInfo, Prediction, TrainConfig, TrainFinished

from .activation_view import ActivationView
from .canvas import PEN_SCALE_DEFAULT, PEN_SCALE_MAX, PEN_SCALE_MIN, DrawingCanvas
from .download import MnistDownloader
from .live_label import LiveLabel
from .loss_plot import LossPlot
from .prediction_view import InputPreview, ProbabilityView
from .training_panel import ARCH_LABELS, OPTIMIZER_LABELS, TrainingPanel
from .worker import ModelWorker, PredictRequest

SETTINGS_ENV = "DIGITPAD_SETTINGS"
# While the network trains, a drawing is re-read at most at a screen's refresh rate: the
# window then paints half as many answers and leaves more of the cores to training.
TRAINING_REQUEST_INTERVAL_S = 0.016
# Edit menu pen widths: scale of the normal pen -> (menu text, tooltip).
PEN_SCALES = {
    0.7: ("&Thin pen", "New strokes 0.7× as wide as the normal pen."),
    1.0: ("&Normal pen", "New strokes as wide as the digits the network learnt from."),
    1.4: ("Thic&k pen", "New strokes 1.4× as wide as the normal pen."),
}
PEN_NOTE = "The network was trained with the normal pen: it reads digits drawn with it best."


def last_session_path() -> Path:
    """Where training not saved to a file is kept when the window closes, for the next launch.

    Next to the settings file when DIGITPAD_SETTINGS names one (tests, portable installs),
    else in the user's data folder.
    """
    override = os.environ.get(SETTINGS_ENV)
    if override:
        return Path(override).with_name("last-session.pt")
    data = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    return Path(data) / "digitpad" / "last-session.pt"


def open_settings() -> QSettings:
    """The user's preferences; DIGITPAD_SETTINGS points tests (or portable installs) at a file."""
    path = os.environ.get(SETTINGS_ENV)
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings("digitpad", "digitpad")


def _saved_number(
    settings: QSettings, key: str, default: float, low: float, high: float, whole: bool = False
) -> float:
    """The number saved at `key` if it parses and lies in [low, high] (whole if asked), else default."""
    value = settings.value(key)
    if isinstance(value, QByteArray):
        value = bytes(value.data()).decode("ascii", "replace")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return default
    if not low <= number <= high or (whole and not number.is_integer()):  # also refuses NaN
        return default
    return number


def _saved_choice(settings: QSettings, key: str, default: str, choices) -> str:
    """The name saved at `key` if it is one of `choices`, else default."""
    value = settings.value(key)
    return value if isinstance(value, str) and value in choices else default


class NoticeBar(QFrame):
    """A dismissable message strip above the window's content: tells, never blocks."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.setStyleSheet(
            "#noticeBar { background: #5a3d12; border: 1px solid #b07a20; border-radius: 4px; }"
            "QLabel { color: #ffe7b8; }"
        )
        self.label = QLabel()
        self.label.setObjectName("noticeText")
        self.label.setWordWrap(True)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str) -> None:
        self.label.setText(text)
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""


class MainWindow(QMainWindow):
    """digitpad's window. Talks to the ModelWorker only through queued signals."""

    prediction_shown = Signal(object)  # np.ndarray of 10 probabilities, or None for an empty canvas

    # Requests to the worker (queued across threads).
    predict_requested = Signal(object)
    train_requested = Signal(object)
    pause_requested = Signal()
    resume_requested = Signal()
    stop_requested = Signal()
    load_requested = Signal(str)
    save_requested = Signal(str)
    new_network_requested = Signal(str)
    data_dir_requested = Signal(str)

    def __init__(self, data_dir: str | None = None, checkpoint: str | None = None) -> None:
        super().__init__()
        self.setWindowTitle("digitpad — draw a digit, watch a network learn")
        self._request_id = 0
        self._last_request_at = 0.0  # time.monotonic() of the last prediction request
        self._awaiting_answer = False  # a request is with the worker
        self._canvas_changed = False  # the ink changed since the last request
        self._current_pixels: np.ndarray | None = None
        self._save_path: str | None = None
        self._model_info: ModelInfo | None = None
        self._downloader: MnistDownloader | None = None
        self._closing = False
        self._build_views()
        self._build_actions()
        self._start_worker(data_dir, checkpoint)
        self._restore_settings()

    # -- construction -------------------------------------------------------------------
    def _build_views(self) -> None:
        self.canvas = DrawingCanvas()
        self.probability_view = ProbabilityView()
        self.input_preview = InputPreview()
        self.activation_view = ActivationView()
        self.loss_plot = LossPlot()
        self.training_panel = TrainingPanel()
        self.notice = NoticeBar()

        self.prediction_label = LiveLabel("88", "")
        self.prediction_label.setObjectName("predictionLabel")
        self.prediction_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        big = QFont(self.font())
        big.setPointSize(44)
        big.setBold(True)
        self.prediction_label.setFont(big)
        self.prediction_label.setStyleSheet("color: #ffaa28;")
        self.confidence_label = LiveLabel("100% sure it is a 8 ", "Draw a digit")
        self.confidence_label.setObjectName("confidenceLabel")
        self.pixel_label = QLabel("Hover a pixel to see its value")
        self.pixel_label.setObjectName("pixelLabel")
        self.pixel_label.setStyleSheet("color: #9a9aa6;")
        self.pixel_label.setWordWrap(True)
        self.input_preview.hovered.connect(self._on_preview_hovered)

        tools = QHBoxLayout()
        self.eraser_button = QToolButton(text="Eraser", checkable=True)
        self.undo_button = QToolButton(text="Undo")
        self.redo_button = QToolButton(text="Redo")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setObjectName("clearButton")
        for widget in (self.eraser_button, self.undo_button, self.redo_button):
            tools.addWidget(widget)
        tools.addStretch(1)
        tools.addWidget(self.clear_button)
        canvas_column = QVBoxLayout()
        canvas_column.addWidget(self._heading("Input: your drawing"))
        canvas_column.addWidget(self.canvas, 1)
        canvas_column.addLayout(tools)

        answer = QHBoxLayout()
        answer.addWidget(self.prediction_label)
        answer.addWidget(self.confidence_label)
        answer.addStretch(1)
        self.input_preview.setFixedSize(126, 126)
        seen_text = QVBoxLayout()
        seen_text.addWidget(self._heading("What the network sees"))
        seen_note = QLabel(
            "28×28 = 784 input neurons: your drawing cropped, fitted in 20×20 and centred, like MNIST."
        )
        seen_note.setWordWrap(True)
        seen_text.addWidget(seen_note)
        seen_text.addWidget(self.pixel_label)
        seen_text.addStretch(1)
        seen = QHBoxLayout()
        seen.addWidget(self.input_preview)
        seen.addLayout(seen_text, 1)
        middle = QVBoxLayout()
        middle.addWidget(self._heading("Output: the network's answer"))
        middle.addLayout(answer)
        middle.addWidget(self.probability_view, 1)
        middle.addLayout(seen)

        top = QWidget()
        top_layout = QHBoxLayout(top)
        top_layout.addLayout(canvas_column, 5)
        top_layout.addLayout(middle, 3)
        top_layout.addWidget(self.training_panel, 3)

        activation_box = QWidget()
        activation_layout = QVBoxLayout(activation_box)
        activation_layout.setContentsMargins(0, 0, 0, 0)
        activation_layout.addWidget(
            self._heading("Inside the network: every layer's activations for your drawing")
        )
        activation_layout.addWidget(self.activation_view, 1)
        plot_box = QWidget()
        plot_layout = QVBoxLayout(plot_box)
        plot_layout.setContentsMargins(0, 0, 0, 0)
        plot_layout.addWidget(self._heading("Learning: loss and accuracy"))
        plot_layout.addWidget(self.loss_plot, 1)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(activation_box)
        bottom.addWidget(plot_box)
        bottom.setStretchFactor(0, 3)
        bottom.setStretchFactor(1, 2)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(bottom)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        bottom.setChildrenCollapsible(False)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.notice)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self.model_label = QLabel()
        self.download_bar = QProgressBar()
        self.download_bar.setMaximumWidth(220)
        self.download_bar.setFormat("MNIST %p%")
        self.download_bar.hide()
        self.cancel_download_button = QToolButton(text="Cancel download")
        self.cancel_download_button.hide()
        self.cancel_download_button.clicked.connect(self.cancel_download)
        self.statusBar().addPermanentWidget(self.download_bar)
        self.statusBar().addPermanentWidget(self.cancel_download_button)
        self.statusBar().addPermanentWidget(self.model_label)

        # It fires once the mouse events already queued are in, and sends them as one request.
        self._predict_timer = QTimer(self, singleShot=True, interval=0, timerType=Qt.TimerType.PreciseTimer)
        self._predict_timer.timeout.connect(self._request_for_canvas_change)
        self.canvas.image_changed.connect(self._on_canvas_image_changed)
        self.canvas.stroke_finished.connect(self._on_canvas_stroke_finished)
        self.canvas.cleared.connect(self._on_canvas_stroke_finished)
        self.canvas.history_changed.connect(self._on_canvas_history_changed)
        self.training_panel.train_requested.connect(self._on_train_requested)
        self.training_panel.pause_requested.connect(self.pause_requested)
        self.training_panel.resume_requested.connect(self.resume_requested)
        self.training_panel.stop_requested.connect(self.stop_requested)
        self.resize(1280, 860)

    @staticmethod
    def _heading(text: str) -> QLabel:
        label = QLabel(text)
        font = label.font()
        font.setBold(True)
        label.setFont(font)
        return label

    def _action(
        self, menu, text: str, slot, shortcut=None, tip: str = "", checkable: bool = False
    ) -> QAction:
        action = QAction(text, self, checkable=checkable)
        if shortcut is not None:
            keys = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(k) for k in keys])
        action.setStatusTip(tip)
        action.setToolTip(tip or text)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_actions(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(
            file_menu, "&Open model…", self.open_model, QKeySequence.StandardKey.Open, "Load a saved network"
        )
        self._action(
            file_menu, "&Save model", self.save_model, QKeySequence.StandardKey.Save, "Save the network"
        )
        self._action(file_menu, "Save model &as…", self.save_model_as, QKeySequence.StandardKey.SaveAs)
        file_menu.addSeparator()
        self.download_action = self._action(
            file_menu,
            "&Download MNIST",
            self.start_download,
            None,
            "Fetch the 70,000-digit MNIST data set (11 MB)",
        )
        self._action(
            file_menu,
            "Choose MNIST &folder…",
            self.choose_data_folder,
            None,
            "Use MNIST files you already have",
        )
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        edit_menu = bar.addMenu("&Edit")
        self.undo_action = self._action(
            edit_menu, "&Undo stroke", self.canvas.undo, QKeySequence.StandardKey.Undo
        )
        self.redo_action = self._action(
            edit_menu,
            "&Redo stroke",
            self.canvas.redo,
            [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")],
        )
        self.clear_action = self._action(
            edit_menu,
            "&Clear",
            self.canvas.clear,
            [QKeySequence("Esc"), QKeySequence("Delete")],
            "Wipe the canvas",
        )
        self.eraser_action = self._action(
            edit_menu,
            "&Eraser",
            self.canvas.set_eraser_mode,
            QKeySequence("E"),
            "Draw to erase",
            checkable=True,
        )
        edit_menu.addSeparator()
        edit_menu.setToolTipsVisible(True)
        self.pen_actions = QActionGroup(self)
        self.pen_actions.setExclusive(True)
        for scale, (text, tip) in PEN_SCALES.items():
            action = self._action(
                edit_menu,
                text,
                lambda _checked=False, scale=scale: self.canvas.set_pen_scale(scale),
                tip=f"{tip} {PEN_NOTE}",
                checkable=True,
            )
            action.setData(scale)
            self.pen_actions.addAction(action)
        self._check_pen_action()
        self.undo_action.setEnabled(False)
        self.redo_action.setEnabled(False)
        self.undo_button.setDefaultAction(self.undo_action)
        self.redo_button.setDefaultAction(self.redo_action)
        self.eraser_button.setDefaultAction(self.eraser_action)
        self.undo_button.setText("Undo")
        self.redo_button.setText("Redo")
        self.eraser_button.setText("Eraser")
        self.clear_button.clicked.connect(self.canvas.clear)

        network_menu = bar.addMenu("&Network")
        self._action(
            network_menu,
            "&Train / Pause / Resume",
            self.training_panel.train_button.click,
            QKeySequence("Ctrl+T"),
        )
        self._action(network_menu, "&Stop training", self.stop_requested.emit, QKeySequence("Ctrl+."))
        network_menu.addSeparator()
        self._action(network_menu, "New untrained &CNN", lambda: self.new_network_requested.emit("cnn"))
        self._action(
            network_menu, "New untrained &fully-connected net", lambda: self.new_network_requested.emit("mlp")
        )
        self._action(network_menu, "&Restore the shipped weights", self.restore_shipped)

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About digitpad", self.show_about)

    def _start_worker(self, data_dir: str | None, checkpoint: str | None) -> None:
        self._worker_thread = QThread(self)
        self._worker_thread.setObjectName("digitpad-worker")
        self.worker = ModelWorker(data_dir, checkpoint, str(last_session_path()))
        self.worker.moveToThread(self._worker_thread)
        self._worker_thread.started.connect(self.worker.start)
        self._worker_thread.finished.connect(self.worker.stop_timers, Qt.ConnectionType.DirectConnection)
        self.predict_requested.connect(self.worker.predict)
        self.train_requested.connect(self.worker.start_training)
        self.pause_requested.connect(self.worker.pause)
        self.resume_requested.connect(self.worker.resume)
        self.stop_requested.connect(self.worker.stop)
        self.load_requested.connect(self.worker.load)
        self.save_requested.connect(self.worker.save)
        self.new_network_requested.connect(self.worker.new_network)
        self.data_dir_requested.connect(self.worker.set_data_dir)
        self.worker.prediction_ready.connect(self._on_worker_prediction_ready)
        self.worker.progress.connect(self._on_worker_progress)
        self.worker.evaluated.connect(self._on_worker_evaluated)
        self.worker.training_finished.connect(self._on_worker_training_finished)
        self.worker.training_state.connect(self._on_worker_training_state)
        self.worker.model_changed.connect(self._on_worker_model_changed)
        self.worker.data_changed.connect(self._on_worker_data_changed)
        self.worker.failed.connect(self._on_worker_failed)
        self.worker.saved.connect(self._on_worker_saved)
        self._worker_thread.start()

    # -- settings -------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        """Each saved preference that is missing, unreadable or out of range gets its default."""
        settings = open_settings()
        geometry = settings.value("window/geometry")
        # restoreGeometry refuses bytes it cannot parse (and changes nothing then), and moves a
        # window saved off-screen (on a monitor since unplugged, say) back onto a screen.
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        panel, defaults = self.training_panel, TrainConfig()
        config = TrainConfig(
            arch=_saved_choice(settings, "train/arch", defaults.arch, ARCH_LABELS),
            epochs=_saved_number(
                settings, "train/epochs", defaults.epochs, panel.epochs.minimum(), panel.epochs.maximum()
            ),
            batch_size=int(
                _saved_number(
                    settings,
                    "train/batch_size",
                    defaults.batch_size,
                    panel.batch_size.minimum(),
                    panel.batch_size.maximum(),
                    whole=True,
                )
            ),
            learning_rate=_saved_number(
                settings,
                "train/learning_rate",
                defaults.learning_rate,
                panel.learning_rate.minimum(),
                panel.learning_rate.maximum(),
            ),
            optimizer=_saved_choice(settings, "train/optimizer", defaults.optimizer, OPTIMIZER_LABELS),
        )
        panel.set_config(config)
        self.canvas.set_pen_scale(
            _saved_number(settings, "canvas/pen_scale", PEN_SCALE_DEFAULT, PEN_SCALE_MIN, PEN_SCALE_MAX)
        )
        self._check_pen_action()

    def _check_pen_action(self) -> None:
        for action in self.pen_actions.actions():
            action.setChecked(abs(action.data() - self.canvas.pen_scale) < 1e-6)

    def _save_settings(self) -> None:
        settings = open_settings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("canvas/pen_scale", self.canvas.pen_scale)
        config = asdict(self.training_panel.config())
        for key in ("arch", "epochs", "batch_size", "learning_rate", "optimizer"):
            settings.setValue(f"train/{key}", config[key])
        settings.sync()

    # -- drawing and prediction ---------------------------------------------------------
    def _on_canvas_image_changed(self) -> None:
        # At most one request in flight while drawing: the worker never falls behind the pen.
        self._canvas_changed = True
        if not self._predict_timer.isActive() and not self._awaiting_answer:
            self._predict_timer.start(self._milliseconds_to_next_request())

    def _milliseconds_to_next_request(self) -> int:
        if self.training_panel.state() != "running":
            return 0  # zero delay: the mouse events already queued are merged into one request
        since = time.monotonic() - self._last_request_at
        return max(0, math.ceil(1000 * (TRAINING_REQUEST_INTERVAL_S - since)))

    def _on_canvas_stroke_finished(self) -> None:
        self._predict_timer.stop()
        self.request_prediction()

    def _on_canvas_history_changed(self, can_undo: bool, can_redo: bool) -> None:
        self.undo_action.setEnabled(can_undo)
        self.redo_action.setEnabled(can_redo)

    @Slot()
    def request_prediction(self, with_layers: bool = True) -> None:
        """Send a copy of the ink to the worker; answers to older requests become stale."""
        self._request_id += 1
        self._canvas_changed = False
        self._awaiting_answer = True
        image = None if self.canvas.is_empty() else self.canvas.image_array()
        self.predict_requested.emit(PredictRequest(self._request_id, image, with_layers))
        self._last_request_at = time.monotonic()

    def _request_for_canvas_change(self) -> None:
        # While the pen moves the activation view shows a picture every REFRESH_MS at most:
        # layers it would not show yet are not computed (half the worker's time per answer).
        # Lifting the pen (stroke_finished) asks for them again.
        held_back = self.canvas.is_drawing() and not self.activation_view.shows_new_layers_at_once()
        self.request_prediction(with_layers=not held_back)

    @Slot(object)
    def _on_worker_prediction_ready(self, prediction: Prediction) -> None:
        if prediction.request_id != self._request_id:
            return  # an answer for a drawing that is no longer on the canvas
        self._awaiting_answer = False
        self._show(prediction)
        if self._canvas_changed:
            # The pen moved meanwhile: ask again now (idle), so the worker computes the next
            # answer while this one is being painted.
            self._predict_timer.stop()
            delay = self._milliseconds_to_next_request()
            if delay:
                self._predict_timer.start(delay)
            else:
                self._request_for_canvas_change()

    def _show(self, prediction: Prediction) -> None:
        self._current_pixels = prediction.pixels
        self.input_preview.set_pixels(prediction.pixels)
        if prediction.probabilities is None:
            self.prediction_label.setText("")
            self.confidence_label.setText("Draw a digit")
            self.probability_view.set_probabilities(None)
            self.activation_view.set_layers(None)
            self.prediction_shown.emit(None)
            return
        digit, confidence = prediction.digit, prediction.confidence
        self.prediction_label.setText(str(digit))
        self.confidence_label.setText(f"{confidence:.0%} sure it is a {digit}")
        self.probability_view.set_probabilities(prediction.probabilities)
        if prediction.layers:
            self.activation_view.set_layers(prediction.layers)
        self.prediction_shown.emit(prediction.probabilities.copy())

    def _on_preview_hovered(self, text: str) -> None:
        self.pixel_label.setText(text or "Hover a pixel to see its value")

    # -- training -----------------------------------------------------------------------
    def _on_train_requested(self, config: TrainConfig) -> None:
        self.loss_plot.clear_curves()
        self.training_panel.accuracy_label.setText("–")
        self.train_requested.emit(config)

    @Slot(object)
    def _on_worker_progress(self, messages: tuple) -> None:
        self.loss_plot.add_progress(messages)
        self.training_panel.show_progress(messages[-1])

    @Slot(object)
    def _on_worker_evaluated(self, result: EvalResult) -> None:
        self.loss_plot.add_evaluation(result)
        self.training_panel.show_accuracy(result.accuracy)

    @Slot(object)
    def _on_worker_training_finished(self, finished: TrainFinished | None) -> None:
        if finished is None:
            return
        if finished.reason == "diverged":
            self.notice.show_message(f"Training diverged. {finished.message}")
        elif finished.reason == "stopped":
            self.statusBar().showMessage(finished.message, 5000)
        else:
            accuracy = (
                f" Validation accuracy {finished.final_eval.accuracy:.2%}." if finished.final_eval else ""
            )
            self.statusBar().showMessage(
                f"Training finished after {finished.epochs:.2f} epochs.{accuracy}", 10000
            )

    @Slot(str)
    def _on_worker_training_state(self, state: str) -> None:
        self.training_panel.set_state(state)

    @Slot(object)
    def _on_worker_model_changed(self, info: ModelInfo) -> None:
        self._model_info = info
        self.model_label.setText(f"{info.description} · {info.parameters:,} parameters · {info.source}")
        if self._current_pixels is None:
            self.activation_view.set_layers(None)

    @Slot(str)
    def _on_worker_data_changed(self, text: str) -> None:
        self.training_panel.set_data_description(text)

    @Slot(str)
    def _on_worker_failed(self, message: str) -> None:
        self.notice.show_message(message)

    @Slot(str)
    def _on_worker_saved(self, path: str) -> None:
        self._save_path = path
        self.statusBar().showMessage(f"Saved {os.path.basename(path)}", 5000)

    # -- files ----------------------------------------------------------------------------
    def open_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a network", "", "digitpad networks (*.pt);;All files (*)"
        )
        if path:
            self.load_requested.emit(path)

    def save_model(self) -> None:
        if self._save_path:
            self.save_requested.emit(self._save_path)
        else:
            self.save_model_as()

    def save_model_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the network", "digitpad.pt", "digitpad networks (*.pt)"
        )
        if path:
            self.save_requested.emit(path)

    def restore_shipped(self) -> None:
        self.load_requested.emit("")

    def choose_data_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder holding the MNIST files")
        if folder:
            self.data_dir_requested.emit(folder)

    # -- download ---------------------------------------------------------------------------
    def start_download(self, mirrors: tuple[str, ...] | None = None, target: str | None = None) -> None:
        """Download MNIST in the background; progress shows in the status bar."""
        if self._downloader is not None:
            return
        self._downloader = MnistDownloader(mirrors or None, target)
        self._downloader.progress.connect(self._on_download_progress)
        self._downloader.succeeded.connect(self._on_download_succeeded)
        self._downloader.failed.connect(self._on_download_failed)
        self.download_bar.setValue(0)
        self.download_bar.show()
        self.cancel_download_button.show()
        self.download_action.setEnabled(False)
        self.statusBar().showMessage(f"Downloading MNIST into {self._downloader.target}…")
        self._downloader.start()

    def cancel_download(self) -> None:
        if self._downloader is not None:
            self._downloader.cancel()

    @Slot(str, int, int)
    def _on_download_progress(self, name: str, done: int, total: int) -> None:
        order = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte")
        part = order.index(name) if name in order else 3
        fraction = done / total if total else 0.0
        self.download_bar.setValue(int((part + fraction) / 4 * 100))

    @Slot(str)
    def _on_download_succeeded(self, folder: str) -> None:
        self._end_download()
        self.statusBar().showMessage("MNIST downloaded and verified.", 8000)
        self.data_dir_requested.emit(folder)

    @Slot(str)
    def _on_download_failed(self, message: str) -> None:
        self._end_download()
        if message:
            fallback = "Training keeps using the embedded practice set; try again later."
            self.notice.show_message(f"{message} {fallback}")
        else:
            self.statusBar().showMessage("Download cancelled.", 5000)

    def _end_download(self) -> None:
        self.download_bar.hide()
        self.cancel_download_button.hide()
        self.download_action.setEnabled(True)
        self.statusBar().clearMessage()
        self._downloader = None

    # -- misc -----------------------------------------------------------------------------
    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About digitpad",
            "<b>digitpad</b> teaches what deep learning is by letting you do it.<br><br>"
            "MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges (CC BY-SA 3.0).<br>"
            "Pen-written digits from UNIPEN (CC BY 4.0).",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop the worker and wait for its thread, so nothing runs after the window is gone."""
        if not self._closing:
            self._closing = True
            self._save_settings()
            self.cancel_download()
            self._worker_thread.quit()
            self._worker_thread.wait()
            self.worker.shutdown()
        super().closeEvent(event)

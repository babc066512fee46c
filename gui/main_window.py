"""The main window: composition only. Views render the AppState; the controller does the rest."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from model.messages import ModelInfo, Prediction
from model.paths import settings_override, user_data_dir

from . import collection, theme
from . import settings as prefs
from .actions import build_menus
from .activation_view import ActivationView
from .canvas import DrawingCanvas
from .controller import Controller
from .failures_view import FailuresDialog
from .handwriting_view import HandwritingDialog, ask_forget
from .ink import PEN_SCALE_DEFAULT, PEN_SCALE_MAX, PEN_SCALE_MIN
from .live_label import LiveLabel
from .loss_plot import LossPlot
from .network_files import NetworkFiles
from .neuron_view import NeuronDialog
from .notice import NoticeBar
from .pacing import PACING, Pacing
from .prediction_view import InputPreview, ProbabilityView, describe_answer, describe_input
from .rewind_view import RewindDialog
from .saliency_view import SaliencyView
from .state import AppState, DownloadStatus, RunStatus
from .teach_view import TeachBar
from .training_panel import TrainingPanel


class MainWindow(QMainWindow):
    """digitpad's window: the views, the menus, and what connects them to the state."""

    prediction_shown = Signal(object)  # np.ndarray of 10 probabilities, or None for an empty canvas
    # The digit (int) just taught, once the drawing has been read by the network that learnt it.
    taught = Signal(object)

    def __init__(
        self, data_dir: str | None = None, checkpoint: str | None = None, pacing: Pacing = PACING
    ) -> None:
        super().__init__()
        self.setWindowTitle("digitpad — draw a digit, watch a network learn")
        self.state = AppState()
        self._build_views()
        collection.hold()
        try:
            self.controller = Controller(
                self.state,
                self.canvas,
                self.activation_view.shows_new_layers_at_once,
                data_dir,
                checkpoint,
                str(user_data_dir()),
                pacing,
                str(prefs.handwriting_path()),
            )
            self.controller.prediction_shown.connect(self.prediction_shown)
            self.controller.taught.connect(self.taught)
            self.handwriting_dialog: HandwritingDialog | None = None
            self.files = NetworkFiles(self, self.state, self.controller)
            self.failures = FailuresDialog(self.state, self.controller, self.canvas, self)
            self.rewind = RewindDialog(self.state, self.controller, self)
            self.menu_actions = build_menus(self)
            self._connect_views()
            self.restore_settings()
        except BaseException:  # no window will close to turn automatic collection back on
            if hasattr(self, "controller"):
                self.controller.shutdown()
            collection.release()
            raise

    # -- construction -------------------------------------------------------------------
    def _build_views(self) -> None:
        self.canvas = DrawingCanvas()
        self.probability_view = ProbabilityView()
        self.input_preview = InputPreview()
        self.activation_view = ActivationView()
        self.loss_plot = LossPlot()
        self.training_panel = TrainingPanel()
        self.teach_bar = TeachBar()
        self.saliency = SaliencyView(self.input_preview, self.probability_view, self.canvas)
        self.neuron_dialog = NeuronDialog(self)

        self.prediction_label = LiveLabel("88", "")
        self.prediction_label.setObjectName("predictionLabel")
        self.prediction_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prediction_label.setFont(theme.answer_font(self))
        self.prediction_label.setStyleSheet(f"color: {theme.ACCENT.name()};")
        self.confidence_label = LiveLabel("100% sure it is a 8 ", "Draw a digit")
        self.confidence_label.setObjectName("confidenceLabel")
        self.pixel_label = theme.muted(QLabel("Hover a pixel to see its value"))
        self.pixel_label.setObjectName("pixelLabel")
        self.pixel_label.setWordWrap(True)

        self.eraser_button = QToolButton()
        self.undo_button = QToolButton()
        self.redo_button = QToolButton()
        self.clear_button = QPushButton("Clear")
        self.clear_button.setObjectName("clearButton")
        tools = QHBoxLayout()
        for widget in (self.eraser_button, self.undo_button, self.redo_button):
            widget.setStyleSheet(theme.tool_button_style())
            tools.addWidget(widget)
        tools.addStretch(1)
        tools.addWidget(self.clear_button)
        canvas_column = QVBoxLayout()
        canvas_column.addWidget(theme.heading("Input: your drawing"))
        canvas_column.addWidget(self.canvas, 1)
        canvas_column.addLayout(tools)

        answer = QHBoxLayout()
        answer.addWidget(self.prediction_label)
        answer.addWidget(self.confidence_label)
        answer.addStretch(1)
        self.input_preview.setFixedSize(112, 112)
        self.seen_note = QLabel(describe_input(1.0))
        self.seen_note.setWordWrap(True)
        seen_heading = QHBoxLayout()
        seen_heading.addWidget(theme.heading("What the network sees"))
        seen_heading.addStretch(1)
        seen_heading.addWidget(self.saliency.toggle)
        seen_text = QVBoxLayout()
        seen_text.addLayout(seen_heading)
        seen_text.addWidget(self.seen_note)
        seen_text.addWidget(self.saliency.caption)  # in the note's place while it is shown
        seen_text.addWidget(self.pixel_label)
        self.saliency.toggled.connect(self.seen_note.setHidden)
        seen_text.addStretch(1)
        seen = QHBoxLayout()
        seen.addWidget(self.input_preview, 0, Qt.AlignmentFlag.AlignTop)
        seen.addLayout(seen_text, 1)
        middle = QVBoxLayout()
        middle.addWidget(theme.heading("Output: the network's answer"))
        middle.addLayout(answer)
        middle.addWidget(self.probability_view, 1)
        middle.addWidget(self.teach_bar)
        middle.addLayout(seen)

        panel_scroll = QScrollArea()
        panel_scroll.setObjectName("trainingScroll")
        panel_scroll.setWidget(self.training_panel)
        panel_scroll.setWidgetResizable(True)
        panel_scroll.setFrameShape(QFrame.Shape.NoFrame)
        panel_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        panel_scroll.setMinimumWidth(self.training_panel.minimumSizeHint().width() + 16)

        top = QWidget()
        top_layout = QHBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(canvas_column, 5)
        top_layout.addLayout(middle, 3)
        top_layout.addWidget(panel_scroll, 3)

        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(
            self._titled(
                "Inside the network: every layer's activations for your drawing", self.activation_view
            )
        )
        bottom.addWidget(self._titled("Learning: loss and accuracy", self.loss_plot))
        bottom.setStretchFactor(0, 3)
        bottom.setStretchFactor(1, 2)
        bottom.setChildrenCollapsible(False)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(bottom)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setSpacing(theme.SPACING)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.notice = NoticeBar(central)

        self.model_label = QLabel()
        self.model_label.setObjectName("modelLabel")
        self.run_label = QLabel()
        self.run_label.setObjectName("runLabel")
        self.download_bar = QProgressBar()
        self.download_bar.setMaximumWidth(220)
        self.download_bar.setFormat("MNIST %p%")
        self.download_bar.hide()
        self.cancel_download_button = QToolButton()
        self.cancel_download_button.setText("Cancel download")
        self.cancel_download_button.hide()
        status = self.statusBar()
        status.addPermanentWidget(self.download_bar)
        status.addPermanentWidget(self.cancel_download_button)
        status.addPermanentWidget(self.run_label)
        status.addPermanentWidget(self.model_label)
        self.setMinimumSize(*theme.MIN_WINDOW_SIZE)
        self.resize(*theme.default_size())

    @staticmethod
    def _titled(title: str, view: QWidget) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(theme.heading(title))
        layout.addWidget(view, 1)
        return box

    def _connect_views(self) -> None:
        state, canvas, panel, controller = self.state, self.canvas, self.training_panel, self.controller
        state.network_changed.connect(self._on_network_changed)
        state.run_changed.connect(self._on_run_changed)
        state.run_reset.connect(self.loss_plot.clear_curves)
        state.progress_added.connect(self.loss_plot.add_progress)
        state.evaluation_added.connect(self.loss_plot.add_evaluation)
        state.data_changed.connect(self._on_data_changed)
        state.download_changed.connect(self._on_download_changed)
        state.prediction_changed.connect(self._on_prediction_changed)
        state.notice_posted.connect(self.notice.show_message)
        state.network_notices_expired.connect(self.notice.forget_network_notices)
        state.status_posted.connect(self.statusBar().showMessage)
        state.teaching_changed.connect(self._on_teaching_changed)
        state.examples_changed.connect(self._on_teaching_changed)
        self.teach_bar.digit_chosen.connect(controller.teach)
        self.probability_view.digit_clicked.connect(controller.teach)
        self.saliency.toggled.connect(controller.show_saliency)
        self.activation_view.neuron_clicked.connect(self.neuron_dialog.inspect)
        self.neuron_dialog.inspecting.connect(controller.inspect)
        self.neuron_dialog.inspecting.connect(self.activation_view.select)
        panel.train_requested.connect(self.files.train)
        panel.pause_requested.connect(controller.pause)
        panel.resume_requested.connect(controller.resume)
        panel.stop_requested.connect(controller.stop)
        panel.step_requested.connect(controller.step)
        panel.learning_rate_steered.connect(controller.set_learning_rate)
        panel.weight_decay_steered.connect(controller.set_weight_decay)
        state.schedule_changed.connect(self.loss_plot.set_schedule)
        panel.new_network_requested.connect(self.files.new_network)
        panel.told.connect(self._on_panel_told)
        canvas.history_changed.connect(self._on_canvas_history_changed)
        self.input_preview.hovered.connect(self._on_preview_hovered)
        self.cancel_download_button.clicked.connect(controller.cancel_download)
        self.clear_button.clicked.connect(canvas.clear)
        self.undo_button.setDefaultAction(self.menu_actions.undo)
        self.redo_button.setDefaultAction(self.menu_actions.redo)
        self.eraser_button.setDefaultAction(self.menu_actions.eraser)

    # -- rendering the state ----------------------------------------------------------------
    def _on_network_changed(self, info: ModelInfo) -> None:
        self.model_label.setText(self.state.network_summary())
        self.loss_plot.run_settings = self.state.run_settings() or self.loss_plot.run_settings
        self.training_panel.show_network(info, self.state.network_title(), self.state.network_details())
        if self.state.prediction is None:
            self.activation_view.set_layers(None)

    def _on_run_changed(self, run: RunStatus) -> None:
        self.training_panel.show_run(run)
        for action in self.menu_actions.replacing:  # as the panel's New…: stop the run first
            action.setEnabled(run.state == "idle")
        self.run_label.setText(self.state.run_summary())

    def _on_data_changed(self) -> None:
        self.training_panel.show_data(*self.state.data_in_use())

    def _on_download_changed(self, download: DownloadStatus) -> None:
        self.download_bar.setVisible(download.active)
        self.cancel_download_button.setVisible(download.active)
        self.menu_actions.download.setEnabled(not download.active)
        if download.active:
            self.download_bar.setValue(round(100 * download.fraction))
        if download.active and download.fraction == 0:
            self.statusBar().showMessage(f"Downloading MNIST into {download.target}…")

    def _on_prediction_changed(self, prediction: Prediction) -> None:
        self.input_preview.set_pixels(prediction.pixels)
        self.seen_note.setText(describe_input(prediction.magnified))
        self.input_preview.set_magnified(prediction.magnified)
        self.saliency.set_prediction(prediction)
        self.neuron_dialog.set_prediction(prediction)
        answer, sentence, why = describe_answer(prediction)
        self.prediction_label.setText(answer)
        self.prediction_label.setToolTip(why)
        self.confidence_label.setText(sentence)
        self.confidence_label.setToolTip(why)
        self.probability_view.set_probabilities(prediction.probabilities, answered=not prediction.unknown)
        self.teach_bar.show_teaching(self.state.teaching, len(self.state.examples), prediction.unknown)
        if prediction.probabilities is None:
            self.activation_view.set_layers(None)
        elif prediction.layers:
            self.activation_view.set_layers(prediction.layers)

    def _on_teaching_changed(self) -> None:
        teaching, prediction = self.state.teaching, self.state.prediction
        unknown = prediction is not None and prediction.unknown
        self.teach_bar.show_teaching(teaching, len(self.state.examples), unknown)
        self.probability_view.set_before(teaching.before if teaching.label is not None else None)

    def show_handwriting(self) -> None:
        if self.handwriting_dialog is None:
            self.handwriting_dialog = HandwritingDialog(self.state, self.controller, self)
        self.handwriting_dialog.show()
        self.handwriting_dialog.activateWindow()

    def forget_teaching(self) -> None:
        keep = ask_forget(self, len(self.state.examples))
        if keep is not None:
            self.controller.forget_teaching(keep)

    def _on_canvas_history_changed(self, can_undo: bool, can_redo: bool) -> None:
        self.menu_actions.undo.setEnabled(can_undo)
        self.menu_actions.redo.setEnabled(can_redo)

    def _on_panel_told(self, text: str) -> None:
        self.statusBar().showMessage(text, 10000)

    def _on_preview_hovered(self, text: str) -> None:
        self.pixel_label.setText(text or "Hover a pixel to see its value")

    def set_pen_scale(self, scale: float) -> None:
        self.canvas.set_pen_scale(scale)
        self.menu_actions.check_pen(self.canvas.pen_scale)

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About digitpad",
            "<b>digitpad</b> teaches what deep learning is by letting you do it: draw a digit, "
            "watch a small PyTorch network read it, and train it live.<br><br>"
            "Help › How digitpad works explains each part of the window.<br><br>"
            "MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges (CC BY-SA 3.0).<br>"
            "Pen-written digits from UNIPEN (CC BY 4.0).",
        )

    # -- settings -------------------------------------------------------------------------------
    def restore_settings(self) -> None:
        """Each saved preference that is missing, unreadable or out of range gets its default."""
        if problem := settings_override()[1]:
            self.state.post_notice(f"{problem}: the usual settings and folders are used instead.")
        settings = prefs.open_settings()
        geometry = prefs.saved_geometry(settings)
        # restoreGeometry refuses bytes it cannot parse (and changes nothing then), and moves a
        # window saved off-screen (on a monitor since unplugged, say) back onto a screen.
        if geometry is not None:
            self.restoreGeometry(geometry)
        self.training_panel.restore(settings)
        self.saliency.toggle.setChecked(prefs.saved_flag(settings, "view/saliency"))
        self.set_pen_scale(
            prefs.saved_number(settings, "canvas/pen_scale", PEN_SCALE_DEFAULT, PEN_SCALE_MIN, PEN_SCALE_MAX)
        )

    def _save_settings(self) -> None:
        settings = prefs.open_settings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("canvas/pen_scale", self.canvas.pen_scale)
        self.training_panel.save(settings)
        settings.setValue("view/saliency", "true" if self.saliency.shown else "false")
        settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop the workers and wait for their threads, so nothing runs after the window is gone."""
        if not self.controller.closed:
            try:
                self._save_settings()
                self.files.close()
            finally:  # else automatic collection would stay off for good
                collection.release()
        super().closeEvent(event)

"""Controls for a training run: the network in use, hyperparameters, Train / Pause / Stop.

The panel renders the AppState (the network in use, the run's state and statistics, the
data) and emits what the user asks; it keeps no copy of those facts.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from model.data import PRACTICE_TRAINING_DIGITS
from model.messages import MNIST_TRAINING_DIGITS, ModelInfo, TrainConfig
from model.paths import shown_path

from . import settings as prefs
from . import theme
from .live_label import ElidedLabel, LiveLabel
from .number_box import BoundedSpinBox
from .recipe_box import CUSTOM, PRESETS, SET_BY_FIELDS, RecipeBox
from .state import RunStatus

# The panel's values before recipes (3 epochs of jittered digits, about 40 s): saved on every exit.
OLD_DEFAULTS = {
    "epochs": 3.0,
    "batch_size": 128,
    "learning_rate": 0.003,
    "weight_decay": 0.0,
    "optimizer": "adam",
}
OPTIMIZER_LABELS = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD + momentum"}
NEW_NETWORKS = {
    "cnn": ("New small &CNN", "conv 16 → conv 32 → dense 256 → 10, untrained"),
    "mlp": ("New &fully-connected net", "784 → 256 → 128 → 10, untrained"),
}


def format_seconds(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


ACCURACY_TIP = "The share of the validation digits the network read right at its last validation pass."
TAUGHT_SINCE = (
    "Measured before the network learnt your corrections: it has changed since. The next "
    "validation pass, while it trains, measures it again."
)


class TrainingPanel(QGroupBox):
    """Emits the user's intent; the controller forwards it to the trainer."""

    train_requested = Signal(object)  # TrainConfig
    pause_requested = Signal()
    resume_requested = Signal()
    stop_requested = Signal()
    step_requested = Signal()  # paused: one batch
    learning_rate_steered = Signal(float)  # changed while a run is under way or paused
    weight_decay_steered = Signal(float)  # likewise
    new_network_requested = Signal(str)  # "cnn" or "mlp"
    shape_requested = Signal()  # the user wants to choose the new network's layers
    told = Signal(str)  # a sentence for the status bar (a value brought into its range, say)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Training", parent)
        defaults = TrainConfig()
        self._arch = defaults.arch  # of the network in use: Train trains that one
        self._run = RunStatus()
        # Two lines of fixed height, whatever the network: the buttons below never move.
        self.network_label = ElidedLabel("Loading the network…", mode=Qt.TextElideMode.ElideRight)
        self.network_label.setObjectName("networkLabel")
        self.origin_label = ElidedLabel(mode=Qt.TextElideMode.ElideRight)
        self.origin_label.setObjectName("originLabel")
        theme.muted(self.origin_label)
        names = QVBoxLayout()
        names.setSpacing(0)
        names.addWidget(self.network_label)
        names.addWidget(self.origin_label)
        self.new_button = QToolButton()
        self.new_button.setText("New…")
        self.new_button.setObjectName("newNetworkButton")
        self.new_button.setToolTip("Replace the network in use by an untrained one of another shape.")
        self.new_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.new_button)
        for arch, (text, tip) in NEW_NETWORKS.items():
            action = QAction(text.replace("&", "") + f" ({tip})", menu)
            action.triggered.connect(lambda _checked=False, arch=arch: self.new_network_requested.emit(arch))
            menu.addAction(action)
        shape = QAction("Shape a new network… (layers and widths, with the parameter count)", menu)
        shape.triggered.connect(self.shape_requested)
        menu.addAction(shape)
        self.new_button.setMenu(menu)
        network_row = QHBoxLayout()
        network_row.addLayout(names, 1)
        network_row.addWidget(self.new_button)

        self.epochs = BoundedSpinBox("number of epochs", minimum=0.1, maximum=100, decimals=1, step=0.5)
        self.epochs.setValue(defaults.epochs)
        self.epochs.setToolTip("How many times training goes over the whole training set.")
        self.batch_size = QSpinBox(minimum=8, maximum=4096, singleStep=32, value=defaults.batch_size)
        self.batch_size.setToolTip("Batch size: how many digits each step averages its gradient over.")
        self.learning_rate = BoundedSpinBox(
            "learning rate", minimum=0.0001, maximum=10.0, decimals=4, step=0.0005
        )
        self.learning_rate.setValue(defaults.learning_rate)
        self.learning_rate.setToolTip(
            "Peak step size of the one-cycle schedule. Too high and the loss explodes. Change it "
            "while training: the run goes on at the new rate from its next step (see the plot)."
        )
        self.learning_rate.setKeyboardTracking(False)  # a value typed is applied once, when entered
        self.optimizer = QComboBox()
        self.optimizer.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.optimizer.setMinimumContentsLength(2)  # shares its row with the weight decay
        for key, label in OPTIMIZER_LABELS.items():
            self.optimizer.addItem(label, key)
        self.weight_decay = BoundedSpinBox("weight decay", minimum=0.0, maximum=0.1, decimals=3, step=0.001)
        self.weight_decay.setValue(defaults.weight_decay)
        self.weight_decay.setToolTip(
            "Weight decay: each step also pulls every weight a little towards 0, so that no weight "
            "grows larger than the data asks for (AdamW: 0 means its own default, 0.01). Change it "
            "while training: the run goes on with it from its next step."
        )
        self.weight_decay.setKeyboardTracking(False)
        self.continue_training = QCheckBox("Continue from the current weights")
        self.continue_training.setToolTip(
            "Ticked, the network on screen learns further: a run stopped short (or saved with the "
            "network) goes on where it stopped, to the same weights as if it never had. Unticked, the "
            "same network starts again from random weights."
        )
        self.include_handwriting = QCheckBox("Include my handwriting")
        self.include_handwriting.setObjectName("includeHandwriting")
        self.include_handwriting.setToolTip(
            "Your examples (Teach › Your handwriting) join every batch, a few at a time. Drawings you "
            "correct during a run always join it."
        )
        self.epochs.clamped.connect(self.told)
        self.learning_rate.clamped.connect(self.told)
        self.weight_decay.clamped.connect(self.told)
        self.recipe = RecipeBox()
        self.recipe.chosen.connect(self.choose_recipe)
        self.recipe.activated.connect(self._show_recipe)  # after a choice, or back from Custom
        for box in self.number_fields().values():
            box.valueChanged.connect(self._show_recipe)
        self.optimizer.currentIndexChanged.connect(self._show_recipe)

        form = QGridLayout()
        form.setVerticalSpacing(4)
        form.addWidget(QLabel("Recipe"), 0, 0)
        form.addWidget(self.recipe, 0, 1, 1, 3)
        form.addWidget(QLabel("Epochs"), 1, 0)
        form.addWidget(self.epochs, 1, 1)
        form.addWidget(QLabel("Batch"), 1, 2)
        form.addWidget(self.batch_size, 1, 3)
        form.addWidget(QLabel("Learning rate"), 2, 0)
        form.addWidget(self.learning_rate, 2, 1, 1, 3)
        form.addWidget(QLabel("Optimizer"), 3, 0)
        form.addWidget(self.optimizer, 3, 1)
        form.addWidget(QLabel("Decay"), 3, 2)
        form.addWidget(self.weight_decay, 3, 3)
        form.addWidget(self.continue_training, 4, 0, 1, 4)
        form.addWidget(self.include_handwriting, 5, 0, 1, 4)
        form.setColumnStretch(1, 1)
        form.setColumnStretch(3, 1)

        self.train_button = QPushButton("Train")
        self.train_button.setObjectName("trainButton")
        self.train_button.setDefault(True)
        self.train_button.setToolTip("Start training (Ctrl+T); while training, pause or resume.")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setEnabled(False)
        self.stop_button.setToolTip("End the run; the network keeps what it has learnt so far.")
        self.step_button = QPushButton("Step")
        self.step_button.setObjectName("stepButton")
        self.step_button.setEnabled(False)
        self.step_button.setToolTip("While paused: train exactly one batch, and watch every view change.")
        self.train_button.clicked.connect(self._on_train_clicked)
        self.stop_button.clicked.connect(self.stop_requested)
        self.step_button.clicked.connect(self.step_requested)
        self.learning_rate.valueChanged.connect(self._on_learning_rate_changed)
        self.weight_decay.valueChanged.connect(self._on_weight_decay_changed)
        buttons = QHBoxLayout()
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.step_button)
        buttons.addWidget(self.stop_button)

        self.epoch_label = LiveLabel("0000.00 of 0000.0", "–")
        self.step_label = LiveLabel("0,000,000 of 0,000,000", "–")
        self.speed_label = LiveLabel("0,000,000 digits/s", "–")
        self.time_label = LiveLabel("00000:00 (paused)", "–")
        self.accuracy_label = LiveLabel("100.00% before teaching", "–")
        self.accuracy_label.setToolTip(ACCURACY_TIP)
        stats = QGridLayout()
        stats.setVerticalSpacing(2)
        rows: list[tuple[str, QLabel]] = [
            ("Epoch", self.epoch_label),
            ("Step", self.step_label),
            ("Speed", self.speed_label),
            ("Time left", self.time_label),
            ("Val. accuracy", self.accuracy_label),
        ]
        for row, (title, value) in enumerate(rows):
            stats.addWidget(QLabel(title), row, 0)
            stats.addWidget(value, row, 1)
        stats.setColumnStretch(1, 1)
        self.data_label = QLabel()
        self.data_label.setObjectName("dataLabel")
        self.data_label.setWordWrap(True)
        self.data_path_label = ElidedLabel()
        theme.muted(self.data_path_label)
        self.data_path_label.setObjectName("dataPathLabel")

        layout = QVBoxLayout(self)
        layout.addLayout(network_row)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addLayout(stats)
        layout.addWidget(self.data_label)
        layout.addWidget(self.data_path_label)
        layout.addStretch(1)

    # -- what the user asks -----------------------------------------------------------------
    def config(self) -> TrainConfig:
        """The run the user asks for, on the network in use: the recipe with the fields' values."""
        return replace(
            self.recipe.preset_config(),
            arch=self._arch,
            epochs=self.epochs.value(),
            batch_size=self.batch_size.value(),
            learning_rate=self.learning_rate.value(),
            weight_decay=self.weight_decay.value(),
            optimizer=self.optimizer.currentData(),
            from_scratch=not self.continue_training.isChecked(),
            include_handwriting=self.include_handwriting.isChecked(),
        )

    def set_config(self, config: TrainConfig) -> None:
        """The hyperparameters shown (the network is not a setting: it is the one in use)."""
        self.epochs.setValue(config.epochs)
        self.batch_size.setValue(config.batch_size)
        self.learning_rate.setValue(config.learning_rate)
        self.weight_decay.setValue(config.weight_decay)
        self.optimizer.setCurrentIndex(max(0, self.optimizer.findData(config.optimizer)))
        self.include_handwriting.setChecked(config.include_handwriting)

    def choose_recipe(self, key: str) -> None:
        """Set the fields to a preset's values ("quick" or "longer")."""
        self.recipe.preset = key
        self.set_config(
            replace(self.recipe.preset_config(key), include_handwriting=self.include_handwriting.isChecked())
        )
        self._show_recipe()

    def _show_recipe(self, *_: object) -> None:
        self.recipe.show_fields(self.config())

    def _on_learning_rate_changed(self, value: float) -> None:
        if self._run.state in ("running", "paused"):
            self.learning_rate_steered.emit(value)

    def _on_weight_decay_changed(self, value: float) -> None:
        if self._run.state in ("running", "paused"):
            self.weight_decay_steered.emit(value)

    def restore(self, settings: QSettings) -> None:
        """The saved settings; each one missing, unreadable or out of range gets its recipe's."""
        self.recipe.preset = prefs.saved_choice(settings, "train/recipe", "quick", PRESETS)
        defaults = self.recipe.preset_config()
        numbers = {
            name: prefs.saved_number(
                settings,
                f"train/{name}",
                getattr(defaults, name),
                box.minimum(),
                box.maximum(),
                whole=isinstance(box, QSpinBox),
            )
            for name, box in self.number_fields().items()
        }
        handwriting = prefs.saved_choice(settings, "train/include_handwriting", "false", ("true", "false"))
        config = replace(
            defaults,
            epochs=numbers["epochs"],
            batch_size=int(numbers["batch_size"]),
            learning_rate=numbers["learning_rate"],
            weight_decay=numbers["weight_decay"],
            optimizer=prefs.saved_choice(settings, "train/optimizer", defaults.optimizer, OPTIMIZER_LABELS),
            include_handwriting=handwriting == "true",
        )
        if not settings.contains("train/recipe") and all(
            getattr(config, name) == value for name, value in OLD_DEFAULTS.items()
        ):  # saved by a digitpad before recipes, untouched: the slow defaults no one chose
            config = replace(defaults, include_handwriting=config.include_handwriting)
        self.set_config(config)
        self._show_recipe()
        # Continue is remembered: a user who keeps teaching the same network is not asked each time.
        self.continue_training.setChecked(prefs.saved_flag(settings, "train/continue"))

    def save(self, settings: QSettings) -> None:
        config = self.config()
        for name in SET_BY_FIELDS:
            settings.setValue(f"train/{name}", getattr(config, name))
        settings.setValue("train/recipe", self.recipe.preset)
        settings.setValue("train/continue", "false" if config.from_scratch else "true")
        settings.setValue("train/include_handwriting", "true" if config.include_handwriting else "false")

    def number_fields(self) -> dict[str, QDoubleSpinBox | QSpinBox]:
        """The numeric settings, by their TrainConfig names."""
        return {
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "learning_rate": self.learning_rate,
            "weight_decay": self.weight_decay,
        }

    def _on_train_clicked(self) -> None:
        if self._run.state == "idle":
            self.train_requested.emit(self.config())
        elif self._run.state == "running":
            self.pause_requested.emit()
        else:
            self.resume_requested.emit()

    # -- rendering the state ------------------------------------------------------------------
    def show_network(self, info: ModelInfo, title: str, details: str) -> None:
        self._arch = info.arch
        self.network_label.set_full_text(title)
        self.origin_label.set_full_text(details)

    def show_run(self, run: RunStatus) -> None:
        """Buttons, fields and statistics for this run: nothing shown outlives what it describes."""
        self._run = run
        state = run.state
        labels = {"idle": "Train", "starting": "Starting…", "running": "Pause", "paused": "Resume"}
        self.train_button.setText(labels[state])
        self.train_button.setEnabled(state != "starting")  # one press, one run
        self.stop_button.setEnabled(state in ("running", "paused"))
        self.step_button.setEnabled(state == "paused")
        for widget in (self.recipe, self.epochs, self.batch_size, self.optimizer, self.continue_training):
            widget.setEnabled(state == "idle")
        self.learning_rate.setEnabled(state != "starting")  # steers the run under way
        self.weight_decay.setEnabled(state != "starting")
        self.new_button.setEnabled(state == "idle")
        progress = run.progress
        if progress is None:
            for label in (self.epoch_label, self.step_label):
                label.setText("–")
        else:
            total_epochs = progress.epoch * progress.total_steps / progress.step
            self.epoch_label.setText(f"{progress.epoch:.2f} of {total_epochs:.2f}")
            self.step_label.setText(f"{progress.step:,} of {progress.total_steps:,}")
        if progress is not None and run.live:
            self.speed_label.setText(f"{progress.samples_per_second:,.0f} digits/s")
            self.time_label.setText(format_seconds(progress.seconds_left))
        else:
            self.speed_label.setText("–")
            paused = progress is not None and state == "paused"
            left = format_seconds(progress.seconds_left) if progress is not None else ""
            self.time_label.setText(f"{left} (paused)" if paused else "–")
        evaluation = run.evaluation
        accuracy = "–" if evaluation is None else f"{evaluation.accuracy:.2%}"
        self.accuracy_label.setText(f"{accuracy} before teaching" if run.taught_since else accuracy)
        tip = TAUGHT_SINCE if run.taught_since else ACCURACY_TIP
        if self.accuracy_label.toolTip() != tip:  # at every report: no tooltip event when the same
            self.accuracy_label.setToolTip(tip)

    def show_data(self, what: str, where: str) -> None:
        """What Train uses; fields that hold a preset's values get its values for these data."""
        digits = MNIST_TRAINING_DIGITS if where else PRACTICE_TRAINING_DIGITS  # only MNIST has a folder
        if digits != self.recipe.training_digits:
            preset = self.recipe.shown()
            self.recipe.set_training_digits(digits)
            if preset != CUSTOM:
                self.choose_recipe(preset)
        self.data_label.setText(f"Trains on {what}.")
        self.data_path_label.set_full_text(shown_path(where) if where else "")
        self.data_path_label.setVisible(bool(where))

    def run_state(self) -> str:
        return self._run.state

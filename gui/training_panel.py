"""Controls for a training run: network, hyperparameters, Train / Pause / Resume / Stop."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from model.messages import TrainConfig, TrainProgress

from .live_label import LiveLabel

ARCH_LABELS = {"cnn": "Small CNN (2 conv + dense)", "mlp": "Fully connected (784 → 256 → 128 → 10)"}
OPTIMIZER_LABELS = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD + momentum"}


def format_seconds(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


class TrainingPanel(QGroupBox):
    """Emits the user's intent; the main window forwards it to the worker."""

    train_requested = Signal(object)  # TrainConfig
    pause_requested = Signal()
    resume_requested = Signal()
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Training", parent)
        defaults = TrainConfig()
        self.arch = QComboBox()
        for key, label in ARCH_LABELS.items():
            self.arch.addItem(label, key)
        self.arch.setToolTip("Which network to train. The CNN learns shapes with shared 3x3 filters.")
        self.epochs = QDoubleSpinBox(
            decimals=1, minimum=0.1, maximum=100, singleStep=0.5, value=defaults.epochs
        )
        self.epochs.setToolTip("How many times training goes over the whole training set.")
        self.batch_size = QSpinBox(minimum=8, maximum=4096, singleStep=32, value=defaults.batch_size)
        self.batch_size.setToolTip("How many digits each step averages its gradient over.")
        self.learning_rate = QDoubleSpinBox(decimals=4, minimum=0.0001, maximum=10.0, singleStep=0.0005)
        self.learning_rate.setValue(defaults.learning_rate)
        self.learning_rate.setToolTip(
            "Peak step size of the one-cycle schedule. Too high and the loss explodes."
        )
        self.optimizer = QComboBox()
        for key, label in OPTIMIZER_LABELS.items():
            self.optimizer.addItem(label, key)
        self.continue_training = QCheckBox("Continue from the current weights")
        self.continue_training.setToolTip(
            "Unticked, training starts from freshly initialised random weights."
        )

        form = QFormLayout()
        form.addRow("Network", self.arch)
        form.addRow("Epochs", self.epochs)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Learning rate", self.learning_rate)
        form.addRow("Optimizer", self.optimizer)
        form.addRow(self.continue_training)

        self.train_button = QPushButton("Train")
        self.train_button.setObjectName("trainButton")
        self.train_button.setDefault(True)
        self.train_button.setToolTip("Start training (Ctrl+T); while training, pause or resume.")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setEnabled(False)
        self.stop_button.setToolTip("End the run; the network keeps what it has learnt so far.")
        self.train_button.clicked.connect(self._on_train_clicked)
        self.stop_button.clicked.connect(self.stop_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.stop_button)

        self.epoch_label = LiveLabel("0000.00 of 0000.0", "–")
        self.step_label = LiveLabel("0,000,000 of 0,000,000", "–")
        self.speed_label = LiveLabel("0,000,000 digits/s", "–")
        self.time_label = LiveLabel("00000:00", "–")
        self.accuracy_label = LiveLabel("100.00%", "–")
        stats = QGridLayout()
        for row, (name, label) in enumerate(
            [
                ("Epoch", self.epoch_label),
                ("Step", self.step_label),
                ("Speed", self.speed_label),
                ("Time left", self.time_label),
                ("Val. accuracy", self.accuracy_label),
            ]
        ):
            stats.addWidget(QLabel(name), row, 0)
            stats.addWidget(label, row, 1)
        self.data_label = QLabel()
        self.data_label.setWordWrap(True)
        self.data_label.setObjectName("dataLabel")

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addLayout(stats)
        layout.addWidget(self.data_label)
        layout.addStretch(1)
        self._state = "idle"

    def config(self) -> TrainConfig:
        return TrainConfig(
            arch=self.arch.currentData(),
            epochs=self.epochs.value(),
            batch_size=self.batch_size.value(),
            learning_rate=self.learning_rate.value(),
            optimizer=self.optimizer.currentData(),
            from_scratch=not self.continue_training.isChecked(),
        )

    def set_config(self, config: TrainConfig) -> None:
        self.arch.setCurrentIndex(max(0, self.arch.findData(config.arch)))
        self.epochs.setValue(config.epochs)
        self.batch_size.setValue(config.batch_size)
        self.learning_rate.setValue(config.learning_rate)
        self.optimizer.setCurrentIndex(max(0, self.optimizer.findData(config.optimizer)))

    def set_state(self, state: str) -> None:
        """ "idle", "running" or "paused": the buttons follow."""
        self._state = state
        self.train_button.setText({"idle": "Train", "running": "Pause", "paused": "Resume"}[state])
        self.stop_button.setEnabled(state != "idle")
        for widget in (
            self.arch,
            self.epochs,
            self.batch_size,
            self.learning_rate,
            self.optimizer,
            self.continue_training,
        ):
            widget.setEnabled(state == "idle")

    def state(self) -> str:
        return self._state

    def show_progress(self, progress: TrainProgress) -> None:
        self.epoch_label.setText(
            f"{progress.epoch:.2f} of {progress.epoch * progress.total_steps / progress.step:.1f}"
        )
        self.step_label.setText(f"{progress.step:,} of {progress.total_steps:,}")
        self.speed_label.setText(f"{progress.samples_per_second:,.0f} digits/s")
        self.time_label.setText(format_seconds(progress.seconds_left))

    def show_accuracy(self, accuracy: float) -> None:
        self.accuracy_label.setText(f"{accuracy:.2%}")

    def set_data_description(self, text: str) -> None:
        self.data_label.setText(f"Trains on {text}.")

    def _on_train_clicked(self) -> None:
        if self._state == "idle":
            try:
                self.train_requested.emit(self.config())
            except ValueError:
                return
        elif self._state == "running":
            self.pause_requested.emit()
        else:
            self.resume_requested.emit()

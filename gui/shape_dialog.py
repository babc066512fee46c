"""Shape a new network: how many hidden layers and how wide, or how many channels per
convolution, with the parameter count shown before anything is built or trained."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from model.networks import ArchSpec

from . import theme

MAX_LAYERS = {"mlp": 4, "cnn": 3}  # rows of spin boxes offered (the model allows a few more)
WIDTHS = {"mlp": (256, 128, 64, 32), "cnn": (16, 32, 64)}
WIDEST = {"mlp": 4096, "cnn": 256}
KINDS = {"cnn": "Convolutional (CNN)", "mlp": "Fully connected"}


class ShapeDialog(QDialog):
    """Kind, layers and widths; `spec()` is the network to build once accepted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Shape a new network")
        self.kind = QComboBox()
        for key, label in KINDS.items():
            self.kind.addItem(label, key)
        self.layers = QSpinBox(minimum=1, maximum=MAX_LAYERS["mlp"])
        self.widths = [QSpinBox(minimum=1, maximum=WIDEST["mlp"]) for _ in range(MAX_LAYERS["mlp"])]
        self.dense = QSpinBox(minimum=0, maximum=4096, value=128, singleStep=32)
        self.dense.setToolTip("Width of the fully-connected layer after the convolutions (0: none).")
        self.summary = QLabel()
        self.summary.setObjectName("shapeSummary")
        self.summary.setWordWrap(True)
        self.problem = theme.muted(QLabel())
        self.problem.setWordWrap(True)
        row = QHBoxLayout()
        for box in self.widths:
            row.addWidget(box)
        self.form = QFormLayout()
        self.form.addRow("Kind", self.kind)
        self.layers_label = QLabel("Hidden layers")
        self.form.addRow(self.layers_label, self.layers)
        self.form.addRow("Widths", row)
        self.form.addRow("Dense", self.dense)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Make it")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel("An untrained network of this shape replaces the one in use; then press Train.")
        )
        layout.addLayout(self.form)
        layout.addWidget(self.summary)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.kind.currentIndexChanged.connect(self._on_kind_changed)
        for box in (self.layers, self.dense, *self.widths):
            box.valueChanged.connect(self._update)
        self._on_kind_changed()

    def current_kind(self) -> str:
        return str(self.kind.currentData())

    def spec(self) -> ArchSpec | None:
        """The shape asked for, or None (with `problem` saying why) when it cannot be built."""
        kind = self.current_kind()
        widths = tuple(box.value() for box in self.widths[: self.layers.value()])
        try:
            if kind == "mlp":
                return ArchSpec(kind="mlp", hidden=widths)
            return ArchSpec(kind="cnn", channels=widths, fc=self.dense.value())
        except (TypeError, ValueError) as error:
            self.problem.setText(f"This shape cannot be built: {error}.")
            return None

    def _on_kind_changed(self) -> None:
        kind = self.current_kind()
        self.layers.setMaximum(MAX_LAYERS[kind])
        self.layers.setValue(2)
        self.layers_label.setText("Hidden layers" if kind == "mlp" else "Conv blocks")
        self.form.setRowVisible(self.dense, kind == "cnn")
        for box, width in zip(self.widths, WIDTHS[kind] + (16,) * 4, strict=False):
            box.setMaximum(WIDEST[kind])
            box.setValue(width)
            box.setToolTip("Neurons in this hidden layer." if kind == "mlp" else "Channels (feature maps).")
        self._update()

    def _update(self) -> None:
        for index, box in enumerate(self.widths):
            box.setVisible(index < self.layers.value())
        self.problem.clear()
        spec = self.spec()
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(spec is not None)
        if spec is None:
            self.summary.clear()
            return
        if spec.kind == "mlp":
            shape = " → ".join(str(n) for n in (784, *spec.hidden, 10))
        else:
            dense = f" → dense {spec.fc}" if spec.fc else ""
            shape = " → ".join(f"conv {n}" for n in spec.channels) + f"{dense} → 10"
        self.summary.setText(f"{shape}: <b>{spec.parameters:,} parameters</b> to learn.")

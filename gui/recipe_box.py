"""The training panel's choice of recipe: a preset, or the user's own settings ("Custom")."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox

from model.data import PRACTICE_TRAINING_DIGITS
from model.messages import MNIST_TRAINING_DIGITS, RECIPES, TrainConfig

PRESETS = {  # the recipes a user picks from, by their model.messages.RECIPES names
    "quick": (
        "Quick: 99% in seconds",
        "A little less than one pass over MNIST in large batches at a high learning rate, aiming at "
        "90%-sure answers (label smoothing), then made as sure as it is right: about 99% in 5 seconds "
        "on two cores.",
    ),
    "longer": (
        "Longer: 99.5% in 3 minutes",
        "Eighteen passes over digits jittered like handwriting (small rotations, shears, shifts): "
        "99.5% and more, and better on real handwriting. The shipped network was trained so.",
    ),
}
# On the practice set (4,500 digits to learn from) the same recipes reach less.
PRACTICE_LABELS = {"quick": "Quick: 98% in seconds", "longer": "Longer: 99% in minutes"}
CUSTOM = "custom"
SET_BY_FIELDS = ("epochs", "batch_size", "learning_rate", "weight_decay", "optimizer")


class RecipeBox(QComboBox):
    """Shows which preset the fields hold, or Custom once any of them differs from it.

    The preset last chosen stays the base of a custom recipe: the settings that have no field
    (Adam's memories, label smoothing, jitter, when to validate) come from it.
    """

    chosen = Signal(str)  # a preset's key, picked by the user

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("recipeBox")
        # Elided in a narrow window rather than widening the panel past it.
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(8)
        self.preset = "quick"
        self.training_digits = MNIST_TRAINING_DIGITS  # of the data Train uses: set_training_digits()
        for key, (label, tip) in PRESETS.items():
            self.addItem(label, key)
            self.setItemData(self.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.addItem("Custom", CUSTOM)
        self.setToolTip("A recipe sets the fields below; change any of them to make it yours.")
        self.activated.connect(self._on_activated)

    def shown(self) -> str:
        """The preset whose values the fields hold, else "custom"."""
        return str(self.currentData())

    def preset_config(self, key: str | None = None) -> TrainConfig:
        """A preset's values (the one last chosen by default) for the data Train uses."""
        return RECIPES[key or self.preset](self.training_digits)

    def set_training_digits(self, digits: int) -> None:
        """The presets are made for this much data from now on; their names say what they reach."""
        self.training_digits = digits
        practice = digits == PRACTICE_TRAINING_DIGITS
        for index, (key, (label, _)) in enumerate(PRESETS.items()):
            self.setItemText(index, PRACTICE_LABELS[key] if practice else label)

    def show_fields(self, config: TrainConfig) -> None:
        """Select the preset if `config` (what the fields make) is still its values, else Custom."""
        preset = self.preset_config()
        same = all(getattr(config, name) == getattr(preset, name) for name in SET_BY_FIELDS)
        self.setCurrentIndex(self.findData(self.preset if same else CUSTOM))

    def _on_activated(self, index: int) -> None:
        key = self.itemData(index)
        if key != CUSTOM:  # Custom is what the fields say: picking it changes nothing
            self.chosen.emit(key)

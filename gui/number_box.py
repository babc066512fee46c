"""A number field that says so when it brings what was typed into its range."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox


def _number(text: str) -> float | None:
    try:
        number = float(text.replace(",", "").strip())
    except ValueError:
        return None
    return number if number == number else None  # NaN is not a number to clamp


class BoundedSpinBox(QDoubleSpinBox):
    """A number field that says so when it changes what was typed to fit its range."""

    clamped = Signal(str)  # a sentence for the user

    def __init__(self, name: str, minimum: float, maximum: float, decimals: int, step: float) -> None:
        super().__init__()
        self._name = name
        self.setDecimals(decimals)
        self.setRange(minimum, maximum)
        self.setSingleStep(step)

    def validate(self, text: str, position: int) -> tuple[QValidator.State, str, int]:
        """A number beyond the range may be typed (not silently refused); fixup() then brings
        it into the range and says so."""
        state, text, position = super().validate(text, position)
        if state == QValidator.State.Invalid and _number(text) is not None:
            state = QValidator.State.Intermediate
        return state, text, position

    def fixup(self, text: str) -> str:
        typed = _number(text)
        if typed is None:
            return super().fixup(text)
        if typed > self.maximum() or typed < self.minimum():
            bound = self.maximum() if typed > self.maximum() else self.minimum()
            self.clamped.emit(
                f"The {self._name} is between {self.minimum():g} and {self.maximum():g}: "
                f"{typed:g} became {bound:g}."
            )
            return self.textFromValue(bound)
        return super().fixup(text)

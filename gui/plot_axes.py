"""The loss plot's value axes: labels that never run into each other, however short the plot."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QGraphicsSceneResizeEvent

NAME_POINT_SIZE = 8
SMALL = {"font-size": f"{NAME_POINT_SIZE}pt"}  # axis names: three short plots stacked


class ReadableAxis(pg.AxisItem):  # type: ignore[misc]  # pyqtgraph has no type information
    """A value axis whose labels never overlap: on a short plot, fewer and rounder ticks, and
    a shorter name when the plot is not as tall as its name is long."""

    names: tuple[str, str] | None = None  # set_names(): pyqtgraph resizes the axis before

    def set_names(self, name: str, short_name: str | None = None) -> None:
        """The axis's name, and the one it shows on a plot too short for `name`."""
        self.names = (name, short_name or name)
        self._fit_name()

    def resizeEvent(self, event: QGraphicsSceneResizeEvent | None = None) -> None:
        super().resizeEvent(event)
        self._fit_name()

    def _fit_name(self) -> None:
        if self.names is None:
            return
        font = QFont(self.font())
        font.setPointSizeF(NAME_POINT_SIZE)
        room = QFontMetrics(font).horizontalAdvance(self.names[0]) - 12  # along the axis; 6 px spill
        name = self.names[0] if self.size().height() >= room else self.names[1]
        if name != self.labelText:
            self.setLabel(name, **SMALL)
            super().resizeEvent(None)  # pyqtgraph centres the name only as it resizes

    def boundingRect(self) -> QRectF:
        """With a grid, pyqtgraph keeps labels inside the plot's height and so hides the labels
        at both ends, all a plot a few lines tall has: let them reach half a line beyond."""
        half_line = QFontMetrics(self.font()).height() / 2
        rect: QRectF = super().boundingRect()
        return rect.adjusted(0, -half_line, 0, half_line)

    def tickSpacing(self, low: float, high: float, size: float) -> list[tuple[float, float]]:
        levels = super().tickSpacing(low, high, size)
        if not levels or high <= low:
            return levels  # type: ignore[no-any-return]
        line = QFontMetrics(self.font()).height()
        room = 1.8 * line  # pixels each label needs
        spacing = levels[0][0]
        while size * spacing / (high - low) < room:
            power = 10.0 ** math.floor(math.log10(spacing) + 1e-9)
            spacing = next(m * power for m in (2.0, 2.5, 5.0, 10.0) if m * power > spacing * (1 + 1e-9))
        if spacing > high - low:  # only the tick at 0 would be left: one above it, if two fit
            power = 10.0 ** math.floor(math.log10(high - low))
            below = max(m * power for m in (1.0, 2.0, 5.0) if m * power <= high - low)  # one decimal
            if size * below / (high - low) >= 1.2 * line:
                spacing = below
        return [(spacing, 0.0)]


class PercentAxis(ReadableAxis):
    """Accuracy as the panel and the status bar say it: 99%, not 0.99."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        step = 100 * spacing * scale
        decimals = next((d for d in range(4) if abs(round(step, d) - step) < 1e-6 * step), 4)
        return [f"{100 * value * scale:.{decimals}f}%" for value in values]

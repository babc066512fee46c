"""Readable layers: each layer's colour scale stays put while the drawing changes."""

from __future__ import annotations

import numpy as np
import pytest
from gui_support import SEVEN
from PySide6.QtGui import QFont, QTextLayout

from gui.activation_view import DETAIL_WRAP, ActivationView
from gui.layer_pictures import breakable, stable_top
from gui.round_numbers import COARSE_STEPS, nice_ceiling
from model.messages import LayerActivation


@pytest.mark.parametrize(
    ("value", "expected"), [(0.03, 0.05), (1.0, 1.0), (1.01, 2.0), (4.2, 5.0), (5.13, 10.0), (12.6, 20.0)]
)
def test_scales_end_on_round_numbers(value, expected) -> None:
    assert nice_ceiling(value, COARSE_STEPS) == pytest.approx(expected)


def test_a_scale_grows_at_once_and_shrinks_only_when_far_too_large() -> None:
    top = stable_top(4.2, None)
    assert top == 5.0
    assert stable_top(3.1, top) == 5.0  # a little less: the same colours
    assert stable_top(1.3, top) == 5.0
    assert stable_top(6.0, top) == 10.0  # more than fits: grows at once
    assert stable_top(1.1, 10.0) == 2.0  # under a quarter: shrinks to fit
    assert stable_top(0.0, 5.0) == 5.0 and stable_top(float("nan"), None) == 1.0


def layers(largest: float) -> tuple[LayerActivation, ...]:
    hidden = np.linspace(0, largest, 64, dtype=np.float32).reshape(4, 4, 4)
    return (
        LayerActivation("conv 1", "conv", "relu(W∗x + b)", 100, hidden),
        LayerActivation("output", "output", "softmax(W·x + b)", 10, np.full(10, 0.1, np.float32)),
    )


def test_the_view_keeps_a_layers_scale_across_answers(qtbot) -> None:
    view = ActivationView()
    qtbot.addWidget(view)
    view.set_layers(layers(4.2))
    assert view.scale_tops() == {"conv 1": 5.0, "output": 1.0}
    qtbot.waitUntil(view.shows_new_layers_at_once, timeout=2000)
    view.set_layers(layers(3.0))
    assert view.scale_tops()["conv 1"] == 5.0
    qtbot.waitUntil(view.shows_new_layers_at_once, timeout=2000)
    view.set_layers(layers(7.5))
    assert view.scale_tops()["conv 1"] == 10.0


def test_each_column_explains_its_formula_term_by_term(qtbot, window, draw_and_wait) -> None:
    draw_and_wait(SEVEN)
    view = window.activation_view
    qtbot.waitUntil(lambda: len(view.scale_tops()) == 5, timeout=5000)  # the pictures, not only the names
    view.repaint()
    names = view.layer_names()
    helps = [view.column_help(x) for x in range(0, view.width(), 4)]
    shown = [h for h in helps if h is not None]
    assert [h.split(":")[0] for h in dict.fromkeys(shown)] == list(names)  # left to right
    conv = next(h for h in shown if h.startswith("conv 1"))
    assert all(term in conv for term in ("convolution", "maxpool", "batch normalisation", "relu(z)"))
    assert "softmax: turns" in next(h for h in shown if h.startswith("output"))


def wrapped_lines(text: str, width: float) -> list[str]:
    """The lines the layer header paints `text` in, `width` pixels wide."""
    layout = QTextLayout(text, QFont())
    layout.setTextOption(DETAIL_WRAP)
    layout.beginLayout()
    lines = []
    while (line := layout.createLine()).isValid():
        line.setLineWidth(width)
        lines.append(text[line.textStart() : line.textStart() + line.textLength()])
    layout.endLayout()
    return lines


def test_a_formula_in_a_narrow_column_breaks_between_its_terms(qtbot) -> None:
    """relu(norm(maxpool(W∗x)) + b) in the conv 2 column read "...maxpool(W" / "∗x)) + b)"."""
    formula = "relu(norm(maxpool(W∗x)) + b)"
    widths = range(60, 260, 5)
    # Without the break places, some of these widths split it inside a term.
    assert any(line.endswith("W") for width in widths for line in wrapped_lines(formula, width))
    for width in widths:
        lines = wrapped_lines(breakable(formula), width)
        assert "".join(lines).replace("\u200b", "") == formula
        assert all(line.endswith(("(\u200b", " ")) for line in lines[:-1]), (width, lines)

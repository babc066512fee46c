"""A small drawing is read as the same drawing made bigger, with the same pen."""

from __future__ import annotations

import numpy as np
import pytest

from model.checkpoint import DEFAULT_WEIGHTS, load_checkpoint
from model.messages import InkStroke
from model.preprocess import preprocess_placed
from model.rasterise import RENDER_SIZE, render_strokes
from model.reading import read_drawing
from model.small_drawings import MIN_EXTENT_IN_PENS, Redrawn, path_box, redrawn_bigger
from model.strokes import PEN_WIDTH_FRACTION

SIZE = 300
PEN = PEN_WIDTH_FRACTION
ONE = [np.array([[0.5, 0.45], [0.5, 0.55]])]  # a 1 a tenth of the canvas high


def canvas(strokes: list[np.ndarray], width: float = PEN) -> tuple[np.ndarray, tuple[InkStroke, ...]]:
    """The canvas's ink for pen strokes, and the strokes as the canvas hands them over."""
    image = render_strokes([stroke * SIZE for stroke in strokes], SIZE, width * SIZE)
    return image, tuple(InkStroke(stroke, width) for stroke in strokes)


def test_only_a_drawing_smaller_than_a_few_pens_is_drawn_again() -> None:
    half = MIN_EXTENT_IN_PENS * PEN / 2
    assert redrawn_bigger(*canvas([np.array([[0.5, 0.5 - half], [0.5, 0.5 + half]])])) is None  # big enough
    assert redrawn_bigger(*canvas([np.array([[0.3, 0.3], [0.3, 0.3 + 0.9 * PEN]])])) is None  # a dot
    image, ink = canvas(ONE)
    assert redrawn_bigger(image, ()) is None and redrawn_bigger(np.zeros_like(image), ink) is None
    small = redrawn_bigger(image, ink)
    assert small is not None
    assert small.magnification == pytest.approx(MIN_EXTENT_IN_PENS * PEN / 0.1, rel=0.05)
    assert small.centre == pytest.approx((0.5 * SIZE, 0.5 * SIZE), abs=1)
    # Drawn again MIN_EXTENT_IN_PENS pens high, centred, with a pen as wide as before, on a
    # canvas as big as the one the networks' pen digits were rendered on for training.
    assert small.image.shape == (RENDER_SIZE, RENDER_SIZE)
    assert small.scale == pytest.approx(small.magnification * RENDER_SIZE / SIZE)
    rows = np.flatnonzero(small.image.max(axis=1) > 127)
    assert rows[-1] - rows[0] == pytest.approx((MIN_EXTENT_IN_PENS + 1) * PEN * RENDER_SIZE, abs=3)
    assert (rows[0] + rows[-1]) / 2 == pytest.approx(RENDER_SIZE / 2, abs=1)
    assert (small.image.max(axis=0) > 127).sum() == pytest.approx(PEN * RENDER_SIZE, abs=2)


def test_the_redrawn_places_map_back_onto_the_canvas() -> None:
    redrawn = Redrawn(np.zeros((200, 200), np.uint8), magnification=8.0, centre=(30.0, 50.0), scale=4.0)
    assert redrawn.placement_on_canvas((100.0, 100.0, 40.0, 80.0)) == (30.0, 50.0, 10.0, 20.0)
    assert redrawn.placement_on_canvas((60.0, 20.0, 4.0, 4.0)) == (20.0, 30.0, 1.0, 1.0)


def test_a_small_one_is_read_as_a_one_and_not_as_a_blob() -> None:
    net, _ = load_checkpoint(DEFAULT_WEIGHTS)
    image, ink = canvas(ONE)
    as_inked = read_drawing(net, 1, image, with_layers=False)
    assert as_inked.digit == 0  # the pen is almost as wide as the 1 is long: a blob
    small = redrawn_bigger(image, ink)
    assert small is not None
    assert read_drawing(net, 2, small.image, with_layers=False).digit == 1
    # The 28x28 field of the redrawn 1 lies, on the canvas, around the small 1.
    placed = preprocess_placed(small.image)
    assert placed is not None
    x, y, width, height = small.placement_on_canvas(placed[1])
    assert x < 0.5 * SIZE < x + width and y < 0.45 * SIZE and 0.55 * SIZE < y + height < 0.6 * SIZE


def test_an_off_centre_drawing_maps_back_onto_its_own_ink() -> None:
    """An L in the lower left corner, wider than tall: the 28x28 field read from the redrawn
    image lies, on the canvas, over the L's ink and not anywhere else."""
    ell = [np.array([[0.15, 0.7], [0.15, 0.8], [0.22, 0.8]])]
    small = redrawn_bigger(*canvas(ell))
    assert small is not None and small.centre == pytest.approx((0.185 * SIZE, 0.75 * SIZE), abs=1)
    placed = preprocess_placed(small.image)
    assert placed is not None
    x, y, width, height = small.placement_on_canvas(placed[1])
    # The field (28 px around the 20-px box of the thin L) holds the L's path, with a margin
    # of the pen's radius thinned as much (less a pixel of anti-aliasing), and no more.
    path = ell[0] * SIZE
    radius = PEN * SIZE / 2 / small.magnification
    margin = radius - 1
    assert (path[:, 0] >= x + margin).all() and (path[:, 0] <= x + width - margin).all()
    assert (path[:, 1] >= y + margin).all() and (path[:, 1] <= y + height - margin).all()
    assert height == pytest.approx(28 / 20 * (0.1 * SIZE + 2 * radius), rel=0.05)


def test_what_was_erased_stays_erased_and_what_left_the_canvas_stays_off_it() -> None:
    """A stray mark rubbed out leaves the small 1 alone, drawn bigger; a stroke run past the
    canvas's edge is cut there, as it is on the canvas."""
    stray = np.array([[0.2, 0.5], [0.21, 0.5]])
    eraser = InkStroke(np.array([[0.18, 0.5], [0.23, 0.5]]), 1.6 * PEN, erase=True)
    image, ink = canvas([*ONE, stray])
    image[:, : int(0.3 * SIZE)] = 0  # the canvas after the eraser went over the stray mark
    small = redrawn_bigger(image, (*ink, eraser))
    only_one = redrawn_bigger(*canvas(ONE))
    assert small is not None and only_one is not None
    assert small.magnification == pytest.approx(only_one.magnification)
    assert np.abs(small.image.astype(int) - only_one.image).max() <= 1  # the stray mark is gone
    off_edge = [np.array([[0.02, 0.5], [-0.05, 0.55], [0.02, 0.6]])]
    image, ink = canvas(off_edge)
    cut = redrawn_bigger(image, ink)
    assert cut is not None
    placed = preprocess_placed(cut.image)
    assert placed is not None
    x = cut.placement_on_canvas(placed[1])[0]
    ink_columns = np.flatnonzero(cut.image.max(axis=0) > 0)
    assert ink_columns[0] / cut.scale + cut.centre[0] - cut.image.shape[0] / 2 / cut.scale >= -1  # not past 0
    assert x < 0.05 * SIZE


def test_a_drag_far_outside_the_canvas_leaves_a_small_drawing_as_it_was() -> None:
    """The mouse thrown out of the window while the button is down: a stroke that leaves no
    ink. Magnified with the drawing, it must not be drawn (it would be billions of pixels)."""
    image, ink = canvas(ONE)
    thrown = InkStroke(np.array([[1.5, 0.5], [4e6, -3e6]]), PEN)
    alone, with_the_drag = redrawn_bigger(image, ink), redrawn_bigger(image, (*ink, thrown))
    assert alone is not None and with_the_drag is not None
    assert np.array_equal(with_the_drag.image, alone.image)


def test_ink_that_no_path_draws_is_read_as_it_is() -> None:
    image, ink = canvas(ONE)
    nan = (InkStroke(np.array([[0.5, np.nan], [0.5, 0.55]]), PEN),)
    assert redrawn_bigger(image, nan) is None
    assert redrawn_bigger(image, (InkStroke(np.zeros((0, 2)), PEN),)) is None
    assert redrawn_bigger(image, (InkStroke(ONE[0], 1.6 * PEN, erase=True),)) is None  # no pen
    assert redrawn_bigger(None, ink) is None  # nothing drawn
    assert redrawn_bigger(image, None) is None  # a picture on the canvas
    assert redrawn_bigger(image, ink) is not None


def test_the_widest_pen_is_drawn_whole() -> None:
    """At twice the normal pen, six pens and the pen's own width are more than RENDER_SIZE:
    the image grows rather than cut the ink at its edges."""
    small = redrawn_bigger(*canvas([np.array([[0.5, 0.4], [0.5, 0.65]])], 2 * PEN))
    assert small is not None and small.image.shape[0] > RENDER_SIZE
    image = small.image
    assert image[0].max() == image[-1].max() == image[:, 0].max() == image[:, -1].max() == 0


def test_a_dot_is_a_path_no_longer_than_the_pen_is_wide() -> None:
    click = [np.array([[0.4, 0.4]])]
    nudged = [np.array([[0.4, 0.4], [0.4, 0.4 + 0.3 * PEN]])]  # a click that moved a little
    dots = [path_box(*canvas(click)), path_box(*canvas(nudged))]
    assert all(box is not None and box.is_dot for box in dots)
    one = path_box(*canvas(ONE))
    assert one is not None and not one.is_dot  # 1.3 pens: a small 1, drawn bigger
    assert path_box(None, canvas(click)[1]) is None and path_box(canvas(click)[0], None) is None

"""A small drawing is read as the same drawing made bigger, with the same pen."""

from __future__ import annotations

import numpy as np
import pytest

from model.checkpoint import DEFAULT_WEIGHTS, load_checkpoint
from model.preprocess import preprocess_placed
from model.rasterise import RENDER_SIZE, render_strokes
from model.reading import read_drawing
from model.small_drawings import MIN_EXTENT_IN_PENS, Redrawn, redrawn_bigger, redrawn_if_small
from model.strokes import PEN_WIDTH_FRACTION

SIZE = 300
ONE = [np.array([[0.5, 0.45], [0.5, 0.55]])]  # a 1 a tenth of the canvas high


def test_only_a_drawing_smaller_than_a_few_pens_is_drawn_again() -> None:
    pen = PEN_WIDTH_FRACTION
    big = [np.array([[0.5, 0.5 - MIN_EXTENT_IN_PENS * pen / 2], [0.5, 0.5 + MIN_EXTENT_IN_PENS * pen / 2]])]
    assert redrawn_bigger(SIZE, big, pen) is None  # as big as that already: read as drawn
    assert redrawn_bigger(SIZE, [np.array([[0.3, 0.3]])], pen) is None  # a dot stays a dot
    assert redrawn_bigger(SIZE, ONE, 0.0) is None and redrawn_bigger(SIZE, [], pen) is None
    small = redrawn_bigger(SIZE, ONE, pen)
    assert small is not None
    assert small.magnification == pytest.approx(MIN_EXTENT_IN_PENS * pen / 0.1)
    assert small.centre == pytest.approx((0.5 * SIZE, 0.5 * SIZE))
    # Drawn again MIN_EXTENT_IN_PENS pens high, centred, with a pen as wide as before, on a
    # canvas as big as the one the networks' pen digits were rendered on for training.
    assert small.image.shape == (RENDER_SIZE, RENDER_SIZE)
    assert small.scale == pytest.approx(small.magnification * RENDER_SIZE / SIZE)
    rows = np.flatnonzero(small.image.max(axis=1) > 127)
    assert rows[-1] - rows[0] == pytest.approx((MIN_EXTENT_IN_PENS + 1) * pen * RENDER_SIZE, abs=2)
    assert (rows[0] + rows[-1]) / 2 == pytest.approx(RENDER_SIZE / 2, abs=1)
    assert (small.image.max(axis=0) > 127).sum() == pytest.approx(pen * RENDER_SIZE, abs=2)


def test_the_redrawn_places_map_back_onto_the_canvas() -> None:
    redrawn = Redrawn(np.zeros((200, 200), np.uint8), magnification=8.0, centre=(30.0, 50.0), scale=4.0)
    assert redrawn.placement_on_canvas((100.0, 100.0, 40.0, 80.0)) == (30.0, 50.0, 10.0, 20.0)
    assert redrawn.placement_on_canvas((60.0, 20.0, 4.0, 4.0)) == (20.0, 30.0, 1.0, 1.0)


def test_a_small_one_is_read_as_a_one_and_not_as_a_blob() -> None:
    net, _ = load_checkpoint(DEFAULT_WEIGHTS)
    pen = PEN_WIDTH_FRACTION * SIZE
    ink = render_strokes([stroke * SIZE for stroke in ONE], SIZE, pen)
    as_inked = read_drawing(net, 1, ink, with_layers=False)
    assert as_inked.digit == 0  # the pen is almost as wide as the 1 is long: a blob
    small = redrawn_bigger(SIZE, ONE, PEN_WIDTH_FRACTION)
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
    small = redrawn_bigger(SIZE, ell, PEN_WIDTH_FRACTION)
    assert small is not None and small.centre == pytest.approx((0.185 * SIZE, 0.75 * SIZE))
    placed = preprocess_placed(small.image)
    assert placed is not None
    x, y, width, height = small.placement_on_canvas(placed[1])
    # The field (28 px around the 20-px box of the thin L) holds the L's path, with a margin
    # of the pen's radius thinned as much (less a pixel of anti-aliasing), and no more.
    path = ell[0] * SIZE
    radius = PEN_WIDTH_FRACTION * SIZE / 2 / small.magnification
    margin = radius - 1
    assert (path[:, 0] >= x + margin).all() and (path[:, 0] <= x + width - margin).all()
    assert (path[:, 1] >= y + margin).all() and (path[:, 1] <= y + height - margin).all()
    assert height == pytest.approx(28 / 20 * (0.1 * SIZE + 2 * radius), rel=0.05)


def test_ink_that_no_path_draws_is_read_as_it_is() -> None:
    pen = PEN_WIDTH_FRACTION
    assert redrawn_bigger(SIZE, [np.array([[0.5, np.nan], [0.5, 0.55]])], pen) is None
    assert redrawn_bigger(SIZE, [np.zeros((0, 2))], pen) is None
    assert redrawn_if_small(None, ONE, pen) is None  # nothing drawn
    assert redrawn_if_small(np.zeros((SIZE, SIZE), np.uint8), None, pen) is None  # erased into
    assert redrawn_if_small(np.zeros((SIZE, SIZE), np.uint8), ONE, pen) is not None


def test_the_widest_pen_is_drawn_whole() -> None:
    """At twice the normal pen, six pens and the pen's own width are more than RENDER_SIZE:
    the image grows rather than cut the ink at its edges."""
    small = redrawn_bigger(SIZE, ONE, 2 * PEN_WIDTH_FRACTION)
    assert small is not None and small.image.shape[0] > RENDER_SIZE
    image = small.image
    assert image[0].max() == image[-1].max() == image[:, 0].max() == image[:, -1].max() == 0

"""MNIST-style preprocessing, checked against cases worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.preprocess import FIT_BOX, INK_THRESHOLD, preprocess, preprocess_placed, to_uint8


def centre_of_mass(pixels: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(pixels.shape)
    mass = pixels.sum()
    return float((rows * pixels).sum() / mass), float((cols * pixels).sum() / mass)


def ink_box(pixels: np.ndarray, level: float = 0.0) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the pixels above `level`, bottom/right exclusive."""
    rows = np.flatnonzero((pixels > level).any(axis=1))
    cols = np.flatnonzero((pixels > level).any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def canvas(size: int = 200) -> np.ndarray:
    return np.zeros((size, size), dtype=np.uint8)


def test_empty_canvas_gives_none():
    assert preprocess(canvas()) is None


def test_pixels_at_or_below_threshold_count_as_empty():
    image = canvas()
    image[50:90, 60:70] = INK_THRESHOLD
    assert preprocess(image) is None


def test_tall_rectangle_is_fitted_to_20_px_keeping_aspect_and_centred_by_mass():
    image = canvas()
    image[30:70, 100:110] = 255  # 40 tall, 10 wide
    out = preprocess(image)
    assert out is not None
    assert out.shape == (28, 28)
    assert out.dtype == np.float32
    # Scaled by 20/40: a 20 x 5 block of full ink, nothing else.
    top, bottom, left, right = ink_box(out, level=1e-3)
    assert (bottom - top, right - left) == (FIT_BOX, 5)
    np.testing.assert_allclose(out[top:bottom, left:right], 1.0, atol=1e-5)
    assert np.count_nonzero(out > 1e-3) == FIT_BOX * 5
    # A 5-wide block has its centre on a pixel: exactly column 14. A 20-tall block has it
    # between two pixels, so whole-pixel placement lands half a pixel away from row 14.
    row, col = centre_of_mass(out)
    assert col == pytest.approx(14.0, abs=1e-4)
    assert abs(row - 14.0) == pytest.approx(0.5, abs=1e-4)


def test_wide_rectangle_is_fitted_by_its_width():
    image = canvas()
    image[10:18, 20:100] = 200  # 8 tall, 80 wide -> 2 x 20
    out = preprocess(image)
    assert out is not None
    top, bottom, left, right = ink_box(out, level=1e-3)
    assert (bottom - top, right - left) == (2, FIT_BOX)
    np.testing.assert_allclose(out[top:bottom, left:right], 200 / 255, atol=1e-5)


def test_off_centre_mass_is_moved_to_14_14_not_the_box_centre():
    # A right triangle with its right angle at the bottom left: its mass sits a third of
    # the way along each leg from that corner, far from the middle of its bounding box.
    image = canvas()
    for i in range(100):
        image[40 + i, 50 : 50 + 1 + (i * 60) // 100] = 255
    out = preprocess(image)
    assert out is not None
    row, col = centre_of_mass(out)
    assert abs(row - 14.0) <= 0.5 + 1e-6
    assert abs(col - 14.0) <= 0.5 + 1e-6
    # Centring the box instead would be more than a pixel off: the test can tell them apart.
    top, bottom, left, right = ink_box(out)
    box_row, box_col = (top + bottom - 1) / 2, (left + right - 1) / 2
    assert max(abs(box_row - 14.0), abs(box_col - 14.0)) > 1.5


def test_output_is_float32_in_0_1_for_a_mixed_drawing():
    rng = np.random.default_rng(0)
    image = canvas(120)
    image[20:90, 30:80] = rng.integers(0, 256, (70, 50))
    out = preprocess(image)
    assert out is not None
    assert out.shape == (28, 28)
    assert out.dtype == np.float32
    assert out.min() >= 0.0
    assert out.max() <= 1.0
    assert out.max() > 0.5


def test_faint_pixels_do_not_stretch_the_crop():
    image = canvas()
    image[60:100, 80:96] = 255
    clean = preprocess(image)
    smudged = image.copy()
    smudged[5, 5] = smudged[190, 195] = smudged[60, 190] = INK_THRESHOLD  # anti-aliasing fuzz
    np.testing.assert_array_equal(preprocess(smudged), clean)
    # One step brighter is ink, and it does stretch the crop: the comparison above can fail.
    inked = image.copy()
    inked[190, 195] = INK_THRESHOLD + 1
    assert not np.array_equal(preprocess(inked), clean)


@pytest.mark.parametrize("shape", [(28,), (28, 28, 3), (1, 28, 28), ()])
def test_wrong_number_of_dimensions_raises(shape):
    with pytest.raises(ValueError, match="2-D"):
        preprocess(np.full(shape, 255, dtype=np.uint8))


def test_same_digit_anywhere_on_a_big_canvas_gives_the_same_input():
    rng = np.random.default_rng(7)
    glyph = rng.integers(0, 256, (60, 35)).astype(np.uint8)
    glyph[glyph < 100] = 0
    first, second = canvas(400), canvas(400)
    first[10:70, 20:55] = glyph
    second[300:360, 330:365] = glyph
    out = preprocess(first)
    assert out is not None
    np.testing.assert_array_equal(preprocess(second), out)


def test_non_contiguous_views_are_accepted():
    image = canvas()
    image[40:120, 60:100] = 255
    np.testing.assert_array_equal(preprocess(image.T.copy()), preprocess(image.T))


def test_to_uint8_rounds_and_clips():
    pixels = np.array([[-0.5, 0.0, 0.5, 1.0, 1.5]], dtype=np.float32)
    np.testing.assert_array_equal(to_uint8(pixels), [[0, 0, 128, 255, 255]])
    assert to_uint8(pixels).dtype == np.uint8


@settings(max_examples=60, deadline=None, database=None)
@given(
    height=st.integers(1, 90),
    width=st.integers(1, 90),
    top=st.integers(0, 100),
    left=st.integers(0, 100),
    level=st.integers(INK_THRESHOLD + 1, 255),
)
def test_any_solid_rectangle_fills_20_px_and_is_centred(height, width, top, left, level):
    image = canvas()
    image[top : top + height, left : left + width] = level
    out = preprocess(image)
    assert out is not None
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= level / 255 + 1e-5
    box_top, box_bottom, box_left, box_right = ink_box(out, level=1e-3)
    out_height, out_width = box_bottom - box_top, box_right - box_left
    long_side, short_side = max(height, width), min(height, width)
    assert max(out_height, out_width) == FIT_BOX
    # The short side keeps the aspect ratio, to the nearest whole pixel (at least one).
    assert abs(min(out_height, out_width) - max(1.0, short_side * FIT_BOX / long_side)) <= 0.5 + 1e-9
    row, col = centre_of_mass(out)
    assert abs(row - 14.0) <= 0.5 + 1e-4
    assert abs(col - 14.0) <= 0.5 + 1e-4


@pytest.mark.parametrize("box", [(40, 200, 120, 160), (10, 60, 20, 270), (150, 279, 0, 279)])
def test_the_placement_lays_the_28x28_field_back_over_the_drawing(box) -> None:
    top, bottom, left, right = box
    image = canvas(280)
    image[top:bottom, left:right] = 255
    pixels, (x, y, width, height) = preprocess_placed(image)
    np.testing.assert_array_equal(pixels, preprocess(image))
    rows = np.flatnonzero(pixels.max(axis=1) > 0.5)
    cols = np.flatnonzero(pixels.max(axis=0) > 0.5)
    # The field's ink, carried back through the placement, covers the drawing's ink.
    cell_h, cell_w = height / 28, width / 28
    assert abs(y + rows[0] * cell_h - top) <= cell_h and abs(y + (rows[-1] + 1) * cell_h - bottom) <= cell_h
    assert abs(x + cols[0] * cell_w - left) <= cell_w and abs(x + (cols[-1] + 1) * cell_w - right) <= cell_w

"""Fuzzing the preprocessing: whatever the drawing, a defined answer and never a NaN.

`preprocess` gets whatever the canvas holds: any size, from one pixel to a full screen,
empty, a dot, a line along the border, solid ink, noise. It must return None (nothing
drawn) or a finite 28x28 float32 image in 0..1, and never raise on a 2-D uint8 array.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from model.preprocess import INK_THRESHOLD, preprocess

FUZZ = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def check(image: np.ndarray) -> np.ndarray | None:
    """The contract, for any 2-D uint8 image."""
    out = preprocess(image)
    has_ink = image.size > 0 and int(image.max()) > INK_THRESHOLD
    if not has_ink:
        assert out is None, "no ink above the threshold must mean no input"
        return None
    assert out is not None, "ink above the threshold must give an input"
    assert out.shape == (28, 28)
    assert out.dtype == np.float32
    assert np.all(np.isfinite(out))
    assert out.min() >= 0.0
    assert out.max() <= int(image.max()) / 255 + 1e-5
    assert out.max() > 0.0
    return out


def blank(height: int, width: int) -> np.ndarray:
    return np.zeros((height, width), dtype=np.uint8)


@FUZZ
@given(hnp.arrays(np.uint8, hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=300)))
@example(blank(0, 0))
@example(blank(0, 300))
@example(blank(1, 1) + 255)
@example(blank(1, 1) + INK_THRESHOLD + 1)
@example(blank(1, 5000) + 255)  # one pixel tall, very wide: the short side rounds to one pixel
@example(blank(5000, 1) + 255)
@example(blank(300, 300) + INK_THRESHOLD)  # all faint: nothing drawn
def test_any_uint8_image_gives_none_or_a_finite_28x28_in_0_1(image):
    check(image)


@FUZZ
@given(
    size=st.integers(1, 400),
    level=st.integers(0, 255),
    data=st.data(),
)
def test_sparse_drawings_anywhere_on_any_canvas(size, level, data):
    """A few ink pixels (dots, specks at the corners) on a mostly empty canvas."""
    image = blank(size, size)
    count = data.draw(st.integers(1, 12), label="pixels")
    for _ in range(count):
        row = data.draw(st.integers(0, size - 1), label="row")
        col = data.draw(st.integers(0, size - 1), label="col")
        image[row, col] = level
    check(image)


@pytest.mark.parametrize(
    "name",
    ["dot", "top border", "left border", "bottom-right corner", "frame", "filled", "cross", "diagonal"],
)
@pytest.mark.parametrize("size", [1, 2, 28, 280, 1000])
def test_shapes_drawn_at_the_extremes(name, size):
    image = blank(size, size)
    last = size - 1
    if name == "dot":
        image[size // 2, size // 2] = 255
    elif name == "top border":
        image[0, :] = 255
    elif name == "left border":
        image[:, 0] = 255
    elif name == "bottom-right corner":
        image[last, last] = 255
    elif name == "frame":
        image[[0, last], :] = 255
        image[:, [0, last]] = 255
    elif name == "filled":
        image[:] = 255
    elif name == "cross":
        image[size // 2, :] = 255
        image[:, size // 2] = 255
    else:
        np.fill_diagonal(image, 255)
    out = check(image)
    assert out is not None
    # Whatever the shape, the longer side of its ink fills the 20-pixel box of MNIST.
    rows = np.flatnonzero(out.max(axis=1) > 1e-3)
    cols = np.flatnonzero(out.max(axis=0) > 1e-3)
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 >= 19


def test_a_huge_full_screen_drawing():
    rng = np.random.default_rng(0)
    image = (rng.random((2160, 3840)) < 0.001).astype(np.uint8) * 255  # sparse specks on 4K
    image[100:2000, 1900:1960] = 200  # and a long bar
    check(image)


def test_non_contiguous_and_fortran_order_views():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (300, 200), dtype=np.uint8)
    for view in (image[::3, ::2], image.T, np.asfortranarray(image), image[50:60, 10:190]):
        out = check(view)
        np.testing.assert_array_equal(out, preprocess(np.ascontiguousarray(view)))

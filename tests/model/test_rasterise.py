"""Rendering pen strokes: each pixel's ink is how far inside the round pen's reach it lies."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from model.preprocess import to_uint8
from model.rasterise import render_strokes


def by_hand(strokes: list[np.ndarray], size: int, pen_width: float) -> np.ndarray:
    """Every pixel against every segment, in float64: slow and plain."""
    centres = np.arange(size) + 0.5
    xs, ys = np.meshgrid(centres, centres)
    pixels = np.stack([xs.ravel(), ys.ravel()], axis=1)
    distance = np.full(len(pixels), np.inf)
    for stroke in strokes:
        points = np.asarray(stroke, np.float64).reshape(-1, 2)
        if len(points) == 1:
            points = np.concatenate([points, points])
        for a, b in itertools.pairwise(points):
            direction = b - a
            t = np.clip(((pixels - a) @ direction) / max(direction @ direction, 1e-12), 0, 1)
            distance = np.minimum(distance, np.linalg.norm(pixels - a - t[:, None] * direction, axis=1))
    ink = np.clip(pen_width / 2 + 0.5 - distance, 0, 1)
    return to_uint8(ink.reshape(size, size).astype(np.float32))


@pytest.mark.parametrize("seed", range(4))
def test_strokes_render_as_the_plain_computation_says(seed: int) -> None:
    rng = np.random.default_rng(seed)
    strokes = [
        rng.uniform(-10, 70, size=(int(rng.integers(1, 60)), 2)) for _ in range(int(rng.integers(1, 4)))
    ]
    strokes.append(np.array([[30.0, 30.0]]))  # a click: a dot
    ours = render_strokes(strokes, 56, 4.2)
    assert np.abs(ours.astype(int) - by_hand(strokes, 56, 4.2).astype(int)).max() <= 1
    assert ours[29, 29] == 255  # under the dot


def test_strokes_far_off_the_page_leave_it_blank() -> None:
    assert not render_strokes([np.array([[-50.0, -50.0], [-20.0, -80.0]])], 28, 3.0).any()


def test_strokes_running_far_off_the_image_are_drawn_as_far_as_it_reaches() -> None:
    """Only what reaches the image is drawn: a drag a billion pixels off (a mouse thrown out of
    the window) renders as the by-hand picture, without being cut into billions of pieces."""
    across = [np.array([[-1e9, 20.0], [1e9, 23.0]])]
    out_and_back = [np.array([[30.0, 30.0], [30.0, -1e9], [35.0, 31.0]])]
    wholly_outside = [np.array([[-5e8, -40.0], [5e8, -40.0]]), np.array([[200.0, 200.0]])]
    for strokes in (across, out_and_back, wholly_outside):
        rendered = render_strokes(strokes, 48, 5.0)
        assert np.abs(rendered.astype(int) - by_hand(strokes, 48, 5.0)).max() <= 1
    assert not render_strokes(wholly_outside, 48, 5.0).any()


def test_far_infinite_or_absurd_coordinates_never_blow_up() -> None:
    """A trillion pixels off is drawn exactly; from 1e20 the clipped ends are off by their
    rounding, but kept on the image they never make more pieces than it holds; a segment with
    an infinite end is left out, not a crash."""
    far = render_strokes([np.array([[-1e12, 20.0], [1e12, 20.0]])], 48, 5.0)
    assert np.abs(far.astype(int) - by_hand([np.array([[-100.0, 20.0], [148.0, 20.0]])], 48, 5.0)).max() <= 1
    absurd = render_strokes([np.array([[-1e30, 1e25], [1e30, -1e25]])], 48, 5.0)
    assert absurd.shape == (48, 48)
    infinite = [np.array([[10.0, 10.0], [np.inf, 10.0]]), np.array([[30.0, 30.0], [30.0, 35.0]])]
    assert np.array_equal(render_strokes(infinite, 48, 5.0), render_strokes(infinite[1:], 48, 5.0))

"""Turn a drawing into the 28x28 input MNIST networks expect.

MNIST's digits were cropped to their ink, scaled to fit a 20x20 box keeping the aspect ratio
(anti-aliased), and pasted into 28x28 so that their centre of mass sits at pixel (14, 14).
A drawing must go through the same steps, or the network sees something it never learnt.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .networks import IMAGE_SIZE

FIT_BOX = 20
# MNIST's centres of mass sit at (14.0, 14.0) in row/column index coordinates.
CENTRE = 14.0
# Anti-aliasing leaves faint pixels around the ink; they must not stretch the crop.
INK_THRESHOLD = 8


def ink_bounds(image: np.ndarray, threshold: int = INK_THRESHOLD) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the pixels above threshold, bottom/right exclusive."""
    ink = image > threshold
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(ink.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def fit_to_box(crop: np.ndarray, box: int = FIT_BOX) -> np.ndarray:
    """Scale a crop so its longer side is `box` pixels, keeping the aspect ratio."""
    height, width = crop.shape
    scale = box / max(height, width)
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    tensor = torch.from_numpy(np.ascontiguousarray(crop, dtype=np.float32))[None, None]
    fitted = F.interpolate(tensor, size=size, mode="bilinear", antialias=True, align_corners=False)
    return fitted[0, 0].clamp_(0.0, 255.0).numpy()


def centre_by_mass(fitted: np.ndarray, size: int = IMAGE_SIZE) -> np.ndarray:
    """Paste into a size x size field so the centre of mass lands at (14, 14), whole pixels."""
    top, left = _paste_position(fitted, size)
    height, width = fitted.shape
    field = np.zeros((size, size), dtype=np.float32)
    field[top : top + height, left : left + width] = fitted
    return field


def _paste_position(fitted: np.ndarray, size: int) -> tuple[int, int]:
    height, width = fitted.shape
    mass = fitted.sum()
    rows, cols = np.arange(height), np.arange(width)
    centre_row = float(fitted.sum(axis=1) @ rows / mass)
    centre_col = float(fitted.sum(axis=0) @ cols / mass)
    # Round the shift, then keep the whole box inside the field.
    top = min(max(round(CENTRE - centre_row), 0), size - height)
    left = min(max(round(CENTRE - centre_col), 0), size - width)
    return top, left


def preprocess(image: np.ndarray) -> np.ndarray | None:
    """A greyscale drawing (ink bright, 0-255) as 28x28 float32 pixels in 0-1, or None if empty.

    The 0-1 scaling is what the network's input layer sees; its first operation then
    normalises with MNIST's mean and standard deviation, exactly as in training.
    """
    placed = preprocess_placed(image)
    return None if placed is None else placed[0]


def preprocess_placed(image: np.ndarray) -> tuple[np.ndarray, tuple[float, float, float, float]] | None:
    """preprocess(), and where its 28x28 field lies on `image`: (x, y, width, height) in the
    image's pixels, so that a picture of the field can be laid over the drawing."""
    if image.ndim != 2:
        raise ValueError(f"expected a 2-D greyscale image, got shape {image.shape}")
    bounds = ink_bounds(image)
    if bounds is None:
        return None
    top, bottom, left, right = bounds
    fitted = fit_to_box(image[top:bottom, left:right])
    if fitted.sum() <= 0:
        return None
    field_top, field_left = _paste_position(fitted, IMAGE_SIZE)
    scale_y, scale_x = fitted.shape[0] / (bottom - top), fitted.shape[1] / (right - left)
    placement = (
        left - field_left / scale_x,
        top - field_top / scale_y,
        IMAGE_SIZE / scale_x,
        IMAGE_SIZE / scale_y,
    )
    return centre_by_mass(fitted) / 255.0, placement


def to_uint8(pixels: np.ndarray) -> np.ndarray:
    """0-1 pixels back to 0-255 bytes, for display."""
    return np.clip(np.rint(pixels * 255.0), 0, 255).astype(np.uint8)

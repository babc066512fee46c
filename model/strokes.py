"""Pen strokes: the pen the canvas draws with, and recorded handwriting (UNIPEN) to replay.

Only numpy here: the GUI imports this module at start-up, before torch is loaded.
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .safe_files import MiB, UnsafeFileError, check_npz, open_regular

# Pen diameter as a fraction of the canvas side: a digit drawn over most of the canvas
# then has strokes about as thick, relative to its size, as MNIST's.
PEN_WIDTH_FRACTION = 0.075
# A replayed digit's bounding box fills this fraction of the canvas (aspect kept, centred).
REPLAY_FILL = 0.7
MAX_STROKE_BYTES = 256 * MiB  # unpacked: ten times the largest UNIPEN file
UNIPEN_ARRAYS = frozenset(
    {"points", "stroke_offsets", "sample_offsets", "labels", "writers", "suspect", "contributors"}
)


@dataclass(frozen=True)
class StrokeDigits:
    """Recorded digits (or letters and symbols): `strokes[i]` is a list of (k, 2) point arrays
    in writing order."""

    strokes: tuple[tuple[np.ndarray, ...], ...]
    labels: np.ndarray  # digits as integers; letters and symbols as one-character strings
    writers: np.ndarray
    # bool: not flagged suspect and not from the noisy "ibm" contributor (for letters and
    # symbols, not one that people write like a digit either: the file's `lookalike`)
    strict: np.ndarray

    def subset(self, mask: np.ndarray) -> StrokeDigits:
        index = np.flatnonzero(mask)
        return StrokeDigits(
            tuple(self.strokes[i] for i in index), self.labels[index], self.writers[index], self.strict[index]
        )


class StrokeFileError(ValueError):
    """A stroke file cannot be read or does not hold consistent recordings; the message is a
    sentence for the user that names the file."""


def load_unipen(path: str | Path) -> StrokeDigits:
    """Read a UNIPEN file described in its README (points, offsets, labels...): the digits, or
    the letters and symbols. StrokeFileError says what is wrong with any other file: not a
    regular file, larger than MAX_STROKE_BYTES unpacked, arrays missing or inconsistent."""
    name = Path(path).name
    try:
        with open_regular(path, "stroke file", MAX_STROKE_BYTES) as file:  # closed even when unreadable
            check_npz(file, name, "stroke file", MAX_STROKE_BYTES)
            with np.load(file, allow_pickle=False) as z:
                missing = sorted(UNIPEN_ARRAYS - set(z.files))
                if missing:
                    raise StrokeFileError(
                        f"{name} is not a UNIPEN stroke file: it has no {', '.join(missing)}."
                    )
                arrays = {key: z[key] for key in (*UNIPEN_ARRAYS, *({"lookalike"} & set(z.files)))}
    except UnsafeFileError as error:
        raise StrokeFileError(str(error)) from error
    except FileNotFoundError as error:
        raise StrokeFileError(f"{name} does not exist.") from error
    except PermissionError as error:
        raise StrokeFileError(f"{name} cannot be read (permission denied).") from error
    except StrokeFileError:
        raise
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, zlib.error) as error:
        raise StrokeFileError(f"{name} is damaged or not a UNIPEN stroke file (a .npz of arrays).") from error
    return _checked_recordings(name, arrays)


def _checked_recordings(name: str, z: dict[str, np.ndarray]) -> StrokeDigits:
    """The recordings, once every array fits the others: offsets that run forward and stay
    within the points, one label, writer and flag per sample, finite coordinates."""

    def refuse(problem: str) -> StrokeFileError:
        return StrokeFileError(f"{name} is damaged: {problem}.")

    points, stroke_offsets, sample_offsets = z["points"], z["stroke_offsets"], z["sample_offsets"]
    if points.ndim != 2 or points.shape[1] != 2 or points.dtype.kind not in "iuf":
        raise refuse("its points are not (x, y) numbers")
    if not np.isfinite(points).all():
        raise refuse("some of its points are not numbers (NaN or infinity)")
    for key, offsets in (("stroke_offsets", stroke_offsets), ("sample_offsets", sample_offsets)):
        if offsets.ndim != 1 or offsets.dtype.kind not in "iu" or len(offsets) < 1:
            raise refuse(f"its {key} are not a list of whole numbers")
    for key, offsets, end in (
        ("stroke_offsets", stroke_offsets, len(points)),
        ("sample_offsets", sample_offsets, len(stroke_offsets) - 1),
    ):
        if offsets[0] != 0 or offsets[-1] != end or (len(offsets) > 1 and not (np.diff(offsets) > 0).all()):
            raise refuse(f"its {key} do not run forward from 0 to {end:,}")
    count = len(sample_offsets) - 1
    for key, kinds in (
        ("labels", "iuU"),
        ("writers", "U"),
        ("contributors", "U"),
        ("suspect", "b"),
        ("lookalike", "b"),
    ):
        if key in z and (z[key].shape != (count,) or z[key].dtype.kind not in kinds):
            raise refuse(f"its {key} do not give one value for each of its {count:,} samples")
    labels = z["labels"].astype(np.int64) if z["labels"].dtype.kind in "iu" else z["labels"]
    strict = ~z["suspect"] & (z["contributors"] != "ibm")
    if "lookalike" in z:
        strict &= ~z["lookalike"]
    strokes = tuple(
        tuple(
            points[stroke_offsets[k] : stroke_offsets[k + 1]]
            for k in range(sample_offsets[i], sample_offsets[i + 1])
        )
        for i in range(count)
    )
    return StrokeDigits(strokes, labels, z["writers"], strict)


def is_training_writer(writer: str) -> bool:
    """A fixed half of the writers, chosen by a hash of their id, may be trained on."""
    return hashlib.sha256(writer.encode()).digest()[0] % 2 == 0


def fit_to_canvas(strokes: Sequence[np.ndarray], size: float, fill: float = REPLAY_FILL) -> list[np.ndarray]:
    """Scale strokes so their bounding box fills `fill` of a size x size canvas, centred."""
    everything = np.concatenate(strokes).astype(np.float64)
    low, high = everything.min(axis=0), everything.max(axis=0)
    extent = max(float((high - low).max()), 1e-6)
    scale = fill * size / extent
    offset = (size - (high - low) * scale) / 2
    return [(np.asarray(s, dtype=np.float64) - low) * scale + offset for s in strokes]

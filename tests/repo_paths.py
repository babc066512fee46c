"""Where the clone and the shared datasets beside it (../shared) are; tests that need the
datasets skip without them."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_MNIST = REPO.parent / "shared" / "datasets" / "mnist"
SHARED_STROKES = REPO.parent / "shared" / "datasets" / "strokes"  # the UNIPEN dev files

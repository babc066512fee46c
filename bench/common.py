"""What the bench scripts share: where to find MNIST when no --data-dir is given."""

from __future__ import annotations

import os
from pathlib import Path

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "mnist"


def mnist_dir(data_dir: str | None) -> str | None:
    """The folder given, else the project's shared copy beside the clone (unless
    DIGITPAD_DATA says otherwise), else None: the usual search of model.data."""
    if data_dir is None and SHARED_MNIST.is_dir() and not os.environ.get("DIGITPAD_DATA"):
        return str(SHARED_MNIST)
    return data_dir

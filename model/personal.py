"""The user's examples as the trainer's thread holds them: the list, its file, training tensors.

Every change is written to the file at once (atomically), so examples survive a crash. If the
file cannot be written, the change is kept in memory and the caller tells the user.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

import torch

from .handwriting import (
    MAX_EXAMPLES,
    Example,
    HandwritingError,
    load_examples,
    merge,
    save_examples,
    set_aside,
    training_tensors,
)


class PersonalExamples:
    """The examples, and the tensors that training batches draw them from."""

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = None if path is None else Path(path)
        self._examples: tuple[Example, ...] = ()
        self._tensors: tuple[torch.Tensor, torch.Tensor] | None = None
        self._digests: dict[str, bytes] = {}  # example key -> digest of its ink

    @property
    def examples(self) -> tuple[Example, ...]:
        return self._examples

    def __len__(self) -> int:
        return len(self._examples)

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, 1, 28, 28) inputs in 0-1 and labels, made once per change."""
        if self._tensors is None:
            self._tensors = training_tensors(self._examples)
        return self._tensors

    def load(self) -> str:
        """Read the file if there is one; a file that cannot be read is set aside, never deleted.
        Returns a sentence for the user ("" when all is well)."""
        if self.path is None or not self.path.exists():
            return ""
        try:
            self._set(load_examples(self.path))
        except HandwritingError as error:
            try:
                kept = set_aside(self.path)
            except OSError:
                return f"Your handwriting examples could not be read: {error} The file was left as it is."
            return (
                f"Your handwriting examples could not be read: {error} "
                f"The file was kept as {kept.name}; new examples go into a new file."
            )
        return ""

    # -- changes: each one is saved; HandwritingError says it stayed in memory only ----------------
    def add(self, example: Example) -> None:
        """Add it; the same drawing taught again replaces its earlier label (the user's last word)."""
        same = self._digest(example)
        kept = tuple(e for e in self._examples if self._digest(e) != same)
        if len(kept) >= MAX_EXAMPLES:
            raise HandwritingError(f"You have {MAX_EXAMPLES:,} examples already: delete some to add more.")
        self._change((*kept, example))

    def relabel(self, key: str, label: int) -> None:
        self._change(tuple(e.relabelled(label) if e.key == key else e for e in self._examples))

    def delete(self, keys: Iterable[str]) -> None:
        doomed = set(keys)
        self._change(tuple(e for e in self._examples if e.key not in doomed))

    def clear(self) -> None:
        self._change(())

    def import_file(self, path: str | os.PathLike[str]) -> int:
        """Merge a file's examples in; returns how many were new. A bad file changes nothing."""
        merged, added = merge(self._examples, load_examples(path))
        if added:
            self._change(merged)
        return added

    def export(self, path: str | os.PathLike[str]) -> None:
        save_examples(path, self._examples)

    def _digest(self, example: Example) -> bytes:
        digest = self._digests.get(example.key)
        if digest is None:
            digest = self._digests[example.key] = hashlib.blake2b(
                example.ink.tobytes(), digest_size=16
            ).digest()
        return digest

    def _change(self, examples: tuple[Example, ...]) -> None:
        self._set(examples)
        if self.path is not None:
            save_examples(self.path, examples)

    def _set(self, examples: tuple[Example, ...]) -> None:
        self._examples = examples
        self._tensors = None

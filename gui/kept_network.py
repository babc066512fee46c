"""Where each window keeps training not saved to a file, so that closing never loses it.

Every open window holds a slot of its own (last-session.pt, last-session-2.pt, ...), locked
for as long as the window is open, so that windows keep their training side by side and no
window ever writes over, or deletes, another's. A window writes into its slot only when the
slot was empty or the window restored its network from it: a kept network that it did not
restore (opened with --checkpoint, or unreadable, or written by a newer digitpad) is left as
it is, and the window's own training goes into an empty slot instead. A kept file is deleted
only when the user's own action made it obsolete: they saved, opened or replaced the network
restored from it.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QLockFile

if TYPE_CHECKING:
    from model.session import ModelSession

KEPT_NETWORK_NAME = "last-session.pt"
MAX_SLOTS = 32  # windows open at once, or kept networks waiting to be restored
LEFTOVER_AGE_S = 60.0  # a temporary file this old belongs to a write that was interrupted


def slot_path(folder: Path, number: int) -> Path:
    return folder / (KEPT_NETWORK_NAME if number == 1 else f"last-session-{number}.pt")


@dataclass(frozen=True)
class ClaimedSlot:
    path: Path
    restore: bool  # the slot holds a kept network for this window to restore


class KeptNetworkSlots:
    """The slot this window holds in the user data folder, and the rule for writing it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._locks: dict[Path, QLockFile] = {}
        self.problem = ""  # why no slot could be held (a folder that cannot be written, say)

    def claim(self, restoring: bool, passed_over: frozenset[Path] = frozenset()) -> ClaimedSlot | None:
        """Lock the first free slot holding a kept network (when `restoring`; not one of
        `passed_over`), else the first free empty slot; None when the folder cannot be written."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self.problem = f"{self.folder} cannot be created ({error.strerror or error})"
            return None
        self._remove_leftovers()
        if restoring:
            for number in range(1, MAX_SLOTS + 1):
                path = slot_path(self.folder, number)
                if path not in passed_over and path.exists() and self._lock(path):
                    return ClaimedSlot(path, restore=True)
        empty = self.empty_slot()
        return None if empty is None else ClaimedSlot(empty, restore=False)

    def empty_slot(self) -> Path | None:
        """Lock (or keep) a slot with no kept network in it, for this window's training."""
        for path in self._locks:
            if not path.exists():
                return path
        for number in range(1, MAX_SLOTS + 1):
            path = slot_path(self.folder, number)
            if not path.exists() and self._lock(path):
                return path
        if not self.problem:
            self.problem = f"{self.folder} already holds {MAX_SLOTS} kept networks"
        return None

    def release_slot(self, path: Path) -> None:
        lock = self._locks.pop(path, None)
        if lock is not None:
            lock.unlock()

    def release(self) -> None:
        for lock in self._locks.values():
            lock.unlock()
        self._locks.clear()

    def _lock(self, path: Path) -> bool:
        if path in self._locks:
            return True
        lock = QLockFile(str(path) + ".lock")
        lock.setStaleLockTime(0)  # held for as long as the window is open: stale only if its process is gone
        if not lock.tryLock(0):
            if lock.error() == QLockFile.LockError.PermissionError:
                self.problem = f"{self.folder} cannot be written"
            return False
        self._locks[path] = lock
        self._remove_leftovers(path.name, min_age=0.0)  # nobody else can be writing it now
        return True

    def _remove_leftovers(self, name: str = "last-session*.pt", min_age: float = LEFTOVER_AGE_S) -> None:
        """Temporary files of digitpad's own writes that were interrupted (a crash, kill -9, a
        power cut); only those: the folder may be shared (DIGITPAD_SETTINGS names any folder)."""
        now = time.time()
        for leftover in self.folder.glob(f".{name}.*.tmp"):
            try:
                if now - leftover.stat().st_mtime >= min_age:
                    leftover.unlink()
            except OSError:
                pass  # another window's write finishing, or a folder we cannot change


class KeptTraining:
    """This window's side of the rule: restore at launch, keep at exit (and after each run),
    delete only what the user made obsolete."""

    def __init__(self, folder: Path) -> None:
        self.slots = KeptNetworkSlots(folder)
        self._kept_at: Path | None = None  # the slot file holding this window's network
        self._told = ""  # the last problem the user was told about

    @property
    def kept_at(self) -> Path | None:
        """Where this window's training was restored from or last kept."""
        return self._kept_at

    def restore(self, session: ModelSession, checkpoint: str | None) -> str:
        """Open `checkpoint`, else a kept network, else the shipped weights; a notice or ""."""
        from model.session import RESTORED_SOURCE

        notes: list[str] = []
        unreadable: frozenset[Path] = frozenset()
        while True:  # a kept file that cannot be read never hides the ones after it
            slot = self.slots.claim(restoring=checkpoint is None, passed_over=unreadable)
            kept = slot.path if slot is not None and slot.restore else None
            warning = session.load_initial(checkpoint, kept)
            if kept is None or session.info.source == RESTORED_SOURCE:
                break
            notes.append(f"{warning} It is left as it is, in {kept}.")
            unreadable |= {kept}
            self.slots.release_slot(kept)
        self._kept_at = kept
        if warning:
            notes.append(warning)
        if checkpoint is not None and self.waiting():
            notes.append(
                "The training kept from an earlier session stays kept: it opens when digitpad "
                "starts without --checkpoint."
            )
        if slot is None:
            self._told = f"Your training cannot be kept for the next launch: {self.slots.problem}."
            notes.append(
                f"Training not saved to a file cannot be kept when this window closes: "
                f"{self.slots.problem}. File › Save as… keeps it."
            )
        return " ".join(notes)

    def waiting(self) -> bool:
        """Some kept network waits for a launch to restore it."""
        folder = self.slots.folder
        return any(slot_path(folder, n).exists() for n in range(1, MAX_SLOTS + 1))

    def keep(self, session: ModelSession, stop: bool = False) -> str:
        """Write unsaved training into this window's slot (after ending the run, if `stop`);
        remove the kept file the user made obsolete. "" when done, else why it could not be kept."""
        from model.checkpoint import CheckpointError

        if stop:
            session.stop_training()
        if not session.unsaved_training:
            if self._kept_at is not None:
                try:
                    self._kept_at.unlink(missing_ok=True)
                except OSError:
                    return ""  # the next launch restores it: nothing is lost
                self._kept_at = None
            return ""
        target = self._kept_at or self.slots.empty_slot()
        if target is None:
            return f"Your training cannot be kept for the next launch: {self.slots.problem}."
        try:
            session.write_kept(target)
        except CheckpointError as error:
            return f"Your training cannot be kept for the next launch. {error}"
        self._kept_at = target
        return ""

    def keep_after_run(self, session: ModelSession) -> str:
        """As keep(), after each run: a problem the user was already told about is not repeated."""
        problem = self.keep(session)
        if problem == self._told:
            return ""
        self._told = problem
        return problem

    def save_elsewhere(self, session: ModelSession, path: str) -> str:
        """Save to the user's file (the kept copy is then obsolete): "" or why it failed."""
        from model.checkpoint import CheckpointError

        try:
            session.save(path)
        except CheckpointError as error:
            return str(error)
        self.keep(session)
        return ""

    def discard(self) -> None:
        """The user chose to let this window's training go: the next launch does not offer it."""
        if self._kept_at is not None:
            with contextlib.suppress(OSError):  # a read-only folder: nothing can be removed
                self._kept_at.unlink(missing_ok=True)
            self._kept_at = None

    def release(self) -> None:
        self.slots.release()

"""The kept network: closing never loses training not saved to a file, and nothing but the
user's own action deletes it (not another window, a launch option, a file digitpad cannot
read, or a failed write). The folders are real: a tiny tmpfs that is full, or read-only."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from gui_support import open_window, use_network
from PySide6.QtWidgets import QFileDialog
from repo_paths import REPO

from gui import network_files
from gui.kept_network import KeptNetworkSlots, slot_path
from model.checkpoint import DEFAULT_WEIGHTS, load_checkpoint
from model.networks import build_network
from model.paths import user_data_dir
from model.session import RESTORED_SOURCE, ModelSession

IS_ROOT = os.geteuid() == 0
ORIGINAL_ASK = network_files.ask_unkept  # before conftest's guard replaces it


def mount_tmpfs(folder: Path, options: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], check=True)


@pytest.fixture
def small_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The user data folder on a 16 MB disk of its own (a tmpfs: only root can mount one)."""
    if not IS_ROOT:
        pytest.skip("a disk that fills up needs root to mount a small tmpfs")
    folder = tmp_path / "data"
    mount_tmpfs(folder, "size=16m")
    monkeypatch.setenv("DIGITPAD_SETTINGS", str(folder / "settings.ini"))
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> None:
    """Use up every free byte of the disk `folder` is on."""
    with open(folder / "filler", "wb", buffering=0) as out:
        try:
            while out.write(b"\0" * 4096):
                pass
        except OSError:
            pass  # full


def make_read_only(folder: Path) -> None:
    if IS_ROOT:  # root writes whatever the permissions: a read-only mount refuses even root
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    else:
        folder.chmod(0o555)


def train_briefly(qtbot, window) -> None:
    use_network(qtbot, window, "mlp")
    window.training_panel.epochs.setValue(20.0)
    window.training_panel.train_button.click()
    qtbot.waitUntil(lambda: window.loss_plot.raw.size >= 3, timeout=30000)
    window.controller.stop()
    qtbot.waitUntil(lambda: window.state.run.state == "idle", timeout=10000)


def answer_keep_questions(monkeypatch, *answers: str) -> list[str]:
    """Answer "Keep your training?" with `answers` in turn; returns the problems asked about."""
    asked: list[str] = []
    queue = list(answers)

    def answer(parent, problem: str) -> str:
        asked.append(problem)
        return queue.pop(0)

    monkeypatch.setattr(network_files, "ask_unkept", answer)
    return asked


def kept_network(path: Path, seed: int = 7) -> bytes:
    """Write a kept network (an MLP of `seed`) at `path`, as a window would at exit."""
    session = ModelSession()
    session.net = build_network("mlp", seed=seed)
    session.write_kept(path)
    return path.read_bytes()


def weights_of(window_net_path: Path) -> list[torch.Tensor]:
    return list(load_checkpoint(window_net_path)[0].state_dict().values())


def test_a_full_disk_at_exit_asks_and_save_as_keeps_the_training(qtbot, small_disk, tmp_path, monkeypatch):
    window = open_window(qtbot)
    train_briefly(qtbot, window)
    fill(small_disk)
    asked = answer_keep_questions(monkeypatch, "save")
    mine = tmp_path / "mine.pt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(mine), ""))
    window.close()
    assert len(asked) == 1 and "cannot be kept" in asked[0]
    assert "inline_container" not in asked[0] and "enforce fail" not in asked[0]
    net, _ = load_checkpoint(mine)
    assert net.spec.kind == "mlp"


def test_a_full_disk_never_brings_back_the_older_kept_network(qtbot, small_disk, monkeypatch):
    older = kept_network(slot_path(small_disk, 1))
    window = open_window(qtbot)
    assert window.state.network.source == RESTORED_SOURCE
    train_briefly(qtbot, window)
    fill(small_disk)
    asked = answer_keep_questions(monkeypatch, "retry", "discard")
    window.close()
    assert len(asked) == 2  # tried again, still full: the user let it go
    assert not slot_path(small_disk, 1).exists()  # the older one is not offered as "last time"
    assert older

    window = open_window(qtbot)
    assert window.state.network.source == "shipped weights"
    window.close()


def test_trying_again_after_making_room_keeps_the_newer_network(qtbot, small_disk, monkeypatch):
    kept = slot_path(small_disk, 1)
    older = kept_network(kept)
    window = open_window(qtbot)
    train_briefly(qtbot, window)
    fill(small_disk)

    def make_room_then_retry(parent, problem: str) -> str:
        (small_disk / "filler").unlink()
        return "retry"

    monkeypatch.setattr(network_files, "ask_unkept", make_room_then_retry)
    window.close()
    assert kept.read_bytes() != older
    assert load_checkpoint(kept)[1]["kept_at_exit"] is True


def test_a_read_only_folder_says_so_at_launch_and_asks_at_exit(qtbot, small_disk, tmp_path, monkeypatch):
    make_read_only(small_disk)
    window = open_window(qtbot)
    qtbot.waitUntil(lambda: "cannot be kept when this window closes" in window.notice.text(), timeout=5000)
    train_briefly(qtbot, window)
    qtbot.wait(300)
    assert "for the next launch" not in window.notice.text()  # the run's end does not say it again
    asked = answer_keep_questions(monkeypatch, "save")
    mine = tmp_path / "elsewhere.pt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(mine), ""))
    window.close()
    assert asked and load_checkpoint(mine)[0].spec.kind == "mlp"


def test_a_window_that_never_trained_leaves_another_windows_training_alone(qtbot):
    earlier = open_window(qtbot)  # opened first, never trained
    later = open_window(qtbot)
    train_briefly(qtbot, later)
    later.close()
    kept = [slot_path(user_data_dir(), n) for n in (1, 2)]
    assert not kept[0].exists() and kept[1].exists()  # side by side: the later window's slot
    earlier.close()
    assert kept[1].exists()

    again = open_window(qtbot)
    assert again.state.network.source == RESTORED_SOURCE and again.state.network.arch == "mlp"
    again.close()


INSTANCE = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    sys.path.insert(0, {repo!r})
    from gui.app import create_main_window, run_event_loop

    app = QApplication(sys.argv[:1])
    window = create_main_window([])
    window.show()
    flag = Path({flag!r})

    def poll():
        if window.state.network is not None and not Path({ready!r}).exists():
            Path({ready!r}).write_text("up")
        if flag.exists():
            window.close()
            app.quit()
        else:
            QTimer.singleShot(50, poll)

    QTimer.singleShot(0, poll)
    sys.exit(run_event_loop(app))
    """
)


def test_a_second_process_opened_earlier_and_closed_later_deletes_nothing(qtbot, tmp_path):
    flag, ready = tmp_path / "close-now", tmp_path / "ready"
    script = INSTANCE.format(repo=str(REPO), flag=str(flag), ready=str(ready))
    other = subprocess.Popen([sys.executable, "-c", script], env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and time.monotonic() < deadline and other.poll() is None:
            time.sleep(0.1)
        assert ready.exists(), "the other digitpad did not start"
        window = open_window(qtbot)
        train_briefly(qtbot, window)
        window.close()
        kept = [p for p in user_data_dir().glob("last-session*.pt")]
        assert len(kept) == 1
        before = kept[0].read_bytes()
        flag.write_text("close")
        assert other.wait(timeout=60) == 0
        assert kept[0].read_bytes() == before
    finally:
        other.kill()
    window = open_window(qtbot)
    assert window.state.network.source == RESTORED_SOURCE
    window.close()


def test_a_launch_with_checkpoint_leaves_the_kept_training_alone(qtbot):
    kept = slot_path(user_data_dir(), 1)
    kept.parent.mkdir(parents=True, exist_ok=True)
    before = kept_network(kept)
    window = open_window(qtbot, "--checkpoint", str(DEFAULT_WEIGHTS))
    qtbot.waitUntil(lambda: "stays kept" in window.notice.text(), timeout=5000)
    window.close()
    assert kept.read_bytes() == before

    window = open_window(qtbot, "--checkpoint", str(DEFAULT_WEIGHTS))
    train_briefly(qtbot, window)  # its own training goes beside, not over, the kept one
    window.close()
    assert kept.read_bytes() == before and slot_path(user_data_dir(), 2).exists()


def test_a_kept_network_from_a_newer_digitpad_is_never_deleted(qtbot):
    kept = slot_path(user_data_dir(), 1)
    kept.parent.mkdir(parents=True, exist_ok=True)
    payload = torch.load(DEFAULT_WEIGHTS, weights_only=True)
    payload["format_version"] = 99
    torch.save(payload, kept)
    before = kept.read_bytes()
    window = open_window(qtbot)
    qtbot.waitUntil(lambda: "newer digitpad" in window.notice.text(), timeout=5000)
    assert "left as it is" in window.notice.text()
    assert window.state.network.source == "shipped weights"
    train_briefly(qtbot, window)
    window.close()
    assert kept.read_bytes() == before
    assert load_checkpoint(slot_path(user_data_dir(), 2))[0].spec.kind == "mlp"


KEEPER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {repo!r})
    from model.networks import build_network
    from model.session import ModelSession

    session = ModelSession()
    for seed in range(1_000_000):
        session.net = build_network("mlp", seed=seed)
        session.write_kept({path!r})
        if seed == 0:
            print("writing", flush=True)  # from now on, each write replaces a whole file
    """
)


def test_killed_mid_write_the_kept_network_is_whole_and_leftovers_go_at_the_next_launch(tmp_path):
    kept = tmp_path / "data" / "last-session.pt"
    script = KEEPER.format(repo=str(REPO), path=str(kept))
    for delay in (0.4, 0.7, 1.1, 1.6):
        with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE) as writer:
            assert writer.stdout is not None and writer.stdout.readline() == b"writing\n"
            time.sleep(delay)
            writer.kill()  # SIGKILL: no clean-up runs
        assert load_checkpoint(kept)[0].spec.kind == "mlp"  # the old file or the new, never half
    (kept.parent / ".last-session.pt.x1y2z3.tmp").write_bytes(b"half a network")  # surely one
    slots = KeptNetworkSlots(kept.parent)
    claimed = slots.claim(restoring=True)
    assert claimed is not None and claimed.path == kept and claimed.restore
    assert not list(kept.parent.glob(".last-session.pt.*.tmp"))
    slots.release()


def test_the_question_names_the_problem_and_escape_never_discards(qtbot, small_disk, monkeypatch):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    monkeypatch.setattr(network_files, "ask_unkept", ORIGINAL_ASK)
    make_read_only(small_disk)
    window = open_window(qtbot)
    train_briefly(qtbot, window)
    seen: list[tuple[str, list[str]]] = []

    def answer(key: str) -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, lambda: answer(key))
            return
        seen.append((box.text(), [b.text() for b in box.buttons()]))
        if key == "escape":
            box.reject()  # what Escape and the title bar's close button do
            QTimer.singleShot(20, lambda: answer("discard"))
        else:
            next(b for b in box.buttons() if b.text() == "Discard").click()

    QTimer.singleShot(0, lambda: answer("escape"))
    window.close()
    assert len(seen) == 2  # Escape asked again; only the Discard button let the training go
    text, buttons = seen[0]
    assert "cannot be kept" in text and sorted(buttons) == ["Discard", "Save as…", "Try again"]


def test_opening_a_named_pipe_never_blocks_and_the_training_stays(qtbot, tmp_path):
    from gui_support import VERTICAL, drag

    window = open_window(qtbot)
    train_briefly(qtbot, window)
    pipe = tmp_path / "looks-like-a-network.pt"
    os.mkfifo(pipe)
    window.controller.open_network(str(pipe))  # as File › Open does once the user chose it
    qtbot.waitUntil(lambda: "named pipe" in window.notice.text(), timeout=10000)
    assert window.state.network.arch == "mlp" and window.state.network.unsaved_training
    with qtbot.waitSignal(window.prediction_shown, timeout=10000):  # the workers still answer
        drag(window.canvas, VERTICAL)
    started = time.monotonic()
    window.close()
    assert time.monotonic() - started < 10
    assert load_checkpoint(slot_path(user_data_dir(), 1))[0].spec.kind == "mlp"


def test_an_unreadable_kept_file_never_hides_the_next_one(qtbot):
    folder = user_data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    payload = torch.load(DEFAULT_WEIGHTS, weights_only=True)
    payload["format_version"] = 99
    torch.save(payload, slot_path(folder, 1))
    kept_network(slot_path(folder, 2))
    window = open_window(qtbot)
    assert window.state.network.source == RESTORED_SOURCE and window.state.network.arch == "mlp"
    qtbot.waitUntil(lambda: "left as it is" in window.notice.text(), timeout=5000)
    window.close()
    assert slot_path(folder, 1).exists()


def test_only_digitpads_own_leftovers_are_removed(tmp_path):
    theirs = tmp_path / ".someone-elses.tmp"
    ours = tmp_path / ".last-session-3.pt.abc123.tmp"
    for leftover in (theirs, ours):
        leftover.write_bytes(b"half written")
        os.utime(leftover, (time.time() - 3600, time.time() - 3600))
    slots = KeptNetworkSlots(tmp_path)
    assert slots.claim(restoring=True) is not None
    assert theirs.exists() and not ours.exists()
    slots.release()


def test_a_save_that_fails_before_a_replacement_keeps_the_network_and_its_training(
    qtbot, tmp_path, monkeypatch
):
    from gui_support import answer_questions
    from PySide6.QtWidgets import QMessageBox

    window = open_window(qtbot)
    train_briefly(qtbot, window)
    asked = answer_questions(monkeypatch, QMessageBox.StandardButton.Save)
    nowhere = tmp_path / "no-such-folder" / "mine.pt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(nowhere), ""))
    window.files.restore_shipped()  # Network › Restore the shipped weights, answered "Save"
    qtbot.waitUntil(lambda: "was not replaced" in window.notice.text(), timeout=10000)
    assert asked == ["Replace the network?"]
    assert window.state.network.arch == "mlp" and window.state.network.unsaved_training
    window.close()
    assert load_checkpoint(slot_path(user_data_dir(), 1))[0].spec.kind == "mlp"  # still kept

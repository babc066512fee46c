"""Each network is owned by one thread by construction: the trainer's session is touched only
in the trainer's thread, between slices; drawings are read by the predictor from weights it
was sent, while a training step is still under way."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from gui_support import VERTICAL, drag
from PySide6.QtCore import QThread

import model.session
from gui.app import create_main_window
from model.messages import ModelInfo, TrainFinished
from model.networks import build_network
from model.snapshot import take_snapshot


class RecordingSession:
    """Stands in for ModelSession: records what it is asked, and from which thread; a training
    step lasts until `step_may_end` is set."""

    def __init__(self, data_dir=None, handwriting=None) -> None:
        from model.personal import PersonalExamples

        self.handwriting = PersonalExamples(handwriting)
        self.teaching = False
        self.calls: list[str] = []
        self.threads: set[str] = set()
        self.training = False
        self.unsaved_training = False
        self.timeline = None  # a recorded run keeps no weights to rewind to
        self.data_warning = ""
        self.step_started = threading.Event()
        self.step_may_end = threading.Event()
        self.interrupted = threading.Event()
        self._net = build_network("mlp", seed=0)
        self._versions = 0
        self.path: str | None = None
        RecordingSession.latest = self

    def _record(self, call: str) -> None:
        self.calls.append(call)
        self.threads.add(QThread.currentThread().objectName())

    @property
    def info(self) -> ModelInfo:
        return ModelInfo("mlp", 1, "Fully connected: 784 → 256 → 128 → 10", "recording", path=self.path)

    def load_initial(self, checkpoint=None, last_session=None) -> str:
        self._record("load")
        return ""

    def warm_up_teaching(self) -> None:
        """Nothing to warm up: this session trains nothing real."""

    def stop_rehearsing(self) -> None:
        """Nothing is ever taught here, so nothing is rehearsed."""

    def data_description(self) -> str:
        return "the embedded practice set (5,000 MNIST digits)"

    def schedule(self):
        return None  # a recorded run has no learning-rate plan to draw

    def training_data(self):
        from model.data import load_practice_set
        from model.training import TrainingData

        return TrainingData.from_dataset(load_practice_set())

    def snapshot(self):
        self._record("snapshot")
        self._versions += 1
        return take_snapshot(self._net, self._versions)

    def start_training(self, config) -> None:
        self._record("start")
        self.training = True
        self.unsaved_training = True

    def train_for(self, seconds: float, interrupt=None) -> list:
        self._record("step starts")
        self.step_started.set()
        self.step_may_end.wait(timeout=10)
        if interrupt is not None and interrupt.is_set():
            self.interrupted.set()
        self._record("step ends")
        return []

    def save(self, path: str) -> None:
        self._record("save")
        self.path = str(path)

    def write_kept(self, path) -> None:
        self._record("keep")

    def stop_training(self) -> TrainFinished | None:
        self._record("stop")
        self.training = False
        return None


@pytest.fixture
def recorded(qtbot, monkeypatch):
    """The real window whose trainer drives a RecordingSession."""
    monkeypatch.setattr(model.session, "ModelSession", RecordingSession)
    window = create_main_window([])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.state.network is not None, timeout=15000)
    session = RecordingSession.latest
    yield window, session
    session.step_may_end.set()
    window.close()
    assert not window.controller.threads_running()


def test_a_drawing_is_read_while_a_training_step_is_under_way(qtbot, recorded):
    window, session = recorded
    window.training_panel.train_button.click()
    assert session.step_started.wait(timeout=20)  # after the optimiser import, slow when busy
    with qtbot.waitSignal(window.prediction_shown, timeout=10000) as answer:
        drag(window.canvas, VERTICAL)
    assert answer.args[0] is not None and np.isclose(answer.args[0].sum(), 1.0)
    assert session.calls[-1] == "step starts"  # the step has not ended: no one waited for it
    session.step_may_end.set()
    # After the step the trainer publishes its weights (a snapshot) and starts the next one.
    qtbot.waitUntil(lambda: session.calls.count("step starts") >= 2, timeout=3000)
    first_end = session.calls.index("step ends")
    assert session.calls[first_end + 1] == "snapshot"
    assert session.threads == {"digitpad-trainer"}, "the session was touched outside its thread"


def test_closing_keeps_the_network_once_both_threads_have_stopped(qtbot, recorded):
    window, session = recorded
    window.training_panel.train_button.click()
    assert session.step_started.wait(timeout=20)  # after the optimiser import, slow when busy
    threading.Timer(0.2, session.step_may_end.set).start()
    window.close()
    assert not window.controller.threads_running()
    assert session.calls[-2:] == ["stop", "keep"]  # in the GUI thread, once the trainer's has ended


def test_a_save_ends_the_step_under_way_then_training_goes_on(qtbot, recorded, tmp_path):
    window, session = recorded
    window.training_panel.train_button.click()
    assert session.step_started.wait(timeout=20)  # after the optimiser import, slow when busy
    window.controller.save_network(str(tmp_path / "net.pt"))
    threading.Timer(0.2, session.step_may_end.set).start()
    qtbot.waitUntil(lambda: window.state.save_path == str(tmp_path / "net.pt"), timeout=3000)
    assert session.interrupted.is_set(), "the request did not ask the slice to end after its step"
    first_end = session.calls.index("step ends")
    assert "save" in session.calls[first_end:] and "save" not in session.calls[:first_end]
    qtbot.waitUntil(lambda: session.calls.count("step starts") >= 2, timeout=3000)
    assert window.state.run.state == "running"
    assert session.threads == {"digitpad-trainer"}


def test_a_start_up_that_fails_still_gives_a_network_that_answers(qtbot, monkeypatch):
    def broken(self, checkpoint=None, last_session=None):
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(model.session.ModelSession, "load_initial", broken)
    monkeypatch.setattr(model.session.ModelSession, "data_description", lambda self: 1 / 0)
    window = create_main_window([])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: "the disk went away" in window.notice.text(), timeout=15000)
    assert "The data folder cannot be read" in window.notice.text()  # both notices are shown
    assert window.state.network is not None
    assert window.state.data_description.startswith("the embedded practice set")
    with qtbot.waitSignal(window.prediction_shown, timeout=10000) as answer:
        drag(window.canvas, VERTICAL)
    assert answer.args[0] is not None
    window.close()
    assert not window.controller.threads_running()

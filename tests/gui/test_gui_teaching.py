"""Teaching: the user corrects the answer and the network learns their drawing, live."""

from __future__ import annotations

import numpy as np
import pytest
from gui_support import HORIZONTAL, VERTICAL, drag, drag_with, ink, use_network
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from gui.teach_view import PROMPT, UNKNOWN_PROMPT
from model.handwriting import load_examples
from model.messages import HandwritingEdit
from model.paths import user_data_dir

TEACH_TIMEOUT = 60000  # learning then 250 rehearsal steps: about 10 s here, longer on a busy machine


def draw(qtbot, window, stroke) -> np.ndarray:
    with qtbot.waitSignal(window.prediction_shown, timeout=10000) as shown:
        drag(window.canvas, stroke)
    return shown.args[0]


def test_digit_key_on_the_canvas_teaches_it(qtbot, window) -> None:
    before = draw(qtbot, window, VERTICAL)
    assert int(np.argmax(before)) != 7
    events: list[str] = []
    window.prediction_shown.connect(lambda _p: events.append("shown"))
    window.taught.connect(lambda digit: events.append(f"taught {digit}"))
    window.canvas.setFocus()
    with qtbot.waitSignal(window.taught, timeout=TEACH_TIMEOUT) as taught:
        QTest.keyClick(window.canvas, Qt.Key.Key_7)
    assert taught.args == [7]
    assert events[-2:] == ["shown", "taught 7"]  # the updated network's answer comes first
    assert window.state.prediction.digit == 7
    assert window.prediction_label.text() == "7"
    teaching = window.state.teaching
    assert teaching.label == 7 and not teaching.done  # learnt: rehearsal goes on
    assert teaching.losses[-1] < teaching.losses[0]  # the loss of the drawing fell
    assert teaching.before is not None and int(np.argmax(teaching.before)) == int(np.argmax(before))
    assert window.teach_bar.status.full_text().startswith("Learnt 7 in ")
    assert "rehearsing" in window.teach_bar.status.full_text()
    qtbot.waitUntil(lambda: window.state.teaching.done, timeout=TEACH_TIMEOUT)
    rehearsed, rehearsal_steps = window.state.teaching.rehearsal
    assert rehearsed == rehearsal_steps > 0
    assert f"rehearsed {rehearsed} steps" in window.teach_bar.status.full_text()
    qtbot.waitUntil(lambda: window.state.prediction.digit == 7, timeout=5000)  # the correction stayed
    assert window.state.network.unsaved_training
    stored = load_examples(user_data_dir() / "handwriting.npz")
    assert [e.label for e in stored] == [7]
    assert [e.label for e in window.state.examples] == [7]


def test_another_drawing_takes_away_what_the_taught_one_read(qtbot, window) -> None:
    """The marks of the answer before a correction, and once it is learnt its line, are about
    the taught drawing: Clear or new ink takes them away (the correction itself stays)."""
    draw(qtbot, window, VERTICAL)
    with qtbot.waitSignal(window.taught, timeout=TEACH_TIMEOUT):
        window.teach_bar.buttons[7].click()
    assert window.probability_view.before() is not None and not window.state.teaching.done
    window.resize(window.width() - 60, window.height() - 40)  # the same drawing, repainted
    qtbot.wait(50)
    assert window.probability_view.before() is not None
    window.clear_button.click()  # while it rehearses: the marks go, the line goes on reporting
    assert window.probability_view.before() is None and window.state.teaching.label == 7
    qtbot.waitUntil(lambda: window.state.teaching.done, timeout=TEACH_TIMEOUT)
    assert "rehearsed" in window.teach_bar.status.full_text()
    draw(qtbot, window, HORIZONTAL)
    prompt = UNKNOWN_PROMPT if window.state.prediction.unknown else PROMPT  # a dash: "?" and why
    assert window.state.teaching.label is None and window.teach_bar.status.full_text() == prompt
    assert [e.label for e in window.state.examples] == [7]


def test_the_accuracy_says_it_was_measured_before_the_correction(qtbot, window) -> None:
    use_network(qtbot, window, "mlp")
    panel = window.training_panel
    panel.epochs.setValue(0.3)
    panel.train_button.click()
    idle = lambda: window.state.run.state == "idle" and not window.state.run.taught_since  # noqa: E731
    qtbot.waitUntil(lambda: idle() and window.state.run.evaluation is not None, timeout=30000)
    measured = f"{window.state.run.evaluation.accuracy:.2%}"
    assert panel.accuracy_label.text() == measured
    draw(qtbot, window, VERTICAL)
    with qtbot.waitSignal(window.taught, timeout=TEACH_TIMEOUT):
        window.teach_bar.buttons[7].click()
    assert panel.accuracy_label.text() == f"{measured} before teaching"
    assert "before the network learnt your corrections" in panel.accuracy_label.toolTip()
    qtbot.waitUntil(lambda: window.state.validation is not None, timeout=10000)
    window.failures.open_dialog()
    assert "learnt your corrections since" in window.failures.caption.text()
    qtbot.waitUntil(lambda: window.state.teaching.done, timeout=TEACH_TIMEOUT)
    panel.continue_training.setChecked(True)
    panel.train_button.click()  # a new validation pass measures the corrected network
    qtbot.waitUntil(idle, timeout=30000)
    assert "before teaching" not in panel.accuracy_label.text()
    assert "learnt your corrections since" not in window.failures.caption.text()


def test_a_drawing_whose_ink_is_all_erased_teaches_nothing_and_says_so(qtbot, window) -> None:
    draw(qtbot, window, VERTICAL)
    drag_with(window.canvas, Qt.MouseButton.RightButton, VERTICAL)  # the eraser, over all of it
    assert not window.canvas.is_empty() and ink(window.canvas, level=0) == 0  # strokes, no ink
    window.teach_bar.buttons[7].click()
    qtbot.waitUntil(lambda: "no ink to learn from" in window.notice.text(), timeout=10000)
    assert window.state.teaching.label is None and window.teach_bar.status.full_text() == PROMPT
    assert window.state.examples == ()


def test_clicking_a_bar_or_an_its_a_button_teaches(qtbot, window) -> None:
    draw(qtbot, window, HORIZONTAL)
    bars = window.probability_view
    row = bars.height() / 10
    with qtbot.waitSignal(window.taught, timeout=TEACH_TIMEOUT) as taught:
        QTest.mouseClick(bars, Qt.MouseButton.LeftButton, pos=QPoint(bars.width() // 2, int(4.5 * row)))
    assert taught.args == [4]
    with qtbot.waitSignal(window.taught, timeout=TEACH_TIMEOUT) as taught:
        window.teach_bar.buttons[2].click()
    assert taught.args == [2]
    # Just taught 4, the dash may reach its step limit before it reads as 2: rehearsal goes on.
    qtbot.waitUntil(lambda: window.state.prediction.digit == 2, timeout=TEACH_TIMEOUT)
    assert [e.label for e in window.state.examples] == [2]  # the same drawing: the last word counts


def test_a_digit_typed_into_a_number_field_teaches_nothing(qtbot, window) -> None:
    draw(qtbot, window, VERTICAL)
    epochs = window.training_panel.epochs
    epochs.setFocus()
    epochs.selectAll()
    QTest.keyClick(epochs, Qt.Key.Key_5)
    qtbot.wait(300)
    assert epochs.value() == 5
    assert window.state.teaching.label is None
    assert window.state.examples == ()


def test_nothing_to_teach_on_an_empty_canvas(qtbot, window) -> None:
    window.canvas.setFocus()
    QTest.keyClick(window.canvas, Qt.Key.Key_3)
    qtbot.wait(300)
    assert window.state.teaching.label is None
    assert "Draw a digit first" in window.statusBar().currentMessage()


def test_forget_what_i_taught_keeping_or_dropping_the_examples(qtbot, window, monkeypatch) -> None:
    import gui.main_window as main_window_module

    shipped = window.state.network
    draw(qtbot, window, VERTICAL)
    with qtbot.waitSignal(window.taught, timeout=TEACH_TIMEOUT):
        window.controller.teach(7)
    assert window.state.network.unsaved_training
    monkeypatch.setattr(main_window_module, "ask_forget", lambda parent, count: True)
    with qtbot.waitSignal(window.state.network_changed, timeout=10000):
        window.forget_teaching()
    qtbot.waitUntil(lambda: window.state.prediction is not None and window.state.prediction.digit != 7)
    assert window.state.network.source == shipped.source
    assert not window.state.network.unsaved_training
    assert len(window.state.examples) == 1  # kept
    with qtbot.waitSignal(window.taught, timeout=TEACH_TIMEOUT):
        window.controller.teach(7)
    monkeypatch.setattr(main_window_module, "ask_forget", lambda parent, count: False)
    with qtbot.waitSignal(window.state.examples_changed, timeout=10000):
        window.forget_teaching()
    qtbot.waitUntil(lambda: window.state.examples == ())
    assert load_examples(user_data_dir() / "handwriting.npz") == ()


def test_correcting_during_a_training_run_joins_it(qtbot, window) -> None:
    draw(qtbot, window, VERTICAL)
    window.training_panel.epochs.setValue(5.0)  # still under way once taught
    window.training_panel.continue_training.setChecked(True)
    with qtbot.waitSignal(window.state.progress_added, timeout=30000):
        window.training_panel.train_button.click()
    with qtbot.waitSignal(window.taught, timeout=TEACH_TIMEOUT) as taught:
        window.controller.teach(7)
    assert taught.args == [7]
    assert window.state.teaching.during_run
    assert "joins the batches of the run under way" in window.teach_bar.status.full_text()
    assert window.state.run.state == "running"
    assert window.state.teaching.done and window.state.teaching.rehearsal == (0, 0)  # the run rehearses
    window.controller.stop()
    qtbot.waitUntil(lambda: window.state.run.state == "idle", timeout=10000)


def test_train_pressed_while_rehearsing_takes_over_with_the_drawing(qtbot, window) -> None:
    draw(qtbot, window, VERTICAL)
    with qtbot.waitSignal(window.taught, timeout=TEACH_TIMEOUT):
        window.controller.teach(7)
    assert not window.state.teaching.done
    window.training_panel.epochs.setValue(0.5)
    window.training_panel.continue_training.setChecked(True)
    with qtbot.waitSignal(window.state.progress_added, timeout=30000):
        window.training_panel.train_button.click()
    teaching = window.state.teaching
    assert teaching.done and teaching.rehearsal[0] < teaching.rehearsal[1]
    assert "the training run goes on, with this drawing" in window.teach_bar.status.full_text()
    window.controller.stop()
    qtbot.waitUntil(lambda: window.state.run.state == "idle", timeout=10000)


@pytest.mark.parametrize("keep", [True])
def test_handwriting_view_relabels_deletes_exports_and_imports(qtbot, window, tmp_path, keep) -> None:
    for stroke, digit in ((VERTICAL, 1), (HORIZONTAL, 7)):
        window.canvas.clear()
        draw(qtbot, window, stroke)
        with qtbot.waitSignal(window.taught, timeout=TEACH_TIMEOUT):
            window.controller.teach(digit)
    window.show_handwriting()
    dialog = window.handwriting_dialog
    assert dialog is not None and dialog.list.count() == 2
    dialog.list.item(0).setSelected(True)  # newest first: the 7
    with qtbot.waitSignal(window.state.examples_changed, timeout=10000):
        dialog.relabel(9)
    assert [e.label for e in window.state.examples] == [1, 9]
    exported = tmp_path / "mine.npz"
    with qtbot.waitSignal(window.state.examples_changed, timeout=10000):
        window.controller.edit_handwriting(HandwritingEdit("export", path=str(exported)))
    assert [e.label for e in load_examples(exported)] == [1, 9]
    dialog.list.item(0).setSelected(True)
    with qtbot.waitSignal(window.state.examples_changed, timeout=10000):
        dialog.delete_selected()
    assert [e.label for e in window.state.examples] == [1]
    with qtbot.waitSignal(window.state.examples_changed, timeout=10000):
        window.controller.edit_handwriting(HandwritingEdit("import", path=str(exported)))
    assert sorted(e.label for e in window.state.examples) == [1, 9]  # merged: the 1 is not doubled
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(exported.read_bytes()[:200])
    with qtbot.waitSignal(window.state.examples_changed, timeout=10000):
        window.controller.edit_handwriting(HandwritingEdit("import", path=str(damaged)))
    assert sorted(e.label for e in window.state.examples) == [1, 9]
    assert "unchanged" in window.notice.text() or "damaged" in window.notice.text()


def test_taught_network_and_examples_survive_a_restart(qtbot, window) -> None:
    from gui.app import create_main_window
    from gui.settings import handwriting_path, last_session_path
    from model.session import RESTORED_SOURCE

    draw(qtbot, window, VERTICAL)
    with qtbot.waitSignal(window.taught, timeout=TEACH_TIMEOUT):
        window.controller.teach(7)
    window.close()
    assert last_session_path().exists() and handwriting_path().exists()
    assert handwriting_path().parent == user_data_dir()  # beside the settings file

    again = create_main_window([])
    qtbot.addWidget(again)
    again.show()
    qtbot.waitUntil(lambda: again.state.network is not None, timeout=15000)
    qtbot.waitUntil(lambda: len(again.state.examples) == 1, timeout=10000)
    assert again.state.network.source == RESTORED_SOURCE
    assert [e.label for e in again.state.examples] == [7]
    draw(qtbot, again, VERTICAL)
    assert again.state.prediction.digit == 7  # it still reads the drawing as it was taught
    again.close()


def test_training_from_scratch_before_a_correction_is_learnt_says_so(qtbot, window) -> None:
    """The new network from random weights ends the correction: the line does not stay on
    "Learning 7…", and a sentence says what happened; the example stays."""
    draw(qtbot, window, VERTICAL)
    window.controller.teach(7)
    window.training_panel.train_button.click()  # served before the correction's first step
    qtbot.waitUntil(lambda: "before your correction was learnt" in window.notice.text(), timeout=20000)
    assert window.state.teaching.label is None
    assert window.teach_bar.status.full_text() in (PROMPT, UNKNOWN_PROMPT)
    assert [e.label for e in window.state.examples] == [7]


def test_training_from_scratch_while_a_correction_rehearses_starts_the_line_afresh(
    qtbot, window, monkeypatch
) -> None:
    """What the line said (learnt in so many steps, rehearsing) was about the network now
    replaced by one from random weights: it goes, and a sentence says what happens instead."""
    from gui_support import answer_questions
    from PySide6.QtWidgets import QMessageBox

    answer_questions(monkeypatch, QMessageBox.StandardButton.Discard)  # "start again anyway?"
    use_network(qtbot, window, "mlp")
    draw(qtbot, window, VERTICAL)
    with qtbot.waitSignal(window.taught, timeout=TEACH_TIMEOUT):
        window.teach_bar.buttons[7].click()
    assert not window.state.teaching.done  # rehearsing
    window.training_panel.train_button.click()
    qtbot.waitUntil(lambda: "your drawing joins its batches" in window.notice.text(), timeout=20000)
    assert window.state.teaching.label is None and window.probability_view.before() is None


def test_a_small_drawing_is_learnt_as_it_is_read(qtbot, window) -> None:
    """The example taught is the picture the network reads: a small drawing drawn bigger with
    the same pen (thin strokes), not the blob its ink is on the canvas."""
    from model.preprocess import preprocess

    draw(qtbot, window, [(0.5, 0.42), (0.5, 0.5), (0.55, 0.56)])
    read = window.state.prediction.pixels
    assert read is not None and window.state.prediction.magnified > 1
    blob = preprocess(window.canvas.image_array())  # what teaching the ink as it is would learn
    assert blob is not None
    window.teach_bar.buttons[4].click()
    qtbot.waitUntil(lambda: len(window.state.examples) == 1, timeout=10000)
    learnt = window.state.examples[0].pixels / 255

    def inked(pixels: np.ndarray) -> int:
        return int((pixels > 0.5).sum())

    assert abs(inked(learnt) - inked(read)) <= 0.15 * inked(read) < inked(blob) - inked(read)

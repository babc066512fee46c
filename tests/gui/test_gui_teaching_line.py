"""The teaching line under the digit buttons: what it says as a correction is learnt,
rehearsed, undone by a run, or replaced, from the window's state alone (no window)."""

from __future__ import annotations

import numpy as np


def test_a_validation_pass_a_correction_came_in_during_still_says_before_teaching() -> None:
    """A pass pauses between batches, and corrections are learnt in those pauses: the pass of
    the step during which one was learnt measured partly the weights from before it."""
    from gui.state import AppState
    from model.messages import EvalResult, TrainProgress
    from model.teaching import TeachProgress

    def step(number: int) -> tuple[TrainProgress, ...]:
        return (TrainProgress(number, 300, number / 100, 0.5, 1000.0, 1.0, 0.01),)

    def evaluation(number: int) -> EvalResult:
        return EvalResult(number, number / 100, 0.1, 0.97, 1.0, None)

    state = AppState()
    state.set_run_state("running")
    state.add_progress(step(100))
    state.add_evaluation(evaluation(100))
    state.add_progress(step(110))
    state.begin_teaching(7)
    state.add_teach_progress((TeachProgress(7, 1, 0.5, np.eye(10)[7], learnt=True),))
    assert state.run.taught_since
    state.add_evaluation(evaluation(110))  # the pass of step 110 was under way
    assert state.run.taught_since
    state.add_progress(step(120))
    state.add_evaluation(evaluation(120))
    assert not state.run.taught_since
    state.add_progress(step(130))
    state.add_teach_progress((TeachProgress(7, 1, 0.5, np.eye(10)[7], learnt=True),))
    state.begin_run()  # a new run (after Forget teaching, say) counts its steps from 1
    state.add_progress(step(50))
    state.add_evaluation(evaluation(50))
    assert not state.run.taught_since


READS_4 = np.array([0.0, 0, 0.45, 0, 0.52, 0, 0, 0, 0.03, 0])
READS_2 = READS_4[[0, 1, 4, 3, 2, 5, 6, 7, 8, 9]]


def taught_2(reads_at_the_end: np.ndarray, steps: int):
    """An AppState that learnt "2" in `steps` steps, the last one reading `reads_at_the_end`."""
    from gui.state import AppState
    from model.teaching import TeachProgress

    state = AppState()
    state.begin_teaching(2)
    learning = tuple(TeachProgress(2, step, 5.0 - step / 10, READS_4) for step in range(steps))
    learnt = TeachProgress(2, steps, 0.5, reads_at_the_end, learnt=True, rehearsal_steps=250)
    state.add_teach_progress((*learning, learnt))
    state.correction_learnt(2, 5)  # the weights' version
    return state


def shown(state, probabilities: np.ndarray, version: int) -> None:
    from model.messages import Prediction

    state.set_prediction(Prediction(1, probabilities, weights_version=version))


def test_a_correction_that_reached_its_step_limit_does_not_claim_to_be_learnt() -> None:
    """The step limit came before the drawing read as the taught digit: the line says what it
    reads instead, until rehearsal gets it there."""
    from gui.teach_view import teach_sentence
    from model.teaching import TeachProgress

    state = taught_2(READS_4, 40)
    shown(state, READS_4, 5)
    line = teach_sentence(state.teaching, 1)
    assert line.startswith("Still read as 4 after 40 steps") and "it goes on learning 2" in line
    state.add_teach_progress((TeachProgress(2, 41, 0.6, READS_2, True, 1, 250),))
    shown(state, READS_2, 6)
    # How far the rehearsal is comes first: the line is cut to fit at the window's default size.
    assert teach_sentence(state.teaching, 1).startswith("Learnt 2 in 40 steps · rehearsing: 0% · loss")


def test_the_line_says_when_rehearsal_or_a_run_brought_the_old_digit_back() -> None:
    from gui.teach_view import teach_sentence
    from model.teaching import TeachProgress

    state = taught_2(READS_2, 9)
    assert teach_sentence(state.teaching, 1).startswith("Learnt 2 in 9 steps · rehearsing: 0% · loss")
    state.add_teach_progress((TeachProgress(2, 10, 0.7, READS_4, True, 1, 250),))  # rehearsal moved it
    assert teach_sentence(state.teaching, 1).startswith("Learnt 2 in 9 steps, but it reads 4 again")
    state.add_teach_progress((TeachProgress(2, 259, 0.1, READS_2, True, 250, 250, done=True),))
    assert teach_sentence(state.teaching, 1).startswith("Learnt 2 in 9 steps · loss")
    shown(state, READS_4, 4)  # an answer from weights before the correction: not about it
    assert state.teaching.read_as == 2
    shown(state, READS_4, 7)  # a run went on from these weights and brought the 4 back
    assert teach_sentence(state.teaching, 1).startswith("Learnt 2 in 9 steps, but it reads 4 again")


def test_the_learnt_step_handed_again_to_a_starting_run_is_counted_once() -> None:
    from gui.teach_view import teach_sentence
    from model.teaching import TeachProgress

    state = taught_2(READS_2, 3)
    state.add_teach_progress(
        (TeachProgress(2, 3, 0.5, READS_2, learnt=True, rehearsal_steps=250, done=True),)
    )
    line = teach_sentence(state.teaching, 1)
    assert line.startswith("Learnt 2 in 3 steps") and "the training run goes on" in line


def test_a_run_started_while_a_correction_learns_is_not_said_to_take_it_in() -> None:
    """A run started mid-learning does not have the drawing in its batches: the line must not
    say it does; nor, once a run has ended, that it goes on."""
    from gui.state import AppState
    from gui.teach_view import teach_sentence

    state = AppState()
    state.begin_teaching(7)
    state.set_run_state("running")
    assert "run" not in teach_sentence(state.teaching, 1)


def test_the_line_speaks_of_the_run_only_while_it_is_under_way() -> None:
    from gui.state import AppState
    from gui.teach_view import teach_sentence

    state = AppState()
    state.set_run_state("running")
    state.begin_teaching(7)
    assert "the run under way" in teach_sentence(state.teaching, 1)
    state.set_run_state("idle")
    assert "run" not in teach_sentence(state.teaching, 1)


def test_the_last_corrections_steps_reported_late_leave_the_next_one_alone() -> None:
    """Teaching 5 then, at once, 2: steps of the 5 still on their way are not the 2's ("Learnt 2
    in 0 steps, but it reads 5 again")."""
    from gui.teach_view import teach_sentence
    from model.teaching import TeachProgress

    state = taught_2(READS_2, 9)
    state.begin_teaching(4)
    state.add_teach_progress((TeachProgress(2, 10, 0.7, READS_2, True, 1, 250),))
    state.correction_learnt(2, 9)
    assert teach_sentence(state.teaching, 1).startswith("Learning 4…")


def test_a_drawing_taught_a_digit_is_answered_though_the_detector_says_no() -> None:
    """ "If it is one, click it": once the user says the drawing is a digit, its "?" is set
    aside (the detector does not learn) and the digit network answers, until another drawing."""
    from gui.state import AppState
    from model.messages import Prediction

    state = AppState()
    state.set_prediction(Prediction(1, READS_4, not_a_digit=0.9, unknown=True, unknown_from=0.75))
    assert state.prediction.unknown and not state.prediction.vouched
    state.begin_teaching(2)
    assert not state.prediction.unknown and state.prediction.vouched  # at once, before any step
    state.set_prediction(Prediction(2, READS_2, not_a_digit=0.9, unknown=True, unknown_from=0.75))
    assert not state.prediction.unknown and state.prediction.digit == 2
    state.drawing_changed()
    state.set_prediction(Prediction(3, READS_4, not_a_digit=0.9, unknown=True, unknown_from=0.75))
    assert state.prediction.unknown and not state.prediction.vouched  # another drawing: the detector again

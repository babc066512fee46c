"""Teaching one drawing: it is learnt at once, and many corrections do not wreck the rest."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from model.data import load_practice_set
from model.messages import TrainConfig
from model.session import ModelSession
from model.teaching import TeachSettings, teach_steps
from model.training import TrainingData, evaluate


@pytest.fixture(scope="module")
def practice() -> TrainingData:
    return TrainingData.from_dataset(load_practice_set())


@pytest.fixture(scope="module")
def trained_session_state(practice: TrainingData) -> dict[str, torch.Tensor]:
    """A small fully-connected network trained on the practice set (about 90%)."""
    session = ModelSession()
    session.new_network("mlp", seed=0)
    session.use_training_data(practice)
    session.start_training(TrainConfig(arch="mlp", epochs=3, batch_size=64, from_scratch=False))
    while session.training:
        session.train_for(5.0)
    return {k: v.clone() for k, v in session.net.state_dict().items()}


def fresh_session(practice: TrainingData, state: dict[str, torch.Tensor], folder=None) -> ModelSession:
    """The trained network, its examples kept in `folder` (None: in memory only)."""
    session = ModelSession(handwriting=None if folder is None else folder / "handwriting.npz")
    session.new_network("mlp", seed=0)
    session.net.load_state_dict(state)
    session.use_training_data(practice)
    return session


def as_canvas(pixels: np.ndarray) -> np.ndarray:
    """A 28x28 digit as the canvas would hold it: 8 times larger."""
    return np.kron(pixels, np.ones((8, 8), np.uint8))


def run_teaching(session: ModelSession) -> list:
    steps = []
    while session.teaching:
        steps += session.teach_for(1.0)
    return steps


def test_a_correction_changes_the_answer(practice, trained_session_state, tmp_path) -> None:
    session = fresh_session(practice, trained_session_state, tmp_path)
    x = practice.test_x
    with torch.inference_mode():
        answers = session.net(x).argmax(1)
    wrong = int(torch.nonzero(answers != practice.test_y)[0, 0])
    truth = int(practice.test_y[wrong])
    image = as_canvas(np.rint(x[wrong, 0].numpy() * 255).astype(np.uint8))
    example, warning = session.teach(image, truth)
    assert example is not None and not warning
    steps = run_teaching(session)
    assert steps[0].step == 0 and steps[-1].done
    assert steps[-1].loss < steps[0].loss
    assert session.predict(1, image).digit == truth
    assert session.info.unsaved_training and session.can_forget_teaching
    assert [e.label for e in session.handwriting.examples] == [truth]


def test_a_slice_ends_with_the_weights_that_learnt_the_correction(practice, trained_session_state) -> None:
    """The window shows the answer of the weights published after a slice as the correction's
    result: rehearsal steps in the same slice could already have moved it back."""
    session = fresh_session(practice, trained_session_state)
    image = as_canvas(np.rint(practice.test_x[0, 0].numpy() * 255).astype(np.uint8))
    label = (int(practice.test_y[0]) + 1) % 10
    session.teach(image, label)
    slices = []
    while session.teaching:
        slices.append(session.teach_for(60.0))
    learnt_in = next(i for i, steps in enumerate(slices) if any(s.learnt for s in steps))
    assert slices[learnt_in][-1].learnt and not slices[learnt_in][-1].rehearsed
    assert all(not s.learnt for s in slices[learnt_in][:-1])
    assert slices[-1][-1].done
    assert all(s.rehearsed for later in slices[learnt_in + 1 :] for s in later)  # then rehearsal


def test_forgetting_restores_the_network_from_before_the_corrections(
    practice, trained_session_state, tmp_path
) -> None:
    session = fresh_session(practice, trained_session_state, tmp_path)
    before = {k: v.clone() for k, v in session.net.state_dict().items()}
    image = as_canvas(np.rint(practice.test_x[0, 0].numpy() * 255).astype(np.uint8))
    session.teach(image, (int(practice.test_y[0]) + 1) % 10)
    run_teaching(session)
    assert any(not torch.equal(before[k], v) for k, v in session.net.state_dict().items())
    session.forget_teaching()
    assert all(torch.equal(before[k], v) for k, v in session.net.state_dict().items())
    assert not session.can_forget_teaching


def test_a_thousand_random_corrections_keep_what_it_knew(practice, trained_session_state) -> None:
    session = fresh_session(practice, trained_session_state)
    _, accuracy_before = evaluate(session.net, practice.test_x, practice.test_y)
    rng = np.random.default_rng(0)
    # Training digits the network has seen, taught with their own labels ("confirming") or, one
    # time in ten, with a wrong one: the worst a user can do is teach nonsense.
    # Each correction comes as soon as the last one is learnt, cutting its rehearsal short, as
    # a user correcting in quick succession does (the hardest case: the least rehearsal).
    picks = rng.integers(len(practice.train_y), size=1000)
    for count, index in enumerate(picks):
        label = int(practice.train_y[index])
        if count % 10 == 0:
            label = (label + 1 + int(rng.integers(9))) % 10
        image = as_canvas(np.rint(practice.train_x[index, 0].numpy() * 255).astype(np.uint8))
        session.teach(image, label)
        while session.teaching and not session.teach_for(0.0)[-1].learnt:
            pass
    run_teaching(session)  # the last rehearsal
    _, accuracy_after = evaluate(session.net, practice.test_x, practice.test_y)
    assert len(session.handwriting.examples) == len(set(picks.tolist()))  # a drawing taught twice: once
    assert accuracy_after >= accuracy_before - 0.03, (accuracy_before, accuracy_after)


def test_teaching_stops_at_its_step_limit_for_a_drawing_it_cannot_learn(
    practice, trained_session_state
) -> None:
    from model.networks import build_network

    net = build_network("mlp", seed=0)
    net.load_state_dict(trained_session_state)
    settings = TeachSettings(max_steps=3, min_steps=1, confident=1.1, rehearse=2)  # never confident enough
    earlier = (torch.zeros(0, 1, 28, 28), torch.zeros(0, dtype=torch.long))
    steps = list(teach_steps(net, np.zeros((28, 28), np.uint8) + 255, 3, earlier, practice, settings))
    assert [s.step for s in steps] == [0, 1, 2, 3, 4, 5]
    ends = [(s.learnt, s.rehearsed, s.done) for s in steps[3:]]
    assert ends == [(True, 0, False), (True, 1, False), (True, 2, True)]


def test_rehearsal_undoes_what_a_conflicting_correction_disturbed(practice, trained_session_state) -> None:
    """A 1 taught as a 7 drags other 1s along; rehearsing on its look-alikes and on replayed
    digits brings those back, and the correction stays."""
    from model.networks import build_network

    net = build_network("mlp", seed=0)
    net.load_state_dict(trained_session_state)
    _, accuracy_before = evaluate(net, practice.test_x, practice.test_y)
    index = int(torch.nonzero(practice.test_y == 1)[0, 0])  # a drawing it never trained on
    pixels = np.rint(practice.test_x[index, 0].numpy() * 255).astype(np.uint8)
    earlier = (torch.zeros(0, 1, 28, 28), torch.zeros(0, dtype=torch.long))
    accuracy_learnt = None
    for step in teach_steps(net, pixels, 7, earlier, practice):
        if step.learnt and not step.rehearsed:
            accuracy_learnt = evaluate(net, practice.test_x, practice.test_y)[1]
    _, accuracy_after = evaluate(net, practice.test_x, practice.test_y)
    assert step.done and step.rehearsed == step.rehearsal_steps == TeachSettings().rehearse
    assert int(np.argmax(step.probabilities)) == 7
    assert accuracy_learnt is not None and accuracy_learnt < accuracy_before  # disturbed
    undone = (accuracy_after - accuracy_learnt) / (accuracy_before - accuracy_learnt)
    assert undone >= 0.5, (accuracy_before, accuracy_learnt, accuracy_after)


def test_the_training_digits_nearest_a_drawing_come_first(practice) -> None:
    from model.teaching import nearest_training_digits

    index = 123
    nearest = nearest_training_digits(practice, practice.train_x[index], 5)
    assert int(nearest[0]) == index
    distances = (practice.train_x[nearest] - practice.train_x[index]).flatten(1).norm(dim=1)
    assert torch.all(distances[1:] >= distances[:-1])


def test_a_run_started_while_rehearsing_takes_the_correction_into_its_batches(
    practice, trained_session_state, tmp_path
) -> None:
    session = fresh_session(practice, trained_session_state, tmp_path)
    for index in range(2):  # an earlier example, then the one being rehearsed
        image = as_canvas(np.rint(practice.test_x[index, 0].numpy() * 255).astype(np.uint8))
        session.teach(image, 5)
        steps = session.teach_for(0.05)
        while not steps[-1].learnt:
            steps += session.teach_for(0.05)
    assert session.teaching and not steps[-1].done  # rehearsing
    cut = session.stop_rehearsing()
    assert cut is not None and cut.done and cut.learnt and cut.rehearsed < cut.rehearsal_steps
    assert not session.teaching and session.stop_rehearsing() is None
    session.start_training(TrainConfig(arch="mlp", epochs=1, batch_size=64, include_handwriting=False))
    assert len(session.own_examples()[1]) == 1  # the one whose rehearsal the run cut short


def test_a_run_mixes_the_users_examples_into_every_batch(practice) -> None:
    from model.networks import build_network
    from model.training import train_steps

    asked = []
    own_x, own_y = torch.ones(3, 1, 28, 28), torch.tensor([4, 4, 4])

    def own():
        asked.append(len(asked))
        return own_x, own_y

    config = TrainConfig(arch="mlp", epochs=0.05, batch_size=64, evals_per_epoch=0)  # 4 steps
    messages = list(train_steps(build_network("mlp", seed=0), practice, config, own=own))
    steps = [m for m in messages if type(m).__name__ == "TrainProgress"]
    assert len(asked) == len(steps) > 0  # asked again at each step: examples taught meanwhile join


def test_a_correction_cut_short_leaves_its_rehearsal_to_the_next(practice, trained_session_state) -> None:
    session = fresh_session(practice, trained_session_state)
    images = [as_canvas(np.rint(practice.test_x[i, 0].numpy() * 255).astype(np.uint8)) for i in range(3)]
    labels = [int(practice.test_y[i]) for i in range(3)]
    session.teach(images[0], labels[0])
    steps = []
    while not steps or steps[-1].rehearsed < 5:  # learnt, and a few rehearsal steps made
        steps += session.teach_for(0.01)
    made = steps[-1].rehearsed
    session.teach(images[1], labels[1])  # before the first one's rehearsal ended
    session.teach(images[2], labels[2])  # before the second one made a single step
    steps = run_teaching(session)
    full = TeachSettings.rehearse
    owed = (full - made) + full  # the first's remaining steps, then all of the second's
    assert steps[-1].done and steps[-1].rehearsal_steps == min(full + owed, 4 * full)
    assert [e.label for e in session.handwriting.examples] == labels
    session.teach(images[0], labels[0])  # after a rehearsal that ended: only its own
    assert run_teaching(session)[-1].rehearsal_steps == full

"""What Train trains on when the MNIST folder it was given is broken, empty or not a folder."""

from __future__ import annotations

import pytest

from model.data import PRACTICE_DESCRIPTION
from model.session import ModelSession


def test_a_corrupt_copy_falls_back_to_the_practice_set_with_a_warning(corrupt_mnist):
    session = ModelSession(str(corrupt_mnist))
    data = session.training_data()
    assert data.name == PRACTICE_DESCRIPTION
    assert "train-images-idx3-ubyte.gz" in session.data_warning
    assert "practice set" in session.data_warning
    assert len(data.train_y) == 4500 and len(data.test_y) == 500


def test_after_a_fallback_the_next_run_looks_again(corrupt_mnist, link_mnist):
    folder = corrupt_mnist
    session = ModelSession(str(folder))
    assert session.training_data().name == PRACTICE_DESCRIPTION and session.data_warning
    for path in folder.iterdir():  # the user repairs the copy, then presses Train again
        path.unlink()
    link_mnist(folder)
    data = session.training_data()
    assert data.name.startswith("MNIST (60,000 training digits)")
    assert session.data_warning == ""
    assert len(data.train_y) == 60000
    assert session.training_data() is data  # a good copy is read once


@pytest.mark.parametrize("kind", ["empty folder", "a file", "missing"])
def test_an_unusable_folder_falls_back_with_a_warning_naming_it(tmp_path, kind):
    path = tmp_path / "data"
    if kind == "empty folder":
        path.mkdir()
    elif kind == "a file":
        path.write_text("not a folder")
    session = ModelSession(str(path))
    assert session.training_data().name == PRACTICE_DESCRIPTION
    assert str(path) in session.data_warning
    assert "practice set" in session.data_warning


def test_without_any_mnist_there_is_no_warning(tmp_path):
    session = ModelSession(None)
    assert session.training_data().name == PRACTICE_DESCRIPTION
    assert session.data_warning == ""

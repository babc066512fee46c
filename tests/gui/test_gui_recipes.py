"""The panel's recipes: Quick is what Train runs by default, Longer is one choice away, and a
changed field makes the recipe the user's own without losing the settings that have no field."""

from __future__ import annotations

from dataclasses import replace

from test_gui_settings import opened, settings_path, write_ini

from model.data import PRACTICE_TRAINING_DIGITS
from model.messages import TrainConfig, longer_config, quick_config

QUICK = quick_config(PRACTICE_TRAINING_DIGITS)  # the test windows train on the practice set


def asked(window) -> TrainConfig:
    """The run the panel would ask for, without its network or the user's ticks."""
    return replace(window.training_panel.config(), arch="cnn", from_scratch=True, include_handwriting=False)


def choose(window, key: str) -> None:
    box = window.training_panel.recipe
    box.setCurrentIndex(box.findData(key))
    box.activated.emit(box.currentIndex())


def test_train_with_the_defaults_runs_the_quick_recipe(window) -> None:
    assert window.training_panel.recipe.shown() == "quick"
    assert asked(window) == QUICK


def test_longer_is_one_choice_and_sets_every_field_and_hidden_setting(window) -> None:
    choose(window, "longer")
    panel = window.training_panel
    assert panel.recipe.shown() == "longer"
    assert asked(window) == longer_config()
    assert panel.epochs.value() == longer_config().epochs
    choose(window, "quick")
    assert asked(window) == QUICK


def test_a_changed_field_makes_it_custom_and_keeps_the_recipes_hidden_settings(window) -> None:
    choose(window, "longer")
    panel = window.training_panel
    panel.epochs.setValue(7.5)
    assert panel.recipe.shown() == "custom"
    config = asked(window)
    assert config.epochs == 7.5 and config == longer_config(epochs=7.5)  # still jittered, unsmoothed
    panel.epochs.setValue(longer_config().epochs)  # back to the recipe's values: its name again
    assert panel.recipe.shown() == "longer"


def test_picking_custom_changes_nothing(window) -> None:
    choose(window, "custom")
    assert window.training_panel.recipe.shown() == "quick"
    assert asked(window) == QUICK


def test_the_recipe_and_its_changes_come_back_after_a_restart(qtbot) -> None:
    with opened(qtbot) as window:
        choose(window, "longer")
        window.training_panel.batch_size.setValue(64)
    with opened(qtbot) as window:
        assert window.training_panel.recipe.shown() == "custom"
        assert asked(window) == longer_config(batch_size=64)
    assert "recipe=longer" in settings_path().read_text()


def test_settings_an_older_digitpad_saved_untouched_start_from_quick(qtbot) -> None:
    old = {
        "train/epochs": "3",
        "train/batch_size": "128",
        "train/learning_rate": "0.003",
        "train/optimizer": "adam",
    }
    write_ini(old)
    with opened(qtbot) as window:
        assert window.training_panel.recipe.shown() == "quick"
        assert asked(window) == QUICK
    write_ini({**old, "train/epochs": "5"})  # a value the user chose is theirs: kept
    with opened(qtbot) as window:
        assert window.training_panel.recipe.shown() == "custom"
        assert asked(window).epochs == 5.0


def test_the_quick_recipe_shows_the_network_as_many_digits_whatever_the_data(window) -> None:
    """0.7 passes over MNIST's 60,000 digits; on the practice set's 4,500, as many digits seen
    (9.3 passes: 98% in about 5 s, where 0.7 of a pass gave 78%), and its name says so. A
    recipe the user changed stays theirs when the data change."""
    panel = window.training_panel
    assert panel.epochs.value() == QUICK.epochs == 9.3
    assert panel.recipe.currentText() == "Quick: 98% in seconds"
    panel.show_data("MNIST (60,000 training digits)", "/data/mnist")  # as a download ends
    assert panel.recipe.shown() == "quick" and asked(window) == TrainConfig()
    assert panel.recipe.currentText() == "Quick: 99% in seconds"
    panel.batch_size.setValue(64)
    panel.show_data("the embedded practice set (5,000 MNIST digits)", "")
    # The user's fields stay; what has no field follows the data (validation passes).
    assert panel.recipe.shown() == "custom" and asked(window) == replace(QUICK, epochs=0.7, batch_size=64)
    panel.batch_size.setValue(QUICK.batch_size)
    assert panel.recipe.shown() == "custom"  # 0.7 passes over the practice set: not its Quick
    choose(window, "quick")
    assert asked(window) == QUICK


def test_a_new_user_pressing_train_on_the_practice_set_gets_what_the_recipe_says(qtbot, window) -> None:
    """The first Train a user presses, before any MNIST download: Quick, to the end, 98%."""
    panel = window.training_panel
    panel.train_button.click()
    qtbot.waitUntil(lambda: window.state.run.state == "running", timeout=10000)
    qtbot.waitUntil(lambda: window.state.run.state == "idle", timeout=120000)
    evaluation = window.state.run.evaluation
    assert evaluation is not None and evaluation.accuracy >= 0.97  # 98.2-98.8% for seeds 0-2
    done, total = panel.epoch_label.text().split(" of ")
    assert done == total == f"{164 * QUICK.batch_size / PRACTICE_TRAINING_DIGITS:.2f}"  # 164 steps

"""Paths as the window shows them: from the home folder, as file managers do."""

from __future__ import annotations

from pathlib import Path

from model.paths import shown_path


def test_a_path_in_the_home_folder_is_shown_from_it_and_others_in_full(monkeypatch, tmp_path) -> None:
    home = tmp_path / "someone"
    monkeypatch.setattr(Path, "home", lambda: home)
    assert shown_path(home / "Downloads" / "mnist") == str(Path("~", "Downloads", "mnist"))
    assert shown_path(home) == "~"
    assert shown_path(home / ".." / "other" / "mnist") == str(tmp_path / "other" / "mnist")  # not ~/../
    assert shown_path(tmp_path / "shared" / "mnist") == str(tmp_path / "shared" / "mnist")
    assert shown_path(Path("relative", "mnist")) == str(Path("relative", "mnist"))


def test_a_home_folder_that_is_the_root_puts_no_tilde_before_everything(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(Path, "home", lambda: Path(tmp_path.anchor))
    assert shown_path(tmp_path / "mnist") == str(tmp_path / "mnist")

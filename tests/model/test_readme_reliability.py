"""The README's Reliability table names real tests: a renamed or deleted one fails here."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
README = TESTS.parent / "README.md"


def reliability_references() -> list[tuple[str, str]]:
    """(file, test) for every `file::test` and `::test` (same file as before) in the section."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Reliability", 1)[1].split("\n## ", 1)[0]
    references, current = [], None
    for path, name in re.findall(r"`([\w/]+\.py)?::(test_\w+)`", section):
        current = path or current
        assert current is not None, f"::{name} has no file before it"
        references.append((current, name))
    return references


def test_every_test_named_in_the_reliability_section_exists():
    references = reliability_references()
    assert len(references) >= 30
    missing = [
        f"{path}::{name}"
        for path, name in references
        if not (TESTS / path).is_file()
        or not re.search(rf"^def {name}\(", (TESTS / path).read_text(encoding="utf-8"), re.M)
    ]
    assert not missing, f"the README names tests that do not exist: {missing}"

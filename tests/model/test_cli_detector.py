"""`python -m model detector`: the pen path's network joins a picture's network made before."""

from __future__ import annotations

import numpy as np
import pytest
from repo_paths import SHARED_STROKES as STROKES

from model.cli import main
from model.detector import Detector, DetectorNet, load_detector, save_detector


@pytest.mark.skipif(not STROKES.is_dir(), reason="the shared UNIPEN strokes are not beside the clone")
def test_the_path_network_joins_a_picture_network_made_before(tmp_path, capsys) -> None:
    save_detector(tmp_path / "picture.pt", Detector(DetectorNet(), 0.25, {"seed": 3}))
    out = tmp_path / "joint.pt"
    code = main(
        ["detector", "--strokes-dir", str(STROKES), "--picture-from", str(tmp_path / "picture.pt"),
         "--path-epochs", "0.1", "--threads", "1", "--out", str(out)]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "joint threshold" in captured.out and "saved" in captured.out
    detector = load_detector(out)
    assert detector is not None and detector.joint is not None and detector.path_net is not None
    assert detector.threshold == 0.25 and detector.metadata["seed"] == 3  # the picture's, kept
    # The threshold refuses 1% of the held-back writers' digits, whatever this briefly trained
    # network is worth.
    assert detector.metadata["joint: pen digits refused"] == pytest.approx(0.01, abs=0.005)
    judged = detector.judge(np.zeros((28, 28), np.float32), [np.array([[0.1, 0.1], [0.9, 0.9]])])
    assert 0 <= judged.not_a_digit <= 1 and judged.threshold == detector.joint.threshold


@pytest.mark.parametrize("content", [b"not a detector", None])
def test_a_picture_network_that_cannot_be_read_or_is_missing_is_one_line(tmp_path, capsys, content) -> None:
    picture, out = tmp_path / "picture.pt", tmp_path / "out.pt"
    if content is not None:
        picture.write_bytes(content)
    code = main(
        ["detector", "--strokes-dir", str(tmp_path), "--picture-from", str(picture), "--out", str(out)]
    )
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and not out.exists()
    assert "picture.pt" in lines[0]  # before the strokes are read: this folder holds none
    assert ("does not exist" in lines[0]) is (content is None)

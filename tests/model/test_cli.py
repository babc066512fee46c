"""`python -m model`: one JSON line on success, one "error:" line (no traceback) on failure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from repo_paths import REPO

from model.checkpoint import load_checkpoint
from model.cli import main


def run_cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)  # HOME and the cache are the test's own (see conftest)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["OMP_NUM_THREADS"] = "1"  # same thread count for train and evaluate; spares the cores
    return subprocess.run(
        [sys.executable, "-m", "model", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=180,
        check=False,
    )


def assert_one_line_error(returncode: int, stdout: str, stderr: str, *fragments: str) -> None:
    assert returncode != 0
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert stdout == ""


def test_evaluate_a_corrupt_checkpoint(tmp_path):
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    result = run_cli("evaluate", "--checkpoint", corrupt, cwd=Path.cwd())
    assert_one_line_error(result.returncode, result.stdout, result.stderr, "corrupt.pt", "damaged")


# In-process from here on: `main` is what `python -m model` runs, minus a torch start-up.


def test_train_with_a_missing_data_dir(tmp_path, capsys):
    missing = tmp_path / "nonexistent"
    code = main(["train", "--data-dir", str(missing), "--epochs", "0.01"])
    captured = capsys.readouterr()
    assert_one_line_error(code, captured.out, captured.err, str(missing), "does not exist")


def test_train_with_a_bad_setting(mnist_dir, capsys):
    code = main(["train", "--data-dir", str(mnist_dir), "--epochs", "-1"])
    captured = capsys.readouterr()
    assert_one_line_error(code, captured.out, captured.err, "epochs")


@pytest.mark.slow
def test_train_then_evaluate_on_real_mnist(mnist_dir, tmp_path, capsys):
    out = tmp_path / "x.pt"
    trained = run_cli(
        "train", "--data-dir", mnist_dir, "--arch", "mlp", "--epochs", "0.05", "--seed", "3", "--out", out,
        cwd=Path.cwd(),
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    assert "Traceback" not in trained.stderr
    assert "Warning" not in trained.stderr
    lines = trained.stdout.strip().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert {"test_accuracy", "train_seconds", "epochs", "samples_per_second"} <= summary.keys()
    # 0.05 epochs of 60,000 in batches of 256: ceil(11.72) = 12 steps = 12*256/60000 epochs.
    assert summary["steps"] == 12
    assert summary["epochs"] == pytest.approx(12 * 256 / 60_000, abs=1e-3)
    assert summary["reason"] == "completed"
    assert 0.5 < summary["test_accuracy"] <= 1.0  # 12 steps already beat chance by far
    assert summary["train_seconds"] > 0 and summary["samples_per_second"] > 0

    net, metadata = load_checkpoint(out)
    assert net.spec.kind == "mlp"
    assert metadata["test_accuracy"] == summary["test_accuracy"]
    assert metadata["config"]["seed"] == 3

    assert main(["evaluate", "--checkpoint", str(out), "--data-dir", str(mnist_dir)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    report = json.loads(lines[0])
    assert report["test_accuracy"] == summary["test_accuracy"]
    assert report["arch"] == "mlp"
    assert set(report["per_digit_accuracy"]) == {str(d) for d in range(10)}


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 not really a zip", None])
def test_detector_with_unreadable_strokes_says_so_in_one_line(mnist_dir, tmp_path, capsys, content):
    if content is not None:
        for name in ("unipen_digits_dev.npz", "unipen_nondigits_dev.npz"):
            (tmp_path / name).write_bytes(content)
    else:
        np.savez(tmp_path / "unipen_digits_dev.npz", points=np.zeros((3, 2), np.float32))  # arrays missing
        np.savez(tmp_path / "unipen_nondigits_dev.npz", points=np.zeros((3, 2), np.float32))
    out = tmp_path / "detector.pt"
    code = main(["detector", "--data-dir", str(mnist_dir), "--strokes-dir", str(tmp_path), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2 and not out.exists()
    assert captured.err.strip().splitlines()[-1].startswith("error: ") and "Traceback" not in captured.err


@pytest.mark.parametrize("all_writers", [False, True])
def test_pen_digits_join_training_strict_and_by_writer(tmp_path, capsys, monkeypatch, bars, all_writers):
    """--strokes adds the training half's strict digits (not suspect, not "ibm"); --all-writers,
    every writer's strict digits."""
    from model import cli
    from model.strokes import is_training_writer

    monkeypatch.setattr(cli, "load_dataset", lambda *args, **kwargs: bars)
    names = [f"writer{i}" for i in range(40)]
    mine = next(w for w in names if is_training_writer(w))
    other = next(w for w in names if not is_training_writer(w))
    writers = [mine, mine, mine, other, other, mine]
    count = len(writers)
    stroke = np.array([[0.2, 0.2], [0.8, 0.8]], np.float32)  # a diagonal line, two points
    path = tmp_path / "pen.npz"
    np.savez(
        path,
        points=np.tile(stroke, (count, 1)),
        stroke_offsets=np.arange(count + 1) * 2,
        sample_offsets=np.arange(count + 1),
        labels=np.arange(count, dtype=np.uint8),
        writers=np.array(writers),
        suspect=np.array([False, True, False, False, False, False]),
        contributors=np.array(["x", "x", "x", "x", "x", "ibm"]),
    )
    args = ["train", "--strokes", str(path)]
    args += ["--stroke-copies", "2", "--epochs", "0.01", "--arch", "mlp"]
    code = main([*args, "--all-writers"] if all_writers else args)
    assert code == 0, capsys.readouterr().err
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    strict = 2 + 2 if all_writers else 2  # the training writer's: one suspect, one "ibm"; the other's: 2
    assert f"+ {2 * strict} rasterised" in summary["data"]

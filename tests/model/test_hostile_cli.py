"""`python -m model` against generated hostile command lines and files: one "error:" line on
stderr, exit code 2 for bad input (1 for a failure while running), never a traceback."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from repo_paths import REPO

from model import checkpoint
from model.checkpoint import CheckpointError, save_checkpoint
from model.cli import main
from model.networks import build_network
from tools import hostile_files as hostile

GENERATED = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

numbers = st.one_of(
    st.sampled_from(
        ["-1", "0", "nan", "inf", "-inf", "1e300", "1e-300", "1e999", "10**9", "abc", "", "1.5", "0x10"]
    ),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(10**12), 10**12), st.floats(), st.text(max_size=5)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=12,
)
specs = st.one_of(
    st.dictionaries(
        st.sampled_from(["hidden", "channels", "fc", "dropout", "kernels", "pool_first", "kind", "other"]),
        json_values,
        max_size=4,
    ).map(json.dumps),
    json_values.map(json.dumps),
    st.sampled_from(["{", "[[[[[[" * 2000, '{"hidden": [' + "1" * 5000 + "]}", "null", "not json"]),
)
TRAIN_OPTIONS = {
    "--epochs": numbers,
    "--batch-size": numbers,
    "--lr": numbers,
    "--threads": numbers,
    "--evals-per-epoch": numbers,
    "--eval-from": numbers,
    "--stroke-copies": numbers,
    "--seed": numbers,
    "--until-accuracy": numbers,
    "--spec": specs,
    "--arch": st.sampled_from(["cnn", "mlp", "transformer", ""]),
    "--optimizer": st.sampled_from(["adam", "sgd", "lbfgs"]),
    "--recipe": st.sampled_from(["default", "fast", "slow"]),
    "--precision": st.sampled_from(["auto", "float16"]),
    "--out": st.sampled_from(["/nonexistent-folder/net.pt", "/proc/net.pt", ".", "/dev/full"]),
    "--bogus": st.just("1"),
}


def one_line_error(code: int, out: str, err: str) -> str:
    assert "Traceback" not in err and "Traceback" not in out
    assert code in (1, 2), (code, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "enforce fail" not in err and "Errno" not in err
    return lines[0]


@GENERATED
@given(
    options=st.dictionaries(st.sampled_from(sorted(TRAIN_OPTIONS)), st.just(None), min_size=1, max_size=5),
    data=st.data(),
)
def test_generated_train_command_lines_end_in_one_sentence(tmp_path, capsys, options, data):
    """No data is there to train on, so even a valid command line ends in one error line: an
    option is refused before the data is looked for, or the data is missing."""
    argv = ["train", "--data-dir", str(tmp_path / "no-mnist")]
    for option in options:
        argv += [option, data.draw(TRAIN_OPTIONS[option], label=option)]
    code = main(argv)
    captured = capsys.readouterr()
    line = one_line_error(code, captured.out, captured.err)
    assert code == 2
    assert captured.out == ""
    if "--spec" in options and "spec" not in line:
        another_option = any(line.startswith(f"error: {option}") for option in options)
        assert another_option or any(
            words in line for words in ("does not exist", "must be", "unknown", "argument")
        ), line


def hostile_checkpoint(kind: str, folder: Path) -> Path:
    path = folder / "hostile.pt"
    if kind == "fifo":
        return hostile.make_fifo(folder, "hostile.pt")
    if kind == "device":
        return hostile.symlink_to(folder, Path("/dev/zero"), "hostile.pt")
    if kind == "sparse":
        return hostile.sparse_file(path)
    if kind == "bomb":
        return hostile.checkpoint_with_bomb(path, 4 * hostile.MB, declared=3 * hostile.GB)
    if kind == "absurd arch":
        return hostile.checkpoint_file(path, hostile.payload(arch={"kind": "mlp", "hidden": [10**12]}))
    if kind == "overflowing weights":
        net = build_network(hostile.SMALL_SPEC)
        state = {k: v.double().fill_(1e300) for k, v in net.state_dict().items()}
        return hostile.checkpoint_file(path, hostile.payload(net, state_dict=state))
    if kind == "missing":
        return path
    path.write_bytes(os.urandom(300))
    return path


CHECKPOINTS = ["fifo", "device", "sparse", "bomb", "absurd arch", "overflowing weights", "missing", "noise"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", CHECKPOINTS)
def test_evaluate_refuses_each_hostile_checkpoint_in_one_line(tmp_path, capsys, kind):
    path = hostile_checkpoint(kind, tmp_path)
    code = main(["evaluate", "--checkpoint", str(path), "--data-dir", str(tmp_path / "none")])
    captured = capsys.readouterr()
    line = one_line_error(code, captured.out, captured.err)
    assert code == 2 and "hostile.pt" in line


def unipen_arrays(count: int = 3) -> dict[str, np.ndarray]:
    return {
        "points": np.zeros((count * 2, 2), np.float32),
        "stroke_offsets": np.arange(count + 1) * 2,
        "sample_offsets": np.arange(count + 1),
        "labels": np.arange(count, dtype=np.uint8),
        "writers": np.array(["w1", "w2", "w3"][:count]),
        "suspect": np.zeros(count, bool),
        "contributors": np.array(["x"] * count),
    }


@GENERATED
@given(
    drop=st.lists(st.sampled_from(sorted(unipen_arrays())), max_size=2, unique=True),
    replace=st.dictionaries(
        st.sampled_from(sorted(unipen_arrays())),
        st.sampled_from(
            [
                np.array([0, 5, 2]),
                np.array([[1.0, np.nan], [0.0, 1.0]]),
                np.array(["a", "b", "c"]),
                np.arange(50),
                np.zeros(0),
                np.array(7),
                np.array([0, 2, 4, 10**6]),
                np.array([0, 1, 1, 3]),
                np.zeros((2, 2, 2)),
                np.array([b"x", b"y", b"z"]),
            ]
        ),
        max_size=2,
    ),
)
def test_generated_stroke_files_are_used_or_refused_in_one_line(tmp_path, capsys, drop, replace):
    arrays = {k: v for k, v in unipen_arrays().items() if k not in drop}
    arrays.update(replace)
    path = tmp_path / "strokes.npz"
    np.savez(path, **arrays)
    code = main(["train", "--strokes", str(path), "--data-dir", str(tmp_path / "none")])
    captured = capsys.readouterr()
    line = one_line_error(code, captured.out, captured.err)
    assert code == 2
    assert "strokes.npz" in line or "no-mnist" in line or "none does not exist" in line


@pytest.mark.parametrize("content", [None, b"", b"not a zip", "letters"])
def test_strokes_that_are_missing_not_npz_or_letters_are_refused(tmp_path, capsys, content):
    path = tmp_path / "strokes.npz"
    if content == "letters":
        np.savez(path, **{**unipen_arrays(), "labels": np.array(["a", "b", "c"])})
    elif content is not None:
        path.write_bytes(content)
    code = main(["train", "--strokes", str(path), "--practice"])
    line = one_line_error(code, *capsys.readouterr())
    assert "strokes.npz" in line
    if content == "letters":
        assert "not digits" in line


# -- a full disk -------------------------------------------------------------------------------
def test_a_full_disk_is_said_in_words_not_in_torch_s(tmp_path, monkeypatch):
    """torch.save tells a full disk as '[enforce fail at inline_container.cc...]' (a
    RuntimeError, no errno): the sentence must say the disk is full."""

    def full(obj, out) -> None:
        out.write(b"partial")
        raise RuntimeError("[enforce fail at inline_container.cc:664] . unexpected pos 64 vs 0")

    monkeypatch.setattr(checkpoint.torch, "save", full)
    monkeypatch.setattr(checkpoint.shutil, "disk_usage", lambda _: shutil._ntuple_diskusage(10**9, 10**9, 0))
    with pytest.raises(CheckpointError) as caught:
        save_checkpoint(tmp_path / "net.pt", build_network(hostile.SMALL_SPEC))
    assert str(caught.value) == "Could not save net.pt: the disk is full. The previous file is unchanged."


@pytest.fixture
def full_disk(tmp_path):
    """A 256 KB tmpfs, filled up; skipped only where this user may not mount one."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("this user cannot mount a small disk (the monkeypatched test covers the message)")
    try:
        filler = folder / "filler"
        with filler.open("wb") as out:
            try:
                out.write(bytes(1 << 20))
                out.flush()
            except OSError as error:
                assert error.errno == errno.ENOSPC
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_saving_on_a_really_full_disk(full_disk):
    with pytest.raises(CheckpointError) as caught:
        save_checkpoint(full_disk / "net.pt", build_network(hostile.SMALL_SPEC))
    assert "the disk is full" in str(caught.value) and "enforce" not in str(caught.value)


def test_train_refuses_an_out_on_a_full_disk_before_training(full_disk, capsys):
    code = main(["train", "--out", str(full_disk / "net.pt"), "--practice"])
    line = one_line_error(code, *capsys.readouterr())
    assert "the disk is full" in line


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_train_refuses_an_out_in_a_folder_that_takes_no_files(capsys):
    code = main(["train", "--out", "/proc/net.pt", "--practice"])
    line = one_line_error(code, *capsys.readouterr())
    assert line == "error: --out: cannot write to /proc: no files can be made in it"


# -- real processes ----------------------------------------------------------------------------
def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["OMP_NUM_THREADS"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "model", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=90
    )


@pytest.mark.parametrize(
    "args",
    [
        ["train", "--epochs", "nan"],
        ["train", "--threads", "1000000000"],
        ["train", "--spec", '{"hidden": [1e999]}', "--arch", "mlp"],
        ["evaluate", "--checkpoint", "FIFO"],
        ["train", "--batch-size"],
    ],
)
def test_real_processes_end_in_one_line(tmp_path, args):
    if "FIFO" in args:
        args = [str(hostile.make_fifo(tmp_path, "pipe.pt")) if a == "FIFO" else a for a in args]
    result = run_cli(*args, cwd=tmp_path)
    one_line_error(result.returncode, result.stdout, result.stderr)
    assert result.returncode == 2

"""Checkpoints: round trips, every kind of bad file, and saves that cannot corrupt the old one."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from repo_paths import REPO

from model import checkpoint
from model.checkpoint import FORMAT, FORMAT_VERSION, CheckpointError, load_checkpoint, save_checkpoint
from model.networks import ArchSpec, DigitNet, build_network

SPECS = {
    "mlp": ArchSpec("mlp", hidden=(32, 16)),
    "cnn": ArchSpec("cnn", channels=(4, 8), fc=16, dropout=0.1),
    "mlp-default": ArchSpec("mlp"),
    "cnn-one-block": ArchSpec("cnn", channels=(6,), fc=12),
}


def small_net(kind: str = "mlp", seed: int = 0) -> DigitNet:
    return build_network(SPECS[kind], seed=seed)


def batch(count: int = 6, seed: int = 0) -> torch.Tensor:
    return torch.rand(count, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


def outputs(net: DigitNet, x: torch.Tensor) -> torch.Tensor:
    net.eval()
    with torch.no_grad():
        return net(x)


def payload_of(net: DigitNet, **changes) -> dict:
    """What save_checkpoint writes, with some fields replaced, for hand-made bad files."""
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "arch": net.spec.to_dict(),
        "state_dict": {k: v.clone() for k, v in net.state_dict().items()},
        "metadata": {},
    }
    payload.update(changes)
    return payload


@pytest.fixture
def folder(tmp_path) -> Path:
    """An empty folder of its own (tmp_path also holds the test's HOME and working folder)."""
    path = tmp_path / "checkpoints"
    path.mkdir()
    return path


@pytest.fixture
def saved(folder) -> Path:
    path = folder / "net.pt"
    save_checkpoint(path, small_net("mlp"), {"note": "original"})
    return path


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(SPECS))
def test_round_trip_keeps_outputs_architecture_and_metadata(tmp_path, kind):
    net = small_net(kind, seed=3)
    if net.spec.kind == "cnn":
        net.train()
        with torch.no_grad():
            for seed in range(3):  # move the batch-norm running statistics off their defaults
                net(batch(8, seed) * 3)
    metadata = {
        "epochs": 1.5,
        "steps": 42,
        "reason": "completed",
        "config": {"arch": kind, "augment": True, "seed": None},
        "history": [0.5, 0.75, (1, 2)],
    }
    path = tmp_path / "net.pt"
    save_checkpoint(path, net, metadata)
    loaded, loaded_metadata = load_checkpoint(path)
    assert loaded.spec == net.spec
    assert loaded_metadata == metadata
    assert not loaded.training  # ready to predict
    x = batch()
    torch.testing.assert_close(outputs(loaded, x), outputs(net, x), rtol=0, atol=0)
    for name, value in net.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], value), name


def test_save_replaces_an_existing_checkpoint(saved):
    other = small_net("cnn", seed=9)
    save_checkpoint(saved, other, {"note": "second"})
    loaded, metadata = load_checkpoint(saved)
    assert loaded.spec == other.spec
    assert metadata == {"note": "second"}
    assert sorted(p.name for p in saved.parent.iterdir()) == ["net.pt"]  # no temporary files


def test_metadata_that_could_not_be_loaded_back_is_refused_at_save_time(saved):
    before = saved.read_bytes()
    for bad in ({"accuracy": np.float64(0.9)}, {"shape": np.array([1, 2])}, {"f": print}, {"p": Path("x")}):
        with pytest.raises(CheckpointError, match="metadata"):
            save_checkpoint(saved, small_net(), bad)
        assert saved.read_bytes() == before
    assert sorted(p.name for p in saved.parent.iterdir()) == ["net.pt"]


# --- files that must be refused --------------------------------------------------------------


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("first half", "damaged"),
        ("last byte missing", "damaged"),
        ("empty", "damaged"),
        ("random bytes", "damaged"),
        ("flipped byte in the weights", "damaged"),
        ("flipped byte at the start", "damaged"),
        ("flipped byte at the end", "damaged"),
    ],
)
def test_damaged_file_is_refused(saved, damage, message):
    content = saved.read_bytes()
    middle = len(content) // 2
    damaged = {
        "first half": content[:middle],
        "last byte missing": content[:-1],
        "empty": b"",
        "random bytes": np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes(),
        "flipped byte in the weights": content[:middle]
        + bytes([content[middle] ^ 0x10])
        + content[middle + 1 :],
        "flipped byte at the start": content[:40] + bytes([content[40] ^ 0x10]) + content[41:],
        "flipped byte at the end": content[:-30] + bytes([content[-30] ^ 0x10]) + content[-29:],
    }[damage]
    assert damaged != content
    with pytest.raises(CheckpointError, match=message) as caught:
        load_checkpoint(write(saved, damaged))
    assert str(caught.value).startswith("net.pt ")  # names the file, in one readable sentence
    assert "\n" not in str(caught.value)


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match=r"missing\.pt does not exist"):
        load_checkpoint(tmp_path / "missing.pt")


def test_directory(tmp_path):
    folder = tmp_path / "folder.pt"
    folder.mkdir()
    with pytest.raises(CheckpointError, match="is a folder"):
        load_checkpoint(folder)


def test_unreadable_file(saved):
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their permissions")
    saved.chmod(0)
    with pytest.raises(CheckpointError, match="permission denied"):
        load_checkpoint(saved)


def test_other_shapes_are_refused(tmp_path):
    net = small_net("mlp")
    state = {k: v.clone() for k, v in net.state_dict().items()}
    state["stages.0.1.weight"] = torch.zeros(33, 784)  # the spec says 32 units
    path = tmp_path / "shape.pt"
    torch.save(payload_of(net, state_dict=state), path)
    with pytest.raises(CheckpointError, match="other shapes or names"):
        load_checkpoint(path)


def test_weights_of_another_architecture_are_refused(tmp_path):
    cnn, mlp = small_net("cnn"), small_net("mlp")
    path = tmp_path / "mixed.pt"
    torch.save(payload_of(mlp, state_dict=cnn.state_dict()), path)  # says mlp, holds a cnn
    with pytest.raises(CheckpointError, match="other shapes or names"):
        load_checkpoint(path)


def test_missing_and_extra_weights_are_refused(tmp_path):
    net = small_net("mlp")
    state = dict(net.state_dict())
    path = tmp_path / "keys.pt"
    torch.save(payload_of(net, state_dict={k: v for k, v in state.items() if "stages.1" not in k}), path)
    with pytest.raises(CheckpointError, match="other shapes or names"):
        load_checkpoint(path)
    torch.save(payload_of(net, state_dict={**state, "extra.weight": torch.zeros(3)}), path)
    with pytest.raises(CheckpointError, match="other shapes or names"):
        load_checkpoint(path)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format_version": 99}, "newer digitpad"),
        ({"format": "something-else"}, "not a digitpad checkpoint"),
        ({"arch": {"kind": "transformer"}}, "unknown network architecture"),
        ({"arch": "mlp"}, "unknown network architecture"),
        ({"arch": {"kind": "mlp", "hidden": [0]}}, "unknown network architecture"),
        ({"state_dict": None}, "holds no weights"),
    ],
)
def test_bad_payload_fields_are_refused(tmp_path, changes, message):
    path = tmp_path / "bad.pt"
    torch.save(payload_of(small_net(), **changes), path)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)


def test_a_bare_state_dict_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "bare.pt"
    torch.save(small_net().state_dict(), path)
    with pytest.raises(CheckpointError, match="not a digitpad checkpoint"):
        load_checkpoint(path)


@pytest.mark.parametrize("bad_value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_weights_are_refused(tmp_path, bad_value):
    net = small_net("mlp")
    with torch.no_grad():
        net.stages[1][0].weight[3, 7] = bad_value
    path = tmp_path / "nan.pt"
    torch.save(payload_of(net), path)
    with pytest.raises(CheckpointError, match="NaN or infinity"):
        load_checkpoint(path)


class Exploit:
    """Unpickling this calls open(marker, "w"): creating a file proves code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("writer", ["torch.save", "pickle"])
def test_malicious_pickle_never_runs(tmp_path, writer):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    evil = payload_of(small_net(), metadata={"x": Exploit(marker)})
    if writer == "torch.save":
        torch.save(evil, path)
    else:
        path.write_bytes(pickle.dumps(evil))
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
    assert not marker.exists()
    # The file really is armed: an unsafe load would have created the marker.
    if writer == "torch.save":
        handle = torch.load(path, weights_only=False)
    else:
        handle = pickle.loads(path.read_bytes())
    handle["metadata"]["x"].close()
    assert marker.exists()


# --- saving safely ---------------------------------------------------------------------------


KILL_MID_SAVE = textwrap.dedent(
    """
    import sys, time
    import torch
    from model.checkpoint import save_checkpoint
    from model.networks import build_network

    real_save = torch.save

    def slow_save(obj, out):
        # Write the first half of the real bytes, then hang: the parent kills us here.
        import io
        buffer = io.BytesIO()
        real_save(obj, buffer)
        data = buffer.getvalue()
        out.write(data[: len(data) // 2])
        out.flush()
        print("half written", flush=True)
        time.sleep(60)
        out.write(data[len(data) // 2 :])

    torch.save = slow_save
    save_checkpoint(sys.argv[1], build_network("mlp", seed=1), {"note": "replacement"})
    """
)


def test_killed_mid_save_leaves_the_previous_file_intact(saved):
    before = saved.read_bytes()
    child = subprocess.Popen(
        [sys.executable, "-c", KILL_MID_SAVE, str(saved)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        line = child.stdout.readline()
        assert line.strip() == "half written", child.stderr.read()
        temporaries = [p for p in saved.parent.iterdir() if p.name != saved.name]
        assert len(temporaries) == 1 and temporaries[0].stat().st_size > 0  # the new bytes go there
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    assert saved.read_bytes() == before
    _, metadata = load_checkpoint(saved)
    assert metadata == {"note": "original"}


@pytest.mark.parametrize("where", ["parent is a file", "parent is missing"])
def test_unwritable_destination(tmp_path, where):
    blocker = tmp_path / "blocker"
    if where == "parent is a file":
        blocker.write_text("a file, not a folder")
    with pytest.raises(CheckpointError, match="Cannot write to"):
        save_checkpoint(blocker / "net.pt", small_net())


def test_read_only_folder(saved):
    folder = saved.parent
    folder.chmod(0o500)
    try:
        probe = folder / "probe"
        try:
            probe.write_bytes(b"")
        except PermissionError:
            pass
        else:
            probe.unlink()
            pytest.skip("this user (root) can write into read-only folders")
        before = saved.read_bytes()
        with pytest.raises(CheckpointError):
            save_checkpoint(saved, small_net("cnn"))
        assert saved.read_bytes() == before
    finally:
        folder.chmod(0o700)


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), RuntimeError("disk")])
def test_failure_while_writing_keeps_the_old_file_and_no_temporary(saved, monkeypatch, failure):
    before = saved.read_bytes()

    def failing_fsync(fd: int) -> None:
        raise failure

    monkeypatch.setattr(checkpoint.os, "fsync", failing_fsync)
    with pytest.raises(CheckpointError, match="previous file is unchanged"):
        save_checkpoint(saved, small_net("cnn"))
    assert saved.read_bytes() == before
    assert sorted(p.name for p in saved.parent.iterdir()) == ["net.pt"]


def test_interrupted_save_leaves_no_temporary(saved, monkeypatch):
    before = saved.read_bytes()

    def interrupted(obj, out) -> None:
        out.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint.torch, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(saved, small_net())
    assert saved.read_bytes() == before
    assert sorted(p.name for p in saved.parent.iterdir()) == ["net.pt"]


def test_saving_over_a_folder_fails_cleanly(folder):
    target = folder / "net.pt"
    (target / "inside").mkdir(parents=True)
    with pytest.raises(CheckpointError, match="previous file is unchanged"):
        save_checkpoint(target, small_net())
    assert sorted(p.name for p in folder.iterdir()) == ["net.pt"]
    assert target.is_dir()

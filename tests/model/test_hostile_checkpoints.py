"""Checkpoints whose parts are hostile: architectures no machine could build, numbers that are
finite in the file but not in the network, and metadata that is not plain data.

Every generated file must either open as a working network (finite weights, finite answers,
metadata that can be saved again) or be refused with a CheckpointError sentence naming it.
"""

from __future__ import annotations

import math
import sys

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.arch_limits import MAX_PARAMETERS
from model.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from model.networks import ArchSpec, build_network, count_parameters
from model.plain_data import MAX_DEPTH, NotPlainData, check_plain
from tools import hostile_files as hostile

FIELDS = ("kind", "hidden", "channels", "fc", "dropout", "kernels", "pool_first")
GENERATED = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

hostile_scalars = st.one_of(
    st.integers(-(10**30), 10**30),
    st.integers(0, 8192),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1.5, 32.0, True, False, None, "32", "", float("inf"), float("nan")]),
    st.builds(lambda: 10**400),
    st.text(max_size=8),
)
hostile_values = st.one_of(
    hostile_scalars,
    st.lists(st.one_of(st.integers(-5, 5000), hostile_scalars), max_size=12),
    st.lists(st.lists(st.integers(1, 64), max_size=3), max_size=3),
    st.dictionaries(st.text(max_size=4), hostile_scalars, max_size=3),
)
arch_dicts = st.fixed_dictionaries(
    {"kind": st.one_of(st.sampled_from(["cnn", "mlp"]), hostile_scalars)},
    optional={
        "hidden": st.one_of(st.lists(st.integers(1, 600), min_size=1, max_size=9), hostile_values),
        "channels": st.one_of(st.lists(st.integers(1, 48), min_size=1, max_size=4), hostile_values),
        "fc": st.one_of(st.integers(0, 300), hostile_values),
        "dropout": st.one_of(st.floats(0, 0.99), hostile_values),
        "kernels": st.one_of(st.lists(st.sampled_from([1, 3, 5, 7]), min_size=1, max_size=3), hostile_values),
        "pool_first": st.one_of(st.booleans(), hostile_values),
    },
)


@GENERATED
@given(data=st.one_of(arch_dicts, hostile_values))
def test_arch_dicts_are_built_within_bounds_or_refused_naming_the_field(data):
    try:
        spec = ArchSpec.from_dict(data)
    except (TypeError, ValueError) as error:
        message = str(error)
        assert any(field in message for field in (*FIELDS, "architecture", "parameters")), message
        assert "\n" not in message and len(message) < 300
        return
    assert spec.parameters <= MAX_PARAMETERS
    assert all(type(n) is int and 1 <= n <= 4096 for n in (*spec.hidden, *spec.channels))
    assert type(spec.pool_first) is bool and 0 <= spec.dropout < 1
    if spec.parameters < 3_000_000:  # build the small ones: the count worked out must be the truth
        assert count_parameters(build_network(spec)) == spec.parameters


@pytest.mark.parametrize(
    ("arch", "field"),
    [
        ({"kind": "mlp", "hidden": [10**12]}, "hidden"),
        ({"kind": "mlp", "hidden": [float("inf")]}, "hidden"),
        ({"kind": "mlp", "hidden": [64] * 9}, "hidden"),
        ({"kind": "cnn", "channels": [4096, 4096, 4096], "kernels": [27, 27, 27]}, "parameters"),
        ({"kind": "cnn", "channels": [32], "kernels": [29]}, "kernels"),
        ({"kind": "cnn", "fc": 4097}, "fc"),
        ({"kind": "cnn", "fc": "128"}, "fc"),
        ({"kind": "cnn", "pool_first": "no"}, "pool_first"),
        ({"kind": "cnn", "dropout": float("nan")}, "dropout"),
        ({"kind": "mlp", "hidden": 256}, "hidden"),
    ],
)
def test_a_checkpoint_of_an_absurd_architecture_is_refused_before_allocation(tmp_path, arch, field):
    path = hostile.checkpoint_file(tmp_path / "absurd.pt", hostile.payload(arch=arch))
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    message = str(caught.value)
    assert message.startswith("absurd.pt describes") and field in message


# -- numbers -----------------------------------------------------------------------------------
DTYPES = [
    torch.float16,
    torch.bfloat16,
    torch.float32,
    torch.float64,
    torch.complex64,
    torch.int64,
    torch.bool,
]
SPECIAL = [0.0, 1.0, -2.5, 1e-3, 1e38, 3e38, 1e300, -1e300, math.inf, -math.inf, math.nan, 65504.0, 7e4]


@GENERATED
@given(
    entries=st.lists(
        st.tuples(st.integers(0, 10), st.sampled_from(DTYPES), st.sampled_from(SPECIAL), st.integers(0, 20)),
        min_size=1,
        max_size=4,
    ),
    scale=st.sampled_from([1.0, 1e20, 1e36]),
)
def test_generated_weights_open_as_a_working_network_or_are_refused(tmp_path, entries, scale):
    """Poison some entries of a real state dict (a dtype, a special value at some place, a
    scale): whatever opens must have finite weights and give finite answers."""
    net = build_network(ArchSpec("cnn", channels=(4,), fc=8), seed=0)
    state = {k: v.clone() for k, v in net.state_dict().items()}
    keys = sorted(state)
    for which, dtype, value, place in entries:
        key = keys[which % len(keys)]
        original = net.state_dict()[key]
        floating = original.is_floating_point()
        tensor = original.to(torch.float64) * (scale if floating else 1)
        flat = tensor.reshape(-1)
        flat[place % flat.numel()] = value if math.isfinite(value) or floating else 0
        state[key] = tensor.to(dtype)
    path = hostile.checkpoint_file(tmp_path / "numbers.pt", hostile.payload(net, state_dict=state))
    try:
        loaded, _ = load_checkpoint(path)
    except CheckpointError as error:
        assert str(error).startswith("numbers.pt ") and "\n" not in str(error)
        return
    assert all(bool(torch.isfinite(t).all()) for t in loaded.state_dict().values() if t.is_floating_point())
    with torch.no_grad():
        assert bool(torch.isfinite(loaded(torch.rand(4, 1, 28, 28))).all())


@pytest.mark.parametrize(
    ("poison", "words"),
    [
        (lambda t: t.double().fill_(1e300), "32-bit"),
        (lambda t: t.to(torch.complex64), "complex"),
        (lambda t: t.half().fill_(math.inf), "NaN or infinity"),
        (lambda t: t.bfloat16().fill_(math.nan), "NaN or infinity"),
        (lambda t: t.fill_(3e38), "far too large"),
        (lambda t: t.fill_(2e6), "far too large"),
        (lambda t: t.to(torch.int32), "wrong kind"),
        (lambda t: t.to_sparse(), "other than weights"),
        (lambda t: torch.zeros(1).expand(10**12), "other shapes"),
    ],
)
def test_each_kind_of_unusable_number_is_named(tmp_path, poison, words):
    net = build_network(ArchSpec("mlp", hidden=(8,)), seed=0)
    state = {k: v.clone() for k, v in net.state_dict().items()}
    state["stages.0.1.weight"] = poison(state["stages.0.1.weight"])
    path = hostile.checkpoint_file(tmp_path / "poisoned.pt", hostile.payload(net, state_dict=state))
    with pytest.raises(CheckpointError, match=words):
        load_checkpoint(path)


def test_negative_running_variances_are_refused(tmp_path):
    net = build_network(ArchSpec("cnn", channels=(4,), fc=8), seed=0)
    state = {k: v.clone() for k, v in net.state_dict().items()}
    state["stages.0.2.running_var"].fill_(-4.0)
    path = hostile.checkpoint_file(tmp_path / "variance.pt", hostile.payload(net, state_dict=state))
    with pytest.raises(CheckpointError, match="negative variances"):
        load_checkpoint(path)


# -- metadata ----------------------------------------------------------------------------------
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**40), 10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.binary(max_size=20),
    st.builds(torch.zeros, st.integers(0, 4)),
    st.sampled_from([torch.float32, torch.Size([2, 3])]),
    st.builds(lambda: "x" * 50_000),
    st.builds(lambda: 10**5000),
)
metadata_values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.one_of(st.text(max_size=6), st.integers(-3, 3)), inner, max_size=4),
    ),
    max_leaves=30,
)


def deep_nest(depth: int) -> list:
    nest: list = []
    for _ in range(depth):
        nest = [nest]
    return nest


@GENERATED
@given(
    metadata=st.dictionaries(st.text(max_size=8), metadata_values, max_size=6),
    depth=st.sampled_from([0, 40, 5000]),
)
def test_hostile_metadata_opens_as_plain_data_that_saves_again(tmp_path, metadata, depth):
    if depth:
        metadata = {**metadata, "deep": deep_nest(depth)}
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 3 * depth + 1000))  # torch.save's pickler recurses to write it
    try:
        path = hostile.checkpoint_file(tmp_path / "meta.pt", hostile.payload(metadata=metadata))
    finally:
        sys.setrecursionlimit(limit)
    try:
        net, opened = load_checkpoint(path)
    except CheckpointError as error:  # what torch's safe loader refuses (an integer of 5,000 digits)
        assert str(error).startswith("meta.pt ") and "\n" not in str(error)
        return
    check_plain(opened)  # plain, at most MAX_DEPTH deep, bounded in size
    save_checkpoint(tmp_path / "again.pt", net, opened)
    again = load_checkpoint(tmp_path / "again.pt")[1]
    assert repr(again) == repr(opened)  # repr: NaN is not equal to itself, but prints the same


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 10_000, 200_000])
def test_saving_deeply_nested_metadata_is_refused_with_a_sentence(tmp_path, depth):
    with pytest.raises(CheckpointError, match="nested more than"):
        save_checkpoint(tmp_path / "deep.pt", build_network(hostile.SMALL_SPEC), {"deep": deep_nest(depth)})
    assert not (tmp_path / "deep.pt").exists()


def test_check_plain_names_what_is_not_plain():
    with pytest.raises(NotPlainData, match="bytes"):
        check_plain({"a": [1, {"b": b"x"}]})
    check_plain({"a": [1, 2.5, None, True, "s", (3,), {"k": -1}]})

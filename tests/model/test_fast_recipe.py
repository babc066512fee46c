"""The faster CNN layout, the fast recipe and their options: small, Qt-free, no MNIST needed."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F

from model import cli, training
from model.checkpoint import DEFAULT_WEIGHTS, load_checkpoint, save_checkpoint
from model.messages import RECIPES, EvalProgress, EvalResult, TrainConfig, TrainFinished, longer_config
from model.networks import ArchSpec, DigitNet, MaxPool, build_network
from model.training import TrainingData, train_steps


@pytest.fixture
def bar_data(bars) -> TrainingData:
    return TrainingData.from_dataset(bars)


def test_default_spec_is_the_fast_layout():
    spec = ArchSpec()
    assert spec.kind == "cnn" and spec.pool_first
    assert spec.kernels == (5, 3)  # () is made concrete, so checkpoints store real sizes
    assert ArchSpec.from_dict(spec.to_dict()) == spec


def test_old_checkpoint_specs_keep_their_layout():
    """Specs saved before kernels / pool_first existed: 3x3 kernels, pooling last."""
    old = {"kind": "cnn", "hidden": [256, 128], "channels": [32, 64], "fc": 128, "dropout": 0.25}
    spec = ArchSpec.from_dict(old)
    assert spec.kernels == (3, 3) and not spec.pool_first
    names = set(DigitNet(spec).state_dict())
    assert "stages.0.1.running_mean" in names  # conv, norm, relu, pool: as the old weights expect


def test_shipped_weights_still_load_and_predict():
    net, _ = load_checkpoint(DEFAULT_WEIGHTS)
    probabilities, layers = net.forward_with_activations(torch.zeros(1, 28, 28))
    assert probabilities.shape == (10,) and abs(probabilities.sum() - 1) < 1e-5
    assert [layer.name for layer in layers][:3] == ["input", "conv 1", "conv 2"]


@pytest.mark.parametrize(
    "spec",
    [
        ArchSpec(),
        ArchSpec("cnn", channels=(4, 8, 8), kernels=(3, 3, 3), fc=0),
        ArchSpec("cnn", channels=(6,), fc=12, pool_first=False),
        ArchSpec("cnn", channels=(4, 8), kernels=(7, 5), fc=0, dropout=0.2),
    ],
)
def test_cnn_variants_run_show_their_stages_and_round_trip(spec, tmp_path):
    net = build_network(spec, seed=0)
    _, layers = net.forward_with_activations(torch.rand(1, 28, 28))
    names = [layer.name for layer in layers]
    assert names[0] == "input" and names[-1] == "output"
    assert names[1 : 1 + len(spec.channels)] == [f"conv {i}" for i in range(1, len(spec.channels) + 1)]
    assert ("dense" in names) == bool(spec.fc)
    size = 28
    for channels, layer in zip(spec.channels, layers[1:], strict=False):
        size //= 2
        assert layer.shape == (channels, size, size)
        assert layer.values.flags["C_CONTIGUOUS"]  # a plain copy, whatever the memory format
    path = tmp_path / "net.pt"
    save_checkpoint(path, net)
    loaded, _ = load_checkpoint(path)
    assert loaded.spec == spec
    x = torch.rand(3, 1, 28, 28)
    net.eval()
    with torch.no_grad():
        assert torch.allclose(loaded(x), net(x))


@pytest.mark.parametrize(
    "bad",
    [
        {"channels": (4, 8, 8, 8)},
        {"channels": (4, 8), "kernels": (3,)},
        {"kernels": (4, 3)},
        {"fc": -1},
        {"dropout": 1.0},
    ],
)
def test_arch_spec_rejects_bad_values(bad):
    with pytest.raises(ValueError):
        ArchSpec("cnn", **bad)


@pytest.mark.parametrize("shape", [(5, 16, 28, 28), (2, 8, 7, 7), (1, 4, 14, 14)])
def test_max_pool_without_gradients_matches_torch(shape):
    x = torch.randn(*shape).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        assert torch.equal(MaxPool()(x), F.max_pool2d(x, 2))
    y = torch.randn(*shape, requires_grad=True)
    out = MaxPool()(y)
    assert torch.equal(out, F.max_pool2d(y, 2))
    out.sum().backward()
    assert y.grad is not None and y.grad.sum() == out.numel()


@pytest.mark.parametrize(
    "bad",
    [{"precision": "float16"}, {"betas": (0.9, 1.0)}, {"betas": (0.9,)}, {"eval_from": -1.0}],
)
def test_train_config_rejects_bad_new_values(bad):
    with pytest.raises(ValueError):
        TrainConfig(**bad)


def test_the_train_buttons_default_is_the_quick_recipe_and_longer_is_the_other():
    quick = TrainConfig()
    assert RECIPES["quick"](60_000) == quick and RECIPES["longer"](60_000) == longer_config()
    # As many digits on a smaller set: the practice set's 4,500 get 9.3 passes, not 0.7.
    assert RECIPES["quick"](4_500) == replace(quick, epochs=9.3, eval_from=6.7, evals_per_epoch=1)
    assert RECIPES["longer"](4_500) == longer_config()
    assert not quick.augment and quick.eval_from > 0 and quick.label_smoothing > 0 and quick.epochs < 1
    longer = longer_config(seed=3)
    assert longer.seed == 3 and longer.augment and longer.epochs >= 10
    assert longer.label_smoothing == 0  # the shipped weights' recipe: calibrated probabilities


@pytest.mark.parametrize("bad", [-0.1, 0.6, float("nan"), "0.1"])
def test_label_smoothing_out_of_range_is_refused_naming_it(bad):
    with pytest.raises(ValueError, match="label smoothing"):
        TrainConfig(label_smoothing=bad)


def test_the_loss_shown_is_plain_cross_entropy_whatever_the_smoothing(bar_data):
    """Smoothing changes what is optimised, not what the plot calls the loss."""
    shown = {}
    for smoothing in (0.0, 0.3):
        net = build_network("mlp", seed=0)
        config = TrainConfig(arch="mlp", batch_size=20, epochs=0.1, augment=False, label_smoothing=smoothing)
        first = next(m for m in train_steps(net, bar_data, config) if not isinstance(m, EvalResult))
        shown[smoothing] = first.loss
    # Both first batches see the same untrained network and the same digits.
    assert shown[0.3] == pytest.approx(shown[0.0], rel=1e-5)


def test_no_evaluation_before_eval_from(bar_data):
    # 200 images in batches of 20: ten steps per epoch, an evaluation every 2 steps from epoch 1.
    config = TrainConfig(arch="mlp", batch_size=20, augment=False, epochs=2, evals_per_epoch=5, eval_from=1.0)
    messages = list(train_steps(build_network("mlp", seed=0), bar_data, config))
    assert [m.step for m in messages if isinstance(m, EvalResult)] == [10, 12, 14, 16, 18, 20]


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_cnn_trains_in_either_precision(bar_data, precision):
    net = build_network(ArchSpec("cnn", channels=(4, 8), fc=16), seed=0)
    config = TrainConfig(batch_size=20, epochs=0.5, evals_per_epoch=0, precision=precision)
    messages = list(train_steps(net, bar_data, config))
    assert isinstance(messages[-1], TrainFinished) and messages[-1].reason == "completed"
    assert all(p.dtype == torch.float32 for p in net.parameters())  # autocast keeps float32 weights


def test_auto_precision_follows_the_cpu(monkeypatch):
    monkeypatch.setattr(training, "native_bfloat16", lambda: False)
    assert not training.uses_bfloat16(TrainConfig())
    assert training.uses_bfloat16(TrainConfig(precision="bfloat16"))
    monkeypatch.setattr(training, "native_bfloat16", lambda: True)
    assert training.uses_bfloat16(TrainConfig())
    assert not training.uses_bfloat16(TrainConfig(precision="float32"))


def test_cli_recipe_with_overrides():
    args = cli.build_parser().parse_args(["train", "--recipe", "longer", "--seed", "4", "--epochs", "0.5"])
    config = cli.recipe_config(args)
    assert config == longer_config(seed=4, epochs=0.5)
    default = cli.recipe_config(cli.build_parser().parse_args(["train", "--label-smoothing", "0"]))
    assert default == TrainConfig(label_smoothing=0.0)


def test_cli_until_accuracy_with_the_quick_recipe(bars, monkeypatch, capsys):
    monkeypatch.setattr(cli, "load_dataset", lambda *args, **kwargs: bars)
    code = cli.main(
        ["train", "--recipe", "quick", "--arch", "mlp", "--batch-size", "20", "--epochs", "3",
         "--eval-from", "0", "--until-accuracy", "0.5"]
    )  # fmt: skip
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["reason"] == "target reached" and summary["epochs"] < 3
    # A few steps on 200 tiny images can round to 0.00 s of training; the wall clock cannot.
    assert summary["wall_seconds"] >= summary["train_seconds"] >= 0 and summary["wall_seconds"] > 0


def with_big_test_set(data: TrainingData) -> TrainingData:
    """The same training set with its test set repeated 12 times (1,200 images)."""
    return TrainingData(
        data.name, data.train_x, data.train_y, data.test_x.repeat(12, 1, 1, 1), data.test_y.repeat(12)
    )


def test_evaluation_can_pause_between_batches(bar_data):
    """A validation pass yields between its batches, so the trainer can serve requests meanwhile."""
    big = with_big_test_set(bar_data)  # 1,200 test images: three batches of 500
    net = build_network("mlp", seed=0)
    config = TrainConfig(arch="mlp", batch_size=20, augment=False, epochs=0.1, evals_per_epoch=0)
    run = train_steps(net, big, config)
    seen = []
    for message in run:
        seen.append(message)
        if isinstance(message, EvalProgress):
            assert not net.training  # paused mid-pass, still in eval mode
    parts = [(m.done, m.total) for m in seen if isinstance(m, EvalProgress)]
    assert parts == [(500, 1200), (1000, 1200)]
    result = next(m for m in seen if isinstance(m, EvalResult))
    assert result.accuracy == pytest.approx(training.evaluate(net, big.test_x, big.test_y)[1])

    net = build_network("mlp", seed=0)
    run = train_steps(net, big, config)
    next(m for m in run if isinstance(m, EvalProgress))
    run.close()  # stopped mid-evaluation
    assert net.training


def test_session_slices_end_mid_evaluation(bar_data):
    from model.session import ModelSession

    big = with_big_test_set(bar_data)
    session = ModelSession()
    session.new_network("mlp", seed=0)
    session.use_training_data(big)
    session.start_training(
        TrainConfig(arch="mlp", batch_size=20, augment=False, epochs=0.1, evals_per_epoch=0)
    )
    slices = []
    while session.training:
        slices.append(session.train_for(0.0))  # one message at a time
    kinds = [[type(m).__name__ for m in s] for s in slices]
    assert ["TrainProgress"] in kinds and [] in kinds  # a slice that ended mid-evaluation
    assert kinds[-1] == ["EvalResult", "TrainFinished"] or kinds[-2:] == [["EvalResult"], ["TrainFinished"]]


def test_the_shipped_network_is_the_default_one_that_train_and_new_give():
    assert load_checkpoint(DEFAULT_WEIGHTS)[0].spec == ArchSpec()


def test_cli_spec_rebuilds_a_network_shape():
    older = '{"channels": [32, 64], "kernels": [3, 3], "fc": 128, "dropout": 0.25, "pool_first": false}'
    expected = ArchSpec(channels=(32, 64), kernels=(3, 3), fc=128, dropout=0.25, pool_first=False)
    assert cli.arch_spec("cnn", older) == expected
    assert cli.arch_spec("cnn", None) == "cnn"
    for bad in ("[1, 2]", '{"kind": "mlp"}', '{"channels": [0]}', "{nope"):
        with pytest.raises(ValueError):
            cli.arch_spec("cnn", bad)

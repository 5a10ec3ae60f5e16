"""DualTaskModel: shapes, parameter counts and the shared/head split."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from core.model import PRESETS, SHARED_BLOCKS, DualTaskModel, ModelPreset
from core.model.layers import LastStepAttention


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def _windows(batch: int = 5, window: int = 30, features: int = 14) -> torch.Tensor:
    return torch.randn(batch, window, features)


def _ids(params: list[nn.Parameter]) -> set[int]:
    return {id(p) for p in params}


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_gives_one_rul_and_three_logits_per_window(name: str) -> None:
    model = DualTaskModel(14, name).eval()
    rul, logits = model(_windows(batch=7))
    assert rul.shape == (7,)
    assert logits.shape == (7, 3)
    assert model.representation(_windows(batch=7)).shape == (7, PRESETS[name].funnel_widths[-1])


def _paper_count_by_hand(f: int) -> dict[str, int]:
    """The paper preset of docs/model.md, layer by layer."""
    conv = (f * 64 * 3 + 64) + (64 * 128 * 3 + 128) + (128 * 64 * 3 + 64)
    batch_norm = 2 * (64 + 128 + 64)
    # Per direction: 4 gates x (input + hidden) weights + two bias vectors.
    lstm_1 = 2 * (4 * 256 * (64 + 256) + 2 * 4 * 256)
    lstm_2 = 2 * (4 * 256 * (512 + 256) + 2 * 4 * 256)
    attention = (3 * 512 * 512 + 3 * 512) + (512 * 512 + 512) + 2 * 512  # in, out, LayerNorm
    funnel = (512 * 256 + 256) + (256 * 64 + 64) + (64 * 32 + 32)
    rul = (32 * 64 + 64) + (64 * 32 + 32) + (32 * 16 + 16) + (16 + 1)
    health = (32 * 32 + 32) + (32 * 16 + 16) + (16 * 3 + 3)
    shared = conv + batch_norm + lstm_1 + lstm_2 + attention + funnel
    return {"shared": shared, "rul_head": rul, "health_head": health}


def test_paper_preset_has_the_books_3_5m_parameters_99_percent_shared() -> None:
    counts = DualTaskModel(14, "paper").count_parameters()
    by_hand = _paper_count_by_hand(14)
    assert {k: counts[k] for k in by_hand} == by_hand
    assert counts["total"] == sum(by_hand.values()) == 3_496_900
    assert 3.3e6 < counts["total"] < 3.7e6
    assert 0.99 < counts["shared_share"] < 1.0


def test_smaller_presets_are_much_smaller_and_mostly_shared() -> None:
    paper, compact, tiny = (DualTaskModel(14, n).count_parameters()["total"] for n in PRESETS)
    assert tiny < compact / 10 < paper / 100
    assert DualTaskModel(14, "compact").count_parameters()["shared_share"] > 0.95


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_parameter_groups_are_disjoint_and_cover_the_model(name: str) -> None:
    model = DualTaskModel(14, name)
    groups = model.parameter_groups()
    shared, rul, health = (_ids(groups[g]) for g in ("shared", "rul_head", "health_head"))
    assert not shared & rul and not shared & health and not rul & health
    assert shared | rul | health == _ids(list(model.parameters()))
    counts = model.count_parameters()
    assert counts["total"] == sum(p.numel() for p in model.parameters())


def test_blocks_are_the_shared_parameters_in_forward_order() -> None:
    model = DualTaskModel(14, "tiny")
    blocks = model.blocks()
    assert tuple(blocks) == SHARED_BLOCKS == ("cnn", "bilstm", "attention", "funnel")
    flat = [p for params in blocks.values() for p in params]
    assert [id(p) for p in flat] == [id(p) for p in model.parameter_groups().shared]
    assert all(blocks[name] for name in SHARED_BLOCKS)


def test_each_head_is_reached_only_by_its_own_task() -> None:
    model = DualTaskModel(14, "tiny")
    rul, logits = model(_windows())
    groups = model.parameter_groups()
    everything = groups.shared + groups.rul_head + groups.health_head
    rul_grads = torch.autograd.grad(rul.sum(), everything, allow_unused=True, retain_graph=True)
    health_grads = torch.autograd.grad(logits.sum(), everything, allow_unused=True)
    n_shared, n_rul = len(groups.shared), len(groups.rul_head)
    assert all(g is None for g in rul_grads[n_shared + n_rul :])
    assert all(g is None for g in health_grads[n_shared : n_shared + n_rul])
    assert all(g is not None for g in health_grads[:n_shared])


def test_final_relu_keeps_rul_non_negative() -> None:
    model = DualTaskModel(14, "tiny").eval()
    last = model.rul_head[-2]
    assert isinstance(last, nn.Linear) and isinstance(model.rul_head[-1], nn.ReLU)
    x = 10 * _windows(batch=200)
    with torch.no_grad():
        before_relu = model.rul_head[:-1](model.representation(x)).squeeze(-1)
        last.bias -= before_relu.median()  # about half the windows now negative
        before_relu = model.rul_head[:-1](model.representation(x)).squeeze(-1)
        rul, _ = model(x)
    assert (before_relu < 0).any() and (before_relu > 0).any()
    torch.testing.assert_close(rul, before_relu.clamp_min(0.0))
    assert (rul >= 0).all()


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_rul_output_is_open_at_initialisation(name: str) -> None:
    # With PyTorch's default bias the final ReLU is closed for every window in
    # many seeds, and the RUL task then gets no gradient at all.
    for seed in range(2 if name == "paper" else 8):
        torch.manual_seed(seed)
        model = DualTaskModel(14, name)
        rul, _ = model(_windows(batch=64))
        assert (rul > 0).all(), f"seed {seed}"
        (grad,) = torch.autograd.grad(rul.sum(), [model.rul_head[-2].bias])
        assert grad.item() == 64.0


@pytest.mark.parametrize("name", ["tiny", "compact"])
def test_representation_then_heads_is_the_forward_pass(name: str) -> None:
    model = DualTaskModel(14, name).eval()
    x = _windows()
    rul, logits = model(x)
    rul_z, logits_z = model.heads(model.representation(x))
    torch.testing.assert_close(rul_z, rul)
    torch.testing.assert_close(logits_z, logits)


def test_representation_is_differentiable_for_a_probe() -> None:
    model = DualTaskModel(14, "tiny")
    z = model.representation(_windows()).detach().requires_grad_(True)
    rul, _ = model.heads(z)
    (grad_z,) = torch.autograd.grad(rul.sum(), z)
    assert grad_z.shape == z.shape


@pytest.mark.parametrize(("features", "window"), [(17, 30), (3, 1), (14, 50), (21, 7)])
def test_any_feature_count_and_window_length(features: int, window: int) -> None:
    model = DualTaskModel(features, "tiny").eval()
    rul, logits = model(_windows(batch=4, window=window, features=features))
    assert rul.shape == (4,) and logits.shape == (4, 3)
    assert torch.isfinite(rul).all() and torch.isfinite(logits).all()


def test_wrong_input_shape_is_a_clear_error() -> None:
    model = DualTaskModel(14, "tiny")
    with pytest.raises(ValueError, match=r"\(batch, window, 14\)"):
        model(_windows(features=17))
    with pytest.raises(ValueError, match="n_features"):
        DualTaskModel(0, "tiny")


def test_unknown_or_inconsistent_preset_is_refused() -> None:
    with pytest.raises(ValueError, match="compact, paper, tiny"):
        DualTaskModel(14, "huge")
    with pytest.raises(ValueError, match="must divide"):
        dataclasses.replace(PRESETS["tiny"], attention_heads=3)
    with pytest.raises(ValueError, match="kernel_size"):
        dataclasses.replace(PRESETS["tiny"], kernel_size=4)


def test_custom_preset_object_is_accepted() -> None:
    preset = dataclasses.replace(PRESETS["tiny"], name="mine", funnel_widths=(12, 6))
    assert isinstance(preset, ModelPreset)
    model = DualTaskModel(14, preset).eval()
    assert model.representation(_windows()).shape == (5, 6)
    assert preset.to_dict()["funnel_widths"] == (12, 6)


def test_last_step_attention_equals_full_self_attention_read_at_the_end() -> None:
    block = LastStepAttention(width=16, heads=4).eval()
    sequence = torch.randn(3, 9, 16)
    full, _ = block.attention(sequence, sequence, sequence, need_weights=False)
    expected = block.norm(sequence + full)[:, -1]
    torch.testing.assert_close(block(sequence), expected)


def test_single_layer_lstm_preset_builds_without_dropout_warning() -> None:
    # pytest turns warnings into errors: a dropout on a 1-layer LSTM would fail here.
    preset = dataclasses.replace(PRESETS["tiny"], lstm_layers=1, lstm_dropout=0.3)
    DualTaskModel(14, preset)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_the_shared_representation_is_never_dropped_out(name: str) -> None:
    """Dropout sits between funnel layers, never on the features both heads read.

    Dropping the representation made the eval-mode model a different model from
    the one trained (docs/recipe.md): through the heads' ReLUs the mean training
    prediction exceeds the prediction on the clean input.
    """
    torch.manual_seed(0)
    model = DualTaskModel(14, name)
    funnel = list(model.backbone.funnel)
    assert isinstance(funnel[-1], nn.ReLU)
    assert not any(isinstance(m, nn.Dropout) for m in (*model.rul_head, *model.health_head))
    # with the funnel's own dropout switched off, train-mode heads see exactly the eval input
    model.train()
    for module in model.modules():
        if isinstance(module, nn.Dropout | nn.LSTM | nn.BatchNorm1d):
            module.eval()
    x = torch.randn(8, 30, 14)
    train_mode = model(x)[0]
    model.eval()
    torch.testing.assert_close(train_mode, model(x)[0])


def test_checkpoint_names_of_the_funnel_are_unchanged() -> None:
    """The funnel's Linear layers keep their indices, so checkpoints saved before still load."""
    names = {
        k for k in DualTaskModel(14, "compact").state_dict() if k.startswith("backbone.funnel")
    }
    assert names == {f"backbone.funnel.{i}.{p}" for i in (0, 3) for p in ("weight", "bias")}

"""Balancing methods: each rule against values computed by hand."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from torchjd.aggregation import PCGradWeighting

from core.methods import (
    METHODS,
    TASKS,
    BalancingMethod,
    Hyperparameter,
    create_method,
    describe_methods,
    register,
)
from core.methods.gaba import floor_and_renormalise, inverse_norm_weights
from core.methods.registry import balancing_methods
from core.model import DualTaskModel

F64 = torch.float64
LOSSES = torch.tensor([2.0, 0.5])


def gram_of(*gradients: torch.Tensor) -> torch.Tensor:
    """Gram matrix of flat per-task gradients, in float64 as the trainer gives it."""
    stacked = torch.stack(gradients).to(F64)
    return stacked @ stacked.T


def gram_with_norms(n_rul: float, n_health: float, cosine: float = 0.0) -> torch.Tensor:
    c = cosine * n_rul * n_health
    return torch.tensor([[n_rul**2, c], [c, n_health**2]], dtype=F64)


def close(actual: torch.Tensor, expected: list[float] | torch.Tensor, tol: float = 1e-12) -> None:
    torch.testing.assert_close(
        actual.to(F64), torch.as_tensor(expected, dtype=F64), atol=tol, rtol=0
    )


# --------------------------------------------------------------- fixed, single-task
def test_tasks_are_ordered_rul_then_health() -> None:
    assert TASKS == ("rul", "health")


def test_fixed_defaults_to_half_half_and_lambdas_are_settable() -> None:
    default = create_method("fixed")
    close(default.current_weights(), [0.5, 0.5])
    assert default.combine(LOSSES).item() == pytest.approx(0.5 * 2.0 + 0.5 * 0.5)
    method = create_method("fixed", lambda_rul="0.7", lambda_health=0.3)
    assert method.params == {"lambda_rul": 0.7, "lambda_health": 0.3}
    assert method.combine(LOSSES).item() == pytest.approx(0.7 * 2.0 + 0.3 * 0.5)
    w = method.weigh(gram_with_norms(3.0, 1.0), LOSSES)
    close(w, [0.7, 0.3])
    close(method.head_weights(w), [0.7, 0.3])
    with pytest.raises(ValueError, match="cannot both be 0"):
        create_method("fixed", lambda_rul=0, lambda_health=0)


def test_single_task_trains_rul_only_and_ignores_a_nan_health_loss() -> None:
    method = create_method("single_task")
    assert not method.trains_health and not method.needs_gradients
    assert method.combine(torch.tensor([2.0, math.nan])).item() == 2.0
    close(method.current_weights(), [1.0, 0.0])
    close(method.head_weights(method.weigh(gram_with_norms(1, 1), LOSSES)), [1.0, 0.0])


# ------------------------------------------------------------------------- AMNL
def test_amnl_weights_are_2_at_failure_1_5_at_half_cap_1_at_and_above_cap() -> None:
    method = create_method("amnl")
    target = torch.tensor([0.0, 62.5, 125.0, 200.0])
    errors = torch.tensor([1.0, 2.0, 3.0, 4.0])
    # (2 * 1 + 1.5 * 4 + 1 * 9 + 1 * 16) / 4: a plain mean, not divided by sum w.
    assert method.rul_loss(target + errors, target).item() == pytest.approx(33.0 / 4.0)
    assert create_method("fixed").rul_loss(target + errors, target).item() == pytest.approx(7.5)
    close(method.current_weights(), [0.5, 0.5])


def test_amnl_r_max_moves_the_cap() -> None:
    method = create_method("amnl", r_max="50")
    target, pred = torch.tensor([25.0, 50.0]), torch.tensor([27.0, 52.0])
    assert method.rul_loss(pred, target).item() == pytest.approx((1.5 * 4 + 1 * 4) / 2)


# ------------------------------------------------------------------------- GABA
def test_gaba_raw_weights_are_inverse_to_the_gradient_norms() -> None:
    close(inverse_norm_weights(torch.tensor([3.0, 1.0], dtype=F64)), [0.25, 0.75])
    # K = 3: (sum - n_k) / ((K - 1) sum) = (5, 4, 3) / 12.
    close(inverse_norm_weights(torch.tensor([1.0, 2.0, 3.0], dtype=F64)), [5 / 12, 4 / 12, 3 / 12])
    close(inverse_norm_weights(torch.zeros(2, dtype=F64)), [0.5, 0.5])


def test_gaba_warm_up_uses_half_half_while_the_ema_learns() -> None:
    method = create_method("gaba")
    gram = gram_with_norms(3.0, 1.0)  # raw weights (1/4, 3/4)
    for _ in range(100):
        close(method.weigh(gram, LOSSES), [0.5, 0.5])
    ema_rul = 0.25 + 0.25 * 0.99**101  # from 0.5 toward 0.25, 101 updates
    w = method.weigh(gram, LOSSES)
    close(w, [ema_rul, 1 - ema_rul])
    close(method.current_weights(), w)
    close(method.head_weights(w), w)
    assert method.steps == 101


def test_gaba_ema_after_a_few_steps() -> None:
    method = create_method("gaba", beta=0.9, warmup_steps=0)
    close(method.weigh(gram_with_norms(3.0, 1.0), LOSSES), [0.475, 0.525])  # 0.9*.5 + .1*.25
    close(method.weigh(gram_with_norms(1.0, 1.0), LOSSES), [0.4775, 0.5225])  # 0.9*.475 + .05
    close(method.weigh(gram_with_norms(1.0, 4.0), LOSSES), [0.50975, 0.49025])  # + .1*.8


def test_gaba_measuring_every_few_steps_keeps_the_ema_horizon_in_steps() -> None:
    """With ``every=10`` the EMA decays by beta**10 per measurement: the same horizon in steps."""
    method = create_method("gaba", beta=0.9, warmup_steps=0, every=10)
    measured = [step for step in range(25) if method.begin_step(step)]
    assert measured == [0, 10, 20]
    method = create_method("gaba", beta=0.9, warmup_steps=0, every=10)
    assert method.begin_step(0)
    close(method.weigh(gram_with_norms(3.0, 1.0), LOSSES), [0.475, 0.525])  # one step's decay
    assert not method.begin_step(5)
    close(method.current_weights(), [0.475, 0.525])  # weights in force between measurements
    assert method.begin_step(10)
    rul = 0.9**10 * 0.475 + (1 - 0.9**10) * 0.8  # raw weights (0.8, 0.2) from norms (1, 4)
    close(method.weigh(gram_with_norms(1.0, 4.0), LOSSES), [rul, 1 - rul])
    assert method.steps == 11  # warm-up counts optimiser steps, not measurements


def test_gaba_floor_then_renormalise() -> None:
    close(
        floor_and_renormalise(torch.tensor([0.01, 0.99], dtype=F64), 0.05),
        [0.05 / 1.04, 0.99 / 1.04],
    )
    method = create_method("gaba", beta=0.0, warmup_steps=0)  # weights = raw weights
    w = method.weigh(gram_with_norms(99.0, 1.0), LOSSES)  # raw (0.01, 0.99)
    close(w, [0.05 / 1.04, 0.99 / 1.04])
    close(method.weigh(gram_with_norms(1.0, 99.0), LOSSES), [0.99 / 1.04, 0.05 / 1.04])


def test_gaba_returns_weights_in_the_grams_dtype() -> None:
    method = create_method("gaba")
    assert method.weigh(gram_with_norms(1, 2).float(), LOSSES).dtype == torch.float32


def test_grace_is_gaba_weights_with_amnl_loss() -> None:
    grace, gaba = (create_method(n, warmup_steps=0) for n in ("grace", "gaba"))
    amnl = create_method("amnl")
    for norms in [(5.0, 1.0), (2.0, 3.0), (0.1, 7.0)]:
        close(
            grace.weigh(gram_with_norms(*norms), LOSSES),
            gaba.weigh(gram_with_norms(*norms), LOSSES),
        )
    target, pred = torch.tensor([0.0, 100.0, 130.0]), torch.tensor([3.0, 90.0, 125.0])
    assert grace.rul_loss(pred, target).item() == pytest.approx(amnl.rul_loss(pred, target).item())
    assert grace.needs_gradients


# ----------------------------------------------------------------------- PCGrad
def test_pcgrad_leaves_non_conflicting_gradients_alone() -> None:
    method = create_method("pcgrad")
    g_r, g_h = torch.tensor([1.0, 2.0, 0.0]), torch.tensor([3.0, -1.0, 5.0])  # dot = 1
    close(method.weigh(gram_of(g_r, g_h), LOSSES), [1.0, 1.0])
    close(method.head_weights(torch.tensor([0.3, 2.0], dtype=F64)), [1.0, 1.0])


@pytest.mark.parametrize("seed", range(5))
def test_pcgrad_with_conflict_equals_explicit_projection(seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    g_r = torch.randn(50, generator=generator, dtype=F64)
    g_h = -0.5 * g_r + torch.randn(50, generator=generator, dtype=F64)
    c = g_r @ g_h
    assert c < 0
    projected_r = g_r - c / (g_h @ g_h) * g_h
    projected_h = g_h - c / (g_r @ g_r) * g_r
    assert abs(projected_r @ g_h) < 1e-10 and abs(projected_h @ g_r) < 1e-10

    w = create_method("pcgrad").weigh(gram_of(g_r, g_h), LOSSES)
    close(w[0] * g_r + w[1] * g_h, projected_r + projected_h, tol=1e-10)
    # Independent check against TorchJD's PCGrad weighting (random order inside).
    close(w, PCGradWeighting()(gram_of(g_r, g_h)), tol=1e-10)


def test_pcgrad_order_does_not_matter_for_two_tasks() -> None:
    g_r, g_h = torch.tensor([2.0, 0.0]), torch.tensor([-1.0, 1.0])
    forward = create_method("pcgrad").weigh(gram_of(g_r, g_h), LOSSES)
    swapped = create_method("pcgrad").weigh(gram_of(g_h, g_r), LOSSES)
    close(forward, swapped.flip(0))
    # c = -2, |g_r|^2 = 4, |g_h|^2 = 2: w = (1 + 2/4, 1 + 2/2).
    close(forward, [1.5, 2.0])


# ------------------------------------------------------------------ Uncertainty
def test_uncertainty_combine_value_and_gradient_wrt_log_variances() -> None:
    method = create_method("uncertainty")
    (s,) = method.parameters()
    close(method.current_weights(), [0.5, 1.0])
    with torch.no_grad():
        s.copy_(torch.tensor([0.3, -0.2]))
    losses = torch.tensor([2.0, 0.5], requires_grad=True)
    total = method.combine(losses)
    expected = 0.5 * math.exp(-0.3) * 2.0 + 0.5 * 0.3 + math.exp(0.2) * 0.5 + 0.5 * -0.2
    assert total.item() == pytest.approx(expected, rel=1e-6)
    total.backward()
    close(s.grad, [-0.5 * math.exp(-0.3) * 2.0 + 0.5, -math.exp(0.2) * 0.5 + 0.5], tol=1e-6)
    # The weights in force are the derivatives of the total wrt each loss.
    close(losses.grad, method.current_weights(), tol=1e-6)
    close(method.current_weights(), [0.5 * math.exp(-0.3), math.exp(0.2)], tol=1e-6)


# -------------------------------------------------------------------------- DWA
def test_dwa_equal_for_two_epochs_then_softmax_of_loss_ratios() -> None:
    method = create_method("dwa")
    close(method.current_weights(), [1.0, 1.0])
    method.end_epoch(torch.tensor([2.0, 1.0]))
    close(method.current_weights(), [1.0, 1.0])
    method.end_epoch(torch.tensor([1.0, 0.8]))  # ratios (0.5, 0.8), T = 2
    a, b = math.exp(0.25), math.exp(0.4)
    close(method.current_weights(), [2 * a / (a + b), 2 * b / (a + b)], tol=1e-7)
    assert method.combine(LOSSES).item() == pytest.approx(
        2 * a / (a + b) * 2 + 2 * b / (a + b) * 0.5
    )
    method.end_epoch(torch.tensor([0.5, 0.4]))  # ratios (0.5, 0.5)
    close(method.current_weights(), [1.0, 1.0], tol=1e-7)


# --------------------------------------------------------------------- GradNorm
def test_gradnorm_first_step_by_hand() -> None:
    method = create_method("gradnorm")
    # First step: r = (1, 1), G = (10, 1), target 5.5 each; dGradNormLoss/dlogit_rul
    # = 10 * 0.5 + (-1) * (-0.5) = 5.5 > 0, so Adam's first step moves the logits by
    # -/+ lr: w_rul = 2 sigmoid(-2 lr).
    w = method.weigh(gram_with_norms(10.0, 1.0), LOSSES)
    close(w, [1.0, 1.0])  # the step's weights are those from before the update
    expected = 2 / (1 + math.exp(2 * 0.025))
    close(method.current_weights(), [expected, 2 - expected], tol=1e-8)


def test_gradnorm_moves_weight_toward_the_slower_task() -> None:
    method = create_method("gradnorm")
    gram = gram_with_norms(1.0, 1.0)
    method.weigh(gram, torch.tensor([1.0, 1.0]))
    for _ in range(20):
        # RUL loss fell to 0.9 of its start, health to 0.5: RUL is the slower task.
        w = method.weigh(gram, torch.tensor([0.9, 0.5]))
        assert (w > 0).all()
        assert w.sum().item() == pytest.approx(2.0)
    assert method.current_weights()[0] > 1.1


def test_gradnorm_weights_stay_positive_and_sum_to_k_on_random_input() -> None:
    method = create_method("gradnorm", alpha=3.0, lr="0.5")
    generator = torch.Generator().manual_seed(1)
    for _ in range(50):
        g = torch.randn(2, 10, generator=generator, dtype=F64) * torch.tensor(
            [[30.0], [0.1]], dtype=F64
        )
        w = method.weigh(g @ g.T, torch.rand(2, generator=generator) + 0.01)
        assert (w > 0).all() and w.sum().item() == pytest.approx(2.0)


# ------------------------------------------------------- contract and equivalence
def _shared_update(
    model: DualTaskModel, method: BalancingMethod, x, y, labels
) -> list[torch.Tensor]:
    rul, logits = model(x)
    losses = torch.stack(
        [method.rul_loss(rul, y), torch.nn.functional.cross_entropy(logits, labels)]
    )
    shared = model.parameter_groups().shared
    grads = [torch.autograd.grad(loss, shared, retain_graph=True) for loss in losses]
    flat = [torch.cat([g.flatten() for g in task]) for task in grads]
    w = method.weigh(gram_of(*flat), losses.detach())
    return [w[0] * a + w[1] * b for a, b in zip(*grads, strict=True)]


@pytest.mark.parametrize("name", ["fixed", "amnl", "gaba", "uncertainty", "dwa"])
def test_gradient_step_equals_backward_of_the_combined_loss(name: str) -> None:
    torch.manual_seed(0)
    model = DualTaskModel(5, "tiny").eval()
    method = create_method(name, **({"warmup_steps": 0} if name == "gaba" else {}))
    x, y, labels = torch.randn(16, 8, 5), torch.rand(16) * 125, torch.randint(0, 3, (16,))
    update = _shared_update(model, method, x, y, labels)
    rul, logits = model(x)
    losses = torch.stack(
        [method.rul_loss(rul, y), torch.nn.functional.cross_entropy(logits, labels)]
    )
    expected = torch.autograd.grad(method.combine(losses), model.parameter_groups().shared)
    for got, want in zip(update, expected, strict=True):
        torch.testing.assert_close(got.float(), want, atol=1e-6, rtol=1e-4)


def test_every_method_has_the_contracts_attributes() -> None:
    book = {"fixed", "single_task", "amnl", "gaba", "grace", "uncertainty", "dwa", "gradnorm",
            "pcgrad"}  # fmt: skip
    assert book <= set(METHODS)
    needs = {n for n in book if METHODS[n].needs_gradients}
    assert needs == {"gaba", "grace", "gradnorm", "pcgrad"}
    assert not METHODS["famo"].needs_gradients and not METHODS["rlw"].needs_gradients
    for name in balancing_methods():
        cls = METHODS[name]
        method = cls()
        assert isinstance(method, BalancingMethod)
        assert cls.name == name and cls.title and cls.description
        assert method.current_weights().shape == (2,)
        assert method.combine(LOSSES).dim() == 0


# ---------------------------------------------------------------------- registry
def test_registry_coerces_strings_to_each_settings_type() -> None:
    method = create_method("gaba", beta="0.9", floor="0.1", warmup_steps="20")
    assert method.params == {"beta": 0.9, "floor": 0.1, "warmup_steps": 20, "every": 1}
    assert isinstance(method.params["warmup_steps"], int)
    assert create_method("gaba", warmup_steps=20.0).params["warmup_steps"] == 20


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("nope", {}, "choose one of: fixed, fixed_tuned, single_task, amnl, gaba"),
        ("gaba", {"betta": 0.9}, "unknown setting.*betta.*valid settings: beta, floor"),
        ("gaba", {"beta": "abc"}, "beta must be a number"),
        ("gaba", {"beta": 1.5}, r"beta must be <= 1\.0"),
        ("gaba", {"warmup_steps": "2.5"}, "warmup_steps must be a whole number"),
        ("gaba", {"warmup_steps": True}, "warmup_steps must be a whole number"),
        ("pcgrad", {"alpha": 1}, "valid settings: none"),
        ("dwa", {"temperature": 0}, "temperature must be >="),
    ],
)
def test_registry_refuses_bad_names_and_values(name: str, params: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        create_method(name, **params)


def test_boolean_settings_parse_words() -> None:
    flag = Hyperparameter("flag", False, "A switch.")
    assert flag.coerce("yes") is True and flag.coerce("False") is False and flag.coerce(True)
    with pytest.raises(ValueError, match="flag must be true or false"):
        flag.coerce(1)


def test_describe_methods_lists_every_setting_with_its_default() -> None:
    described = {d["name"]: d for d in describe_methods()}
    assert list(described) == list(METHODS)
    gaba = {h["name"]: h for h in described["gaba"]["hyperparameters"]}
    assert gaba["beta"]["default"] == 0.99 and gaba["floor"]["default"] == 0.05
    assert gaba["warmup_steps"] == {
        "name": "warmup_steps", "type": "int", "default": 100,
        "description": "Steps with equal weights at the start.", "minimum": 0, "maximum": None,
    }  # fmt: skip
    assert described["single_task"]["trains_health"] is False
    assert [h["default"] for h in described["gradnorm"]["hyperparameters"]] == [1.5, 0.025]
    assert described["dwa"]["hyperparameters"][0]["default"] == 2.0
    assert described["amnl"]["hyperparameters"][0]["default"] == 125.0


def test_registry_is_open_to_new_methods() -> None:
    class Halves(BalancingMethod):
        name, title, description = "test_halves", "Halves", "For the test."

    try:
        register(Halves)
        assert isinstance(create_method("test_halves"), Halves)
        with pytest.raises(ValueError, match="already registered"):
            register(type("Other", (Halves,), {}))
    finally:
        METHODS.pop("test_halves", None)


def test_methods_register_where_they_are_defined() -> None:
    """The registry imports no method; each method module registers its own classes."""
    import ast
    import importlib
    from pathlib import Path

    import core.methods
    import core.methods.registry as registry

    tree = ast.parse(Path(registry.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported <= {"__future__", "typing", "core.methods.base"}
    for name, cls in METHODS.items():
        module = importlib.import_module(cls.__module__)
        source = Path(module.__file__).read_text()
        assert f"@register\nclass {cls.__name__}(" in source, name
    assert list(METHODS)[:4] == ["fixed", "fixed_tuned", "single_task", "amnl"]
    assert list(METHODS)[-2:] == ["gbm", "weibull"], "the classical baselines, listed last"
    assert len(balancing_methods()) == 23  # the 22 of the book and the tuned control
    balancing = {METHODS[name].__name__ for name in balancing_methods()}
    assert balancing <= set(core.methods.__all__)


# ------------------------------------------------------------------- state_dict
def _drive(method: BalancingMethod, steps: range) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(steps.start)
    weights = []
    for _ in steps:
        g = torch.randn(2, 6, generator=generator, dtype=F64)
        losses = torch.rand(2, generator=generator) + 0.1
        if method.needs_gradients:
            weights.append(method.weigh(g @ g.T, losses))
        method.end_epoch(losses)
        weights.append(method.current_weights())
    return weights


@pytest.mark.parametrize("name", sorted(balancing_methods()))
def test_state_dict_round_trip_reproduces_the_next_weights(name: str) -> None:
    params = {"warmup_steps": 2, "beta": 0.5} if name in {"gaba", "grace"} else {}
    original = create_method(name, **params)
    if name == "uncertainty":
        with torch.no_grad():
            original.parameters()[0].copy_(torch.tensor([0.4, -0.7]))
    _drive(original, range(0, 5))
    saved = copy.deepcopy(original.state_dict())
    resumed = create_method(name, **params)
    resumed.load_state_dict(saved)
    close(resumed.current_weights(), original.current_weights())
    for a, b in zip(_drive(original, range(5, 10)), _drive(resumed, range(5, 10)), strict=True):
        close(a, b)


def test_loading_a_state_saved_with_other_settings_is_refused() -> None:
    state = create_method("gaba", beta=0.5).state_dict()
    with pytest.raises(ValueError, match="saved settings"):
        create_method("gaba").load_state_dict(state)

"""The representation-space probe: right norms, same update, clean .grad, MGDA-UB, same trend."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

from core.experiment.run import build_trainer, run_experiment
from core.methods.registry import create_method
from core.probe.gradients import gram_statistics
from core.probe.representation import representation_gradients
from core.runs import RunStatus, RunStore
from core.training.config import TrainConfig
from core.training.step import TrainingStep
from tests.helpers.experiments import small_experiment
from tests.helpers.probe_setup import first_batch, model_and_step


def _representation_step(model, method, lr=0.01):
    optimizer = torch.optim.SGD(model.parameters(), lr)
    return TrainingStep(model, method, optimizer, 0, probe_space="representation")


def _slow_z_gradients(model, x, rul, health, step):
    """Retain z, backward each task alone with zero_grad between, read z.grad."""
    vectors = []
    for k in range(2):
        model.zero_grad(set_to_none=True)
        z = model.representation(x)
        z.retain_grad()
        pred_rul, logits = model.heads(z)
        losses = [
            step.method.rul_loss(pred_rul, rul),
            torch.nn.functional.cross_entropy(logits, health),
        ]
        losses[k].backward()
        vectors.append(z.grad.reshape(-1).clone())
    model.zero_grad(set_to_none=True)
    return vectors


def test_z_gradient_norms_equal_the_slow_way(small_data):
    model, step = model_and_step(small_data)
    x, rul, health = first_batch(small_data)
    z, losses = step.forward(x, rul, health)
    grads = representation_gradients(z, losses.unbind(), step.heads)
    stats = gram_statistics(grads.gram)
    g_r, g_h = _slow_z_gradients(model, x, rul, health, step)
    assert grads.shared[0].shape == z.shape
    assert stats["norm_rul"] == pytest.approx(float(g_r.norm()), rel=1e-5)
    assert stats["norm_health"] == pytest.approx(float(g_h.norm()), rel=1e-5)
    assert stats["cosine"] == pytest.approx(float(g_r @ g_h / (g_r.norm() * g_h.norm())), abs=1e-5)


def test_measuring_leaves_grad_untouched(small_data):
    model, step = model_and_step(small_data)
    x, rul, health = first_batch(small_data)
    z, losses = step.forward(x, rul, health)
    representation_gradients(z, losses.unbind(), step.heads)
    assert all(p.grad is None for p in model.parameters()), ".grad must stay untouched"


def test_representation_update_equals_the_plain_step_for_fixed_weights(small_data):
    """One trunk backward of sum_k w_k g_k^z is backward of the weighted loss."""
    model_a, _ = model_and_step(small_data)
    model_b = copy.deepcopy(model_a)
    fixed = {"lambda_rul": 0.7, "lambda_health": 0.3}
    step_a = _representation_step(model_a, create_method("fixed", **fixed))
    step_b = TrainingStep(model_b, create_method("fixed", **fixed),
                          torch.optim.SGD(model_b.parameters(), 0.01), 0)  # fmt: skip
    x, rul, health = first_batch(small_data)
    torch.manual_seed(1)  # the step trains: same dropout masks in both
    out_a = step_a(x, rul, health, step=0, epoch=1, probe=True)
    torch.manual_seed(1)
    out_b = step_b(x, rul, health, step=0, epoch=1, probe=False)
    assert out_a.probe["probe_space"] == "representation" and out_b.probe is None
    for p, q in zip(model_a.parameters(), model_b.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
    expected = 0.7 * out_a.probe["norm_rul"] / (0.3 * out_a.probe["norm_health"])
    assert out_a.probe["effective_ratio"] == pytest.approx(expected)


def test_parameter_probe_records_say_parameters(small_data):
    _model, step = model_and_step(small_data)
    x, rul, health = first_batch(small_data)
    assert step(x, rul, health, step=0, epoch=1, probe=True).probe["probe_space"] == "parameters"


def test_mgda_ub_takes_two_head_backwards_and_one_trunk_backward(small_data, pass_counter):
    """MGDA-UB uses representation gradients even when the probe is set to parameters."""
    _model, step = model_and_step(small_data, "mgda_ub")
    assert step.probe_space == "parameters" and step.gradient_space() == "representation"
    calls = pass_counter
    x, rul, health = first_batch(small_data)
    out = step(x, rul, health, step=0, epoch=1, probe=True)
    assert calls == {"grad": 2, "backward": 1}
    assert out.probe["probe_space"] == "representation"


def test_mgda_ub_trains_two_tiny_epochs(small_data, tmp_path):
    result, run = run_experiment(small_experiment(method="mgda_ub"), RunStore(tmp_path), small_data)
    assert result.status == RunStatus.FINISHED and len(result.history) == 2
    for key in ("rmse", "nasa_score", "accuracy", "macro_f1"):
        assert math.isfinite(result.metrics[key]), key
    probe = run.read_probe()
    assert len(probe) > 0 and set(probe["probe_space"]) == {"representation"}
    assert np.isfinite(probe["ratio"]).all()


def test_probe_space_is_checked():
    with pytest.raises(ValueError, match="probe_space"):
        TrainConfig(probe_space="weights")


def _ratio_medians(small_data, space: str) -> list[float]:
    train = TrainConfig(epochs=3, batch_size=64, probe_every=4, device="cpu",
                        trajectories=False, probe_space=space)  # fmt: skip
    history = build_trainer(small_experiment(train=train), small_data).fit().history
    return [row["ratio"] for row in history]


@pytest.mark.slow
def test_both_probe_spaces_agree_in_trend(small_data):
    """Fixed weights, same batches: both spaces see the same training run.

    Their ratios are on different scales (parameter vs feature gradients), so
    only the order of magnitude and the direction over training must agree.
    Measured (small demo, tiny, 3 epochs, batch 64, every 4th step probed):
    parameters 1381 -> 3549 -> 6038, representation 534 -> 544 -> 930; both
    rise, and the parameter ratio is 2.6x to 6.5x the representation ratio.
    """
    params = _ratio_medians(small_data, "parameters")
    rep = _ratio_medians(small_data, "representation")
    for p, r in zip(params, rep, strict=True):
        assert 0.1 < p / r < 10, (params, rep)
    assert np.sign(params[-1] - params[0]) == np.sign(rep[-1] - rep[0]), (params, rep)

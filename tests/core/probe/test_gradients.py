"""The probe's norms equal the slow, obvious measurement, and it never pollutes .grad."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from core.methods.registry import create_method
from core.probe.gradients import block_statistics, gram_statistics, task_gradients
from core.training.step import TrainingStep
from tests.helpers.probe_setup import first_batch, model_and_step


def _slow_norms(model, losses, shared):
    """Backward per task with zero_grad between, read .grad of shared parameters."""
    norms, vectors = [], []
    for k in range(2):
        model.zero_grad(set_to_none=True)
        losses[k].backward(retain_graph=True)
        vec = torch.cat([p.grad.reshape(-1) for p in shared])
        vectors.append(vec)
        norms.append(float(vec.norm()))
    cosine = float(vectors[0] @ vectors[1] / (vectors[0].norm() * vectors[1].norm()))
    return norms, cosine


def test_probe_norms_equal_the_slow_way_and_leave_grad_untouched(small_data):
    model, step = model_and_step(small_data)
    x, rul, health = first_batch(small_data)
    losses = step.losses(x, rul, health)
    grads = task_gradients(losses.unbind(), step.shared, step.heads)
    assert all(p.grad is None for p in model.parameters()), ".grad must stay untouched"
    stats = gram_statistics(grads.gram)
    slow, cosine = _slow_norms(model, step.losses(x, rul, health), step.shared)
    assert stats["norm_rul"] == pytest.approx(slow[0], rel=1e-5)
    assert stats["norm_health"] == pytest.approx(slow[1], rel=1e-5)
    assert stats["ratio"] == pytest.approx(slow[0] / slow[1], rel=1e-5)
    assert stats["cosine"] == pytest.approx(cosine, abs=1e-5)


def test_forgetting_zero_grad_would_measure_the_sum(small_data):
    """The pitfall docs/probe.md warns about: without zero_grad the second norm is |g_r + g_h|."""
    _model, step = model_and_step(small_data)
    x, rul, health = first_batch(small_data)
    losses = step.losses(x, rul, health)
    grads = task_gradients(step.losses(x, rul, health).unbind(), step.shared, step.heads)
    losses[0].backward(retain_graph=True)
    losses[1].backward()
    polluted = float(torch.cat([p.grad.reshape(-1) for p in step.shared]).norm())
    summed = float(grads.gram.sum().sqrt())
    assert polluted == pytest.approx(summed, rel=1e-5)
    assert polluted != pytest.approx(grads.norms[1], rel=1e-2)


def test_block_norms_add_up_to_the_total(small_data):
    model, step = model_and_step(small_data)
    x, rul, health = first_batch(small_data)
    grads = task_gradients(step.losses(x, rul, health).unbind(), step.shared, step.heads)
    blocks = block_statistics(grads, step.shared, model.blocks())
    assert list(blocks) == ["cnn", "bilstm", "attention", "funnel"]
    total = sum(b["norm_rul"] ** 2 for b in blocks.values())
    assert np.sqrt(total) == pytest.approx(grads.norms[0], rel=1e-5)


def test_probed_step_equals_plain_step_for_fixed_weights(small_data):
    """Forming the update from per-task gradients is the same update, two passes not three."""
    model_a, step_a = model_and_step(small_data)
    model_b = copy.deepcopy(model_a)
    step_b = TrainingStep(model_b, create_method("fixed", lambda_rul=0.7, lambda_health=0.3),
                          torch.optim.SGD(model_b.parameters(), 0.01), 0)  # fmt: skip
    step_a.method = create_method("fixed", lambda_rul=0.7, lambda_health=0.3)
    step_a.optimizer = torch.optim.SGD(model_a.parameters(), 0.01)
    x, rul, health = first_batch(small_data)
    torch.manual_seed(1)
    out_a = step_a(x, rul, health, step=0, epoch=1, probe=True)
    torch.manual_seed(1)
    out_b = step_b(x, rul, health, step=0, epoch=1, probe=False)
    assert out_a.probe is not None and out_b.probe is None
    for p, q in zip(model_a.parameters(), model_b.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
    assert out_a.probe["weight_rul"] == pytest.approx(0.7)
    expected = 0.7 * out_a.probe["norm_rul"] / (0.3 * out_a.probe["norm_health"])
    assert out_a.probe["effective_ratio"] == pytest.approx(expected)


def test_gradient_method_uses_two_backward_passes(small_data, pass_counter):
    """GABA's step calls autograd.grad twice and never Tensor.backward on the model loss."""
    _model, step = model_and_step(small_data, "gaba")
    calls = pass_counter
    x, rul, health = first_batch(small_data)
    step(x, rul, health, step=0, epoch=1, probe=False)
    assert calls == {"grad": 2, "backward": 0}


def test_gaba_measuring_every_ten_steps_backs_up_once_in_between(small_data, pass_counter):
    """``every=10``: two autograd.grad on step 0, one plain backward on steps 1-9."""
    model, step = model_and_step(small_data, "gaba")
    step.method = create_method("gaba", every=10)
    step.optimizer = torch.optim.SGD(model.parameters(), 1e-4)  # ten steps on one batch
    calls = pass_counter
    x, rul, health = first_batch(small_data)
    for i in range(10):
        step(x, rul, health, step=i, epoch=1, probe=False)
    assert calls == {"grad": 2, "backward": 9}

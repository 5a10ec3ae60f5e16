"""GABA (inverse-gradient adaptive weighting) and GRACE (GABA + AMNL).

The RUL gradient on the shared parameters is typically hundreds of times
larger than the health gradient (docs/probe.md), so with fixed
weights the shared backbone effectively learns RUL only. GABA gives each
task a weight inversely related to its gradient norm, smoothed by an EMA
and floored so neither task is ever switched off.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor

from core.methods.base import BalancingMethod, Hyperparameter, K, gram_norms
from core.methods.fixed import R_MAX, failure_weighted_mse
from core.methods.registry import register


def inverse_norm_weights(norms: Tensor) -> Tensor:
    """Raw GABA weights ``(sum_j n_j - n_k) / ((K - 1) sum_j n_j)``; they sum to 1.

    For two tasks this is ``lambda_rul = n_health / (n_rul + n_health)``.
    With all norms zero there is nothing to balance: equal weights.
    """
    total = norms.sum()
    if total <= 0:
        return torch.full_like(norms, 1.0 / norms.numel())
    return (total - norms) / ((norms.numel() - 1) * total)


def floor_and_renormalise(weights: Tensor, floor: float) -> Tensor:
    """``max(w_k, floor) / sum_j max(w_j, floor)``: no task is ever switched off."""
    floored = weights.clamp_min(floor)
    return floored / floored.sum()


@register
class GABA(BalancingMethod):
    """Inverse-gradient-norm task weights with EMA, floor and warm-up.

    Once per optimiser step (each :meth:`weigh` call): raw weights from the
    shared-gradient norms, EMA with ``beta`` (updated from the first step,
    warm-up included), floor and renormalise. During the first
    ``warmup_steps`` steps the weights in force are ``1/K``, while the EMA
    keeps learning, so the switch at the end of warm-up is informed.
    """

    name = "gaba"
    title = "GABA"
    description = "Inverse-gradient-norm task weights, EMA-smoothed, floored, with warm-up."
    hyperparameters: ClassVar[tuple[Hyperparameter, ...]] = (
        Hyperparameter("beta", 0.99, "EMA decay of the task weights.", 0.0, 1.0),
        Hyperparameter("floor", 0.05, "Smallest weight a task can get.", 0.0, 1.0 / K),
        Hyperparameter("warmup_steps", 100, "Steps with equal weights at the start.", 0),
        Hyperparameter(
            "every",
            1,
            "Steps between gradient measurements (1: every step, as in the book). In between, "
            "one backward of the weighted loss with the weights in force.",
            1,
        ),
    )
    needs_gradients = True

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.ema = torch.full((K,), 1.0 / K, dtype=torch.float64)
        self.steps = 0
        self.clock = 0  # the trainer's step index, from begin_step
        self.measured_at = -1  # step of the last weigh

    def begin_step(self, step: int) -> bool:
        """Measure on every ``every``-th step; the steps in between reuse the weights."""
        self.clock = step
        return step % self.params["every"] == 0

    def weigh(self, gram: Tensor, losses: Tensor) -> Tensor:
        """Advance the EMA over the steps since the last measurement; the weights in force.

        Over ``d`` steps the EMA decays by ``beta ** d``, so its horizon in
        optimiser steps is the same whatever ``every`` is (``d`` is 1 when
        measuring every step, the book's rule). Warm-up counts optimiser steps.
        """
        elapsed = max(self.clock - self.measured_at, 1)
        self.measured_at = max(self.clock, self.measured_at + 1)
        decay = self.params["beta"] ** elapsed
        self.ema = decay * self.ema + (1.0 - decay) * inverse_norm_weights(gram_norms(gram))
        self.steps += elapsed
        if self.steps > self.params["warmup_steps"]:
            self._weights = floor_and_renormalise(self.ema, self.params["floor"])
        else:
            self._weights = torch.full((K,), 1.0 / K, dtype=torch.float64)
        return self.current_weights().to(gram)

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "ema": self.ema.clone(),
            "steps": self.steps,
            "clock": self.clock,
            "measured_at": self.measured_at,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.ema = state["ema"].detach().clone().to(torch.float64)
        self.steps = int(state["steps"])
        self.clock = int(state.get("clock", 0))
        self.measured_at = int(state.get("measured_at", self.clock - 1))


@register
class GRACE(GABA):
    """GABA's task weights with AMNL's failure-weighted MSE as the RUL loss."""

    name = "grace"
    title = "GRACE"
    description = "GABA task weights with AMNL's failure-weighted RUL loss."
    hyperparameters = (*GABA.hyperparameters, R_MAX)

    def rul_loss(self, pred: Tensor, target: Tensor) -> Tensor:
        """Failure-weighted MSE against the capped RUL."""
        return failure_weighted_mse(pred, target, self.params["r_max"])

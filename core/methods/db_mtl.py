"""DB-MTL, dual-balancing multi-task learning (Lin et al. 2023), from the Gram diagonal.

Two balancing steps:

1. loss scale: every task's loss is replaced by ``log(L_k + eps)``, so its
   gradient is ``h_k = g_k / (L_k + eps)`` -- on the heads too;
2. gradient magnitude: on the shared parameters, task k's log-loss
   gradient is scaled by ``alpha_k = max_j u_j / u_k`` with ``u`` an EMA
   (``beta`` = 0.9) of the gradients, so every task moves the trunk as much
   as the largest one.

Deviation from the paper and LibMTL: they keep an EMA of the gradient
VECTORS and update along it. The trainer gives a method only the Gram
matrix, so here ``u`` is an EMA of the log-loss gradients' NORMS (from the
Gram diagonal) and the update uses this step's gradients: the same
magnitude normalisation, without the momentum on the direction and without
two extra copies of the shared gradients. With ``beta = 0`` it is exactly
LibMTL's update.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from core.methods.base import BalancingMethod, Hyperparameter, K, gram_norms
from core.methods.registry import register

F64 = torch.float64
EPS = 1e-8


@register
class DBMTL(BalancingMethod):
    """Log-transformed losses, shared gradients scaled to the largest task's EMA norm.

    Shared weights ``w_k = alpha_k / (L_k + eps)``; head weights
    ``1 / (L_k + eps)``: each head follows the gradient of its own log loss,
    as in LibMTL (backward of ``log(L_k + eps)``), without the magnitude
    scaling, which only concerns the shared parameters.

    The EMA follows LibMTL: ``u <- n + beta_t (u - n)`` from ``u = 0`` with
    ``beta_t = beta / t^beta_sigma`` at step t (``beta_sigma = 0``: constant).
    """

    name = "db_mtl"
    title = "DB-MTL"
    description = "Log losses, then shared gradients scaled to equal EMA norms (Lin et al. 2023)."
    hyperparameters = (
        Hyperparameter("beta", 0.9, "EMA decay of the log-loss gradient norms.", 0.0, 1.0),
        Hyperparameter("beta_sigma", 0.0, "Decay exponent: beta_t = beta / t^beta_sigma.", 0.0),
    )
    needs_gradients = True

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.ema = torch.zeros(K, dtype=F64)
        self.steps = 0
        self.loss_scale = torch.ones(K, dtype=F64)

    def weigh(self, gram: Tensor, losses: Tensor) -> Tensor:
        """Advance the norm EMA by one step and return ``alpha_k / (L_k + eps)``."""
        self.loss_scale = 1.0 / (losses.detach().to("cpu", F64) + EPS)
        norms = gram_norms(gram) * self.loss_scale
        self.steps += 1
        beta = self.params["beta"] / self.steps ** self.params["beta_sigma"]
        self.ema = norms + beta * (self.ema - norms)
        alpha = self.ema.max() / (self.ema + EPS)
        self._weights = alpha * self.loss_scale
        return self.current_weights().to(gram)

    def head_weights(self, weights: Tensor) -> Tensor:
        """``1 / (L_k + eps)``: the gradient of the head's own log loss."""
        return self.loss_scale.to(weights)

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "ema": self.ema.clone(),
            "steps": self.steps,
            "loss_scale": self.loss_scale.clone(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.ema = state["ema"].detach().clone().to(F64)
        self.steps = int(state["steps"])
        self.loss_scale = state["loss_scale"].detach().clone().to(F64)

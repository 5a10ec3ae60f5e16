"""GradNorm (Chen, Badrinarayanan, Lee and Rabinovich, 2018)."""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import Tensor

from core.methods.base import BalancingMethod, Hyperparameter, K, gram_norms
from core.methods.registry import register


@register
class GradNorm(BalancingMethod):
    """Learn task weights so weighted gradient norms track relative training speed.

    Each step, with ``n_k = ||g_k||`` and weights ``w_k``:

    * ``G_k = w_k n_k``, the norm of the weighted task gradient;
    * ``r_k = (L_k / L_k(0)) / mean_j (L_j / L_j(0))``, the inverse training
      rate relative to the first step's losses (a slower task has larger
      ``r_k``);
    * GradNorm loss ``sum_k |G_k - mean(G) r_k^alpha|`` with the target held
      constant, minimised by one step of this method's own Adam optimiser on
      the weight logits.

    The weights are ``K softmax(logits)``: always positive and summing to K,
    the paper's renormalisation built into the parameterisation.

    The step's update uses the weights from before that optimiser step
    (the paper's order: the weights at step t weight the losses at step t,
    then move to t + 1).

    Unlike the paper, which measures ``G_k`` on the last shared layer to save
    a backward pass, ``n_k`` here is the norm over ALL shared parameters,
    read off the Gram diagonal: the workbench already has those per-task
    gradients for the update, so they cost nothing extra, and they are the
    same norms GABA and the gradient probe report.
    """

    name = "gradnorm"
    title = "GradNorm"
    description = "Learned task weights that equalise weighted gradient norms (Chen et al. 2018)."
    hyperparameters = (
        Hyperparameter(
            "alpha", 1.5, "Strength of the pull toward the slower task (0: equal norms).", 0.0
        ),
        Hyperparameter("lr", 0.025, "Learning rate of the weights' own Adam optimiser.", 0.0),
    )
    needs_gradients = True

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.logits = torch.zeros(K, dtype=torch.float64, requires_grad=True)
        self.optimizer = torch.optim.Adam([self.logits], lr=self.params["lr"])
        self.initial_losses: Tensor | None = None
        self._weights = self._weights_from_logits()

    def _weights_from_logits(self) -> Tensor:
        return K * torch.softmax(self.logits, dim=0)

    def weigh(self, gram: Tensor, losses: Tensor) -> Tensor:
        """Return this step's weights, then take one GradNorm step on them."""
        losses = losses.detach().to("cpu", torch.float64)
        if self.initial_losses is None:
            self.initial_losses = losses.clone()
        in_force = self._weights_from_logits()
        self._learn(in_force, gram_norms(gram), losses)
        self._weights = self._weights_from_logits().detach()
        return in_force.detach().to(gram)

    def _learn(self, weights: Tensor, norms: Tensor, losses: Tensor) -> None:
        """One optimiser step on ``sum_k |w_k n_k - mean(G) r_k^alpha|``."""
        assert self.initial_losses is not None  # weigh() records them before calling _learn
        tiny = torch.finfo(torch.float64).tiny
        rates = losses / self.initial_losses.clamp_min(tiny)
        relative = rates / rates.mean().clamp_min(tiny)
        weighted_norms = weights * norms
        target = (weighted_norms.mean() * relative ** self.params["alpha"]).detach()
        self.optimizer.zero_grad()
        torch.sum(torch.abs(weighted_norms - target)).backward()
        self.optimizer.step()

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "logits": self.logits.detach().clone(),
            "optimizer": copy.deepcopy(self.optimizer.state_dict()),
            "initial_losses": None if self.initial_losses is None else self.initial_losses.clone(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        with torch.no_grad():
            self.logits.copy_(state["logits"])
        self.optimizer.load_state_dict(copy.deepcopy(state["optimizer"]))
        initial = state["initial_losses"]
        self.initial_losses = None if initial is None else initial.detach().clone()

"""FAMO, fast adaptive multitask optimisation (Liu, Liang, Stone and Liu, 2023).

FAMO balances the tasks from loss values alone: it needs no per-task
gradients, so it runs on the trainer's cheap path (one backward pass). It
minimises ``c sum_k z_k log(L_k + eps)`` with ``z = softmax(logits)`` and
``c = 1 / sum_k (z_k / (L_k + eps))`` held constant, whose gradient is the
convex combination ``sum_k w_k g_k`` with ``w_k = c z_k / (L_k + eps)``.
The logits learn, with their own Adam (lr 0.025, weight decay 1e-3, the
paper's Algorithm 2 and LibMTL), to favour the tasks whose log loss
decreased least.

Practical variant, documented deviation: the paper measures that decrease
on the SAME batch before and after the model update, which costs an extra
forward pass. Here each step's logit update uses the previous step's
losses and this step's (the next batch), as the trainer reports losses
once per step; the update happens before this step's weights are formed,
which is the paper's order shifted by one batch.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import Tensor

from core.methods.base import BalancingMethod, Hyperparameter, K
from core.methods.registry import register

F64 = torch.float64
EPS = 1e-8  # keeps log(L) finite at a zero loss, as in the official code


@register
class FAMO(BalancingMethod):
    """Loss-level balancing that equalises the tasks' rates of log-loss decrease.

    Both :meth:`combine` (the trainer's plain path) and :meth:`weigh` (steps
    with per-task gradients, e.g. probe steps) advance the logits by one
    step and give the same weights, so probing does not change training.
    The weights in force are ``w_k`` (they sum to 1) and the heads get the
    same weights, as backward of FAMO's loss would give them.

    The logits are not model parameters: FAMO's own Adam trains them, from
    loss changes, never from the model's backward pass.
    """

    name = "famo"
    title = "FAMO"
    description = "Equal rate of log-loss decrease, from loss values only (Liu et al. 2023)."
    hyperparameters = (
        Hyperparameter("lr", 0.025, "Learning rate of the task-weight logits' Adam.", 0.0),
        Hyperparameter("weight_decay", 1e-3, "Weight decay of the task-weight logits.", 0.0),
    )

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.logits = torch.zeros(K, dtype=F64, requires_grad=True)
        self.optimizer = torch.optim.Adam(
            [self.logits], lr=self.params["lr"], weight_decay=self.params["weight_decay"]
        )
        self.previous_losses: Tensor | None = None
        self._weights = self.task_preferences()

    def task_preferences(self) -> Tensor:
        """``z = softmax(logits)``, FAMO's task weights before the loss scaling."""
        return torch.softmax(self.logits.detach(), dim=0)

    def _advance(self, losses: Tensor) -> Tensor:
        """Learn from the change since the last step, then set this step's weights."""
        losses = losses.detach().to("cpu", F64)
        if self.previous_losses is not None:
            self._learn(self.previous_losses, losses)
        self.previous_losses = losses.clone()
        scaled = self.task_preferences() / (losses + EPS)
        self._weights = scaled / scaled.sum()
        return losses

    def _learn(self, before: Tensor, after: Tensor) -> None:
        """One Adam step on the logits along ``d z / d logits^T delta``."""
        delta = torch.log(before + EPS) - torch.log(after + EPS)
        with torch.enable_grad():
            z = torch.softmax(self.logits, dim=0)
            (grad,) = torch.autograd.grad(z, self.logits, grad_outputs=delta)
        self.logits.grad = grad
        self.optimizer.step()
        self.logits.grad = None

    def weigh(self, gram: Tensor, losses: Tensor) -> Tensor:
        """Advance one step and return ``w`` (``gram`` unused: FAMO needs losses only)."""
        self._advance(losses)
        return self.current_weights().to(gram)

    def combine(self, losses: Tensor) -> Tensor:
        """Advance one step; FAMO's loss, whose gradient w.r.t. ``L_k`` is ``w_k``."""
        self._advance(losses)
        z = self.task_preferences().to(losses)
        shifted = losses + EPS
        normaliser = torch.sum(z / shifted).detach()
        return torch.sum(z / normaliser * torch.log(shifted))

    def state_dict(self) -> dict[str, Any]:
        previous = self.previous_losses
        return {
            **super().state_dict(),
            "logits": self.logits.detach().clone(),
            "optimizer": copy.deepcopy(self.optimizer.state_dict()),
            "previous_losses": None if previous is None else previous.clone(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        with torch.no_grad():
            self.logits.copy_(state["logits"])
        self.optimizer.load_state_dict(copy.deepcopy(state["optimizer"]))
        previous = state["previous_losses"]
        self.previous_losses = None if previous is None else previous.detach().clone().to(F64)

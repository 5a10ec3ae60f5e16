"""Dynamic Weight Average (Liu, Johns and Davison, 2019)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from core.methods.base import BalancingMethod, Hyperparameter, K
from core.methods.registry import register


@register
class DynamicWeightAverage(BalancingMethod):
    """Per-epoch weights from how fast each task's loss is falling.

    ``lambda_k = K softmax(w_k / T)`` with ``w_k = L_k(e-1) / L_k(e-2)``
    (epoch mean training losses): the task whose loss falls slowest gets more
    weight. The weights sum to K, as in the paper; the first two epochs,
    which have no loss ratio yet, use equal weights (1, 1).
    """

    name = "dwa"
    title = "DWA"
    description = "Dynamic Weight Average: weight tasks by their epoch-to-epoch loss ratio."
    hyperparameters = (
        Hyperparameter(
            "temperature",
            2.0,
            "Softmax temperature T; larger gives more even weights.",
            minimum=1e-3,
        ),
    )

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._weights = torch.ones(K, dtype=torch.float64)
        self.history: list[Tensor] = []

    def end_epoch(self, mean_train_losses: Tensor) -> None:
        """Record the epoch's mean losses and set the next epoch's weights."""
        self.history = [*self.history[-1:], mean_train_losses.detach().to("cpu", torch.float64)]
        if len(self.history) == 2:
            previous, last = self.history
            ratios = last / previous.clamp_min(torch.finfo(torch.float64).tiny)
            self._weights = K * torch.softmax(ratios / self.params["temperature"], dim=0)

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "history": [h.clone() for h in self.history]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.history = [h.detach().clone().to(torch.float64) for h in state["history"]]

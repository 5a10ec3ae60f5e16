"""Uncertainty weighting (Kendall, Gal and Cipolla, 2018), in the paper's form."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from core.methods.base import BalancingMethod, Hyperparameter, K
from core.methods.registry import register


@register
class UncertaintyWeighting(BalancingMethod):
    """Task weights from learnable log-variances ``s = (s_rul, s_health)``.

    ``L = 0.5 exp(-s_r) L_rul + 0.5 s_r + exp(-s_h) L_health + 0.5 s_h``:
    the Gaussian likelihood for the regression, the softmax-with-temperature
    form for the classification. The ``0.5 s`` terms stop the weights from
    collapsing to zero. ``s`` is trained by the model's optimiser (see
    :meth:`parameters`), so resuming also needs that optimiser's state.
    """

    name = "uncertainty"
    title = "Uncertainty weighting"
    description = "Learnable log-variance per task (Kendall et al. 2018)."
    hyperparameters = (
        Hyperparameter(
            "initial_log_variance", 0.0, "Starting value of both log-variances s.", -10.0, 10.0
        ),
    )
    # d L / d L_k = these factors, so the same weights serve gradient steps.
    _SCALES = (0.5, 1.0)

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        start = self.params["initial_log_variance"]
        self.log_variances = torch.nn.Parameter(torch.full((K,), float(start)))

    def parameters(self) -> list[torch.nn.Parameter]:
        """The log-variances ``[s_rul, s_health]``, for the model's optimiser."""
        return [self.log_variances]

    def combine(self, losses: Tensor) -> Tensor:
        """Kendall's total loss; differentiable wrt the losses and ``s``."""
        s = self.log_variances.to(losses.device)
        scales = torch.tensor(self._SCALES, dtype=s.dtype, device=s.device)
        return torch.sum(scales * torch.exp(-s) * losses + 0.5 * s)

    def current_weights(self) -> Tensor:
        """``(0.5 exp(-s_rul), exp(-s_health))``: the factors on each loss."""
        s = self.log_variances.detach().to("cpu", torch.float64)
        return torch.tensor(self._SCALES, dtype=torch.float64) * torch.exp(-s)

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "log_variances": self.log_variances.detach().clone()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        # In place, so an optimiser holding this parameter keeps working.
        with torch.no_grad():
            self.log_variances.copy_(state["log_variances"])

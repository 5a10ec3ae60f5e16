"""PCGrad, projecting conflicting gradients (Yu et al. 2020), from the Gram matrix."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from core.methods.base import BalancingMethod, K


def pcgrad_weights(gram: Tensor) -> Tensor:
    """Weights ``w`` with ``w_r g_r + w_h g_h`` equal to PCGrad's update.

    With ``c = g_r . g_h < 0`` each gradient is projected onto the normal
    plane of the other, ``g_r' = g_r - c/|g_h|^2 g_h`` and
    ``g_h' = g_h - c/|g_r|^2 g_r``, and their sum is
    ``(1 - c/|g_r|^2) g_r + (1 - c/|g_h|^2) g_h``. Without conflict both
    weights are 1 (plain sum).

    PCGrad projects in a random task order, but for two tasks each
    projection uses the other's ORIGINAL gradient (the second task's
    gradient is projected onto the first one's, not its projection), so the
    order does not change the result and no randomness is needed.
    """
    gram = gram.detach().to("cpu", torch.float64)
    c = gram[0, 1]
    if c >= 0:
        return torch.ones(K, dtype=torch.float64)
    # c < 0 implies both norms are non-zero, so the divisions are safe.
    return 1.0 - c / gram.diagonal()


class PCGrad(BalancingMethod):
    """Remove the conflicting component of each task's shared gradient.

    Only the shared parameters are projected; each head still gets its own
    task's full gradient (head weights 1), as in the paper.
    """

    name = "pcgrad"
    title = "PCGrad"
    description = (
        "Project each task's gradient off the other's when they conflict (Yu et al. 2020)."
    )
    needs_gradients = True

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._weights = torch.ones(K, dtype=torch.float64)

    def weigh(self, gram: Tensor, losses: Tensor) -> Tensor:
        """PCGrad's shared weights for this step (also reported as in force)."""
        self._weights = pcgrad_weights(gram)
        return self.current_weights().to(gram)

    def combine(self, losses: Tensor) -> Tensor:
        """Plain sum: without gradients there is nothing to project."""
        return losses.sum()

    def head_weights(self, weights: Tensor) -> Tensor:
        """Ones: each head gets its own task's unprojected gradient."""
        return torch.ones_like(weights)

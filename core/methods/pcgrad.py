"""PCGrad, projecting conflicting gradients (Yu et al. 2020), from the Gram matrix."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from core.methods.aggregation import GradientAggregation
from core.methods.base import K
from core.methods.registry import register


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


@register
class PCGrad(GradientAggregation):
    """Remove the conflicting component of each task's shared gradient.

    Only the shared parameters are projected; each head still gets its own
    task's full gradient (head weights 1, from
    :class:`~core.methods.aggregation.GradientAggregation`), as in the paper.
    Before the first step the weights in force read 1, 1 (the plain sum).
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

    def _solve(self, gram: Tensor) -> Tensor:
        return pcgrad_weights(gram)

    def combine(self, losses: Tensor) -> Tensor:
        """Plain sum: without gradients there is nothing to project."""
        return losses.sum()

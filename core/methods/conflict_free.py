"""ConFIG, conflict-free inverse gradients (Liu, Chu and Thuerey, 2024), from the Gram.

TorchJD implements ConFIG only as an aggregator of the full gradient
matrix ``J``, which the workbench never builds. Its formula depends on
``J`` only through the Gram matrix, so it is rewritten here in terms of
``G`` and tested against TorchJD's ``ConFIG`` on explicit matrices.

The registry name is ``conflict_free``, not ``config``: "config" already
means the run configuration on the command line and in run folders.
"""

from __future__ import annotations

import torch
from torch import Tensor

from core.methods.aggregation import F64, GradientAggregation
from core.methods.base import gram_norms
from core.methods.registry import register


def config_weights(gram: Tensor) -> Tensor:
    """Weights ``w`` with ``sum_k w_k g_k`` equal to ConFIG's update (equation 2).

    ConFIG takes the unit gradients ``u_k = g_k / ||g_k||`` (rows of ``U``),
    the direction ``v = U^+ 1`` that has the same positive projection on
    every ``u_k``, normalises it and scales it by ``sum_k g_k . v_hat``.
    Since ``U^+ = U^T (U U^T)^+``, ``v = sum_k a_k u_k`` with
    ``a = (U U^T)^+ 1`` and ``U U^T = D^-1 G D^-1`` (``D`` the norms), so
    every step needs only ``G``. A zero gradient has a zero unit vector, as
    in TorchJD.
    """
    gram = gram.detach().to("cpu", F64)
    norms = gram_norms(gram)
    inverse = torch.where(norms > 0, 1.0 / norms.clamp_min(torch.finfo(F64).tiny), 0.0)
    unit_gram = inverse[:, None] * gram * inverse[None, :]
    coefficients = torch.linalg.pinv(unit_gram, hermitian=True).sum(dim=1) * inverse
    squared_norm = float(coefficients @ gram @ coefficients)
    if not squared_norm > 0.0:
        return torch.zeros(2, dtype=F64)
    unit = coefficients / squared_norm**0.5
    length = (gram @ unit).sum()
    return length * unit


@register
class ConFIG(GradientAggregation):
    """Update with equal, positive cosine to every task gradient.

    The direction makes the same angle with each task's gradient, so no
    task is favoured by its gradient's scale, and its length is the sum of
    the gradients' projections on it. Equal preferences (the paper's
    default); no setting.
    """

    name = "conflict_free"
    title = "ConFIG"
    description = (
        "Conflict-free inverse gradients: equal angle to every task gradient (Liu et al. 2024)."
    )

    def _solve(self, gram: Tensor) -> Tensor:
        return config_weights(gram)

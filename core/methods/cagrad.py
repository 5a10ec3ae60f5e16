"""CAGrad, conflict-averse gradient descent (Liu et al. 2021), exact for two tasks.

TorchJD has CAGrad too, but solves its inner problem with cvxpy, a large
optional dependency, rebuilding a conic program on every step (about 10 ms
on a CPU). For two tasks that problem is a convex function of one number,
whose minimiser has a closed form, written here and tested against
TorchJD's ``CAGradWeighting`` where cvxpy is installed.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from core.methods.aggregation import F64, GradientAggregation
from core.methods.base import Hyperparameter
from core.methods.registry import register

#: Below this norm of the min-conflict combination (on the trace-normalised
#: Gram) the gradients are taken as Pareto-stationary: no update, as TorchJD.
NORM_EPS = 1e-4
_MEAN = torch.tensor([0.5, 0.5], dtype=F64)


def _mixing_coefficient(gram: Tensor, radius: float) -> float:
    """``x`` in [0, 1] minimising ``g_x.g0 + radius ||g_x||``, ``g_x = x g_r + (1 - x) g_h``.

    With ``q(x) = ||g_x||^2 = A (x - x*)^2 + q_min`` and the linear term's
    slope ``p``, the stationary point solves
    ``A y / sqrt(A y^2 + q_min) = -p / radius`` for ``y = x - x*``; the
    objective is convex, so clipping that point to [0, 1] gives the minimum.
    """
    (g_rr, g_rh), (_, g_hh) = gram.tolist()
    slope = 0.5 * (g_rr - g_hh)  # (G m)_r - (G m)_h with m = (1/2, 1/2)
    curvature = g_rr - 2.0 * g_rh + g_hh  # ||g_r - g_h||^2
    if curvature <= 1e-15:  # identical gradients: every mixture is the same vector
        return 0.5
    if radius <= 0.0:  # linear objective: the better vertex
        return 0.5 if slope == 0 else float(slope < 0)
    centre = (g_hh - g_rh) / curvature
    floor = max(g_hh - curvature * centre**2, 0.0)
    t = -slope / radius
    if t * t >= curvature:  # the linear term wins everywhere: a vertex
        return float(t > 0)
    offset = t * math.sqrt(floor / (curvature * (curvature - t * t)))
    return min(max(centre + offset, 0.0), 1.0)


def cagrad_weights(gram: Tensor, c: float) -> Tensor:
    """CAGrad's weights for two tasks (Algorithm 1 of the paper, no rescaling).

    ``g0`` is the mean gradient and ``sqrt(phi) = c ||g0||``; with ``g_w``
    the minimiser of ``g_w.g0 + sqrt(phi) ||g_w||`` over convex combinations,
    the update is ``d = g0 + sqrt(phi) / ||g_w|| g_w``, so
    ``w = (1/2, 1/2) + sqrt(phi) / ||g_w|| (x, 1 - x)``.

    The Gram matrix is normalised by its trace first (scale-free), as TorchJD
    does; unlike TorchJD, a tiny but non-zero Gram is still normalised
    rather than treated as zero.
    """
    gram = gram.detach().to("cpu", F64)
    trace = float(gram.trace())
    if not trace > 0.0:
        return torch.zeros(2, dtype=F64)
    gram = gram / trace
    radius = c * math.sqrt(max(float(_MEAN @ gram @ _MEAN), 0.0))
    x = _mixing_coefficient(gram, radius)
    mix = torch.tensor([x, 1.0 - x], dtype=F64)
    mix_norm = math.sqrt(max(float(mix @ gram @ mix), 0.0))
    if mix_norm < NORM_EPS:
        return torch.zeros(2, dtype=F64)
    return _MEAN + (radius / mix_norm) * mix


@register
class CAGrad(GradientAggregation):
    """Conflict-averse gradient: best worst-task improvement near the mean gradient.

    Liu, Liu, Jin, Stone and Liu (2021): maximise the smallest task
    improvement within a ball of radius ``c ||g0||`` around the mean
    gradient ``g0``; ``c = 0`` is plain gradient descent on the mean loss.
    The official code optionally divides the update by ``1 + c^2``; the
    paper's Algorithm 1 and TorchJD do not, nor does this class (gradient
    clipping sets the scale anyway).
    """

    name = "cagrad"
    title = "CAGrad"
    description = (
        "Best worst-task improvement in a ball around the mean gradient (Liu et al. 2021)."
    )
    hyperparameters = (
        Hyperparameter("c", 0.5, "Radius of the ball around the mean gradient, in ||g0||.", 0.0),
    )

    def _solve(self, gram: Tensor) -> Tensor:
        return cagrad_weights(gram, self.params["c"])

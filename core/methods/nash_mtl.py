"""Nash-MTL (Navon et al. 2022) through TorchJD, with its solver as an optional extra.

The bargaining solution ``G alpha = 1 / alpha`` is found by a sequence of
convex programs solved with cvxpy and ECOS, about 30 ms a step on a CPU.
Those packages (and cvxpy's own solvers, about 130 MB) are large, so they
are an optional extra of the workbench:
creating the method without them raises :class:`MissingSolverError` with
the pip command. It never falls back to another method.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import torch
from torch import Tensor
from torchjd.aggregation import NashMTL as TorchJDNashMTL

from core.methods.aggregation import F64, GradientAggregation, require_packages
from core.methods.base import Hyperparameter, K, gram_norms
from core.methods.registry import register
from core.methods.torchjd_state import nash_warm_start, set_nash_warm_start

SOLVER_PACKAGES = ("cvxpy", "ecos")
NASH_INSTALL = "rul-workbench[nash-mtl]"


def gram_factor(gram: Tensor) -> Tensor:
    """A 2x2 matrix ``F`` with ``F F^T = G``: the gradients as TorchJD's solver sees them.

    TorchJD's Nash-MTL weighting takes the gradient matrix ``J`` but uses it
    only through ``J J^T`` and ``||alpha^T J||``; any ``F`` with the same
    Gram gives the same weights, without the full gradients.
    """
    eigenvalues, eigenvectors = torch.linalg.eigh(gram)
    return eigenvectors * eigenvalues.clamp_min(0.0).sqrt()


def clip_update_norm(alpha: Tensor, gram: Tensor, max_norm: float) -> Tensor:
    """Scale ``alpha`` so that ``||sum_k alpha_k g_k|| <= max_norm`` (0: no limit)."""
    norm = math.sqrt(max(float(alpha @ gram @ alpha), 0.0))
    if max_norm > 0 and norm > max_norm:
        return alpha * (max_norm / norm)
    return alpha


@register
class NashMTL(GradientAggregation):
    """Nash bargaining between tasks: ``G alpha = 1 / alpha``, then a norm limit.

    Navon et al. (2022), Algorithm 1, with the official code's defaults:
    ``optim_niter`` = 20 convex-concave iterations, weights re-solved every
    ``update_weights_every`` = 1 step, update norm limited to
    ``max_norm`` = 1.0. TorchJD's port of the official solver does the
    work, on the Gram of the unit-norm gradients (same solution, far better
    conditioned, see :meth:`_bargain`), normalised by its Frobenius norm as
    in the official code; it starts from the previous solve's alpha, which
    is state (:meth:`state_dict`).

    Needs the optional extra ``rul-workbench[nash-mtl]`` (cvxpy, ECOS).
    """

    name = "nash_mtl"
    title = "Nash-MTL"
    description = "Nash bargaining between the task gradients (Navon et al. 2022); needs cvxpy."
    hyperparameters = (
        Hyperparameter("max_norm", 1.0, "Limit on the update's norm (0: none).", 0.0),
        Hyperparameter("update_weights_every", 1, "Re-solve the weights every N steps.", 1),
        Hyperparameter("optim_niter", 20, "Iterations of the bargaining solver.", 1),
    )

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        require_packages(self.title, SOLVER_PACKAGES, NASH_INSTALL)
        # The norm limit and the every-N rule are applied here, from the Gram;
        # the solver's only state is its warm start (on unit gradients).
        solver = TorchJDNashMTL(n_tasks=K, max_norm=0.0, optim_niter=self.params["optim_niter"])
        self.solver = solver.weighting
        self.alpha = torch.ones(K, dtype=F64)
        self.steps = 0
        self.solver_warnings = 0

    def _solve(self, gram: Tensor) -> Tensor:
        if self.steps % self.params["update_weights_every"] == 0:
            self.alpha = self._bargain(gram)
        self.steps += 1
        return clip_update_norm(self.alpha, gram, self.params["max_norm"])

    def _bargain(self, gram: Tensor) -> Tensor:
        """The bargaining weights, solved on unit-norm gradients and scaled back.

        The Nash bargaining solution is invariant to rescaling a task's
        gradient (if ``a'`` solves it for ``s_k g_k``, then ``a_k = s_k a'_k``
        solves it for ``g_k``; the update ``sum_k a_k g_k`` is the same), but
        the official iterative solver is not: from a cold start it misses the
        solution of ``G a = 1 / a`` by 60-95% when one gradient is 500-2000
        times the other, the normal case for RUL and health. Solving on unit
        gradients keeps the paper's solution and the solver well conditioned.

        cvxpy remarks that TorchJD's problem is not DPP (a speed note) and, on
        degenerate Grams (a zero or exactly opposite gradient), that a
        solution may be inaccurate, after which TorchJD keeps the previous
        alpha as the official code does. Such remarks are counted in
        :attr:`solver_warnings` rather than printed at every step.
        """
        norms = gram_norms(gram)
        scale = torch.where(norms > 0, 1.0 / norms.clamp_min(torch.finfo(F64).tiny), 1.0)
        unit_gram = scale[:, None] * gram * scale[None, :]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            unit_alpha = self.solver(gram_factor(unit_gram))
        self.solver_warnings += sum("not DPP" not in str(w.message) for w in caught)
        return unit_alpha.detach().to("cpu", F64) * scale

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "alpha": self.alpha.clone(),
            "steps": self.steps,
            "warm_start": nash_warm_start(self.solver),
            "solver_warnings": self.solver_warnings,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.alpha = state["alpha"].detach().clone().to(F64)
        self.steps = int(state["steps"])
        self.solver_warnings = int(state["solver_warnings"])
        # The solver's only state is its warm start.
        set_nash_warm_start(self.solver, state["warm_start"])

"""Common ground of the gradient-aggregation methods (MGDA, UPGrad, CAGrad, ...).

These methods do not weight losses: they combine the per-task gradients on
the shared parameters into one update direction. For two tasks each of them
is a function of the 2x2 Gram matrix ``G`` of those gradients, so each
returns the weights ``w`` with ``sum_k w_k g_k`` equal to its direction and
the trainer writes that into ``.grad`` without another backward pass.

Head parameters are not part of the aggregation: every head gets its own
task's gradient with weight 1, as LibMTL and TorchJD (``mtl_backward``) do
for task-specific parameters.
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import ClassVar

import torch
from torch import Tensor

from core.common.errors import WorkbenchError
from core.methods.base import BalancingMethod

F64 = torch.float64


class MissingSolverError(WorkbenchError, ImportError):
    """A method's optional solver package is not installed.

    Raised when the method is created, never at a training step, and never
    answered by silently switching to another method: a comparison that says
    "Nash-MTL" must have run Nash-MTL.
    """


def missing_packages(packages: tuple[str, ...]) -> list[str]:
    """The names in ``packages`` that cannot be imported here."""
    return [name for name in packages if find_spec(name) is None]


def require_packages(method: str, packages: tuple[str, ...], install: str) -> None:
    """Raise :class:`MissingSolverError` naming the pip command if any package is missing."""
    missing = missing_packages(packages)
    if missing:
        raise MissingSolverError(
            f"{method} needs the package(s) {', '.join(missing)}, which are not installed; "
            f'install them with: pip install "{install}"'
        )


def as_cpu_f64(gram: Tensor) -> Tensor:
    """The Gram matrix detached, in float64 on the CPU, where the solvers work."""
    return gram.detach().to("cpu", F64)


class GradientAggregation(BalancingMethod):
    """Base of methods whose update is a Gram-dependent combination of task gradients.

    Subclasses implement :meth:`_solve`; this class records the result as
    the weights in force and returns it in the Gram's dtype and device.

    Heads: weight 1 each (:meth:`head_weights`), whatever the shared weights.
    Before the first step the weights in force read 1/2, 1/2.
    """

    needs_gradients = True
    #: Which gradients the Gram is made of: "shared" (whatever space the
    #: probe is set to, the shared parameters by default) or "representation"
    #: (always the shared features, see
    #: :class:`core.methods.torchjd_family.MGDAUpperBound` and
    #: :mod:`core.probe.representation`).
    gradient_space: ClassVar[str] = "shared"

    def weigh(self, gram: Tensor, losses: Tensor) -> Tensor:
        """This step's shared weights, from the Gram matrix (``losses`` unused)."""
        self._weights = self._solve(as_cpu_f64(gram)).to(F64)
        return self.current_weights().to(gram)

    def _solve(self, gram: Tensor) -> Tensor:
        """Weights ``w`` (2,) for a float64 CPU Gram matrix; subclasses implement."""
        raise NotImplementedError

    def head_weights(self, weights: Tensor) -> Tensor:
        """Ones: each head gets its own task's gradient, as in LibMTL and TorchJD."""
        return torch.ones_like(weights)

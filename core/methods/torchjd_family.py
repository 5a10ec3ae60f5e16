"""Gradient-aggregation methods taken from TorchJD's Gramian weightings.

TorchJD (``torchjd.aggregation.*Weighting``) implements these methods as
functions of the Gram matrix of the task gradients, which is exactly what
the trainer hands to :meth:`~core.methods.base.BalancingMethod.weigh`. The
workbench uses them as they are rather than keeping copies: their tests and
fixes come with the package. Each class here only names the method, exposes
its settings with the paper's defaults and keeps its state for resuming.

Heads get their own task's gradient with weight 1
(:class:`~core.methods.aggregation.GradientAggregation`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from torch import Tensor
from torchjd.aggregation import (
    AlignedMTLWeighting,
    DualProjWeighting,
    GradVacWeighting,
    IMTLGWeighting,
    MGDAWeighting,
    UPGradWeighting,
    Weighting,
)

from core.methods.aggregation import GradientAggregation, MissingSolverError
from core.methods.base import Hyperparameter, K
from core.methods.registry import register
from core.methods.torchjd_state import gradvac_target, set_gradvac_target

QUADPROG_INSTALL = "torchjd[quadprog-projector]"


class TorchJDMethod(GradientAggregation):
    """A TorchJD Gramian weighting behind the method interface."""

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.weighting = self._make_weighting()

    def _make_weighting(self) -> Weighting:
        """The TorchJD weighting with this method's settings; subclasses implement."""
        raise NotImplementedError

    def _solve(self, gram: Tensor) -> Tensor:
        return self.weighting(gram)


@register
class MGDA(TorchJDMethod):
    """Multiple-gradient descent: the min-norm point of the gradients' convex hull.

    Sener and Koltun (2018), Algorithm 2 (Frank-Wolfe), via TorchJD's
    ``MGDAWeighting``. For two tasks one exact line search reaches the
    optimum, the closed form
    ``w_rul = clip((g_h.g_h - g_r.g_h) / |g_r - g_h|^2, 0, 1)``,
    ``w_health = 1 - w_rul``, so the solver's tolerance is no setting here.
    """

    name = "mgda"
    title = "MGDA"
    description = "Min-norm convex combination of the task gradients (Sener and Koltun 2018)."

    def _make_weighting(self) -> Weighting:
        return MGDAWeighting()


@register
class MGDAUpperBound(MGDA):
    """MGDA-UB: MGDA on the gradients with respect to the shared representation.

    Sener and Koltun (2018), section 3.3: the Gram of the gradients of each
    loss with respect to the shared features (the funnel's output) bounds
    the parameter-level problem and costs one backward pass through the
    trunk. The weights then multiply the parameter gradients as usual.

    The training step sees :attr:`gradient_space` ``"representation"`` and
    hands this method the Gram of the representation gradients whatever
    ``TrainConfig.probe_space`` says (:mod:`core.probe.representation`): two
    head-only backwards for the task gradients, then one trunk backward of
    ``sum_k w_k g_k^z`` for the update.
    """

    name = "mgda_ub"
    title = "MGDA-UB"
    description = (
        "MGDA on the gradients w.r.t. the shared representation (upper bound, one backward)."
    )
    gradient_space: ClassVar[str] = "representation"


@register
class IMTLG(TorchJDMethod):
    """IMTL-G: the update has the same projection on every task's unit gradient.

    Liu et al. (2021), "Towards impartial multi-task learning", gradient
    part, via TorchJD's ``IMTLGWeighting`` (``w ~ G^+ diag(G)^(1/2)``,
    summing to 1). For two tasks with unit vectors ``u_k`` the closed form
    is ``w_health = g_r.(u_r - u_h) / ((g_r - g_h).(u_r - u_h))``.
    """

    name = "imtl_g"
    title = "IMTL-G"
    description = "Update with equal projections on every task's gradient (Liu et al. 2021)."

    def _make_weighting(self) -> Weighting:
        return IMTLGWeighting()


@register
class AlignedMTL(TorchJDMethod):
    """Aligned-MTL: align the principal components of the gradient matrix.

    Senushkin et al. (2023), Algorithm 1, via TorchJD's
    ``AlignedMTLWeighting`` with equal preferences and the paper's scale,
    the smallest singular value (``scale_mode="min"``), so the condition
    number of the aligned gradients is 1.
    """

    name = "aligned_mtl"
    title = "Aligned-MTL"
    description = "Equalise the gradient matrix's singular values (Senushkin et al. 2023)."

    def _make_weighting(self) -> Weighting:
        return AlignedMTLWeighting(scale_mode="min")


def _with_quadprog(method: str, build: type[Weighting]) -> Weighting:
    """Build a weighting that projects with quadprog, or say how to install it."""
    try:
        return build()
    except ImportError as exc:
        raise MissingSolverError(
            f"{method} needs the quadprog solver ({exc}); "
            f'install it with: pip install "{QUADPROG_INSTALL}"'
        ) from None


@register
class UPGrad(TorchJDMethod):
    """UPGrad: project each gradient onto the dual cone of all, then average.

    Quinton and Rey (2024), "Jacobian descent for multi-objective
    optimization", via TorchJD's ``UPGradWeighting`` (equal preferences,
    quadprog projector). The update never conflicts with any task and
    equals the mean gradient when the tasks do not conflict.
    """

    name = "upgrad"
    title = "UPGrad"
    description = "Average of each gradient projected onto the dual cone (Quinton and Rey 2024)."

    def _make_weighting(self) -> Weighting:
        return _with_quadprog(self.title, UPGradWeighting)


@register
class DualProj(TorchJDMethod):
    """DualProj: the mean gradient projected onto the dual cone of the gradients.

    The projection of Lopez-Paz and Ranzato (2017, GEM, eq. 11) applied to
    the average gradient, via TorchJD's ``DualProjWeighting``.
    """

    name = "dualproj"
    title = "DualProj"
    description = "Mean gradient projected onto the gradients' dual cone (GEM projection)."

    def _make_weighting(self) -> Weighting:
        return _with_quadprog(self.title, DualProjWeighting)


@register
class GradVac(TorchJDMethod):
    """Gradient Vaccine: pull the gradients' cosine up to its running target.

    Wang et al. (2021), via TorchJD's ``GradVacWeighting``. The target
    cosine is an EMA, ``phi_hat <- (1 - beta) phi_hat + beta phi``; when
    the cosine falls below it, a multiple of the other task's gradient is
    added. Without any correction the update is the plain sum (weights 1).

    The EMA of the target is state: :meth:`state_dict` saves it.
    """

    name = "gradvac"
    title = "GradVac"
    description = "Raise the gradients' cosine to an EMA target (Wang et al. 2021)."
    hyperparameters = (
        Hyperparameter("beta", 0.5, "EMA rate of the target cosine.", 0.0, 1.0),
        Hyperparameter("eps", 1e-8, "Added to denominators for stability.", 0.0),
    )

    def _make_weighting(self) -> Weighting:
        return GradVacWeighting(beta=self.params["beta"], eps=self.params["eps"])

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "target_cosine": gradvac_target(self.weighting)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        set_gradvac_target(self.weighting, state["target_cosine"], K)

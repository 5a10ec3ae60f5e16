"""Loss-level methods with constant task weights: fixed, single-task and AMNL."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor

from core.methods.base import BalancingMethod, Hyperparameter
from core.methods.registry import register

LAMBDA_RUL = Hyperparameter(
    "lambda_rul", 0.5, "Weight of the RUL loss in the total loss.", minimum=0.0
)
LAMBDA_HEALTH = Hyperparameter(
    "lambda_health", 0.5, "Weight of the health-state loss in the total loss.", minimum=0.0
)
R_MAX = Hyperparameter(
    "r_max",
    125.0,
    "RUL at and above which a sample has weight 1 (set it to the RUL cap).",
    minimum=1e-6,
)


@register
class FixedWeights(BalancingMethod):
    """``L = lambda_rul * L_rul + lambda_health * L_health`` with constant lambdas.

    The book's baseline is 0.5/0.5; the lambdas are settable so a user can
    try other constant trade-offs.
    """

    name = "fixed"
    title = "Fixed weights"
    description = "Constant task weights (default 0.5 / 0.5)."
    hyperparameters: ClassVar[tuple[Hyperparameter, ...]] = (LAMBDA_RUL, LAMBDA_HEALTH)

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        weights = (self.params["lambda_rul"], self.params["lambda_health"])
        if sum(weights) <= 0:
            raise ValueError(f"{self.name}: lambda_rul and lambda_health cannot both be 0")
        self._weights = torch.tensor(weights, dtype=torch.float64)


#: The values of lambda_rul ``fixed_tuned`` tries (lambda_health = 1 - lambda_rul).
TUNING_GRID: tuple[float, ...] = (0.1, 0.3, 0.5, 0.7, 0.9)
TUNE_EPOCHS = Hyperparameter(
    "tune_epochs",
    0,
    "Epochs of each short tuning run (0: a third of the run's epochs, at least 1).",
    minimum=0,
)


@register
class TunedFixedWeights(FixedWeights):
    """Fixed weights whose lambda_rul is chosen on validation units from a small grid.

    Benchmarks of multi-task optimisers (Kurin et al. 2022; Xin et al. 2022)
    found a *tuned* constant weighting as good as the specialised methods, so
    a comparison against the book's untuned 0.5 / 0.5 alone flatters every
    method. Before the run trains, one short run per value of
    :data:`TUNING_GRID` (same seed, data and settings) is scored by the run's
    validation selection criterion; the run then trains with the best
    lambdas (``core.training.tuning``), recorded in its ``tuning.json``.
    The lambdas given here are the ones in force until then.
    """

    name = "fixed_tuned"
    title = "Fixed weights, tuned"
    description = (
        "Constant task weights, lambda_RUL chosen on validation from "
        + ", ".join(f"{v:g}" for v in TUNING_GRID)
        + " by one short run each."
    )
    hyperparameters: ClassVar[tuple[Hyperparameter, ...]] = (
        LAMBDA_RUL,
        LAMBDA_HEALTH,
        TUNE_EPOCHS,
    )
    tuned: ClassVar[bool] = True


@register
class SingleTask(BalancingMethod):
    """The RUL loss alone: the baseline that tells whether multi-task helps.

    The health head is never trained (its weight and head weight are 0), and
    the health loss does not enter the total loss at all, so a NaN or
    missing health loss cannot leak into the update.
    """

    name = "single_task"
    title = "Single-task (RUL only)"
    description = "Train on the RUL loss only; the health head is not trained."
    trains_health = False

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._weights = torch.tensor([1.0, 0.0], dtype=torch.float64)

    def combine(self, losses: Tensor) -> Tensor:
        """``L_rul`` itself (``0 * L_health`` would turn a NaN into a NaN)."""
        return losses[0]


def failure_weighted_mse(pred: Tensor, target: Tensor, r_max: float) -> Tensor:
    """AMNL's failure-biased MSE: ``mean(w_i * (yhat_i - y_i)^2)``.

    ``w_i = 1 + clip(1 - y_i / r_max, 0, 1)``: 2 at failure, 1 at and above
    ``r_max``, so errors close to failure, where they are costly, count up to
    twice as much. A plain mean (not divided by ``sum w``), as in the book.
    """
    weights = 1.0 + torch.clamp(1.0 - target / r_max, 0.0, 1.0)
    return torch.mean(weights * (pred - target) ** 2)


@register
class AMNL(FixedWeights):
    """Failure-biased weighted MSE for RUL, with fixed task weights (0.5 / 0.5)."""

    name = "amnl"
    title = "AMNL"
    description = (
        "Failure-weighted MSE for RUL (weight 2 at failure, 1 above r_max), fixed task weights."
    )
    hyperparameters = (R_MAX, LAMBDA_RUL, LAMBDA_HEALTH)

    def rul_loss(self, pred: Tensor, target: Tensor) -> Tensor:
        """Failure-weighted MSE against the capped RUL."""
        return failure_weighted_mse(pred, target, self.params["r_max"])

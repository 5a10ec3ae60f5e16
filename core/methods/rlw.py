"""RLW, random loss weighting (Lin et al. 2022), with its own seeded generator."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from core.methods.base import BalancingMethod, Hyperparameter, K
from core.methods.registry import register

F64 = torch.float64


@register
class RandomLossWeighting(BalancingMethod):
    """Fresh random task weights every step: ``w = softmax(n)``, ``n ~ N(0, I)``.

    The paper's litmus test: a balancing method should beat random weights.
    The draws come from the method's own generator, not torch's global one,
    so RLW leaves the model's randomness (dropout, batch order) as it is for
    the other methods, and :meth:`state_dict` saves the generator, so a
    resumed run draws the same weights. With ``seed`` = -1 (the default) the
    generator is seeded from torch's global generator when the method is
    created, which the trainer has seeded with the run's seed: different
    runs get different weights, the same run the same.

    A loss-weighting method: :meth:`combine` and :meth:`weigh` each draw
    once per step, and the heads get the same weights.
    """

    name = "rlw"
    title = "RLW"
    description = "Random task weights, softmax of normal draws, every step (Lin et al. 2022)."
    hyperparameters = (
        Hyperparameter(
            "seed", -1, "Seed of the weights' generator; -1: from the run's seed.", minimum=-1
        ),
    )

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        seed = self.params["seed"]
        if seed < 0:
            seed = int(torch.randint(0, 2**62, (1,)))
        self.generator = torch.Generator().manual_seed(seed)

    def _draw(self) -> Tensor:
        draws = torch.randn(K, generator=self.generator, dtype=F64)
        self._weights = torch.softmax(draws, dim=0)
        return self._weights

    def weigh(self, gram: Tensor, losses: Tensor) -> Tensor:
        """This step's random weights (``gram`` unused)."""
        return self._draw().to(gram)

    def combine(self, losses: Tensor) -> Tensor:
        """``sum_k w_k L_k`` with this step's random weights."""
        return torch.sum(self._draw().to(losses) * losses)

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "generator": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.generator.set_state(state["generator"])

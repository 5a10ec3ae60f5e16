"""The weight average that is evaluated: an exponential moving average, or SWA's equal-weight mean.

Both average the weights of every optimiser step; SWA (Izmailov et al. 2018)
weighs every step from its first epoch on equally, the EMA weighs recent steps
more. torch.optim.swa_utils.AveragedModel does the same arithmetic; this class
keeps one in-place ``_foreach_lerp_`` for both and the trainer's resume format.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class WeightAverage:
    """EMA of parameters (buffers such as BatchNorm statistics are copied).

    The decay ramps up as ``min(decay, (1 + t) / (10 + t))`` (the usual
    num-updates correction) so that in a short run the average is not dominated
    by the random initial weights.

    With ``uniform_after`` set (a step count), the average follows the EMA up
    to that step and from then on is the equal-weight mean of every later
    step's weights (stochastic weight averaging): the n-th averaged step moves
    it by 1/n towards the model, so the EMA's earlier history is dropped.
    """

    def __init__(self, model: nn.Module, decay: float, uniform_after: int | None = None) -> None:
        self.decay = decay
        self.uniform_after = uniform_after
        self.updates = 0
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.updates += 1
        decay = self._decay()
        averaged: list[torch.Tensor] = list(self.model.parameters())
        torch._foreach_lerp_(averaged, [p.detach() for p in model.parameters()], 1.0 - decay)
        for mine, theirs in zip(self.model.buffers(), model.buffers(), strict=True):
            mine.copy_(theirs)

    def _decay(self) -> float:
        if self.uniform_after is not None and self.updates > self.uniform_after:
            return 1.0 - 1.0 / (self.updates - self.uniform_after)
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "updates": self.updates}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.updates = state["updates"]

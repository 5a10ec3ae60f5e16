"""An exponential moving average of the model's weights, used for evaluation."""

from __future__ import annotations

import copy

import torch
from torch import nn


class WeightAverage:
    """EMA of parameters (buffers such as BatchNorm statistics are copied).

    The decay ramps up as ``min(decay, (1 + t) / (10 + t))`` (the usual
    num-updates correction) so that in a short run the average is not dominated
    by the random initial weights.
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = decay
        self.updates = 0
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.updates += 1
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        averaged: list[torch.Tensor] = list(self.model.parameters())
        torch._foreach_lerp_(averaged, [p.detach() for p in model.parameters()], 1.0 - decay)
        for mine, theirs in zip(self.model.buffers(), model.buffers(), strict=True):
            mine.copy_(theirs)

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "updates": self.updates}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.updates = state["updates"]

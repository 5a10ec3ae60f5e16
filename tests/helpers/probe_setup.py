"""A small model, its training step and a batch, shared by the probe tests."""

from __future__ import annotations

import torch

from core.methods.registry import create_method
from core.model import DualTaskModel
from core.training.batches import DeviceWindows
from core.training.step import TrainingStep


def first_batch(data, n=64):
    """The first ``n`` training windows as model inputs and both targets."""
    windows = DeviceWindows(data.train, torch.device("cpu"))
    index = torch.arange(n)
    return windows.inputs(index), windows.rul[index], windows.health[index]


def model_and_step(small_data, method="fixed"):
    """A seeded tiny model in eval mode and its training step with ``method``."""
    torch.manual_seed(0)
    model = DualTaskModel(small_data.n_features, "tiny").eval()  # eval: no dropout noise
    step = TrainingStep(model, create_method(method), torch.optim.SGD(model.parameters(), 0.1), 0)
    return model, step

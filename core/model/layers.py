"""Building blocks of the dual-task network, one per block of the backbone.

Each block maps a batch of windows ``(B, W, C)`` onward, so the backbone is a
plain :class:`torch.nn.Sequential` of named blocks and the per-block gradient
breakdown (CNN, BiLSTM, attention, funnel) reads its parameters by name.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn


class ConvStack(nn.Module):
    """Conv1d blocks over time, each Conv -> BatchNorm -> ReLU, "same" padding.

    The convolutions see channels-first data, so the block transposes in and
    out and keeps the workbench's ``(batch, time, features)`` layout outside.
    """

    def __init__(self, n_features: int, channels: Sequence[int], kernel_size: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = n_features
        for out in channels:
            layers += [
                nn.Conv1d(width, out, kernel_size, padding=kernel_size // 2),
                nn.BatchNorm1d(out),
                nn.ReLU(),
            ]
            width = out
        self.layers = nn.Sequential(*layers)
        self.out_width = width

    def forward(self, x: Tensor) -> Tensor:
        """``(B, W, F) -> (B, W, channels[-1])``."""
        return self.layers(x.transpose(1, 2)).transpose(1, 2)


class BiLSTM(nn.Module):
    """Stacked bidirectional LSTM returning the whole output sequence.

    One fused :class:`torch.nn.LSTM` (cuDNN on a GPU), never a Python loop
    over time steps.
    """

    def __init__(self, in_width: int, hidden: int, layers: int, dropout: float) -> None:
        super().__init__()
        self.lstm = nn.LSTM(
            in_width,
            hidden,
            num_layers=layers,
            batch_first=True,
            bidirectional=True,
            # PyTorch warns about inter-layer dropout with a single layer.
            dropout=dropout if layers > 1 else 0.0,
        )
        self.out_width = 2 * hidden

    def forward(self, x: Tensor) -> Tensor:
        """``(B, W, C) -> (B, W, 2 * hidden)``."""
        return self.lstm(x)[0]


class LastStepAttention(nn.Module):
    """Self-attention over time with residual + LayerNorm, read at the last step.

    The model only uses the last time step after attention. The attention
    output at a step depends only on that step's query and on all keys and
    values, so querying with the last step alone gives exactly the same
    result as full self-attention followed by ``[:, -1]``, at 1/W of the cost.
    """

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.attention = nn.MultiheadAttention(width, heads, batch_first=True)
        self.norm = nn.LayerNorm(width)

    def forward(self, sequence: Tensor) -> Tensor:
        """``(B, W, D) -> (B, D)``: the normalised, attended last step."""
        last = sequence[:, -1:, :]
        attended = self.attention(last, sequence, sequence, need_weights=False)[0]
        return self.norm(last + attended).squeeze(1)


def funnel(in_width: int, widths: Sequence[int], dropout: float) -> nn.Sequential:
    """Shared fully connected funnel: Linear -> ReLU per layer, Dropout *between* layers.

    The funnel's output is the shared representation both heads read, and it
    is never dropped out. Dropping it (the book's Linear -> ReLU -> Dropout on
    every layer, the last one included) fed the nonlinear heads a noisy input
    during training only: through the RUL head's ReLUs the mean of the
    training-mode prediction is higher than the prediction on the clean input
    (Jensen's inequality for a convex function), and with outputs in cycles the
    gap is large. Measured on FD001 (compact, fixed, 20 epochs): the eval-mode
    model predicted the *training* windows 6.8 cycles too low on average while
    the same weights with dropout active were off by +0.9, so the selected
    checkpoint was not the model that had been trained. See docs/recipe.md.
    """
    layers: list[nn.Module] = []
    for i, out in enumerate(widths):
        if i > 0:  # kept at p = 0 too, so checkpoints keep their parameter names
            layers.append(nn.Dropout(dropout))
        layers += [nn.Linear(in_width, out), nn.ReLU()]
        in_width = out
    return nn.Sequential(*layers)


def head(in_width: int, hidden: Sequence[int], out_width: int, final_relu: bool) -> nn.Sequential:
    """Task head: Linear layers with ReLU between, optionally a final ReLU.

    The RUL head ends in a ReLU so a prediction is never negative; the health
    head returns raw logits (cross-entropy applies the softmax).
    """
    layers: list[nn.Module] = []
    for out in hidden:
        layers += [nn.Linear(in_width, out), nn.ReLU()]
        in_width = out
    layers.append(nn.Linear(in_width, out_width))
    if final_relu:
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def parameter_count(parameters: Sequence[torch.nn.Parameter]) -> int:
    """Number of scalar weights in ``parameters``."""
    return sum(p.numel() for p in parameters)

"""Window sets on the training device, gathered into batches by index.

The rows of a :class:`~core.data.windows.WindowSet` go to the device once;
a batch is one indexed gather there, with no per-batch collation or copy
from the host.
"""

from __future__ import annotations

import numpy as np
import torch

from core.data.windows import WindowSet


class DeviceWindows:
    """A window set's rows and labels as tensors on ``device``."""

    def __init__(self, windows: WindowSet, device: torch.device) -> None:
        self.windows = windows
        self.device = device
        self.rows = torch.as_tensor(windows.rows, device=device)
        self.starts = torch.as_tensor(windows.starts, device=device)
        self.offsets = torch.arange(windows.window, device=device)
        self.rul = torch.as_tensor(windows.rul, device=device)
        self.health = torch.as_tensor(windows.health, device=device)
        #: Windows whose RUL is only a lower bound (suspended units); None when there are none.
        censored = windows.censored
        self.censored = (
            None
            if censored is None or not censored.any()
            else torch.as_tensor(censored, device=device)
        )

    def __len__(self) -> int:
        return len(self.windows)

    def inputs(self, index: torch.Tensor) -> torch.Tensor:
        """Windows ``index`` as a (B, W, F) tensor."""
        return self.rows[self.starts[index][:, None] + self.offsets]

    def censored_of(self, index: torch.Tensor) -> torch.Tensor | None:
        """Which of windows ``index`` are censored; None when the set has no censored window."""
        return None if self.censored is None else self.censored[index]

    def batches(self, batch_size: int, generator: torch.Generator | None = None):
        """``(index, x, rul, health)`` over the set, shuffled when a generator is given."""
        n = len(self)
        if generator is not None:
            order = torch.randperm(n, generator=generator).to(self.device)
        else:
            order = torch.arange(n, device=self.device)
        for start in range(0, n, batch_size):
            index = order[start : start + batch_size]
            yield index, self.inputs(index), self.rul[index], self.health[index]


def steps_per_epoch(n_windows: int, batch_size: int) -> int:
    return int(np.ceil(n_windows / batch_size))

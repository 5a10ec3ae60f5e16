"""The only place that reads or writes TorchJD's private state.

Resuming a run must restore two pieces of solver state that TorchJD keeps in
private attributes and does not expose through ``state_dict``:

* GradVac's EMA of the target cosine (``_phi_t``, ``None`` before the first
  call, with ``_state_key`` recording the shape/dtype it was built for);
* Nash-MTL's warm start (``prvs_alpha``, a NumPy array).

Both are pinned to the TorchJD version in ``pyproject.toml`` (``<0.19``);
``tests/core/methods/test_torchjd_state.py`` checks them against the installed
version, so an upgrade that renames them fails there, not in a resumed run.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

F64 = torch.float64


def gradvac_target(weighting: Any) -> Tensor | None:
    """GradVac's target cosine (a copy), or ``None`` before its first step."""
    phi = weighting.state_dict().get("_phi_t")
    return None if phi is None else phi.detach().clone()


def set_gradvac_target(weighting: Any, target: Tensor | None, tasks: int) -> None:
    """Restore GradVac's target cosine after ``weighting.reset()``.

    TorchJD keeps the EMA in a buffer that is ``None`` until the first call,
    so ``Module.load_state_dict`` cannot restore it; it is set directly,
    with the key TorchJD checks before reusing it.
    """
    weighting.reset()
    if target is not None:
        weighting._phi_t = target.detach().clone().to(F64)
        weighting._state_key = (tasks, F64)


def nash_warm_start(solver: Any) -> Tensor:
    """Nash-MTL's warm start (the previous solution) as a float64 tensor."""
    return torch.as_tensor(solver.prvs_alpha, dtype=F64).clone()


def set_nash_warm_start(solver: Any, warm_start: Tensor) -> None:
    """Restore Nash-MTL's warm start; ``reset()`` first makes TorchJD rebuild its problem."""
    solver.reset()
    solver.prvs_alpha = warm_start.detach().cpu().numpy().copy()

"""The TorchJD private state the workbench reads, against the installed TorchJD.

:mod:`core.methods.torchjd_state` is the one place that touches TorchJD
internals; these tests fail if a TorchJD upgrade renames or reshapes them,
instead of a resumed GradVac or Nash-MTL run silently restarting its state.
"""

from __future__ import annotations

import pytest
import torch
from torchjd.aggregation import GradVacWeighting

from core.methods.torchjd_state import (
    gradvac_target,
    nash_warm_start,
    set_gradvac_target,
    set_nash_warm_start,
)

F64 = torch.float64
#: A Gram with a conflict (negative cosine), so GradVac's EMA target moves.
GRAMS = [
    torch.tensor([[4.0, -1.5], [-1.5, 1.0]], dtype=F64),
    torch.tensor([[9.0, 0.5], [0.5, 0.25]], dtype=F64),
    torch.tensor([[1.0, -0.8], [-0.8, 1.0]], dtype=F64),
]


def test_gradvac_target_is_none_before_the_first_step_and_moves_after() -> None:
    weighting = GradVacWeighting(beta=0.5)
    assert gradvac_target(weighting) is None
    weighting(GRAMS[0])
    first = gradvac_target(weighting)
    weighting(GRAMS[1])
    assert first is not None and not torch.equal(first, gradvac_target(weighting))


def weights_after(weighting: GradVacWeighting) -> list[torch.Tensor]:
    """The weights ``weighting`` gives on the Grams after the first."""
    return [weighting(gram) for gram in GRAMS[1:]]


def test_a_restored_gradvac_target_continues_exactly() -> None:
    original = GradVacWeighting(beta=0.5)
    original(GRAMS[0])
    restored = GradVacWeighting(beta=0.5)
    set_gradvac_target(restored, gradvac_target(original), tasks=2)
    expected = weights_after(original)
    assert all(map(torch.equal, expected, weights_after(restored)))
    # Without the restored target the weights differ: the state matters.
    assert not all(map(torch.equal, expected, weights_after(GradVacWeighting(beta=0.5))))


def test_a_restored_nash_warm_start_is_the_solver_state() -> None:
    pytest.importorskip("cvxpy", reason="Nash-MTL needs the nash-mtl extra")
    from torchjd.aggregation import NashMTL

    solver = NashMTL(n_tasks=2, max_norm=0.0, optim_niter=20).weighting
    start = nash_warm_start(solver)
    assert start.dtype == F64 and start.shape == (2,)
    other = NashMTL(n_tasks=2, max_norm=0.0, optim_niter=20).weighting
    set_nash_warm_start(other, torch.tensor([0.25, 4.0], dtype=F64))
    assert torch.equal(nash_warm_start(other), torch.tensor([0.25, 4.0], dtype=F64))

"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_CMAPSS = REPO.parent / "shared" / "data" / "cmapss"


def cmapss_dir() -> Path | None:
    """C-MAPSS folder from $RUL_WORKBENCH_CMAPSS, else ../shared/data/cmapss, else None."""
    env = os.environ.get("RUL_WORKBENCH_CMAPSS")
    for candidate in (Path(env) if env else None, SHARED_CMAPSS):
        if candidate is not None and (candidate / "train_FD001.txt.gz").exists():
            return candidate
        if candidate is not None and (candidate / "train_FD001.txt").exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def cmapss() -> Path:
    """The C-MAPSS folder; the test is skipped with a reason when it is absent."""
    found = cmapss_dir()
    if found is None:
        pytest.skip(
            "C-MAPSS data not found: set RUL_WORKBENCH_CMAPSS or place it in ../shared/data/cmapss"
        )
    return found


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """The whole suite trains on one intra-op thread.

    Two reasons. Speed: the test models gain nothing from a second thread,
    and on the few shared cores of test machines OpenMP's spinning threads
    made a run 30-100x slower (measured: about 100 s instead of 1 s when other
    work ran). Reproducibility: torch's CPU reductions depend on the thread
    count, so exact-result tests (tests/data/golden_history.json, resume
    against an uninterrupted run) hold whatever cores the machine has.
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def pass_counter(monkeypatch):
    """Counts ``torch.autograd.grad`` and ``Tensor.backward`` calls: ``{"grad": n, "backward": m}``.

    How a step's cost in backward passes is checked without timing it.
    """
    import torch

    calls = {"grad": 0, "backward": 0}
    real_grad, real_backward = torch.autograd.grad, torch.Tensor.backward

    def counting_grad(*args, **kwargs):
        calls["grad"] += 1
        return real_grad(*args, **kwargs)

    def counting_backward(self, *args, **kwargs):
        calls["backward"] += 1
        return real_backward(self, *args, **kwargs)

    monkeypatch.setattr(torch.autograd, "grad", counting_grad)
    monkeypatch.setattr(torch.Tensor, "backward", counting_backward)
    return calls

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

"""Small, fast experiments for the training tests."""

from __future__ import annotations

import pytest

from core.experiment.run import load_data
from tests.helpers.experiments import small_experiment


@pytest.fixture(scope="session")
def small_data():
    return load_data(small_experiment())

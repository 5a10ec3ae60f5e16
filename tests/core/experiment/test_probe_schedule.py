"""The gradient probe records; it never changes what a run learns.

A probe-due step takes per-task gradients, which used to call the method's
``weigh`` and so advanced GABA's EMA on the probe's schedule: with
``every=20`` and ``probe_every=10`` GABA re-weighed every 10 steps.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from core.experiment.run import run_experiment
from tests.helpers.experiments import small_experiment

COLUMNS = ("train_loss_rul", "train_loss_health", "val_rmse", "weight_rul", "weight_health")


def history(method: str, probe_every: int, data, **params) -> dict:
    config = small_experiment(method=method, method_params=params)
    config = config.with_(train=replace(config.train, probe_every=probe_every, epochs=3))
    result, _ = run_experiment(config, data=data)
    return {c: np.array([row[c] for row in result.history]) for c in COLUMNS}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("method", "params"),
    [("gaba", {"every": 20, "warmup_steps": 5}), ("rlw", {}), ("famo", {}), ("fixed", {})],
)
def test_probe_schedule_does_not_change_the_history(small_data, method, params):
    """Same seed, probe off / every 7 / every 10 steps: the same history.

    The tolerance covers only the summation order of a probed step (the update
    is ``sum_k w_k g_k`` of separately taken gradients instead of one backward
    of the weighted loss); a weight update on the probe's schedule moves GABA's
    weights in the second digit (see the test below).
    """
    reference = history(method, 0, small_data, **params)
    for probe_every in (7, 10):
        probed = history(method, probe_every, small_data, **params)
        for column in COLUMNS:
            np.testing.assert_allclose(
                probed[column],
                reference[column],
                rtol=1e-4,
                err_msg=f"{column}, probe {probe_every}",
            )


@pytest.mark.slow
def test_the_check_would_see_weights_updated_on_the_probe_schedule(small_data):
    """GABA measuring every 10 steps instead of 20 moves the weights far beyond 1e-4."""
    every_20 = history("gaba", 0, small_data, every=20, warmup_steps=5)
    every_10 = history("gaba", 0, small_data, every=10, warmup_steps=5)
    moved = np.abs(every_10["weight_rul"] - every_20["weight_rul"]) / every_20["weight_rul"]
    assert moved.max() > 1e-3

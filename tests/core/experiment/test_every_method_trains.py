"""Every registered balancing method trains the tiny model for two epochs.

A smoke test across the whole family, through the real trainer: the
method's weights, head weights and state must fit the training step, and
the run must end with finite metrics. Correctness of each rule is tested in
test_methods.py and test_methods_family.py.
"""

from __future__ import annotations

import math

import pytest

from core.experiment.run import build_trainer
from core.methods.registry import balancing_methods
from core.runs import RunStatus
from core.training.config import TrainConfig
from tests.helpers.experiments import small_experiment

HEADLINE = ("val_rmse", "rmse", "nasa_score", "mae", "accuracy", "macro_f1")
# Large batches keep 22 runs within about a minute on two cores (about 7 steps
# an epoch); probing every 3rd step makes loss-level methods (FAMO, RLW, ...)
# go through both the plain and the per-task-gradient path.
QUICK = TrainConfig(epochs=2, batch_size=512, probe_every=3, trajectories=False, device="cpu")


@pytest.mark.slow
@pytest.mark.parametrize("name", balancing_methods())
def test_two_tiny_epochs_finish_with_finite_metrics(name: str, small_data) -> None:
    # No skip for a missing solver: the test extras install every method's solver.
    trainer = build_trainer(small_experiment(method=name, train=QUICK), small_data)
    result = trainer.fit()
    assert result.status == RunStatus.FINISHED, result.detail
    assert len(result.history) == 2
    for key in HEADLINE:
        assert math.isfinite(result.metrics[key]), (key, result.metrics[key])
    last = result.history[-1]
    assert math.isfinite(last["weight_rul"]) and math.isfinite(last["weight_health"])

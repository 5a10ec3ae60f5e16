"""Model selection looks at both tasks when asked; early stopping follows the same criterion."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from core.experiment.run import run_experiment
from core.runs import RunStore
from core.training.config import TrainConfig
from core.training.selection import SELECT_ON, selection_score
from tests.helpers.experiments import small_experiment


def test_scores_by_hand():
    row = {"val_rmse": 25.0, "val_macro_f1": 0.6}
    assert selection_score(row, "rul", 125.0) == 25.0
    assert selection_score(row, "health", 125.0) == pytest.approx(0.4)
    assert selection_score(row, "combined", 125.0) == pytest.approx(0.2 + 0.4)
    assert selection_score({"val_rmse": math.nan, "val_macro_f1": 0.5}, "rul", 125.0) == math.inf
    with pytest.raises(ValueError, match="select_on"):
        selection_score(row, "accuracy", 125.0)
    with pytest.raises(ValueError, match="select_on"):
        TrainConfig(select_on="accuracy")


def train(small_data, tmp_path, criterion: str, patience: int = 0, epochs: int = 6):
    """Six epochs at lr 1e-2 from the book's start near 0 (``rul_bias_init`` off): a run whose
    RUL error stops falling before the health head's F1 does, so the criteria disagree."""
    config = small_experiment()
    config = config.with_(
        train=replace(
            config.train,
            epochs=epochs,
            select_on=criterion,
            early_stopping_patience=patience,
            lr=1e-2,
            rul_bias_init=False,
        )
    )
    return run_experiment(config, RunStore(tmp_path / criterion), data=small_data)


@pytest.mark.slow
@pytest.mark.parametrize("criterion", SELECT_ON)
def test_kept_epoch_is_the_criterions_best_and_is_recorded(small_data, tmp_path, criterion):
    result, run = train(small_data, tmp_path, criterion)
    scores = [selection_score(row, criterion, 125.0) for row in result.history]
    assert [row["selection_score"] for row in result.history] == pytest.approx(scores)
    assert result.best_epoch == int(np.argmin(scores)) + 1
    metrics = run.read_metrics()
    assert metrics["select_on"] == criterion
    assert metrics["best_epoch"] == result.best_epoch
    chosen = result.history[result.best_epoch - 1]
    # the kept weights are re-evaluated: the same validation figures as that epoch's row
    assert metrics["val_rmse"] == pytest.approx(chosen["val_rmse"], rel=1e-5)
    assert metrics["val_macro_f1"] == pytest.approx(chosen["val_macro_f1"], rel=1e-5)
    assert metrics["selection_score"] == pytest.approx(min(scores), rel=1e-5)
    history = run.read_history()
    assert "selection_score" in history.columns


@pytest.mark.slow
def test_criteria_can_keep_different_epochs(small_data, tmp_path):
    """On this run the health head improves after the RUL error stops falling."""
    kept = {c: train(small_data, tmp_path, c)[0].best_epoch for c in ("rul", "health")}
    assert kept["rul"] != kept["health"]


def test_early_stopping_follows_the_criterion(small_data, tmp_path):
    result, _ = train(small_data, tmp_path, "health", patience=2, epochs=12)
    scores = [row["selection_score"] for row in result.history]
    best = int(np.argmin(scores)) + 1
    assert len(result.history) == best + 2 or len(result.history) == 12
    assert all(s >= min(scores) for s in scores[best:])

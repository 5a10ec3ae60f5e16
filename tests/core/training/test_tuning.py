"""fixed_tuned: lambda_RUL chosen on validation from a grid, recorded, reused on resume."""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import pytest

from core.experiment import run as experiment
from core.experiment.run import choose_tuning, run_experiment, with_tuning
from core.methods.fixed import TUNING_GRID
from core.runs import RunStore
from core.training.tuning import FILE, Tuning
from tests.helpers.experiments import small_experiment


def tuned(**params):
    config = small_experiment(method="fixed_tuned", method_params={"tune_epochs": 1, **params})
    return config.with_(train=replace(config.train, epochs=2, probe_every=0))


@pytest.mark.slow
def test_the_run_trains_with_the_lambda_of_the_best_validation_score(small_data, tmp_path):
    _, run = run_experiment(tuned(), RunStore(tmp_path), data=small_data)
    record = json.loads((run.path / FILE).read_text())
    scores = {row["lambda_rul"]: row["best_score"] for row in record["grid"]}
    assert list(scores) == list(TUNING_GRID) and record["criterion"] == "combined"
    chosen = min(scores, key=lambda v: (scores[v], abs(v - 0.5)))
    assert record["lambda_rul"] == chosen
    assert len(set(scores.values())) > 1, "every lambda scored the same: the grid measured nothing"
    history = pd.read_csv(run.path / "history.csv")
    assert history["weight_rul"].tolist() == pytest.approx([chosen] * 2)
    assert history["weight_health"].tolist() == pytest.approx([1 - chosen] * 2)
    assert json.loads((run.path / "config.json").read_text())["method"] == "fixed_tuned"
    # the grid is part of what the run cost: its seconds count in the run's
    metrics = json.loads((run.path / "metrics.json").read_text())
    assert record["seconds"] > 0 and metrics["tuning_seconds"] == record["seconds"]
    assert metrics["seconds"] == pytest.approx(history["seconds"].sum() + record["seconds"])
    # each recorded score is what a one-epoch run of fixed at that lambda scores on validation
    value = TUNING_GRID[1]
    fixed = small_experiment(
        method="fixed", method_params={"lambda_rul": value, "lambda_health": 1 - value}
    )
    fixed = fixed.with_(train=replace(fixed.train, epochs=1, probe_every=0, trajectories=False))
    alone, _ = run_experiment(fixed, data=small_data)
    assert scores[value] == pytest.approx(alone.history[0]["selection_score"], rel=1e-6)


@pytest.mark.slow
def test_a_resumed_run_reuses_its_choice(small_data, tmp_path, monkeypatch):
    _, run = run_experiment(tuned(), RunStore(tmp_path), data=small_data)
    saved = json.loads((run.path / FILE).read_text())["lambda_rul"]
    monkeypatch.setattr(experiment, "tune", lambda *a, **k: pytest.fail("tuned again"))
    config = with_tuning(tuned(), choose_tuning(tuned(), small_data, run))
    assert config.method == "fixed"
    assert config.method_params == {"lambda_rul": saved, "lambda_health": pytest.approx(1 - saved)}


def test_ties_go_to_the_value_nearest_the_books_half():
    assert Tuning("combined", 1, {0.1: 1.0, 0.3: 0.5, 0.7: 0.5, 0.5: 0.6}).lambda_rul == 0.3
    assert Tuning("combined", 1, {0.1: 1.0, 0.5: 0.5, 0.7: 0.5}).lambda_rul == 0.5


def test_a_tuning_file_from_before_its_seconds_were_recorded_still_reads():
    record = Tuning("combined", 1, {0.1: 1.0, 0.5: 0.5}, seconds=12.5).to_dict()
    assert Tuning.from_dict(record).seconds == 12.5
    del record["seconds"]
    old = Tuning.from_dict(record)
    assert old.seconds is None and old.lambda_rul == 0.5


def test_other_methods_are_left_alone(small_data):
    config = small_experiment(method="gaba")
    assert choose_tuning(config, small_data) is None
    assert with_tuning(config, None) is config

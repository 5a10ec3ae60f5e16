"""Refit: after selection on validation units, a fresh model trained on every training unit.

The selection (history, kept epoch, validation figures, interval calibration)
must be the run's without refit; only the test figures and best.pt come from
the refit model, which is what predicts afterwards.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from core.data.sources import load_source
from core.experiment.resume import resume_run
from core.experiment.run import load_data, run_experiment
from core.prediction.inference import FleetPredictor
from core.runs import RunStatus, RunStore
from core.training.config import TrainConfig
from core.training.control import TrainingControl
from core.training.events import RefitEvent
from core.training.trainer import SELECTED_CHECKPOINT, Trainer
from tests.helpers.experiments import small_experiment

#: From the book's start near 0 (``rul_bias_init`` off): these 4 epochs then keep a later
#: epoch than the first, so a refit has epochs to be stopped in.
TRAIN = TrainConfig(
    epochs=4, batch_size=256, probe_every=0, trajectories=False, device="cpu", rul_bias_init=False
)
SELECTION = ("val_rmse", "val_macro_f1", "selection_score", "best_epoch")


@pytest.fixture(scope="module")
def data():
    return load_data(small_experiment(train=TRAIN))


@pytest.fixture(scope="module")
def plain_and_refit(data, tmp_path_factory):
    """The same experiment without and with a refit (their selections must agree)."""
    store = RunStore(tmp_path_factory.mktemp("runs"))
    plain, _ = run_experiment(small_experiment(train=TRAIN), store, data)
    events: list = []
    config = small_experiment(train=replace(TRAIN, refit=True))
    refit, run = run_experiment(config, store, data, on_event=events.append)
    return plain, refit, run, events


def test_join_stacks_two_window_sets_without_mixing_their_units(data):
    joined = data.train.join(data.val)
    assert len(joined) == len(data.train) + len(data.val)
    assert joined.unit_ids == (*data.train.unit_ids, *data.val.unit_ids)
    last = len(joined) - 1
    assert np.array_equal(
        joined.batch(np.array([last])), data.val.batch(np.array([len(data.val) - 1]))
    )
    assert joined.unit_ids[joined.unit[last]] == data.val.unit_ids[data.val.unit[-1]]
    assert np.array_equal(joined.rul[len(data.train) :], data.val.rul)


@pytest.mark.slow
def test_a_refit_keeps_the_selection_and_tests_a_model_trained_on_every_unit(plain_and_refit, data):
    plain, refit, run, events = plain_and_refit
    assert refit.status == plain.status == RunStatus.FINISHED
    for key in SELECTION:
        assert refit.metrics[key] == plain.metrics[key], key
    assert [r["val_rmse"] for r in refit.history] == [r["val_rmse"] for r in plain.history]
    epochs = refit.best_epoch
    assert [e.epoch for e in events if isinstance(e, RefitEvent)] == list(range(1, epochs + 1))
    assert refit.metrics["refit_epochs"] == epochs
    assert refit.metrics["refit_units"] == len(data.train.unit_ids) + len(data.val.unit_ids)
    assert refit.metrics["rmse"] != plain.metrics["rmse"], "the test figures are the refit's"
    assert "refit on every training unit" in run.read_status()["detail"]
    # the refit is part of what the run cost: its seconds count in the run's
    assert refit.metrics["refit_seconds"] > 0 and "refit_seconds" not in plain.metrics
    epoch_seconds = sum(r["seconds"] for r in refit.history)
    assert refit.metrics["seconds"] == pytest.approx(epoch_seconds + refit.metrics["refit_seconds"])
    best = run.load_checkpoint("best.pt", map_location="cpu")
    selected = run.load_checkpoint(SELECTED_CHECKPOINT, map_location="cpu")
    assert best["refit_epochs"] == epochs and "refit_epochs" not in selected
    assert selected["epoch"] == epochs


@pytest.mark.slow
def test_the_refit_trains_on_the_training_and_validation_windows(data, tmp_path, monkeypatch):
    sizes = []
    real = Trainer.train_only

    def spy(self, kept):
        sizes.append(len(self.train_set))
        return real(self, kept)

    monkeypatch.setattr(Trainer, "train_only", spy)
    run_experiment(small_experiment(train=replace(TRAIN, refit=True)), RunStore(tmp_path), data)
    assert sizes == [len(data.train) + len(data.val)]


def test_the_refit_model_is_what_the_run_predicts_with(plain_and_refit):
    _, _, run, _ = plain_and_refit
    written = pd.read_csv(run.path / "predictions.csv")
    fleet = load_source(small_experiment().source).test
    predicted = FleetPredictor.from_run(run.path).predict(fleet).engines
    both = written.merge(predicted, on="unit", suffixes=("_written", "_predicted"))
    assert len(both) == len(written) == len(predicted)
    np.testing.assert_allclose(both["pred_rul_predicted"], both["pred_rul_written"], rtol=1e-5)


@pytest.mark.slow
def test_a_refit_stopped_keeps_the_selected_model_and_resumes_to_the_same_end(
    plain_and_refit, data, tmp_path
):
    plain, refit, _, _ = plain_and_refit
    control = TrainingControl()

    def stop_in_the_refit(event):
        if isinstance(event, RefitEvent):
            control.request_stop()

    assert refit.best_epoch >= 2, "a refit of one epoch has no epoch left to stop in"
    config = small_experiment(train=replace(TRAIN, refit=True))
    stopped, run = run_experiment(config, RunStore(tmp_path), data, stop_in_the_refit, control)
    assert stopped.status == RunStatus.STOPPED
    assert "stopped during the refit" in run.read_status()["detail"]
    assert stopped.metrics["rmse"] == plain.metrics["rmse"], "the selected weights were tested"
    assert "refit_epochs" not in stopped.metrics
    resumed = resume_run(run, data=data)
    assert resumed.status == RunStatus.FINISHED
    assert len(resumed.history) == len(refit.history), "no further selection epoch"
    assert resumed.metrics["rmse"] == refit.metrics["rmse"]

"""The trainer: determinism, events, stop, divergence, the run folder, and learning."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from core.experiment.run import ExperimentConfig, build_trainer, run_experiment
from core.methods.fixed import FixedWeights
from core.runs import RunStatus, RunStore
from core.training.config import TrainConfig
from core.training.control import TrainingControl
from core.training.events import (
    EpochEvent,
    FinishedEvent,
    PredictionsEvent,
    ProbeEvent,
    StepEvent,
)
from tests.helpers.experiments import small_experiment


def _without_time(history):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in history]


@pytest.mark.slow
def test_same_seed_gives_identical_history(small_data):
    config = small_experiment(method="gaba", method_params={"warmup_steps": 5})
    first = build_trainer(config, small_data).fit()
    second = build_trainer(config, small_data).fit()
    assert _without_time(first.history) == _without_time(second.history)
    other = build_trainer(config.with_(seed=1), small_data).fit()
    assert _without_time(other.history) != _without_time(first.history)


def test_events_and_run_folder(small_data, tmp_path):
    events = []
    config = small_experiment()
    result, run = run_experiment(config, RunStore(tmp_path), small_data, events.append)
    kinds = [type(e) for e in events]
    steps = [e for e in events if isinstance(e, StepEvent)]
    assert result.status == RunStatus.FINISHED and isinstance(events[-1], FinishedEvent)
    assert kinds.count(EpochEvent) == 2
    assert kinds.count(ProbeEvent) == math.ceil(len(steps) / 5)
    assert {e.split for e in events if isinstance(e, PredictionsEvent)} == {"val", "test"}
    files = {p.name for p in run.path.iterdir()}
    expected = {"config.json", "status.json", "history.csv", "probe.csv", "metrics.json",
                "predictions.csv", "trajectories.csv", "best.pt"}  # fmt: skip
    assert expected <= files
    assert len(run.read_history()) == 2 and len(run.read_probe()) == kinds.count(ProbeEvent)
    assert len(run.read_predictions()) == len(small_data.test_last)
    saved = ExperimentConfig.from_dict(run.read_config()).to_dict()
    assert {k: v for k, v in saved.items() if k != "versions"} == {
        k: v for k, v in config.to_dict().items() if k != "versions"
    }, "config.json must re-create the same experiment"
    metrics = run.read_metrics()
    for key in ("rmse", "rmse_uncapped", "nasa_score", "mae", "accuracy", "macro_f1", "confusion"):
        assert key in metrics
    assert run.read_status()["status"] == "finished"


def test_history_has_every_documented_column(small_data):
    config = small_experiment(method="gaba", method_params={"warmup_steps": 2})
    row = build_trainer(config, small_data).fit().history[-1]
    for key in ("train_loss_rul", "train_loss_health", "val_loss_rul", "val_loss_health",
                "val_rmse", "val_nasa_mean", "val_accuracy", "val_macro_f1", "weight_rul",
                "weight_health", "norm_rul", "norm_health", "ratio", "cosine",
                "effective_ratio", "lr", "seconds"):  # fmt: skip
        assert np.isfinite(row[key]), key
    assert row["weight_rul"] + row["weight_health"] == pytest.approx(1.0)


def test_stop_keeps_finished_epochs(small_data, tmp_path):
    control = TrainingControl()

    def stop_after_first_epoch(event):
        if isinstance(event, EpochEvent):
            control.request_stop()

    config = small_experiment(train=TrainConfig(epochs=5, device="cpu"))
    result, run = run_experiment(config, RunStore(tmp_path), small_data, stop_after_first_epoch,
                                 control)  # fmt: skip
    assert result.status == RunStatus.STOPPED and len(result.history) == 1
    assert len(run.read_history()) == 1 and (run.path / "best.pt").exists()
    assert run.read_status()["status"] == "stopped"
    assert "rmse" in run.read_metrics(), "a stopped run is still evaluated on its best weights"


class _PoisonedFixed(FixedWeights):
    """Fixed weights whose RUL loss turns NaN at step 7."""

    name = "poisoned"
    calls = 0

    def rul_loss(self, pred, target):
        self.calls += 1
        loss = super().rul_loss(pred, target)
        return loss * float("nan") if self.calls > 7 else loss


def test_non_finite_loss_stops_as_diverged(small_data, tmp_path):
    trainer = build_trainer(small_experiment(), small_data, RunStore(tmp_path).create_run({}))
    poisoned = _PoisonedFixed()
    trainer.method = trainer.step_fn.method = poisoned
    result = trainer.fit()
    assert result.status == RunStatus.DIVERGED and "at step 7" in result.detail
    status = trainer.run.read_status()
    assert status["status"] == "diverged" and "step 7" in status["detail"]
    assert all(torch.isfinite(p).all() for p in trainer.model.parameters())


def test_single_task_never_trains_the_health_head(small_data):
    trainer = build_trainer(small_experiment(method="single_task"), small_data)
    before = [p.detach().clone() for p in trainer.model.health_head.parameters()]
    trainer.fit()
    for p, q in zip(before, trainer.model.health_head.parameters(), strict=True):
        assert torch.equal(p, q)


def test_pause_blocks_until_resumed():
    control = TrainingControl()
    control.pause()
    assert control.paused
    control.request_stop()
    control.wait_if_paused()  # returns at once once a stop is requested
    assert control.stop_requested


@pytest.mark.slow
def test_demo_fleet_is_learnable_in_six_tiny_epochs():
    """Tiny preset, default demo fleet, 6 epochs: RMSE far below predicting the mean.

    Six, not three: the default cosine schedule spends its learning rate over the
    run's epochs, so 3 epochs leave the tiny model short of the RUL scale.
    """
    config = small_experiment(source=small_experiment().source.__class__())
    config = config.with_(train=config.train.__class__(epochs=6, device="cpu", trajectories=False))
    trainer = build_trainer(config, data := __import__("core.experiment.run",
                            fromlist=["load_data"]).load_data(config))  # fmt: skip
    result = trainer.fit()
    mean_rmse = float(np.sqrt(np.mean((data.test_last.rul - data.train.rul.mean()) ** 2)))
    assert result.metrics["rmse"] < 0.65 * mean_rmse, (result.metrics["rmse"], mean_rmse)


@pytest.mark.slow
def test_gaba_shrinks_the_effective_ratio(small_data):
    """After warm-up GABA's weights cut the effective ratio >= 10x; fixed 0.5/0.5 leaves it."""
    train = TrainConfig(epochs=2, batch_size=64, probe_every=1, device="cpu")
    fixed = build_trainer(small_experiment(train=train), small_data).fit().history[-1]
    assert fixed["effective_ratio"] == pytest.approx(fixed["ratio"])
    params = {"warmup_steps": 10, "beta": 0.9}
    gaba_config = small_experiment(train=train, method="gaba", method_params=params)
    gaba = build_trainer(gaba_config, small_data).fit().history[-1]
    assert gaba["ratio"] > 100, "the tasks' gradients differ by orders of magnitude"
    assert gaba["effective_ratio"] < gaba["ratio"] / 10

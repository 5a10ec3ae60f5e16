"""Resuming from ``last.pt`` ends exactly where an uninterrupted run ends, for every method.

Each method keeps its own state (learnable log-variances, FAMO's optimiser,
GradVac's target cosine, RLW's generator, DWA's loss history, EMAs ...); a
run stopped after epoch 1 and resumed in a new trainer (as a new process
would) must reach the same metrics as one that never stopped. Also: what a
failed run (device out of memory, injected) keeps, and that it can be resumed.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from core.experiment.resume import ResumeError, resumable, resume_run
from core.experiment.run import load_data, run_experiment
from core.methods.registry import balancing_methods
from core.runs import RunStatus, RunStore
from core.training.config import TrainConfig
from core.training.control import TrainingControl
from core.training.events import EpochEvent
from core.training.step import TrainingStep
from core.training.trainer import LAST_CHECKPOINT
from tests.helpers.experiments import small_experiment

QUICK = TrainConfig(epochs=2, batch_size=512, probe_every=3, trajectories=False, device="cpu")
COMPARED = ("val_rmse", "rmse", "nasa_score", "mae", "accuracy", "macro_f1", "best_epoch")


@pytest.fixture(scope="module")
def small_data():
    return load_data(small_experiment())


def stop_after_first_epoch(control):
    def on_event(event):
        if isinstance(event, EpochEvent) and event.epoch == 1:
            control.request_stop()

    return on_event


# fixed_tuned trains as fixed once its choice is made; that a resumed run reuses the choice
# (tuning.json) is tests/core/training/test_tuning.py's; it keeps five tuning runs out of this one.
@pytest.mark.slow
@pytest.mark.parametrize("name", [m for m in balancing_methods() if m != "fixed_tuned"])
def test_stopped_and_resumed_run_ends_like_an_uninterrupted_one(name, small_data, tmp_path):
    config = small_experiment(method=name, train=QUICK)
    store = RunStore(tmp_path)
    # No skip for a missing solver: the test extras install every method's solver.
    whole, _ = run_experiment(config, store, data=small_data)
    control = TrainingControl()
    part, run = run_experiment(
        config, store, data=small_data, on_event=stop_after_first_epoch(control), control=control
    )
    assert part.status == RunStatus.STOPPED and len(part.history) == 1
    assert resumable(run)
    resumed = resume_run(run, data=small_data)
    assert resumed.status == RunStatus.FINISHED
    assert [r["epoch"] for r in resumed.history] == [1, 2]
    for key in COMPARED:
        assert resumed.metrics[key] == whole.metrics[key], key
    for before, after in zip(whole.history, resumed.history, strict=True):
        assert before["train_loss_rul"] == after["train_loss_rul"]
        assert before["weight_rul"] == after["weight_rul"]
    assert not resumable(run)


def test_a_run_resumed_after_its_early_stop_trains_no_further(small_data, tmp_path):
    """Killed (or stopped) between the epoch that triggered early stopping and the results."""
    config = small_experiment(train=replace(QUICK, epochs=20, early_stopping_patience=1))
    whole, run = run_experiment(config, RunStore(tmp_path), data=small_data)
    assert whole.status == RunStatus.FINISHED and len(whole.history) < 20, "early stopping fired"
    (run.path / "metrics.json").unlink()
    run.set_status(RunStatus.STOPPED, "stopped during the final evaluation")
    resumed = resume_run(run, data=small_data)
    assert resumed.status == RunStatus.FINISHED
    assert len(resumed.history) == len(whole.history), "no epoch after the early stop"
    for key in COMPARED:
        assert resumed.metrics[key] == whole.metrics[key], key


def test_out_of_memory_fails_the_run_with_advice_and_keeps_finished_epochs(
    small_data, tmp_path, monkeypatch
):
    """CUDA OOM injected on CPU in the third epoch: failed, with batch size and a suggestion."""
    real_step = TrainingStep.__call__

    def step_that_runs_out(self, *args, **kwargs):
        if kwargs["epoch"] == 3:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real_step(self, *args, **kwargs)

    monkeypatch.setattr(TrainingStep, "__call__", step_that_runs_out)
    config = small_experiment(train=replace(QUICK, epochs=4))
    result, run = run_experiment(config, RunStore(tmp_path), data=small_data)
    assert result.status == RunStatus.FAILED
    assert "ran out of memory" in result.detail and "batch size 512" in result.detail
    assert "smaller batch size" in result.detail
    status = run.read_status()
    assert status["status"] == "failed" and "batch size 512" in status["detail"]
    assert list(run.read_history()["epoch"]) == [1, 2]
    assert run.load_checkpoint("best.pt")["epoch"] in (1, 2)
    assert run.read_metrics()["rmse"] > 0  # the best weights were still evaluated
    assert resumable(run)  # e.g. after closing what else used the GPU


def test_resume_refuses_a_run_without_last_checkpoint(small_data, tmp_path):
    _, run = run_experiment(small_experiment(train=QUICK), RunStore(tmp_path), data=small_data)
    (run.path / LAST_CHECKPOINT).unlink()
    run.set_status(RunStatus.STOPPED)
    assert not resumable(run)
    with pytest.raises(ResumeError, match=r"no last\.pt"):
        resume_run(run, data=small_data)

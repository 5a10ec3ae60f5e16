"""Abandoning a run (the window closes): it leaves at the next chance, keeping finished epochs.

The trainer checks its :class:`TrainingControl` before every step and at
every batch of an inference pass that follows a saved epoch; the validation
pass that completes an epoch runs to its end, so that epoch is on disk.
"""

from __future__ import annotations

import pytest
import torch

from core.experiment.run import run_experiment
from core.model import DualTaskModel
from core.runs import RunDir, RunStore
from core.training.batches import DeviceWindows
from core.training.config import TrainConfig
from core.training.control import RunAbandoned, TrainingControl
from core.training.evaluation import predict
from core.training.events import Event, PredictionsEvent, StepEvent
from tests.helpers.experiments import small_experiment

TRAIN = TrainConfig(epochs=3, batch_size=128, probe_every=0, device="cpu", trajectories=True)


def abandoned_run(small_data, tmp_path, when) -> tuple[RunDir, list[Event]]:
    """Train until ``when(event)`` is true, abandon there, return the folder and the events."""
    control, events = TrainingControl(), []

    def on_event(event: Event) -> None:
        events.append(event)
        if when(event):
            control.abandon()

    store = RunStore(tmp_path)
    with pytest.raises(RunAbandoned):
        run_experiment(small_experiment(train=TRAIN), store, small_data, on_event, control)
    [info] = store.list_runs()
    return RunDir(info.path), events


@pytest.mark.slow
def test_an_epoch_whose_training_finished_is_kept_and_nothing_after_it_runs(small_data, tmp_path):
    def last_step_of_epoch_1(event: Event) -> bool:
        return isinstance(event, StepEvent) and event.step + 1 == event.steps_per_epoch

    run, events = abandoned_run(small_data, tmp_path, last_step_of_epoch_1)
    assert list(run.read_history()["epoch"]) == [1], "the validation pass completed epoch 1"
    assert (run.path / "best.pt").exists()
    assert not any(isinstance(e, PredictionsEvent) for e in events), "trajectories were cut"
    assert not (run.path / "metrics.json").exists(), "no test evaluation after abandoning"


def test_abandoning_mid_epoch_stops_before_the_next_step(small_data, tmp_path):
    run, events = abandoned_run(small_data, tmp_path, lambda e: isinstance(e, StepEvent))
    assert sum(isinstance(e, StepEvent) for e in events) == 1
    assert not (run.path / "history.csv").exists() or run.read_history().empty


def test_predict_leaves_at_its_first_batch_only_when_given_an_abandoned_control(small_data):
    model = DualTaskModel(small_data.n_features, "tiny")
    windows = DeviceWindows(small_data.val, torch.device("cpu"))
    control = TrainingControl()
    control.abandon()
    rul, _ = predict(model, windows, 64)  # no control: the pass runs to its end
    assert len(rul) == len(small_data.val.unit)
    with pytest.raises(RunAbandoned):
        predict(model, windows, 64, control=control)

"""The training worker in its thread: events out, stop and pause in, errors as outcomes."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QObject, QThread, Signal

from core.data.config import PreprocessConfig
from core.data.sources import SourceSpec
from core.experiment.failure import describe_failure
from core.experiment.run import ExperimentConfig
from core.runs import RunDir, RunStatus, RunStore
from core.training.config import TrainConfig
from core.training.events import EpochEvent, PredictionsEvent, ProbeEvent, StepEvent
from tests.helpers.gui_support import SMALL_DEMO
from workbench.training.jobs import JobOutcome, TrainingJob
from workbench.training.worker import TrainingWorker


def small_config(**changes) -> ExperimentConfig:
    train = TrainConfig(epochs=2, batch_size=256, probe_every=3, device="cpu")
    config = ExperimentConfig(
        source=SourceSpec(demo=SMALL_DEMO),
        preprocess=PreprocessConfig(window=20),
        preset="tiny",
        method="gaba",
        train=train,
    )
    return config.with_(**changes)


class Sender(QObject):
    submit = Signal(object)


@pytest.fixture
def worker(qtbot, tmp_path):
    """A worker moved to a started QThread, torn down the way the window does it."""
    thread = QThread()
    worker = TrainingWorker(RunStore(tmp_path / "runs"))
    worker.moveToThread(thread)
    thread.finished.connect(worker.deleteLater)
    sender = Sender()
    sender.submit.connect(worker.run_job)
    worker.events, worker.outcomes = [], []
    worker.runEvent.connect(lambda _row, event: worker.events.append(event))
    worker.runEnded.connect(worker.outcomes.append)
    thread.start()
    worker.send = sender.submit.emit
    yield worker
    thread.quit()
    assert thread.wait(10_000)


def run(qtbot, worker, job: TrainingJob, timeout: int = 30_000) -> JobOutcome:
    with qtbot.waitSignal(worker.runEnded, timeout=timeout) as blocker:
        worker.send(job)
    return blocker.args[0]


def test_a_job_reports_every_kind_of_event_and_its_results(qtbot, worker):
    outcome = run(qtbot, worker, TrainingJob(1, small_config()))
    assert outcome.status == "finished", outcome.error
    kinds = {type(e) for e in worker.events}
    assert {StepEvent, ProbeEvent, EpochEvent, PredictionsEvent} <= kinds
    assert outcome.metrics["rmse"] > 0
    assert outcome.predictions is not None and len(outcome.predictions) == SMALL_DEMO.test_units
    history = RunDir(outcome.run_dir).read_history()
    assert list(history["epoch"]) == [1, 2]


def test_stop_ends_the_run_soon_and_keeps_finished_epochs(qtbot, worker):
    long_run = TrainConfig(epochs=50, batch_size=256, probe_every=3, device="cpu")
    job = TrainingJob(2, small_config(train=long_run))
    worker.runEvent.connect(
        lambda _row, event: job.control.request_stop() if isinstance(event, EpochEvent) else None
    )
    started = time.monotonic()
    outcome = run(qtbot, worker, job)
    assert outcome.status == "stopped"
    assert time.monotonic() - started < 30
    history = RunDir(outcome.run_dir).read_history()
    assert len(history) >= 1, "the finished epoch must be on disk"


def test_pause_holds_the_run_until_resumed(qtbot, worker):
    """Paused after its first step (so loading is over), a run makes no step until resumed."""
    job = TrainingJob(3, small_config(train=TrainConfig(epochs=20, device="cpu", probe_every=0)))
    steps: list[StepEvent] = []

    def pause_at_first_step(_row, event) -> None:
        if isinstance(event, StepEvent):
            if not steps:
                job.control.pause()
            steps.append(event)

    worker.runEvent.connect(pause_at_first_step)
    with qtbot.waitSignal(worker.runEnded, timeout=60_000):
        worker.send(job)
        try:
            qtbot.waitUntil(lambda: len(steps) > 0, timeout=30_000)
            qtbot.wait(300)  # steps already on their way when the pause arrived
            held = len(steps)
            qtbot.wait(600)
            assert len(steps) == held and not worker.outcomes, "a step ran while paused"
            job.control.resume()
            qtbot.waitUntil(lambda: len(steps) > held, timeout=10_000)
        finally:
            job.control.request_stop()  # end the 20 epochs early, pass or fail


def test_a_failing_job_is_an_outcome_and_the_next_job_still_runs(qtbot, worker, tmp_path):
    missing = tmp_path / "nowhere.csv"
    bad = TrainingJob(4, small_config(source=SourceSpec(kind="csv", path=str(missing))))
    outcome = run(qtbot, worker, bad)
    assert outcome.status == "failed"
    assert "nowhere.csv" in outcome.error
    good = run(
        qtbot, worker, TrainingJob(5, small_config(train=TrainConfig(epochs=1, device="cpu")))
    )
    assert good.status == "finished"


def test_out_of_memory_message_names_the_batch_size_and_a_remedy():
    config = small_config(train=TrainConfig(batch_size=4096))
    text = describe_failure(RuntimeError("CUDA out of memory. Tried to allocate 2 GiB"), config)
    assert "4096" in text and "smaller batch size" in text


@pytest.fixture
def four_cores(monkeypatch):
    """This machine has four cores; torch's thread count is put back after the run."""
    import torch

    from core.runs import live
    from workbench.training import worker as worker_module

    monkeypatch.setattr(live, "cpu_cores", lambda: 4)
    monkeypatch.setattr(worker_module, "cpu_cores", lambda: 4)
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.mark.slow
@pytest.mark.usefixtures("four_cores")
def test_a_job_beside_a_live_training_takes_a_share_and_warns(qtbot, worker, tmp_path):
    other = RunStore(tmp_path / "runs").create_run({"method": "fixed", "train": {"threads": 4}})
    notes = []
    worker.runNote.connect(lambda row, text: notes.append((row, text)))
    train = TrainConfig(epochs=1, batch_size=256, probe_every=0, device="cpu", threads=0)
    outcome = run(qtbot, worker, TrainingJob(7, small_config(train=train)))
    assert outcome.status == "finished", outcome.error
    # 4 cores // (1 live + 1): 2, below the GUI's cap of every core but one (3)
    assert RunDir(outcome.run_dir).read_config()["train"]["threads"] == 2
    assert outcome.metrics["torch_threads"] == 2
    assert notes == [
        (
            7,
            "cores oversubscribed: 1 other training on this machine uses 4 torch threads and "
            "this run 2 torch threads, 6 threads on 4 cores, so every one of them runs slower "
            "than it would alone (each waits for the others at every step).",
        )
    ]
    RunDir(other.path).set_status(RunStatus.FINISHED)
    again = run(qtbot, worker, TrainingJob(8, small_config(train=train)))
    assert RunDir(again.run_dir).read_config()["train"]["threads"] == 3  # alone: all but one
    assert len(notes) == 1

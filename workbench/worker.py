"""The one training worker: a parentless QObject living in its own QThread.

The trainer in :mod:`core.training` is plain Python that reports progress as
event records and checks a :class:`~core.training.control.TrainingControl`
between steps. The worker only turns those records into Qt signals; the
records are already detached snapshots (numbers and CPU numpy arrays), so
they can cross to the GUI thread as they are. Jobs arrive one at a time
through a queued signal (the GUI decides what runs next), so while a job
trains the worker's event loop is idle by design, and stop/pause go through
the job's control flags rather than through signals.
"""

from __future__ import annotations

import json
import os
import traceback

import torch
from PySide6.QtCore import QObject, Signal, Slot

from core.data.prepare import PreparedData
from core.errors import DataError, WorkbenchError
from core.runs import RunDir, RunStore, RunStoreError
from core.training.events import Event
from core.training.experiment import ExperimentConfig, load_data, run_experiment
from workbench.jobs import JobOutcome, TrainingJob


def data_key(config: ExperimentConfig) -> str:
    """What makes two experiments use the same prepared data: source and preprocessing."""
    return json.dumps(
        {"source": config.source.to_dict(), "preprocess": config.preprocess.to_dict()},
        sort_keys=True,
    )


def describe_failure(exc: BaseException, config: ExperimentConfig) -> str:
    """A message an engineer can act on, rather than a bare exception name."""
    if isinstance(exc, DataError):
        return f"The data could not be used: {exc}"
    if isinstance(exc, RunStoreError):
        return f"The run folder could not be written: {exc}"
    text = str(exc)
    if "out of memory" in text.lower():
        return (
            f"The device ran out of memory with batch size {config.train.batch_size} "
            f"and the '{config.preset}' preset. Try a smaller batch size or preset, "
            "or train on the CPU."
        )
    if isinstance(exc, WorkbenchError | ValueError):
        return text
    return f"{type(exc).__name__}: {text}"


def leave_a_core_free() -> None:
    """Let torch use all cores but one, so the GUI thread stays responsive on CPU runs.

    torch's thread count is process-wide; on a two-core laptop two busy
    intra-op threads plus the GUI thread make the plots stutter.
    """
    cores = os.cpu_count() or 1
    if cores > 1 and torch.get_num_threads() >= cores:
        torch.set_num_threads(cores - 1)


class TrainingWorker(QObject):
    """Runs training jobs one after another in the thread it was moved to.

    Parameters
    ----------
    store
        The run store every run is recorded in.
    """

    #: A job began (row id).
    runStarted = Signal(int)
    #: A training event of a job (row id, event record).
    runEvent = Signal(int, object)
    #: A job ended, whatever the reason (a :class:`~workbench.jobs.JobOutcome`).
    runEnded = Signal(object)

    def __init__(self, store: RunStore) -> None:
        super().__init__()  # parentless: it is moved to the worker thread
        self.store = store
        self._cached: tuple[str, PreparedData] | None = None

    @Slot(object)
    def run_job(self, job: TrainingJob) -> None:
        """Train one job to its end and report the outcome; never raises."""
        leave_a_core_free()
        self.runStarted.emit(job.row_id)
        try:
            outcome = self._train(job)
        except Exception as exc:
            outcome = JobOutcome(
                job.row_id,
                "failed",
                error=describe_failure(exc, job.config),
                trace=traceback.format_exc(),
            )
        self.runEnded.emit(outcome)

    def _train(self, job: TrainingJob) -> JobOutcome:
        data = self._data_for(job)

        def forward(event: Event) -> None:
            self.runEvent.emit(job.row_id, event)

        result, run = run_experiment(job.config, self.store, data, forward, job.control)
        return JobOutcome(
            job.row_id,
            result.status.value,
            dict(result.metrics),
            None if run is None else str(run.path),
            result.detail,
            _read_predictions(run),
        )

    def _data_for(self, job: TrainingJob) -> PreparedData:
        """The job's data, loading it once per source and preprocessing (seeds share it)."""
        key = data_key(job.config)
        if job.data is not None:
            self._cached = (key, job.data)
        elif self._cached is None or self._cached[0] != key:
            self._cached = (key, load_data(job.config))
        return self._cached[1]


def _read_predictions(run: RunDir | None):
    """The run's per-engine test predictions, or None when it has none (yet)."""
    if run is None or not (run.path / "predictions.csv").exists():
        return None
    try:
        table = run.read_predictions()
    except RunStoreError:
        return None
    return table if len(table) else None

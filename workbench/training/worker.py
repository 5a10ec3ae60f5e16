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

import contextlib
import threading
import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from core.common.errors import WorkbenchError
from core.comparisons.runner import experiment_key as key_of
from core.comparisons.runner import run_task
from core.data.prepare import PreparedData
from core.executors import RunOutcome, open_executor, run_tasks
from core.experiment.failure import data_key, describe_failure
from core.experiment.resume import resume_run
from core.experiment.run import ExperimentConfig, load_data, run_experiment
from core.runs import RunDir, RunStatus, RunStore, RunStoreError
from core.runs.live import ThreadPlan, cpu_cores, plan_threads
from core.runs.location import default_runs_dir
from core.training.control import RunAbandoned, TrainingControl
from core.training.events import EpochEvent, Event, FailedEvent, FinishedEvent, StepEvent
from core.training.trainer import TrainResult
from workbench.common.background import BackgroundTasks
from workbench.training.jobs import BatchJob, JobOutcome, TrainingJob

_warm_up_submitted = threading.Lock()
_warm_up_done = threading.Event()


def warm_up_torch(tasks: BackgroundTasks) -> None:
    """Import torch's compiler stack on ``tasks``' thread, once per process.

    torch imports ``torch._dynamo`` when the first optimiser is made: 2-3 s
    of module loading on the worker thread (more on a busy machine) that
    nothing can interrupt, so a window closed while the first run starts had
    to wait for it. Done ahead, while the user sets up the first run, it is
    gone from both. A job that starts before the import is done waits for it
    in :func:`_await_warm_up`, where closing the window can still end it.
    """
    if _warm_up_submitted.acquire(blocking=False):
        tasks.submit(_import_compiler)


def _import_compiler() -> None:
    try:
        import torch._dynamo  # noqa: F401  (the import is the work)
    finally:
        _warm_up_done.set()


def _await_warm_up(control: TrainingControl) -> None:
    """Wait for a warm-up under way, leaving at once if the job is abandoned meanwhile."""
    if not _warm_up_submitted.locked():
        return  # no warm-up (a worker without a window): the first optimiser imports it
    while not _warm_up_done.wait(0.05):
        control.check_abandoned()


@dataclass
class _JobProgress:
    """What the worker saw of a job, to mark its folder if the job is abandoned."""

    run: RunDir | None = None
    steps: int | None = None
    epoch: int = 0

    def note(self, event: Event) -> None:
        if isinstance(event, StepEvent):
            self.steps = event.step + 1
        elif isinstance(event, EpochEvent):
            self.epoch = event.epoch


class _FolderNoting(RunStore):
    """The run store, noting the folder :func:`run_experiment` creates for the job."""

    def __init__(self, root: Path, progress: _JobProgress) -> None:
        super().__init__(root)
        self._progress = progress

    def create_run(self, config: dict[str, Any], name: str | None = None) -> RunDir:
        run = super().create_run(config, name)
        self._progress.run = run
        return run


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
    #: A job ended, whatever the reason (a :class:`~workbench.training.jobs.JobOutcome`).
    runEnded = Signal(object)
    #: A batch row's run folder in the store, as soon as its run began (row id, folder).
    runFolder = Signal(int, str)
    #: What the user should know about a job's run as it starts (row id, sentence):
    #: the cores are oversubscribed by the trainings live on this machine.
    runNote = Signal(int, str)

    def __init__(self, store: RunStore) -> None:
        super().__init__()  # parentless: it is moved to the worker thread
        self.store = store
        self._cached: tuple[str, PreparedData] | None = None

    @Slot(object)
    def run_job(self, job: TrainingJob) -> None:
        """Train one job to its end and report the outcome; never raises."""
        if job.control.abandoned:  # sent just before the window closed: never started
            return
        self.runStarted.emit(job.row_id)
        progress = _JobProgress(RunDir(job.resume_dir) if job.resume_dir else None)
        try:
            outcome = self._train(job, progress)
        except RunAbandoned:
            outcome = _abandoned(job, progress)
        except Exception as exc:
            outcome = JobOutcome(
                job.row_id,
                "failed",
                error=describe_failure(exc, job.config),
                trace=traceback.format_exc(),
                run_dir=None if progress.run is None else str(progress.run.path),
            )
        self.runEnded.emit(outcome)

    @Slot(object)
    def run_batch(self, batch: BatchJob) -> None:
        """Train a batch's rows on its executor, reporting each row as one job; never raises.

        Opening the executor (starting or joining Ray) happens here, off the GUI
        thread; if it fails, every row of the batch fails with the reason.
        """
        tasks = {key_of(config): (row_id, config) for row_id, config in batch.rows}
        run_tasks_of = [run_task(c) for _, c in tasks.values()]
        ended: set[int] = set()

        def on_end(outcome: RunOutcome) -> None:
            row_id = tasks[outcome.key][0]
            ended.add(row_id)
            self.runEnded.emit(_batch_outcome(row_id, outcome))

        try:
            with open_executor(batch.executor, batch.rows[0][1].preset) as executor:
                run_tasks(
                    executor,
                    run_tasks_of,
                    self.store,
                    data=lambda task: batch.data or self._data_for_config(tasks[task.key][1]),
                    on_event=lambda key, event: self.runEvent.emit(tasks[key][0], event),
                    on_start=lambda key, folder: self._batch_row_started(tasks[key][0], folder),
                    on_end=on_end,
                    control=batch.control,
                    retries=batch.executor.retries,
                )
            error, trace = None, ""
        except Exception as exc:
            error, trace = describe_failure(exc, batch.rows[0][1]), traceback.format_exc()
        for row_id, _ in batch.rows:  # cancelled before they began, or the executor failed
            if row_id not in ended:
                status = "failed" if error else "queued"
                detail = "" if error else "not started: the batch was stopped"
                self.runEnded.emit(
                    JobOutcome(row_id, status, detail=detail, error=error, trace=trace)
                )

    def _batch_row_started(self, row_id: int, folder) -> None:
        self.runFolder.emit(row_id, str(folder))
        self.runStarted.emit(row_id)

    def _data_for_config(self, config):
        """Prepared data for ``config``, cached like a job's."""
        return self._data_for(TrainingJob(-1, config))

    def _train(self, job: TrainingJob, progress: _JobProgress) -> JobOutcome:
        data = self._data_for(job)
        _await_warm_up(job.control)
        job.control.check_abandoned()  # the window closed while the data loaded: no folder

        def forward(event: Event) -> None:
            progress.note(event)
            self.runEvent.emit(job.row_id, event)  # what is on disk is also reported
            if not isinstance(event, FinishedEvent | FailedEvent):  # ends already written
                job.control.check_abandoned()

        result, run = self._fit(job, data, forward, progress)
        return JobOutcome(
            job.row_id,
            result.status.value,
            dict(result.metrics),
            None if run is None else str(run.path),
            result.detail,
            _read_predictions(run),
        )

    def _fit(self, job: TrainingJob, data: PreparedData, forward, progress: _JobProgress):
        """A new run in a new folder, or the resumed run in its own folder."""
        if progress.run is not None:
            return _resume(progress.run, forward, job, data), progress.run
        store = _FolderNoting(self.store.root, progress)
        config = self._settle_threads(job)
        return run_experiment(config, store, data, forward, job.control)

    def _settle_threads(self, job: TrainingJob) -> ExperimentConfig:
        """The job's config with its torch threads settled beside the trainings live now.

        Threads left at 0 ("auto") become a share of the cores, one core kept
        for the GUI (:func:`gui_plan`); the count goes into the run's config.json.
        """
        plan = gui_plan(job.config.train.threads, self.store.root)
        if plan.warning:
            self.runNote.emit(job.row_id, f"{plan.warning}.")
        return job.config.with_(train=replace(job.config.train, threads=plan.threads))

    def _data_for(self, job: TrainingJob) -> PreparedData:
        """The job's data, loading it once per source and preprocessing (seeds share it)."""
        key = data_key(job.config)
        if job.data is not None:
            self._cached = (key, job.data)
        elif self._cached is None or self._cached[0] != key:
            self._cached = (key, load_data(job.config))
        return self._cached[1]


def gui_plan(requested: int, runs_dir: Path) -> ThreadPlan:
    """torch threads for a run started here, beside the trainings live on this machine.

    At most every core but one: torch's thread count is process-wide, and on a
    two-core laptop two busy intra-op threads plus the GUI thread make the
    plots stutter. Other trainings are looked for in this store and the default one.
    """
    cap = max(cpu_cores() - 1, 1)
    return plan_threads(requested, [runs_dir, default_runs_dir()], cap=cap)


def _batch_outcome(row_id: int, outcome: RunOutcome) -> JobOutcome:
    """A batch row's end, as the queue shows any job's end."""
    run = None if outcome.run_dir is None else RunDir(outcome.run_dir)
    return JobOutcome(
        row_id,
        outcome.status,
        dict(outcome.metrics),
        outcome.run_dir,
        outcome.detail,
        _read_predictions(run) if outcome.status != "failed" else None,
        outcome.error,
        outcome.trace,
    )


def _resume(run: RunDir, forward, job: TrainingJob, data: PreparedData) -> TrainResult:
    """Go on with ``run``; an unexpected error marks its folder failed, as a new run's would be."""
    try:
        return resume_run(run, forward, job.control, data)
    except WorkbenchError:
        raise  # refused before anything changed: the folder keeps its status
    except Exception as exc:
        with contextlib.suppress(RunStoreError, OSError):
            run.set_status(RunStatus.FAILED, f"{type(exc).__name__}: {exc}")
        raise


def _abandoned(job: TrainingJob, progress: _JobProgress) -> JobOutcome:
    """Mark the folder of an abandoned job stopped: its finished epochs are already saved."""
    detail = "stopped when the window was closed"
    if progress.epoch:
        detail += f", after epoch {progress.epoch}"
    extra = {} if progress.steps is None else {"step": progress.steps}
    if progress.run is not None:
        with contextlib.suppress(RunStoreError, OSError):
            progress.run.set_status(RunStatus.STOPPED, detail, **extra)
    run_dir = None if progress.run is None else str(progress.run.path)
    return JobOutcome(job.row_id, "stopped", run_dir=run_dir, detail=detail)


def _read_predictions(run: RunDir | None):
    """The run's per-engine test predictions, or None when it has none (yet)."""
    if run is None or not (run.path / "predictions.csv").exists():
        return None
    try:
        table = run.read_predictions()
    except RunStoreError:
        return None
    return table if len(table) else None

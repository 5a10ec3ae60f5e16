"""One task, on a worker: train in a scratch folder and report back as it goes.

This is the code that runs in a worker process (local or on a Ray node). It
never sees the driver's run store: the run lives in a temporary folder and
its files travel back in the reports (:mod:`core.executors.transfer`). A
stop request reaches the run through ``should_stop``, polled on a side
thread, so the trainer stops after its current step as it does at home.
"""

from __future__ import annotations

import contextlib
import platform
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import torch

from core import __version__
from core.data.prepare import PreparedData
from core.executors.reports import Ended, Progress, Report, RunTask, Started
from core.executors.transfer import FolderWatch, read_folder, write_files
from core.experiment.failure import describe_failure
from core.experiment.resume import resume_run
from core.experiment.run import ExperimentConfig, load_data, run_experiment
from core.runs import RunDir, RunStatus, RunStore, RunStoreError
from core.training.control import TrainingControl
from core.training.events import EpochEvent, Event, FinishedEvent, StepEvent

#: The status of a task stopped before it began: no run, no outcome.
CANCELLED = "cancelled"
#: Seconds between two step events sent to the driver (the live loss curve needs no more).
STEP_EVERY_S = 0.2
#: Seconds between two reports without an epoch end (events only, no files).
REPORT_EVERY_S = 1.0
#: Seconds between two looks at the driver's stop board.
STOP_POLL_S = 0.5


def execute(
    task: RunTask,
    data: PreparedData | None,
    send: Callable[[Report], None],
    should_stop: Callable[[], bool],
    where: str = "",
) -> Ended:
    """Train ``task`` to its end; every outcome, failure included, is an :class:`Ended`."""
    if task.version != __version__:
        message = (
            f"this worker ({where or platform.node()}) has rul-workbench {__version__}, the "
            f"driver {task.version}: install the same version on every node"
        )
        return Ended(task.key, task.attempt, "failed", error=message)
    if should_stop():  # stopped while queued (a pool may have handed it over already)
        return Ended(task.key, task.attempt, CANCELLED)
    config = ExperimentConfig.from_dict(task.config)
    if config.train.threads <= 0:
        torch.set_num_threads(max(1, task.threads))
    control = TrainingControl()
    with (
        tempfile.TemporaryDirectory(prefix="rulwb-task-") as scratch,
        _StopWatch(should_stop, control),
    ):
        run = _open_run(task, config, Path(scratch))
        send(Started(task.key, task.attempt, run.name, where or platform.node()))
        reporter = _Reporter(task, run, send)
        try:
            prepared = data if data is not None else load_data(config)
            if task.resume:
                result = resume_run(run, reporter, control, prepared)
            else:
                result, _ = run_experiment(config, _NamedStore(run), prepared, reporter, control)
        except Exception as exc:
            reporter.flush()
            message = describe_failure(exc, config)
            # a failure before training began (the data) leaves the folder saying "running";
            # the driver's copy must say failed, or the next comparison takes it for a dead run
            with contextlib.suppress(RunStoreError):
                if run.read_status().get("status") == RunStatus.RUNNING.value:
                    run.set_status(RunStatus.FAILED, message)
            return Ended(
                task.key,
                task.attempt,
                "failed",
                files=read_folder(run.path),
                error=message,
                trace=traceback.format_exc(),
            )
        reporter.flush()
        return Ended(
            task.key,
            task.attempt,
            result.status.value,
            dict(result.metrics),
            result.detail,
            read_folder(run.path),
        )


def _open_run(task: RunTask, config: ExperimentConfig, scratch: Path) -> RunDir:
    """The run's scratch folder: new, or refilled with the driver's copy to go on from it."""
    if not task.resume:
        return RunStore(scratch).create_run(config.to_dict())
    name = task.resume.get(".name", b"").decode() or "resumed"
    run = RunDir(scratch / name)
    write_files(run.path, {k: v for k, v in task.resume.items() if k != ".name"})
    # the copy may say "running" (its worker died, or the comparison was killed, mid-run);
    # it is this worker's to go on with now
    run.set_status(RunStatus.STOPPED, f"going on from its last epoch (attempt {task.attempt + 1})")
    return run


class _NamedStore(RunStore):
    """A store whose next run is the scratch folder already made for the task."""

    def __init__(self, run: RunDir) -> None:
        super().__init__(run.path.parent)
        self._run = run

    def create_run(self, config: dict, name: str | None = None) -> RunDir:
        return self._run


class _Reporter:
    """The trainer's event callback on a worker: batches events, sends files per epoch."""

    def __init__(self, task: RunTask, run: RunDir, send: Callable[[Report], None]) -> None:
        self.task, self.send = task, send
        self.watch = FolderWatch(run.path)
        self.events: list[Event] = []
        self._last_step = self._last_report = 0.0

    def __call__(self, event: Event) -> None:
        now = time.monotonic()
        if isinstance(event, StepEvent):
            if now - self._last_step < STEP_EVERY_S:
                return
            self._last_step = now
        self.events.append(event)
        if isinstance(event, EpochEvent | FinishedEvent):
            self.flush()  # the epoch's files are written before its event
        elif now - self._last_report >= REPORT_EVERY_S:
            self.flush(files=False)

    def flush(self, files: bool = True) -> None:
        changed = self.watch.changed() if files else {}
        if self.events or changed:
            self.send(Progress(self.task.key, self.task.attempt, self.events, changed))
        self.events = []
        self._last_report = time.monotonic()


class _StopWatch:
    """A side thread that turns the driver's stop board into a stop request."""

    def __init__(self, should_stop: Callable[[], bool], control: TrainingControl) -> None:
        self.should_stop, self.control = should_stop, control
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="rulwb-stop-watch", daemon=True)

    def __enter__(self) -> _StopWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=5)

    def _watch(self) -> None:
        while not self._done.wait(STOP_POLL_S):
            with contextlib.suppress(Exception):  # the driver went away: keep training
                if self.should_stop():
                    self.control.request_stop()
                    return


def resumable_copy(folder: Path) -> dict[str, bytes] | None:
    """The driver's copy of a run to resume from, or None when it has no ``last.pt`` yet."""
    if not (folder / "last.pt").is_file():
        return None
    return {**read_folder(folder), ".name": folder.name.encode()}

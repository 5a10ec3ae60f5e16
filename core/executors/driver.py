"""The driver: hands tasks to an executor and keeps the run store as a serial run would.

Everything a worker reports is applied here, on the user's machine: the run
folder is made under the worker's name when the run starts, the files each
epoch changed are written into it, events go to the caller (progress lines,
the GUI's live view), and the end is recorded. A run whose worker died is
submitted again with the driver's copy of its folder, so it goes on from its
last completed epoch (``retries`` times at most); on the CPU it then ends with
the metrics it would have had.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from core.data.prepare import PreparedData
from core.executors.base import Executor
from core.executors.reports import Ended, Lost, Progress, Report, RunTask, Started
from core.executors.transfer import WORKER_FILE, write_files
from core.executors.worker_run import CANCELLED, resumable_copy
from core.runs import RunDir, RunStatus, RunStore, RunStoreError
from core.runs.atomic import atomic_write_json, read_json
from core.training.control import TrainingControl
from core.training.events import Event

#: Seconds one poll waits for reports; also how fast a stop request is noticed.
POLL_S = 0.2


@dataclass(frozen=True)
class RunOutcome:
    """How one task ended, as the caller records it."""

    key: str
    status: str
    metrics: dict
    run_dir: str | None
    detail: str = ""
    error: str | None = None
    trace: str = ""


@dataclass
class _Flight:
    """A task in flight: its latest attempt and the driver's folder of the run."""

    task: RunTask
    folder: Path | None = None


def run_tasks(
    executor: Executor,
    tasks: list[RunTask],
    store: RunStore,
    data: Callable[[RunTask], PreparedData | None] = lambda task: None,
    on_event: Callable[[str, Event], None] | None = None,
    on_start: Callable[[str, Path], None] | None = None,
    on_end: Callable[[RunOutcome], None] | None = None,
    control: TrainingControl | None = None,
    retries: int = 2,
) -> dict[str, RunOutcome]:
    """Run ``tasks`` on ``executor`` until each ended; outcomes by task key.

    ``control``'s stop request cancels the tasks not begun and stops the
    running ones after their current step (they end as stopped, evaluated).
    Tasks cancelled before they began have no outcome.
    """
    flights = {task.key: _Flight(task) for task in tasks}
    outcomes: dict[str, RunOutcome] = {}

    def submit(task: RunTask) -> None:
        executor.submit(task, data(task) if executor.ships_data else None)

    for task in tasks:
        submit(task)
    stopping = False
    while executor.busy:
        if control is not None and control.abandoned:
            _abandon(executor, flights, outcomes)
            break
        if control is not None and control.stop_requested and not stopping:
            stopping = True
            executor.stop()
        for report in executor.poll(POLL_S):
            flight = flights.get(report.key)
            if flight is None or report.attempt != flight.task.attempt:
                continue  # a report of an earlier attempt, from a worker since lost
            outcome = _apply(report, flight, store, on_event, on_start)
            if isinstance(report, Lost) and outcome is None:
                if flight.task.attempt < retries and not stopping:
                    flight.task = _retry(flight)
                    submit(flight.task)
                    continue
                outcome = _lost_for_good(report, flight)
            if outcome is not None:
                outcomes[report.key] = outcome
                if on_end is not None:
                    on_end(outcome)
    return outcomes


def _apply(
    report: Report,
    flight: _Flight,
    store: RunStore,
    on_event: Callable[[str, Event], None] | None,
    on_start: Callable[[str, Path], None] | None,
) -> RunOutcome | None:
    """Write what ``report`` brings into the store; the outcome when it ends the run."""
    if isinstance(report, Started):
        if Path(report.run_name).name != report.run_name or report.run_name in ("", ".", ".."):
            raise ValueError(f"refusing a run folder named {report.run_name!r}")
        flight.folder = store.root / report.run_name
        flight.folder.mkdir(parents=True, exist_ok=True)
        # where the run happened, for the record (a resumed run lists each worker)
        record = flight.folder / WORKER_FILE
        seen = read_json(record) if record.exists() else []
        where = {"attempt": report.attempt, "where": report.where}
        atomic_write_json(record, [*seen, where] if isinstance(seen, list) else [where])
        if on_start is not None:
            on_start(report.key, flight.folder)
        return None
    if isinstance(report, Progress | Ended) and flight.folder is not None:
        write_files(flight.folder, report.files)
    if isinstance(report, Progress):
        for event in report.events:
            if on_event is not None:
                on_event(report.key, event)
        return None
    if isinstance(report, Ended) and report.status != CANCELLED:
        folder = None if flight.folder is None else str(flight.folder)
        return RunOutcome(
            report.key,
            report.status,
            report.metrics,
            folder,
            report.detail,
            report.error,
            report.trace,
        )
    return None


def _abandon(executor: Executor, flights: dict[str, _Flight], ended: dict) -> None:
    """End every run now; the folders of those begun say stopped (their epochs are kept)."""
    executor.abandon()
    for key, flight in flights.items():
        if key not in ended and flight.folder is not None:
            with contextlib.suppress(OSError, RunStoreError):
                RunDir(flight.folder).set_status(
                    RunStatus.STOPPED, "stopped when the program closed"
                )


def _retry(flight: _Flight) -> RunTask:
    """The next attempt: from the driver's copy of the run when it has a finished epoch."""
    copy = None if flight.folder is None else resumable_copy(flight.folder)
    if copy is None and flight.folder is not None:
        shutil.rmtree(flight.folder, ignore_errors=True)  # no finished epoch: nothing to keep
        flight.folder = None
    return replace(flight.task, attempt=flight.task.attempt + 1, resume=copy)


def _lost_for_good(report: Lost, flight: _Flight) -> RunOutcome:
    """Out of retries (or stopping): the run's folder says stopped, and why."""
    detail = f"its worker was lost {flight.task.attempt + 1} times ({report.reason})"
    if flight.folder is not None and (flight.folder / "status.json").exists():
        RunDir(flight.folder).set_status(RunStatus.STOPPED, detail)
    folder = None if flight.folder is None else str(flight.folder)
    return RunOutcome(report.key, "stopped", {}, folder, detail, error=detail)

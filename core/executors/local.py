"""``local``: N runs at once on this machine, each in a worker process of its own.

Built on :class:`concurrent.futures.ProcessPoolExecutor` (spawned processes,
so no worker inherits the driver's threads or CUDA state) and a
:mod:`multiprocessing` manager for the report queue and the stop board.
Each worker loads its data from the run's source once and keeps it for the
next task of the same data. A worker that dies breaks the whole pool (that is
how the standard library reports it): every run in flight is reported
:class:`Lost`, the driver resumes them from their ``last.pt``, and the next
submission gets a fresh pool.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

from core.data.prepare import PreparedData
from core.executors.base import Executor
from core.executors.config import ExecutorConfig, cpu_cores, default_jobs
from core.executors.reports import Ended, Lost, Report, RunTask

#: The stop board's key meaning "every run".
ALL = "*"


class LocalExecutor(Executor):
    """Worker processes on this machine."""

    ships_data = False  # the files are here: each worker loads them once itself

    def __init__(self, config: ExecutorConfig, preset: str = "compact") -> None:
        cuda = _cuda_devices()
        self.jobs = config.jobs or default_jobs(cuda, preset)
        #: torch threads of a run whose own setting is 0: the cores shared out over the jobs.
        self.threads = max(1, cpu_cores() // self.jobs)
        self.cuda_devices = cuda
        self.description = f"{self.jobs} processes on this machine"
        self._context = multiprocessing.get_context("spawn")
        self._manager = self._context.Manager()
        self._queue = self._manager.Queue()
        self._board = self._manager.dict()
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[Future, RunTask] = {}
        self._submitted = 0

    def submit(self, task: RunTask, data: PreparedData | None) -> None:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.jobs, mp_context=self._context)
        cuda = None if not self.cuda_devices else self._submitted % self.cuda_devices
        self._submitted += 1
        task = replace(task, threads=self.threads, cuda_index=cuda)
        future = self._pool.submit(_work, task, self._queue, self._board)
        self._futures[future] = task

    def poll(self, timeout: float) -> list[Report]:
        reports = self._drain(timeout)
        for future in [f for f in self._futures if f.done()]:
            task = self._futures.pop(future)
            reports += self._drain(0)  # a worker's last progress precedes its return
            reports += self._outcome(future, task)
        return reports

    def _outcome(self, future: Future, task: RunTask) -> list[Report]:
        try:
            return [future.result()]
        except CancelledError:
            return []
        except BrokenProcessPool:
            self._pool = None  # the standard library's pool cannot be used again
            return [Lost(task.key, task.attempt, "its worker process ended unexpectedly")]
        except Exception as exc:  # execute() reports its own failures; this is pickling etc.
            return [Ended(task.key, task.attempt, "failed", error=f"{type(exc).__name__}: {exc}")]

    def _drain(self, timeout: float) -> list[Report]:
        reports: list[Report] = []
        try:
            first = self._queue.get(timeout=timeout) if timeout else self._queue.get_nowait()
            reports.append(first)
            while True:
                reports.append(self._queue.get_nowait())
        except queue.Empty:
            pass
        return reports

    @property
    def busy(self) -> bool:
        return bool(self._futures)

    def stop(self) -> None:
        for future in self._futures:
            future.cancel()
        self._board[ALL] = True

    def abandon(self) -> None:
        if self._pool is not None:
            # the standard library offers no way to end running tasks before Python 3.14
            for process in list(getattr(self._pool, "_processes", {}).values()):
                process.terminate()
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self.stop()
            with contextlib.suppress(BrokenProcessPool):
                self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        with contextlib.suppress(Exception):
            self._manager.shutdown()


def _cuda_devices() -> int:
    """CUDA devices here, asked in a way that leaves this process's CUDA untouched."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


#: Per worker process: the last data loaded, by source and preprocessing.
_DATA: dict[str, PreparedData] = {}


def _work(task: RunTask, reports, board) -> Ended:
    """A worker process's task: pick the device, load (or reuse) the data, train."""
    import os

    from core.executors.worker_run import execute
    from core.experiment.failure import data_key
    from core.experiment.run import ExperimentConfig, load_data

    if task.cuda_index is not None:
        import torch

        torch.cuda.set_device(task.cuda_index)
    config = ExperimentConfig.from_dict(task.config)
    key = data_key(config)
    if key not in _DATA:
        _DATA.clear()
        with contextlib.suppress(Exception):  # execute() loads again and reports the failure
            _DATA[key] = load_data(config)

    def should_stop() -> bool:
        return bool(board.get(task.key) or board.get(ALL))

    return execute(task, _DATA.get(key), reports.put, should_stop, f"process {os.getpid()}")

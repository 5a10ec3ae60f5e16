"""What travels between the driver and its workers: a task out, reports back.

All plain, picklable dataclasses: they cross process boundaries (a
multiprocessing queue, Ray's object store). A worker sends :class:`Started`
once, :class:`Progress` as it trains (events, and the files the last epoch
changed), and returns :class:`Ended`; the executor itself turns a worker that
died into :class:`Lost`, which the driver answers by resuming the run
elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.training.events import Event


@dataclass(frozen=True)
class RunTask:
    """One (method, seed, source) run for a worker.

    Attributes
    ----------
    key
        The experiment's identity (what makes two runs the same run).
    label
        What the user reads, e.g. ``gaba s3``.
    config
        The run's ``config.json`` (an :class:`~core.experiment.run.ExperimentConfig`).
    version
        The driver's workbench version; a worker with another refuses the task.
    attempt
        0 for the first try; a retry after a lost worker counts up.
    resume
        The run folder's files as the driver has them (``last.pt`` among
        them): the worker goes on from that epoch instead of starting anew.
    threads
        torch CPU threads for the run when its configuration leaves them open.
    cuda_index
        The CUDA device a local worker uses (None: the process's default).
    """

    key: str
    label: str
    config: dict
    version: str
    attempt: int = 0
    resume: dict[str, bytes] | None = None
    threads: int = 1
    cuda_index: int | None = None


@dataclass(frozen=True)
class Started:
    """A worker took the task: the run folder's name and where it runs."""

    key: str
    attempt: int
    run_name: str
    where: str


@dataclass(frozen=True)
class Progress:
    """Training events since the last report, and the run files that changed."""

    key: str
    attempt: int
    events: list[Event] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class Ended:
    """The run ended (finished, stopped, diverged or failed) with all its files."""

    key: str
    attempt: int
    status: str
    metrics: dict = field(default_factory=dict)
    detail: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    error: str | None = None
    trace: str = ""


@dataclass(frozen=True)
class Lost:
    """The worker died (killed, out of memory, node lost) before the run ended."""

    key: str
    attempt: int
    reason: str


Report = Started | Progress | Ended | Lost

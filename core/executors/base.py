"""The interface every parallel executor offers the driver, and its error type."""

from __future__ import annotations

from abc import ABC, abstractmethod

from core.common.errors import WorkbenchError
from core.data.prepare import PreparedData
from core.executors.reports import Report, RunTask


class ExecutorError(WorkbenchError):
    """The executor cannot be used (Ray missing, an address unreachable ...); says why."""


class Executor(ABC):
    """Runs tasks somewhere and reports back; used from one driver thread.

    ``submit`` never blocks on training; ``poll`` returns what arrived within
    ``timeout`` seconds. A task ends with exactly one :class:`Ended` or
    :class:`Lost` report, or none when :meth:`stop` cancelled it before it began.
    """

    #: What the user reads in progress lines ("2 processes", "Ray at 10.0.0.5:6379").
    description: str = ""
    #: Whether tasks need the driver's prepared data (False: workers load it from the source).
    ships_data: bool = True

    @abstractmethod
    def submit(self, task: RunTask, data: PreparedData | None) -> None:
        """Queue ``task``; ``data`` is the driver's prepared data for it, if loaded."""

    @abstractmethod
    def poll(self, timeout: float) -> list[Report]:
        """Reports that arrived, waiting up to ``timeout`` seconds for the first."""

    @property
    @abstractmethod
    def busy(self) -> bool:
        """Whether any submitted task has not ended yet."""

    @abstractmethod
    def stop(self) -> None:
        """Cancel tasks not yet started; running runs stop after their current step."""

    @abstractmethod
    def close(self) -> None:
        """Release workers (and a Ray instance this executor started); idempotent."""

    def abandon(self) -> None:
        """End every run now, without waiting for a step (the program is closing).

        The driver's copy of each run keeps its finished epochs, so it can be
        resumed. By default the same as :meth:`close`.
        """
        self.close()

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

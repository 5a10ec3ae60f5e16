"""Short computations off the GUI thread, with the result delivered back to it.

Following Orange's ``widgets/utils/concurrent.py``: a plain function runs on
a :class:`~concurrent.futures.ThreadPoolExecutor`, and a small QObject turns
the future's completion into a signal handled in the GUI thread. Used for
loading data (a second to read FD004, minutes for a large CSV), which must
never freeze the window; training has its own worker.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

#: How long closing waits for an unfinished task before leaving it behind.
CLOSE_WAIT_S = 4.0


class Deadline:
    """A time budget shared by several waits: each gets what the ones before it left.

    Closing the window waits for the training worker, the data loader, the
    fleet view and any open import dialog; their waits must add up to the
    budget, not multiply it.
    """

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left_s(self) -> float:
        """Seconds left (never negative)."""
        return max(0.0, self.end - time.monotonic())

    def left_ms(self) -> int:
        return int(self.left_s() * 1000)


class BackgroundTasks(QObject):
    """Runs one function at a time on a private thread; results come back as signals.

    Only the newest submission's result is delivered: when the user presses
    Load twice, the first load's result is stale and is dropped.
    """

    #: The newest task ended with a result (the function's return value).
    succeeded = Signal(object)
    #: The newest task raised (the exception).
    failed = Signal(object)
    _done = Signal(object, int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor: cf.ThreadPoolExecutor | None = None
        self._future: cf.Future | None = None
        self._serial = 0
        self._done.connect(self._deliver)

    @property
    def busy(self) -> bool:
        """Whether a task is still running."""
        return self._future is not None and not self._future.done()

    def submit(self, function: Callable[..., Any], *args: Any) -> None:
        """Run ``function(*args)`` on the background thread."""
        if self._executor is None:
            self._executor = cf.ThreadPoolExecutor(1, thread_name_prefix="workbench-load")
        self._serial += 1
        serial = self._serial
        self._future = self._executor.submit(function, *args)
        self._future.add_done_callback(lambda future: self._relay(future, serial))

    def _relay(self, future: cf.Future, serial: int) -> None:
        """Runs in the background thread: hand the future to the GUI thread."""
        # The owner may be gone when the window closed during a load.
        with contextlib.suppress(RuntimeError):
            self._done.emit(future, serial)

    def _deliver(self, future: cf.Future, serial: int) -> None:
        if serial != self._serial or future.cancelled():
            return
        error = future.exception()
        if error is not None:
            self.failed.emit(error)
        else:
            self.succeeded.emit(future.result())

    def shutdown(self, wait_s: float = CLOSE_WAIT_S) -> bool:
        """Let a running task end (bounded wait) and release the thread.

        Returns
        -------
        bool
            True when nothing was left running.
        """
        executor, self._executor = self._executor, None
        if executor is None:
            return True
        self._serial += 1  # whatever still arrives is stale
        if self._future is not None:
            cf.wait([self._future], timeout=wait_s)
        ended = self._future is None or self._future.done()
        executor.shutdown(wait=ended, cancel_futures=True)
        return ended

"""The one way the workbench runs work off the GUI thread: a QObject worker in its own QThread.

Qt's worker-object pattern: a parentless ``QObject`` is moved to a
``QThread``; work reaches it through a queued signal and its results leave
through its own signals, emitted from its own thread and delivered in the GUI
thread by Qt's queued connections. A receiver that is gone is disconnected by
Qt, so no result is ever emitted on a deleted object, and the worker itself is
deleted only after its thread's event loop ended.

* :class:`WorkerThread` owns one such thread: start, bounded shutdown, and
  threads that outlive the wait kept referenced (:data:`_STRAGGLERS`) until
  :func:`wait_for_stragglers` at exit — Python must never destroy a running
  QThread (Qt aborts the process), and a load or a save cut off by the
  interpreter's exit could tear a file.
* :class:`BackgroundTasks` runs plain functions (loading a fleet, checking a
  CSV, predicting in-service engines, warming torch up) one at a time and
  delivers the newest one's result as a signal.
* The training worker (:mod:`workbench.training.worker`) is the same pattern
  with a long job that reports events while it runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from workbench.common.gui_garbage import GuiThreadCollection

log = logging.getLogger(__name__)

#: How long closing waits for an unfinished task before leaving it behind.
CLOSE_WAIT_S = 4.0
#: Worker threads that did not end within their shutdown wait (:func:`wait_for_stragglers`).
_STRAGGLERS: list[WorkerThread] = []


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


class WorkerThread:
    """A started QThread that ``worker`` (a parentless QObject) now lives in.

    Connect the owner's signals to the worker's slots (queued, since the
    worker lives in another thread) before sending work.
    """

    def __init__(self, worker: QObject, name: str) -> None:
        self.worker = worker
        #: Garbage is collected on the GUI thread only while this thread runs (gui_garbage).
        self._collection = GuiThreadCollection()
        self.thread = QThread()
        self.thread.setObjectName(name)
        worker.moveToThread(self.thread)
        self.thread.finished.connect(worker.deleteLater)
        self.thread.finished.connect(self._collection.release)  # queued to the GUI thread
        self.thread.start()

    def isRunning(self) -> bool:
        return self.thread.isRunning()

    def shutdown(self, wait_ms: int) -> bool:
        """End the thread's event loop after the work in hand, waiting at most ``wait_ms``.

        Returns
        -------
        bool
            True when the thread ended in time; otherwise it is kept
            referenced and finishes on its own (see :func:`wait_for_stragglers`).
        """
        self.thread.quit()  # takes effect when the worker's current slot returns
        ended = self.thread.wait(max(wait_ms, 0))
        if ended:
            self._collection.release()
        else:
            # A zero wait is a choice (the torch warm-up at close): no warning on every exit.
            level = logging.WARNING if wait_ms > 0 else logging.DEBUG
            log.log(level, "thread %s did not end within %d ms", self.thread.objectName(), wait_ms)
            # Keep the thread AND its worker referenced: the worker is a Python-owned
            # QObject, and collecting it while its slot still runs would free it under
            # the running thread.
            _STRAGGLERS.append(self)
        return ended


def wait_for_stragglers(wait_ms: int = 60_000) -> bool:
    """At exit, give threads that outlived the window's wait time to finish.

    The window is gone by then, so nobody watches a frozen screen.
    """
    ended = all(straggler.thread.wait(wait_ms) for straggler in _STRAGGLERS)
    if ended:
        for straggler in _STRAGGLERS:
            straggler._collection.release()
        _STRAGGLERS.clear()
    return ended


class _TaskRunner(QObject):
    """Lives in the background thread: runs each task it is sent, reports how it ended."""

    #: (serial, result, error): error is None when the task returned ``result``.
    ended = Signal(int, object, object)

    @Slot(int, object, object)
    def run(self, serial: int, function: Callable[..., Any], args: tuple) -> None:
        try:
            result = function(*args)
        except Exception as exc:
            self.ended.emit(serial, None, exc)
        else:
            self.ended.emit(serial, result, None)


class BackgroundTasks(QObject):
    """Runs one function at a time on a private thread; results come back as signals.

    Only the newest submission's result is delivered: when the user presses
    Load twice, the first load's result is stale and is dropped. The thread
    starts with the first task (an idle panel holds none).
    """

    #: The newest task ended with a result (the function's return value).
    succeeded = Signal(object)
    #: The newest task raised (the exception).
    failed = Signal(object)
    _send = Signal(int, object, object)

    def __init__(self, parent: QObject | None = None, name: str = "workbench-task") -> None:
        super().__init__(parent)
        self._name = name
        self._thread: WorkerThread | None = None
        self._serial = 0
        self._pending = 0

    @property
    def busy(self) -> bool:
        """Whether a submitted task has not reported back yet."""
        return self._pending > 0

    def submit(self, function: Callable[..., Any], *args: Any) -> None:
        """Run ``function(*args)`` on the background thread."""
        if self._thread is None:
            runner = _TaskRunner()
            self._thread = WorkerThread(runner, self._name)
            self._send.connect(runner.run)
            runner.ended.connect(self._deliver)
        self._serial += 1
        self._pending += 1
        self._send.emit(self._serial, function, args)

    @Slot(int, object, object)
    def _deliver(self, serial: int, result: Any, error: BaseException | None) -> None:
        self._pending -= 1
        if serial != self._serial:
            return  # a newer task was submitted, or the tasks were shut down
        if error is not None:
            self.failed.emit(error)
        else:
            self.succeeded.emit(result)

    def shutdown(self, wait_s: float = CLOSE_WAIT_S) -> bool:
        """Let a running task end (bounded wait) and release the thread.

        Tasks sent but not started are dropped. Returns True when nothing
        was left running.
        """
        thread, self._thread = self._thread, None
        if thread is None:
            return True
        self._serial += 1  # whatever still arrives is stale
        self._pending = 0
        return thread.shutdown(int(wait_s * 1000))

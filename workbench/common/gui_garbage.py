"""While the GUI has worker threads, Python's cyclic garbage collector runs on the GUI thread only.

Why: the collector runs in whichever thread happens to allocate when a
generation fills up. When that is a worker thread (training, an MLflow upload,
a CSV check) and the garbage holds a Qt object of the GUI (a menu of a closed
window, a widget in a reference cycle), the object is destroyed outside its
thread: Qt takes its locks from the worker, which then waits for Python's GIL,
while the GUI thread, holding the GIL, waits for one of those locks. Seen in
the suite as a window hung for good, both threads in ``QObject::~QObject``.

pyqtgraph's :class:`~pyqtgraph.util.garbage_collector.GarbageCollector` is the
maintained cure: automatic collection off, and the same generational
thresholds checked on a timer of the GUI thread. It is held by every
:class:`~workbench.common.background.WorkerThread` while it runs, so the
collector is back to normal once no worker thread is left (a test without
threads, the command line).
"""

from __future__ import annotations

import gc

from pyqtgraph.util.garbage_collector import GarbageCollector
from PySide6.QtCore import QObject, Slot

#: How often the GUI thread checks whether a generation is due (seconds).
CHECK_EVERY_S = 0.5

_collector: GarbageCollector | None = None
_holds = 0


class GuiThreadCollection(QObject):
    """One holder's claim on GUI-thread-only collection, given back by :meth:`release`.

    Create it on the GUI thread (the collector's timer lives there); a signal
    from another thread connected to :meth:`release` is queued to it.
    """

    def __init__(self) -> None:
        super().__init__()
        global _collector, _holds
        _holds += 1
        if _collector is None:
            _collector = GarbageCollector(interval=CHECK_EVERY_S)  # disables automatic collection
        self._held = True

    @Slot()
    def release(self) -> None:
        """Give the claim back (again: nothing); the last one back turns automatic collection on."""
        global _collector, _holds
        if not self._held:
            return
        self._held = False
        _holds -= 1
        if _holds == 0 and _collector is not None:
            _collector.timer.stop()
            _collector = None
            gc.enable()


def claims() -> int:
    """How many holders want collection on the GUI thread only (tests)."""
    return _holds


def collecting_on_gui_thread_only() -> bool:
    """Whether automatic collection is off in favour of the GUI thread's timer (tests)."""
    return _collector is not None and not gc.isenabled()

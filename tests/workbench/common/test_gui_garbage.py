"""Garbage of the GUI is collected on the GUI thread while worker threads run (gui_garbage)."""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject

from workbench.common.background import BackgroundTasks
from workbench.common.gui_garbage import claims, collecting_on_gui_thread_only


class _Cycle:
    """Garbage only the cyclic collector frees, holding a Qt object; says where it was freed."""

    def __init__(self, freed_on_gui_thread: list[bool]) -> None:
        self.itself = self
        self.qobject = QObject()
        self.freed_on_gui_thread = freed_on_gui_thread

    def __del__(self) -> None:
        self.freed_on_gui_thread.append(threading.current_thread() is threading.main_thread())


def _allocate() -> int:
    """Enough new containers to fill generation 0 many times over, on the worker thread."""
    return len([[] for _ in range(200_000)])


def test_a_cycle_dropped_while_a_worker_allocates_is_freed_on_the_gui_thread(qtbot):
    before = claims()
    tasks = BackgroundTasks(name="allocating")
    done: list[int] = []
    tasks.succeeded.connect(done.append)
    tasks.submit(int)  # the thread is up
    qtbot.waitUntil(lambda: done == [0], timeout=5000)
    assert collecting_on_gui_thread_only()
    gc.collect()
    freed: list[bool] = []
    _Cycle(freed)  # garbage from now on
    tasks.submit(_allocate)
    qtbot.waitUntil(lambda: len(done) == 2, timeout=5000)
    # the worker's containers are gone again; these stay, so the GUI thread's check finds a
    # generation due and collects it
    kept = [[] for _ in range(5_000)]
    qtbot.waitUntil(lambda: bool(freed), timeout=5000)
    del kept
    assert freed == [True], "the worker thread collected a Qt object of the GUI"
    assert tasks.shutdown(5.0)
    assert claims() == before, "the thread's claim was not given back"
    if before == 0:
        assert gc.isenabled() and not collecting_on_gui_thread_only()

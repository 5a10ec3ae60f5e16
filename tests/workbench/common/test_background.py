"""The one off-GUI-thread mechanism: worker objects in QThreads, newest result only, stragglers."""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject, Signal, Slot

from workbench.common import background
from workbench.common.background import BackgroundTasks, WorkerThread, wait_for_stragglers


def test_only_the_newest_result_is_delivered(qtbot):
    tasks = BackgroundTasks()
    release = threading.Event()
    got: list = []
    tasks.succeeded.connect(got.append)
    tasks.submit(lambda: release.wait(5) and "old")
    tasks.submit(lambda: "new")
    release.set()
    qtbot.waitUntil(lambda: not tasks.busy, timeout=5_000)
    assert got == ["new"]
    assert tasks.shutdown(1.0)


def test_a_failure_is_delivered_as_the_exception(qtbot):
    tasks = BackgroundTasks()
    with qtbot.waitSignal(tasks.failed, timeout=5_000) as blocker:
        tasks.submit(lambda: 1 / 0)
    assert isinstance(blocker.args[0], ZeroDivisionError)
    assert tasks.shutdown(1.0)


class _Slow(QObject):
    started = Signal()

    def __init__(self, release: threading.Event) -> None:
        super().__init__()
        self.release = release

    @Slot()
    def work(self) -> None:
        self.started.emit()
        self.release.wait(10)


class _Sender(QObject):
    go = Signal()


def test_a_thread_left_running_keeps_its_worker_alive_until_it_ends(qtbot):
    """Dropping every reference to a straggling worker must not free it under its thread."""
    release = threading.Event()
    worker, sender = _Slow(release), _Sender()
    sender.go.connect(worker.work)
    thread = WorkerThread(worker, "straggler")
    with qtbot.waitSignal(worker.started, timeout=5_000):
        sender.go.emit()
    assert not thread.shutdown(0), "still working: left behind"
    del worker, thread
    gc.collect()  # without the straggler list holding the worker, this frees it mid-slot
    release.set()
    assert wait_for_stragglers(5_000)
    assert background._STRAGGLERS == []


def test_a_thread_left_behind_on_purpose_is_no_warning_one_outliving_its_wait_is(qtbot, caplog):
    """Closing leaves the torch warm-up with a zero wait on every exit: that is no news."""
    release = threading.Event()
    worker, sender = _Slow(release), _Sender()
    sender.go.connect(worker.work)
    thread = WorkerThread(worker, "left-behind")
    with qtbot.waitSignal(worker.started, timeout=5_000):
        sender.go.emit()
    with caplog.at_level("DEBUG", logger=background.__name__):
        assert not thread.shutdown(0)
        assert [r.levelname for r in caplog.records] == ["DEBUG"]
        caplog.clear()
        assert not thread.shutdown(50)
        assert [r.levelname for r in caplog.records] == ["WARNING"]
    release.set()
    assert wait_for_stragglers(5_000)
